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
from storage.models import Member, Role, ScheduledJob, Standing, TelegramAccount
from storage.probation import KIND, month_before, probation_end
from storage.standing import history, status_of
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
