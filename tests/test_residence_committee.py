"""The workplace committee's residence overview: reminders reach exactly who is missing,
exemptions, the yearly ask when the comment window opens, and a closed window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.residence.window import KIND, job_key
from storage import clock, schedule
from storage.models import ExemptionKind, ResidenceExemption, ScheduledJob
from storage.residence import add_activity, get_tie
from tests.fakebot import FakeBotApi, FakeUser, SentMessage
from tests.harness import FAST_SENDER, RunningBot, bot_settings
from tests.residence_seed import (
    AN,
    BINH,
    CUONG,
    DUNG,
    HA,
    LAN,
    PHUONG,
    SON,
    TAM,
    exempt,
    residence_bot,
    seed,
    tie_for,
    user,
    window_job_done,
)
from tests.test_notices import outbox_idle

EVERYONE = (SON, AN, BINH, CUONG, HA, DUNG, PHUONG, TAM, LAN)


@pytest.fixture
async def bot(fake: FakeBotApi, database_url: str) -> AsyncIterator[RunningBot]:
    async with residence_bot(fake, database_url) as running:
        yield running


async def branch_view(bot: RunningBot, leader: FakeUser, branch: str) -> SentMessage:
    """The leader opens the residence menu, the overview, then one branch."""
    await leader.send_text("🏠 Sinh hoạt nơi cư trú")
    _own, tasks = await leader.wait_for_messages(2)
    await leader.press("📊 Cư trú của các chi bộ", message=tasks)
    await bot.fake.wait_until(lambda: branch in tasks.buttons())
    await leader.press(branch, message=tasks)
    await bot.fake.wait_until(lambda: "🛡 Miễn sinh hoạt" in tasks.buttons())
    return tasks


def reminded(bot: RunningBot) -> set[int]:
    return {m.chat_id for m in bot.fake.sent if (m.text or "").startswith("🔔 Nh")}


async def test_reminders_reach_exactly_the_members_missing(bot: RunningBot) -> None:
    ids = await seed(bot)
    await tie_for(bot, ids["an"], ids["r1"])  # confirmed, no comment yet: Tâm owes one
    await tie_for(bot, ids["son"], None)  # branch not in the bot: registered
    await exempt(bot, ids["cuong"])
    # Bình (linked) and Đào (never linked) are missing in CB1; Dũng is missing in CB2.
    son = user(bot, SON)
    view = await branch_view(bot, son, "Chi bộ Khu phố 1")
    text = view.text or ""
    assert "Đảng viên đang công tác: 5 · đã đăng ký: 2 · đã xác nhận: 1 · được miễn: 1" in text
    assert "chưa đăng ký: 2" in text and "Lê &lt;An&gt;" in text
    await son.press("🔔 Nhắc tất cả người còn thiếu (2)", message=view)
    told = await son.wait_for_message()
    assert told.text == (
        "🔔 Đang gửi nhắc nhở đến 2 người.\n"
        "Còn thiếu nhưng chưa liên kết Telegram, cần báo trực tiếp: Vũ Đào"
    )
    await bot.fake.wait_until(lambda: reminded(bot) == {BINH, TAM}, 10)
    [to_binh] = bot.fake.chat(BINH).messages
    assert "đăng ký sinh hoạt nơi cư trú" in (to_binh.text or "")
    [to_tam] = bot.fake.chat(TAM).messages
    assert "1 đảng viên" in (to_tam.text or "") and to_tam.buttons() == ["✍️ Viết nhận xét"]
    for other in set(EVERYONE) - {BINH, TAM, SON}:
        assert bot.fake.chat(other).messages == []
    binh = user(bot, BINH)
    await binh.press("📝 Đăng ký nơi cư trú", message=to_binh)
    assert "địa chỉ nơi cư trú" in (await binh.wait_for_message()).text
    assert len(await bot.audit("residence_reminded")) == 1
    await son.press("🔔 Nhắc tất cả người còn thiếu (2)", message=view)  # twice: nobody gets two
    await bot.settle()
    assert (last_alert(bot) or "").startswith("Lời nhắc đã được gửi đến các đồng chí này lúc ")
    assert len(await bot.audit("residence_reminded")) == 1
    await outbox_idle(bot)
    for person in (TAM, BINH):
        assert [m.text[:1] for m in bot.fake.chat(person).messages].count("🔔") == 1


async def test_committee_records_exemptions_and_exempt_members_get_no_comment_ask(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    await tie_for(bot, ids["cuong"], ids["r1"])
    son = user(bot, SON)
    view = await branch_view(bot, son, "Chi bộ Khu phố 1")
    await son.press("🛡 Miễn sinh hoạt", message=view)
    await bot.fake.wait_until(lambda: "Hoàng Cường" in view.buttons())
    await son.press("Hoàng Cường", message=view)
    await bot.fake.wait_until(lambda: "Đi học tập trung" in view.buttons())
    await son.press("Lý do khác", message=view)
    prompt = await son.wait_for_message()
    assert "tối đa 500 ký tự" in prompt.text
    await son.send_text("x" * 501)
    assert "tối đa 500 ký tự" in (await son.wait_for_message()).text
    await son.send_text("Đi công tác biển đảo 12 tháng")
    done = await son.wait_for_message()
    assert "được miễn (lý do khác)" in done.text
    async with bot.db() as session:
        [row] = list(await session.scalars(select(ResidenceExemption)))
    assert row.kind == ExemptionKind.OTHER and row.reason == "Đi công tác biển đảo 12 tháng"

    await ask_for_comments_now(bot)  # Cường's tie is confirmed, but he is exempt
    await bot.settle()
    assert bot.fake.chat(TAM).messages == []


async def ask_for_comments_now(bot: RunningBot) -> None:
    """Runs the yearly window job again now (it ran at start-up, when nothing was owed)."""
    year = clock.now().astimezone(bot.settings.tz).year
    async with bot.db(settle=False) as session:
        await schedule.schedule(session, KIND, job_key(year), clock.now(), {"year": year})
    assert bot.chibo is not None
    bot.chibo.scheduler.wake()
    await window_job_done(bot)


async def test_window_opening_asks_each_residence_secretary_once(bot: RunningBot) -> None:
    ids = await seed(bot)
    tie_id = await tie_for(bot, ids["an"], ids["r1"])
    await tie_for(bot, ids["dung"], ids["r1"])
    await tie_for(bot, ids["binh"], ids["r2"], confirmed=False)  # pending: not asked yet
    async with bot.db(settle=False) as session:
        tie = await get_tie(session, tie_id)
        assert tie is not None
        await add_activity(session, tie, clock.today(bot.settings.tz), "Họp chi bộ", clock.now())
    await ask_for_comments_now(bot)
    tam = user(bot, TAM)
    ask = await tam.wait_for_message(timeout=10)
    assert "2 đảng viên tại chi bộ đồng chí đang chờ nhận xét" in (ask.text or "")
    await bot.settle()
    assert bot.fake.chat(LAN).messages == []
    async with bot.db() as session:
        jobs = list(await session.scalars(select(ScheduledJob).where(ScheduledJob.kind == KIND)))
    year = clock.now().astimezone(bot.settings.tz).year
    assert sorted(j.key for j in jobs) == [job_key(year), job_key(year + 1)]
    await tam.press("✍️ Viết nhận xét", message=ask)
    listed = await tam.wait_for_message()
    assert len(listed.buttons()) == 2
    await tam.press(next(b for b in listed.buttons() if b.startswith("Lê <An>")))
    question = await tam.wait_for_message()
    assert "đã ghi năm" in question.text and ": 1, trong đó 0 được xác nhận" in question.text


async def test_outside_the_window_comments_are_refused_with_its_dates(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    tie_id = await tie_for(bot, ids["an"], ids["r1"])
    day = (clock.now() + timedelta(days=3)).strftime("%m-%d")
    closed = {"residence_comment_opens": day, "residence_comment_closes": day}
    await bot.stop()
    bot.settings = bot_settings(bot.fake, bot.settings.database_url, **FAST_SENDER, **closed)
    await bot.start()
    tam = user(bot, TAM)
    await tam.send_text("🏠 Sinh hoạt nơi cư trú")
    _own, tasks = await tam.wait_for_messages(2)
    assert "✍️" not in " ".join(tasks.buttons())
    for data in ("rcl", f"rcm:{tie_id}"):
        await tam.press_data(data, message=tasks)
        await bot.fake.wait_until(lambda: "hết thời hạn" in (last_alert(bot) or ""))
        bot.fake.callback_answers.clear()


def last_alert(bot: RunningBot) -> str | None:
    answers = bot.fake.callback_answers
    return answers[-1].text if answers and answers[-1].show_alert else None
