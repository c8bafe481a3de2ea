"""Messages to many people: queued with one INSERT ... SELECT per language (each member gets
the language `pick_language` gives them), and past BULK_JOB_THRESHOLD by a stored job that
tells the secretary when everything is queued, while the bot goes on answering."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import pick_language
from bot.settings import Settings
from handlers.notices.messages import NOTICE as NOTICE_SEND
from handlers.notices.messages import notice_messages, reminder_messages
from handlers.shared.audience import Bulk, bulk_job
from handlers.shared.readers import reader_default
from handlers.surveys.messages import SURVEY_REMINDER
from storage.db import transaction
from storage.models import (
    DeliveryStatus,
    Notice,
    NoticeReceipt,
    OutboxMessage,
    TelegramAccount,
)
from storage.notices import add_notice, notice_status, queue_notice, queue_reminder
from storage.survey_questions import Kind, Question
from tests.factories import member, tree
from tests.fakebot import FakeBotApi
from tests.harness import FAST_SENDER, RunningBot, bot_settings
from tests.survey_helpers import AN as SURVEY_AN
from tests.survey_helpers import SON as SURVEY_SON
from tests.survey_helpers import invitation, make_survey
from tests.survey_helpers import seed as survey_seed
from tests.test_notices import NOTICE, SON, got, outbox_idle, seed, start_notice, user

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
LANGUAGE_CASES = [  # (stored choice, Telegram's language_code)
    ("en", None),
    (None, "en-GB"),
    ("fr", "EN"),
    (None, "fr"),
    (None, None),
    ("vi", "en"),
]


async def test_each_member_gets_the_notice_in_the_language_pick_language_gives(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    settings = Settings(_env_file=None)
    async with transaction(sessions) as session:
        units = await tree(session)
        expected = {}
        for n, (stored, telegram) in enumerate(LANGUAGE_CASES):
            telegram_id = 500 + n
            phone = f"09130000{n:02d}"
            await member(session, units["CB1"], f"Người {n}", phone, telegram_id=telegram_id)
            account = await session.get(TelegramAccount, telegram_id)
            assert account is not None
            account.language, account.telegram_language = stored, telegram
            expected[telegram_id] = pick_language(stored, telegram, settings.default_locale)
        await member(session, units["CB1"], "Chưa liên kết", "0913000099")
        notice = await add_notice(session, units["CB1"].id, None, "Họp chi bộ")
        messages = notice_messages(notice, settings)
        default = reader_default(settings)
        cb1 = units["CB1"]
        queued = await queue_notice(session, notice, cb1, messages, default=default, now=NOW)
        rows = list(await session.scalars(select(OutboxMessage)))
        receipts = list(await session.scalars(select(NoticeReceipt)))
        status = await notice_status(session, notice.id, names=2)
    assert queued == len(rows) == len(LANGUAGE_CASES)
    label = {"vi": "✅ Đã nhận", "en": "✅ Received"}
    for row in rows:
        button = row.payload["reply_markup"]["inline_keyboard"][0][0]["text"]
        assert button == label[expected[row.chat_id]], row.chat_id
        assert row.payload["text"] == "Họp chi bộ"
    assert len(receipts) == len(LANGUAGE_CASES) + 1
    assert [r.outbox_message_id is None for r in receipts].count(True) == 1
    assert (status.total, status.sending, status.never_linked_count) == (7, 6, 1)
    assert [m.full_name for m in status.never_linked] == ["Chưa liên kết"]


@pytest.fixture
async def job_bot(fake: FakeBotApi, database_url: str) -> AsyncIterator[RunningBot]:
    """Every broadcast goes through the stored job."""
    settings = bot_settings(fake, database_url, bulk_job_threshold=0, **FAST_SENDER)
    running = RunningBot(fake, settings)
    await running.start()
    yield running
    await running.stop()


async def test_a_notice_past_the_threshold_is_queued_by_a_job_that_tells_the_secretary(
    job_bot: RunningBot,
) -> None:
    bot = job_bot
    await seed(bot)
    son = user(bot, SON)
    await start_notice(bot, son)
    await son.send_text(NOTICE)
    _preview, question = await son.wait_for_messages(2)
    await son.press("📤 Gửi", message=question)
    await bot.fake.wait_until(lambda: "đang được gửi đến 4" in (question.text or ""))
    told = "📤 Xong: 4 tin nhắn đã được xếp hàng và đang được gửi đi."
    await bot.fake.wait_until(lambda: any(m.text == told for m in bot.fake.chat(SON).messages))
    await outbox_idle(bot)
    assert len(got(bot, SON)) == 1
    async with bot.db() as session:
        [notice] = list(await session.scalars(select(Notice)))
        receipts = list(await session.scalars(select(NoticeReceipt)))
    assert notice.broadcast_id is not None and len(receipts) == 5


async def test_a_reminder_to_some_members_binds_their_ids_in_chunks(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A reminder to those not reminded yet names them; at 300,000 members that can be more
    ids than PostgreSQL binds in one statement (32,767), so they go in chunks."""
    settings = Settings(_env_file=None)
    async with transaction(sessions) as session:
        units = await tree(session)
        people = [
            await member(
                session, units["CB1"], f"Người {n}", f"09140000{n:02d}", telegram_id=700 + n
            )
            for n in range(7)
        ]
        notice = await add_notice(session, units["CB1"].id, None, "Họp chi bộ")
        default = reader_default(settings)
        await queue_notice(
            session,
            notice,
            units["CB1"],
            notice_messages(notice, settings),
            default=default,
            now=NOW,
        )
        await session.execute(update(OutboxMessage).values(status=DeliveryStatus.SENT))
        before = await session.scalar(select(func.max(OutboxMessage.id)))
        chosen = {p.id for p in people[:5]}
        only = chosen | set(range(10**6, 10**6 + 40_000))  # ids of members not reached
        reminders = reminder_messages(notice, settings)
        queued = await queue_reminder(
            session, notice, reminders, default=default, now=NOW, only=only
        )
        reminded = await session.scalars(
            select(OutboxMessage.member_id).where(OutboxMessage.id > before)
        )
        reminded_ids = set(reminded)
    assert queued == 5
    assert reminded_ids == chosen


