"""Admission and probation in the bot, in Vietnamese and English: the secretary records an
admission, the stored reminders come a month before the 12 months end (and on the day, then
again until the outcome is in), the outcome is recorded; the admission rate in the
scorecard; forged buttons from another branch refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.i18n import translator
from storage import clock, schedule
from storage.models import Member, Role, ScheduledJob, Standing, TelegramAccount, Unit
from storage.probation import KIND, month_before, probation_end
from storage.standing import Change, history, record_change, status_of
from tests.factories import member, tree
from tests.harness import RunningBot
from tests.test_menus_and_buttons import assert_refused

SON, HA, AN = 901, 902, 903
TZ = translator("vi").tz

TEXT = {
    "vi": {
        "menu": "👥 Đảng viên chi bộ",
        "admit": "➕ Ghi nhận kết nạp đảng viên",
        "recorded": "➕ Đã ghi: đồng chí <b>Nguyễn Mới</b> là đảng viên dự bị của Chi bộ Khu phố 1",
        "reminder": "⏳ Thời gian dự bị của đồng chí Nguyễn Mới",
        "recognised": "✅ Công nhận chính thức",
        "full": "✅ Đã ghi: đồng chí <b>Nguyễn Mới</b> là đảng viên chính thức từ ngày",
    },
    "en": {
        "menu": "👥 Branch members",
        "admit": "➕ Record an admission",
        "recorded": "➕ Recorded: <b>Nguyễn Mới</b> is a probationary member of Chi bộ Khu phố 1",
        "reminder": "⏳ The probation of Nguyễn Mới",
        "not": "❌ Not recognised",
        "confirm": "Yes, record it",
        "struck": "Recorded: <b>Nguyễn Mới</b> was not recognised.",
    },
}


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def seed(bot: RunningBot, language: str) -> None:
    async with bot.db(settle=False) as s:
        u = await tree(s)
        await member(s, u["CB1"], "Trần Sơn", "0919000001", telegram_id=SON, role=Role.SECRETARY)
        await member(s, u["CB1"], "Lê An", "0919000003", telegram_id=AN)
        await member(s, u["CB2"], "Đỗ Hà", "0919000002", telegram_id=HA, role=Role.SECRETARY)
        account = await s.get(TelegramAccount, SON)
        assert account is not None
        account.language = language


async def run_job(bot: RunningBot, key: str) -> None:
    """The job's time has come: moved to now, and the scheduler looks."""
    async with bot.db(settle=False) as s:
        job = await s.scalar(select(ScheduledJob).where(ScheduledJob.key == key))
        assert job is not None
        await schedule.schedule(s, KIND, key, clock.now(), job.payload)
    assert bot.chibo is not None
    bot.chibo.scheduler.wake()


async def admit_in_chat(bot: RunningBot, language: str, admitted: date) -> Member:
    text = TEXT[language]
    son = bot.fake.user(SON, language_code=language)
    await son.send_text(text["menu"])
    await son.wait_for_message()
    await son.press(text["admit"])
    await son.wait_for_message()
    for answer in ("Nguyễn  Mới", "0919 000 099", admitted.strftime("%d/%m/%Y"), "15-QĐ/ĐU"):
        await son.send_text(answer)
        reply = await son.wait_for_message()
    assert reply.text.startswith(text["recorded"])
    assert probation_end(admitted).strftime("%d/%m/%Y") in reply.text
    async with bot.db() as s:
        new = await s.scalar(select(Member).where(Member.phone == "+84919000099"))
        assert new is not None and new.full_name == "Nguyễn Mới"
        return new


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_admission_reminders_and_outcome(bot: RunningBot, language: str) -> None:
    await seed(bot, language)
    today = clock.today(TZ)
    admitted = today - timedelta(days=300)  # both reminders still to come
    new = await admit_in_chat(bot, language, admitted)
    end = probation_end(admitted)
    async with bot.db() as s:
        [period] = await history(s, new.id)
        assert (period.status, period.valid_from, period.decision_no) == (
            Standing.PROBATIONARY, admitted, "15-QĐ/ĐU"
        )  # fmt: skip
        jobs = {j.key: j for j in await schedule.jobs_with_prefix(s, f"probation:{new.id}:")}
    eight = time(8, tzinfo=TZ)
    due = {
        k: j.due_at.replace(tzinfo=UTC) if j.due_at.tzinfo is None else j.due_at
        for k, j in jobs.items()
    }
    assert due == {
        f"probation:{new.id}:before": datetime.combine(month_before(end), eight),
        f"probation:{new.id}:due": datetime.combine(end, eight),
    }

    text = TEXT[language]
    son = bot.fake.user(SON, language_code=language)
    await run_job(bot, f"probation:{new.id}:before")
    reminder = await son.wait_for_message(10)
    assert reminder.text.startswith(text["reminder"])
    # The other branch's secretary hears nothing.
    assert not [m for m in bot.fake.sent if m.chat_id == HA]

    if language == "vi":
        await son.press(text["recognised"], message=reminder)
        await son.wait_for_message()
        await son.send_text(today.strftime("%d/%m/%Y"))
        assert (await son.wait_for_message()).text.startswith(text["full"])
        expected = Standing.OFFICIAL
    else:
        await son.press(text["not"], message=reminder)
        confirm = await son.wait_for_message()
        await son.press(text["confirm"], message=confirm)
        await bot.fake.wait_until(lambda: confirm.text == text["struck"])
        expected = Standing.REMOVED
    async with bot.db() as s:
        assert await status_of(s, new.id, today) == expected
        left = [
            j
            for j in await schedule.jobs_with_prefix(s, f"probation:{new.id}:")
            if j.done_at is None
        ]
        assert left == []  # the reminders stop with the outcome


