"""The secretary records an exemption from activity in the bot (in Vietnamese and English):
the exempt member gets no invitations, warnings or reminders and leaves the denominators;
the scorecard shows them apart; buttons forged from another branch are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.i18n import translator
from storage import clock
from storage.meetings import NewMeeting, add_meeting, audience
from storage.models import (
    Attendance,
    Meeting,
    MeetingAudience,
    MeetingInvite,
    MeetingKind,
    Role,
    Standing,
    TelegramAccount,
)
from storage.plan_reports import missing_members
from storage.scorecard import Fraction, scorecards
from storage.standing import history, status_of
from storage.units import get_unit
from tests.factories import member, tree
from tests.harness import RunningBot
from tests.test_menus_and_buttons import assert_refused

SON, AN, BINH, HA = 801, 802, 803, 804
TZ = translator("vi").tz

LABELS = {
    "vi": {
        "menu": "👥 Đảng viên chi bộ",
        "card": "📋 Lê An",
        "official": "<b>Lê An</b>: Đảng viên chính thức",
        "exempt": "🛌 Miễn sinh hoạt đảng",
        "reason": "tuổi cao",
        "no_end": "Không có ngày kết thúc",
        "recorded": "🛌 Đã ghi: đồng chí <b>Lê An</b> được miễn công tác và sinh hoạt đảng",
        "now_exempt": "<b>Lê An</b>: Miễn công tác và sinh hoạt đảng",
        "end": "▶️ Thôi miễn sinh hoạt",
        "ended": "Đồng chí <b>Lê An</b> sinh hoạt trở lại",
        "bad_date": "Đồng chí gửi ngày theo dạng dd/mm/yyyy",
    },
    "en": {
        "menu": "👥 Branch members",
        "card": "📋 Lê An",
        "official": "<b>Lê An</b>: Full member",
        "exempt": "🛌 Exempt from activity",
        "reason": "old age",
        "no_end": "No end date",
        "recorded": "🛌 Recorded: <b>Lê An</b> is exempt from activity",
        "now_exempt": "<b>Lê An</b>: Exempt from activity",
        "end": "▶️ End the exemption",
        "ended": "<b>Lê An</b> takes part in activity again",
        "bad_date": "Please send a date as dd/mm/yyyy",
    },
}


async def seed(bot: RunningBot, language: str) -> dict[str, int]:
    """CB1: secretary Sơn (reads `language`), An, Bình; CB2: its secretary Hà. Two recorded
    CB1 meetings in two months of this year, An absent without a reason from both."""
    async with bot.db(settle=False) as s:
        u = await tree(s)
        son = await member(
            s, u["CB1"], "Trần Sơn", "0917000001", telegram_id=SON, role=Role.SECRETARY
        )
        an = await member(s, u["CB1"], "Lê An", "0917000002", telegram_id=AN)
        binh = await member(s, u["CB1"], "Phạm Bình", "0917000003", telegram_id=BINH)
        await member(s, u["CB2"], "Đỗ Hà", "0917000004", telegram_id=HA, role=Role.SECRETARY)
        account = await s.get(TelegramAccount, SON)
        assert account is not None
        account.language = language
        now = clock.now()
        local_month = clock.now().astimezone(TZ).month
        for hours_ago in (40 * 24 if local_month >= 3 else -40 * 24, 1):
            new = NewMeeting(
                unit_id=u["CB1"].id,
                kind=MeetingKind.REGULAR,
                audience=MeetingAudience.MEMBERS,
                starts_at=now - timedelta(hours=hours_ago),
                place="Nhà văn hóa",
                agenda="Sinh hoạt",
                created_by_member_id=son.id,
            )
            meeting = await add_meeting(s, new, [son.id, an.id, binh.id])
            meeting.attendance_recorded_at = now
            for invite in await s.scalars(
                select(MeetingInvite).where(MeetingInvite.meeting_id == meeting.id)
            ):
                absent = invite.member_id == an.id
                invite.attendance = Attendance.UNEXCUSED if absent else Attendance.PRESENT
        return {"cb1": u["CB1"].id, "son": son.id, "an": an.id, "binh": binh.id}


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_an_exemption_takes_the_member_out_of_duties_and_denominators(
    bot: RunningBot, language: str
) -> None:
    ids = await seed(bot, language)
    text = LABELS[language]
    son = bot.fake.user(SON, language_code=language)
    await son.send_text(text["menu"])
    await son.wait_for_message()
    await son.press(text["card"])
    card = await son.wait_for_message()
    assert text["official"] in card.text
    await son.press(text["exempt"], message=card)
    await bot.fake.wait_until(lambda: text["reason"] in card.buttons())
    await son.press(text["reason"], message=card)
    await bot.fake.wait_until(lambda: "dd/mm/yyyy" in (card.text or ""))
    await son.send_text("chưa rõ")  # not a date ("hôm nay" is one since typed dates)
    assert text["bad_date"] in (await son.wait_for_message()).text
    today = clock.today(TZ)
    await son.send_text(today.strftime("%d/%m/%Y"))
    until = await son.wait_for_message()
    await son.press(text["no_end"], message=until)
    done = await son.wait_for_message()
    assert done.text.startswith(text["recorded"])

    async with bot.db() as s:
        assert await status_of(s, ids["an"], today) == Standing.EXEMPT
        [*_, period] = await history(s, ids["an"])
        assert (period.detail, period.valid_from, period.valid_to) == ("age", today, None)
        assert period.recorded_by_member_id == ids["son"]
        cb1 = await get_unit(s, "CB1")
        assert cb1 is not None
        invited = await audience(s, cb1, MeetingAudience.MEMBERS, today)
        assert sorted(r.member.full_name for r in invited) == ["Phạm Bình", "Trần Sơn"]
        reminded = await missing_members(s, cb1.id, today.year, today)
        assert sorted(p.member.full_name for p in reminded) == ["Phạm Bình", "Trần Sơn"]
        [card_cb1], _total = await scorecards(s, cb1, today.year, TZ, today)
        assert card_cb1.exempt == Fraction(1, 3)
        assert card_cb1.plans_handed_in == Fraction(0, 2)
        assert card_cb1.attendance == Fraction(4, 4)  # An's absences are out with An
    assert len(await bot.audit("member_standing")) == 1

    # The yearly attendance view flags nobody: An's two months no longer warn.
    await son.press_data(f"my:{ids['cb1']}")
    await bot.fake.wait_until(lambda: "Lê An: ✅ 0" in (son.last_message.text or ""))
    assert "⚠️" not in (son.last_message.text or "").split("Lê An:")[1]

    await son.press(text["card"])
    again = await son.wait_for_message()
    assert text["now_exempt"] in again.text
    await son.press(text["end"], message=again)
    await bot.fake.wait_until(lambda: text["ended"] in (again.text or ""))
    async with bot.db() as s:
        assert await status_of(s, ids["an"], today) == Standing.OFFICIAL


async def test_status_buttons_forged_from_another_branch_are_refused(bot: RunningBot) -> None:
    ids = await seed(bot, "vi")
    an = ids["an"]
    for data in (
        f"sts:{an}",
        f"stx:{an}",
        f"stxr:{an}:0",
        f"stxn:{an}",
        f"stxe:{an}",
        f"stxb:{an}",
    ):
        await assert_refused(bot, HA, data)
    await assert_refused(bot, AN, f"stx:{an}")  # a plain member, about themself
    async with bot.db() as s:
        assert [p.status for p in await history(s, an)] == []
        meetings = list(await s.scalars(select(Meeting)))
        assert len(meetings) == 2
