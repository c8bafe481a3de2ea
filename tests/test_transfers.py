"""Transfer of party activity: between two branches in the bot (started in Vietnamese,
confirmed in English; roles end, tie and plan follow), out of the bot (in English), an
overdue one flagged to both secretaries and on the overview, forged buttons refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import translator
from storage import clock, schedule
from storage.db import transaction
from storage.meetings import audience
from storage.models import (
    MeetingAudience,
    Member,
    MemberStatus,
    MemberTransfer,
    PlanStatus,
    ResidenceTie,
    Role,
    RoleAssignment,
    ScheduledJob,
    Standing,
    TelegramAccount,
    TieStatus,
    TransferKind,
    YearlyPlan,
)
from storage.plan_reports import branch_counts, missing_members
from storage.scorecard import Fraction, scorecards
from storage.standing import (
    counted_ids,
    end_period,
    history,
    members_counted,
    open_overlay,
    status_of,
)
from storage.transfers import (
    OVERDUE_KIND,
    TransferDraft,
    confirm_transfer,
    get_transfer,
    start_transfer,
)
from storage.units import get_unit
from tests.factories import member, tree
from tests.harness import RunningBot
from tests.plan_helpers import put_plan
from tests.test_menus_and_buttons import assert_refused

SON, HA, LAN, AN = 1001, 1002, 1003, 1004
TZ = translator("vi").tz


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def seed(
    bot: RunningBot, son_language: str = "vi", ha_language: str = "en"
) -> dict[str, int]:
    """CB1: secretary Sơn, Lan (a committee member of CB1, tied to CB9, plan accepted), An;
    CB2: secretary Hà (reads English)."""
    async with bot.db(settle=False) as s:
        u = await tree(s)
        son = await member(
            s, u["CB1"], "Trần Sơn", "0919100001", telegram_id=SON, role=Role.SECRETARY
        )
        lan = await member(
            s, u["CB1"], "Lê Lan", "0919100003", telegram_id=LAN, role=Role.COMMITTEE_MEMBER
        )
        await member(s, u["CB1"], "Vũ An", "0919100004", telegram_id=AN)
        await member(s, u["CB2"], "Đỗ Hà", "0919100002", telegram_id=HA, role=Role.SECRETARY)
        for user_id, language in ((SON, son_language), (HA, ha_language)):
            account = await s.get(TelegramAccount, user_id)
            assert account is not None
            account.language = language
        s.add(
            ResidenceTie(
                member_id=lan.id,
                address="Số 3",
                residence_branch_id=u["CB9"].id,
                status=TieStatus.CONFIRMED,
                created_at=clock.now(),
            )
        )
        await put_plan(s, lan.id, PlanStatus.ACCEPTED, year=clock.now().astimezone(TZ).year)
        return {"cb1": u["CB1"].id, "cb2": u["CB2"].id, "son": son.id, "lan": lan.id}


async def open_transfer(bot: RunningBot, language: str, kind: str) -> None:
    menu, transfer = {
        "vi": ("👥 Đảng viên chi bộ", "➡️ Chuyển sinh hoạt đảng"),
        "en": ("👥 Branch members", "➡️ Transfer of party activity"),
    }[language]
    son = bot.fake.user(SON, language_code=language)
    await son.send_text(menu)
    await son.wait_for_message()
    await son.press("📋 Lê Lan")
    card = await son.wait_for_message()
    await son.press(transfer, message=card)
    await bot.fake.wait_until(lambda: kind in card.buttons())
    await son.press(kind, message=card)
    await bot.fake.wait_until(lambda: "?" in (card.text or "") and not card.buttons())


async def test_a_transfer_between_branches_in_the_bot(bot: RunningBot) -> None:
    ids = await seed(bot)
    today = clock.today(TZ)
    son, ha = bot.fake.user(SON, language_code="vi"), bot.fake.user(HA, language_code="en")
    await open_transfer(bot, "vi", "Chính thức")
    await son.send_text("khu pho 2")
    choose = await son.wait_for_message()
    assert choose.buttons() == ["Chi bộ Khu phố 2", "Không có trong bot: khu pho 2"]
    await son.press("Chi bộ Khu phố 2", message=choose)
    assert (await son.wait_for_message()).text == "Số giấy giới thiệu sinh hoạt đảng?"
    await son.send_text("12/GGT")
    await son.wait_for_message()
    await son.send_text(today.strftime("%d/%m/%Y"))
    sent = await son.wait_for_message()
    assert sent.text.startswith("Đã gửi Chi bộ Khu phố 2 để xác nhận")
    async with bot.db() as s:
        lan = await s.get(Member, ids["lan"])
        assert lan is not None and lan.branch_id == ids["cb1"]  # not before the confirmation

    ask = await ha.wait_for_message(10)
    assert ask.text.startswith(
        "📨 Lê Lan is transferred (official) from Chi bộ Khu phố 1 to your branch, "
        f"introduction letter 12/GGT of {today.strftime('%d/%m/%Y')}."
    )
    await ha.press("✅ Confirm receipt", message=ask)
    await bot.fake.wait_until(lambda: (ask.text or "").startswith("Confirmed: <b>Lê Lan</b>"))
    told = await son.wait_for_message(10)
    assert told.text == "✅ Chi bộ Khu phố 2 đã xác nhận tiếp nhận đồng chí Lê Lan."

    async with bot.db() as s:
        lan = await s.get(Member, ids["lan"])
        assert lan is not None and lan.branch_id == ids["cb2"]
        roles = await s.scalars(select(RoleAssignment).where(RoleAssignment.member_id == lan.id))
        assert list(roles) == []  # the committee seat on CB1 ended
        periods = [(p.status, p.branch_id, p.valid_to) for p in await history(s, lan.id)]
        assert periods == [
            (Standing.OFFICIAL, ids["cb1"], today),
            (Standing.OFFICIAL, ids["cb2"], None),
        ]
        tie = await s.scalar(select(ResidenceTie).where(ResidenceTie.member_id == lan.id))
        assert tie is not None and tie.ended_at is None  # the residence tie followed
        hu = await get_unit(s, "HU")
        assert hu is not None
        counts = {b.code: c for b, c in await branch_counts(s, hu.path, today.year, today)}
        assert (counts["CB2"].members, counts["CB2"].accepted) == (2, 1)  # the plan followed
        assert (counts["CB1"].members, counts["CB1"].accepted) == (2, 0)
    assert len(await bot.audit("roles_ended_by_transfer")) == 1


TEMPORARY = {
    "vi": {
        "kind": "Tạm thời",
        "branch": "Chi bộ Khu phố 2",
        "sent": "Đã gửi Chi bộ Khu phố 2 để xác nhận",
        "confirm": "✅ Xác nhận đã tiếp nhận",
        "confirmed": "Đã xác nhận: Chi bộ Khu phố 2 đã tiếp nhận đồng chí <b>Lê Lan</b>",
        "away": "<b>Lê Lan</b>: Chuyển sinh hoạt tạm thời",
        "back": "↩️ Đã về sinh hoạt tại chi bộ",
        "done": "Đồng chí <b>Lê Lan</b> đã kết thúc chuyển sinh hoạt tạm thời",
    },
    "en": {
        "kind": "Temporary",
        "branch": "Chi bộ Khu phố 2",
        "sent": "Sent to Chi bộ Khu phố 2 for confirmation",
        "confirm": "✅ Confirm receipt",
        "confirmed": "Confirmed: <b>Lê Lan</b>",
        "away": "<b>Lê Lan</b>: Transferred temporarily",
        "back": "↩️ Back at the branch",
        "done": "<b>Lê Lan</b> is back from the temporary transfer",
    },
}


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_a_temporary_transfer_in_the_bot_and_back(bot: RunningBot, language: str) -> None:
    """Started and ended by CB1's secretary in `language`, confirmed by CB2's in it too:
    while it lasts CB2 invites Lan to its meetings and CB1 does not; back, the other way."""
    ids = await seed(bot, son_language=language, ha_language=language)
    text = TEMPORARY[language]
    today = clock.today(TZ)
    son, ha = bot.fake.user(SON, language_code=language), bot.fake.user(HA, language_code=language)
    await open_transfer(bot, language, text["kind"])
    await son.send_text("khu pho 2")
    choose = await son.wait_for_message()
    await son.press(text["branch"], message=choose)
    await son.wait_for_message()
    await son.send_text("15/GGT")
    await son.wait_for_message()
    await son.send_text(today.strftime("%d/%m/%Y"))
    assert (await son.wait_for_message()).text.startswith(text["sent"])
    ask = await ha.wait_for_message(10)
    await ha.press(text["confirm"], message=ask)
    await bot.fake.wait_until(lambda: (ask.text or "").startswith(text["confirmed"]))
    await son.wait_for_message(10)  # told of the confirmation

    async def invited(code: str) -> list[str]:
        async with bot.db() as s:
            unit = await get_unit(s, code)
            assert unit is not None
            people = await audience(s, unit, MeetingAudience.MEMBERS, today)
            return [r.member.full_name for r in people]

    assert await invited("CB2") == ["Đỗ Hà", "Lê Lan"]
    assert await invited("CB1") == ["Trần Sơn", "Vũ An"]
    async with bot.db() as s:
        hu = await get_unit(s, "HU")
        assert hu is not None
        counts = {b.code: c.members for b, c in await branch_counts(s, hu.path, today.year, today)}
        assert counts == {"CB1": 2, "CB2": 2}  # Lan's plan is CB2's to follow for now

    await son.send_text("/menu")
    await son.wait_for_message()
    await son.press_data(f"sts:{ids['lan']}")
    card = await son.wait_for_message()
    assert text["away"] in card.text
    await son.press(text["back"], message=card)
    await bot.fake.wait_until(lambda: text["done"] in (card.text or ""))
    assert await invited("CB2") == ["Đỗ Hà"]
    assert await invited("CB1") == ["Lê Lan", "Trần Sơn", "Vũ An"]


async def test_a_transfer_out_of_the_bot_leaves_the_roster(bot: RunningBot) -> None:
    ids = await seed(bot, son_language="en")
    today = clock.today(TZ)
    son = bot.fake.user(SON, language_code="en")
    await open_transfer(bot, "en", "Official")
    await son.send_text("Đảng bộ tỉnh Gia Lai")
    choose = await son.wait_for_message()
    assert choose.buttons() == ["Not in the bot: Đảng bộ tỉnh Gia Lai"]
    await son.press("Not in the bot: Đảng bộ tỉnh Gia Lai", message=choose)
    await son.wait_for_message()
    await son.send_text("07/GGT")
    await son.wait_for_message()
    await son.send_text(today.strftime("%d/%m/%Y"))
    done = await son.wait_for_message()
    assert done.text == (
        "Recorded: <b>Lê Lan</b> is transferred to Đảng bộ tỉnh Gia Lai and leaves the roster."
    )
    async with bot.db() as s:
        lan = await s.get(Member, ids["lan"])
        assert lan is not None and lan.status == MemberStatus.INACTIVE
        assert await status_of(s, lan.id, today) == Standing.TRANSFERRED_OUT
        [*_, period] = await history(s, lan.id)
        assert (period.note, period.decision_no) == ("Đảng bộ tỉnh Gia Lai", "07/GGT")


async def test_an_unconfirmed_transfer_is_flagged_to_both_and_on_the_overview(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    started = clock.now() - timedelta(days=31)
    async with bot.db(settle=False) as s:
        lan = await s.get(Member, ids["lan"])
        assert lan is not None
        draft = TransferDraft(TransferKind.OFFICIAL, ids["cb2"], None, "9/GGT", started.date())
        transfer = await start_transfer(
            s, lan, draft, by_member_id=ids["son"], now=started, today=started.date(),
            confirm_days=30,
        )  # fmt: skip
        key = f"transfer:{transfer.id}:overdue"
        job = await s.scalar(select(ScheduledJob).where(ScheduledJob.key == key))
        assert job is not None and job.due_at.replace(tzinfo=UTC) < clock.now()
        await schedule.schedule(s, OVERDUE_KIND, key, job.due_at, job.payload)
    assert bot.chibo is not None
    bot.chibo.scheduler.wake()
    son, ha = bot.fake.user(SON, language_code="vi"), bot.fake.user(HA, language_code="en")
    flag_vi = await son.wait_for_message(10)
    assert flag_vi.text.startswith(
        "⚠️ Việc chuyển sinh hoạt của đồng chí Lê Lan từ Chi bộ Khu phố 1"
    )
    assert "chưa được xác nhận sau 30 ngày" in flag_vi.text
    flag_en = await ha.wait_for_message(10)
    assert flag_en.text.startswith("⚠️ The transfer of Lê Lan from Chi bộ Khu phố 1 to Chi bộ Khu")
    async with bot.db() as s:
        stored = await s.get(MemberTransfer, transfer.id)
        assert stored is not None and stored.flagged_at is not None

    await son.send_text("/menu")
    await son.wait_for_message()
    await son.press_data("sc")
    overview = await son.wait_for_message(10)
    assert "⚠️ Việc chuyển sinh hoạt của đồng chí Lê Lan" in overview.text


async def test_transfer_buttons_forged_or_from_the_wrong_branch_are_refused(
    bot: RunningBot,
) -> None:
    ids = await seed(bot, ha_language="vi")
    lan = ids["lan"]
    async with bot.db(settle=False) as s:
        member_row = await s.get(Member, lan)
        assert member_row is not None
        draft = TransferDraft(TransferKind.OFFICIAL, ids["cb2"], None, "1", None)
        now = clock.now()
        transfer = await start_transfer(
            s, member_row, draft, by_member_id=ids["son"], now=now, today=now.date(),
            confirm_days=30,
        )  # fmt: skip
    for data in (f"trf:{lan}", f"trk:{lan}:0", f"trb:{lan}:{ids['cb2']}", f"tro:{lan}"):
        await assert_refused(bot, HA, data)
    await assert_refused(bot, SON, f"trc:{transfer.id}")  # the sender cannot confirm
    await assert_refused(bot, AN, f"trc:{transfer.id}")
    async with bot.db() as s:
        moved = await s.get(Member, lan)
        assert moved is not None and moved.branch_id == ids["cb1"]


async def test_a_confirmed_temporary_transfer_keeps_the_member_on_the_sending_roster(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    today = now.date()
    async with transaction(sessions) as s:
        u = await tree(s)
        lan = await member(s, u["CB1"], "Lê Lan", "0919100003")
        draft = TransferDraft(TransferKind.TEMPORARY, u["CB2"].id, None, "5/GGT", today)
        started = await start_transfer(
            s, lan, draft, by_member_id=None, now=now, today=today, confirm_days=30
        )
        transfer = await get_transfer(s, started.id)
        assert transfer is not None
        await confirm_transfer(s, transfer, by_member_id=None, now=now, today=today)
        assert lan.branch_id == u["CB1"].id and lan.status == MemberStatus.ACTIVE
        assert await status_of(s, lan.id, today) == Standing.TRANSFERRED_TEMPORARY
        [*_, away] = await history(s, lan.id)
        assert (away.branch_id, away.note) == (u["CB1"].id, "Chi bộ Khu phố 2")
        taking_part = set(await s.scalars(counted_ids("plans_handed_in", today)))
        on_roster = set(await s.scalars(counted_ids("members", today)))
        assert lan.id not in taking_part and lan.id in on_roster


async def test_a_temporary_transfer_takes_part_at_the_receiving_branch_while_it_lasts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Lan (CB1) is temporarily at CB2 from 01/06 to 01/09/2026: CB2 invites her to its
    meetings, reminds her and counts her in its duty figures; CB1 keeps her on its roster
    and out of its duties. Back at CB1, the other way round; past dates stay as they were."""
    now = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    start, during, back = date(2026, 6, 1), date(2026, 7, 15), date(2026, 9, 1)
    async with transaction(sessions) as s:
        u = await tree(s)
        lan = await member(s, u["CB1"], "Lê Lan", "0919100003")
        await member(s, u["CB1"], "Vũ An", "0919100004")
        await member(s, u["CB2"], "Đỗ Hà", "0919100002")
        plan = await put_plan(s, lan.id, PlanStatus.ACCEPTED, year=2026)
        plan.submitted_at = datetime(2026, 3, 1, tzinfo=UTC)
        draft = TransferDraft(TransferKind.TEMPORARY, u["CB2"].id, None, "5/GGT", start)
        started = await start_transfer(
            s, lan, draft, by_member_id=None, now=now, today=start, confirm_days=30
        )
        transfer = await get_transfer(s, started.id)
        assert transfer is not None
        before = await audience(s, u["CB2"], MeetingAudience.MEMBERS, start)
        assert [r.member.full_name for r in before] == ["Đỗ Hà"]  # not before the confirmation
        await confirm_transfer(s, transfer, by_member_id=None, now=now, today=start)
    async with transaction(sessions) as s:
        lan_id, hu = lan.id, u["HU"]

        async def invited(code: str, on: date) -> list[str]:
            people = await audience(s, u[code], MeetingAudience.MEMBERS, on)
            return [r.member.full_name for r in people]

        async def plans(on: date) -> dict[str, tuple[int, int]]:
            counts = await branch_counts(s, hu.path, 2026, on)
            return {b.code: (c.members, c.accepted) for b, c in counts}

        assert await invited("CB2", during) == ["Đỗ Hà", "Lê Lan"]
        assert await invited("CB1", during) == ["Vũ An"]
        assert await plans(during) == {"CB1": (1, 0), "CB2": (2, 1)}
        # Reminded of CB2's meetings, not of those of CB1 she was invited to before she left.
        assert await members_counted(s, "invitations", [lan_id], during, u["CB2"].path) == {lan_id}
        assert await members_counted(s, "invitations", [lan_id], during, u["CB1"].path) == set()
        assert await members_counted(s, "invitations", [lan_id], during) == set()  # warnings
        cards, _total = await scorecards(s, hu, 2026, TZ, during)
        roster = {c.unit.code: (c.away, c.plans_handed_in.total) for c in cards}
        # On CB1's roster (shown apart there), in CB2's duties.
        assert roster == {"CB1": (Fraction(1, 2), 1), "CB2": (Fraction(0, 1), 2)}
        lan_row = await s.get(Member, lan_id)
        assert lan_row is not None
        period = await open_overlay(s, lan_id, Standing.TRANSFERRED_TEMPORARY, back)
        assert period is not None
        await end_period(s, lan_row, period, back, back)
    async with transaction(sessions) as s:
        assert await invited("CB2", back) == ["Đỗ Hà"]
        assert await invited("CB1", back) == ["Lê Lan", "Vũ An"]
        assert await plans(back) == {"CB1": (2, 1), "CB2": (1, 0)}
        assert await plans(during) == {"CB1": (1, 0), "CB2": (2, 1)}  # the past as it was
        assert await members_counted(s, "invitations", [lan_id], back) == {lan_id}
        # Without a plan, the branch she takes part in is the one to remind her.
        stored = await s.get(YearlyPlan, plan.id)
        assert stored is not None
        stored.status = PlanStatus.DRAFT
        await s.flush()

        async def to_remind(code: str, on: date) -> list[str]:
            return [p.member.full_name for p in await missing_members(s, u[code].id, 2026, on)]

        assert await to_remind("CB2", during) == ["Đỗ Hà", "Lê Lan"]
        assert await to_remind("CB1", during) == ["Vũ An"]
        assert await to_remind("CB2", back) == ["Đỗ Hà"]
        assert await to_remind("CB1", back) == ["Lê Lan", "Vũ An"]