async def test_the_reminder_repeats_after_the_day_until_the_outcome(bot: RunningBot) -> None:
    await seed(bot, "vi")
    today = clock.today(TZ)
    new = await admit_in_chat(bot, "vi", today - timedelta(days=370))
    await run_job(bot, f"probation:{new.id}:due")
    son = bot.fake.user(SON, language_code="vi")
    assert (await son.wait_for_message(10)).text.startswith(TEXT["vi"]["reminder"])

    async def again() -> bool:
        async with bot.db(settle=False) as s:
            jobs = await schedule.jobs_with_prefix(s, f"probation:{new.id}:again:")
            return any(j.done_at is None for j in jobs)

    await bot.fake.wait_until(again, 10)


async def test_probation_buttons_forged_from_another_branch_are_refused(bot: RunningBot) -> None:
    await seed(bot, "vi")
    today = clock.today(TZ)
    new = await admit_in_chat(bot, "vi", today - timedelta(days=10))
    cb1 = new.branch_id
    for data in (f"adm:{cb1}", f"prr:{new.id}", f"prn:{new.id}", f"prnok:{new.id}"):
        await assert_refused(bot, HA, data)
    await assert_refused(bot, AN, f"prnok:{new.id}")
    async with bot.db() as s:
        assert await status_of(s, new.id, today) == Standing.PROBATIONARY


READMIT = {
    "vi": {
        "taken": "Số điện thoại này là của đồng chí <b>Lê An</b>, đã có trong danh sách chi bộ: "
        "Đảng viên chính thức.",
        "elsewhere": "Số điện thoại này là của một đảng viên trong danh sách chi bộ khác.",
        "former": "Số điện thoại này là của đồng chí <b>Vũ Cũ</b>, trước đây là đảng viên của "
        "chi bộ.",
        "early": "Ngày kết nạp lại phải sau ngày ra khỏi danh sách.",
        "recorded": "➕ Đã ghi: đồng chí <b>Vũ Cũ</b> là đảng viên dự bị của Chi bộ Khu phố 1",
    },
    "en": {
        "taken": "<b>Lê An</b> (this phone number) is already on the branch's roster: Full member.",
        "elsewhere": "This phone number belongs to a member on another branch's roster.",
        "former": "This phone number is <b>Vũ Cũ</b>'s, a former member of the branch.",
        "early": "The readmission date must come after the day they left the roster.",
        "recorded": "➕ Recorded: <b>Vũ Cũ</b> is a probationary member of Chi bộ Khu phố 1",
    },
}


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_an_admission_finds_the_phone_on_the_roster(bot: RunningBot, language: str) -> None:
    """A member already on a roster is refused at the phone (named only to their own
    branch); a former member (struck off on 01/03/2025) is readmitted on their record, after
    the day they left, with their history kept."""
    await seed(bot, language)
    today = clock.today(TZ)
    async with bot.db(settle=False) as s:
        cb1 = await s.scalar(select(Unit).where(Unit.code == "CB1"))
        assert cb1 is not None
        old = await member(s, cb1, "Vũ Cũ", "0919000050")
        change = Change(Standing.REMOVED, date(2025, 3, 1), detail="xoa_ten")
        await record_change(s, old, change, today)
        old_id, members_before = old.id, len(list(await s.scalars(select(Member.id))))
    text, menu = READMIT[language], TEXT[language]
    son = bot.fake.user(SON, language_code=language)
    await son.send_text(menu["menu"])
    await son.wait_for_message()
    await son.press(menu["admit"])
    await son.wait_for_message()
    await son.send_text("Vũ Cũ")
    await son.wait_for_message()
    await son.send_text("0919 000 003")  # Lê An, of this branch
    assert (await son.wait_for_message()).text.startswith(text["taken"])
    await son.send_text("0919000002")  # Đỗ Hà, of CB2: not named
    elsewhere = await son.wait_for_message()
    assert elsewhere.text.startswith(text["elsewhere"]) and "Hà" not in elsewhere.text
    await son.send_text("0919000050")
    assert (await son.wait_for_message()).text.startswith(text["former"])
    await son.wait_for_message()  # the admission date?
    await son.send_text("01/02/2025")
    await son.wait_for_message()
    await son.send_text("15-QĐ/ĐU")
    assert (await son.wait_for_message()).text.startswith(text["early"])
    readmitted = today - timedelta(days=10)
    await son.send_text(readmitted.strftime("%d/%m/%Y"))
    await son.wait_for_message()
    await son.send_text("16-QĐ/ĐU")
    assert (await son.wait_for_message()).text.startswith(text["recorded"])
    async with bot.db() as s:
        assert len(list(await s.scalars(select(Member.id)))) == members_before  # no duplicate
        periods = [(p.status, p.valid_from, p.valid_to) for p in await history(s, old_id)]
        assert periods == [
            (Standing.OFFICIAL, None, date(2025, 3, 1)),  # the years before, as they were
            (Standing.REMOVED, date(2025, 3, 1), readmitted),
            (Standing.PROBATIONARY, readmitted, None),
        ]
        assert await status_of(s, old_id, today) == Standing.PROBATIONARY