def test_two_sends_to_many_with_one_name_fail_loudly() -> None:
    """A booked job names its send: two features' sends may not share a name."""
    twin = Bulk(NOTICE_SEND.what, SURVEY_REMINDER.queue)
    with pytest.raises(ValueError, match="'notice'"):
        bulk_job((NOTICE_SEND, SURVEY_REMINDER, twin))


async def test_a_survey_reminder_past_the_threshold_goes_through_the_job(
    job_bot: RunningBot,
) -> None:
    """The survey's 🔔 to more than the threshold: the shared bulk job queues the reminders
    (the survey's own message builder) and tells the secretary."""
    bot = job_bot
    ids = await survey_seed(bot)
    survey_id = await make_survey(bot, ids, [Question("Có?", Kind.YESNO)])
    await invitation(bot, SURVEY_AN)
    son = bot.fake.user(SURVEY_SON)
    await son.send_text("/menu")
    await son.wait_for_message()
    await son.press_data(f"svrm:{survey_id}")
    told = "📤 Xong: 7 tin nhắn đã được xếp hàng và đang được gửi đi."
    await bot.fake.wait_until(lambda: any(m.text == told for m in son.messages))
    reminder = "🔔 Nhắc nhở: đề nghị đồng chí trả lời phiếu khảo sát: Góp ý sinh hoạt chi bộ"
    chat = bot.fake.chat(SURVEY_AN)
    await bot.fake.wait_until(
        lambda: any((m.text or "").startswith(reminder) for m in chat.messages)
    )
