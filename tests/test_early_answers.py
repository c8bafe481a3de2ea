"""A press is answered as it arrives (bot/early_answers.py): not after the updates queued
before it in its lane, with the same answer its handler gives, a refusal included; the
handler's writes and edits still happen once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import early_answers
from storage import inbox
from storage.models import Broadcast, DeliveryStatus, NoticeReceipt, OutboxMessage
from storage.notices import add_notice, enqueue_notice
from storage.outbox import NewMessage
from tests.factories import member, tree
from tests.fakebot import Hang, SentMessage
from tests.fakebot.methods import HANDLERS
from tests.harness import RunningBot

AN, DUNG = 702, 703
NOTICE = "Thông báo: sinh hoạt chi bộ thường kỳ."
RECORDED = "Cảm ơn đồng chí, đã ghi nhận xác nhận."
NOT_YOURS = "Xin lỗi, nút này không dành cho đồng chí hoặc đã hết hiệu lực."


async def sent_notice(bot: RunningBot) -> tuple[int, dict[int, SentMessage]]:
    """A notice sent to An (not to Dũng, a member of the branch too): its id, and the
    message with its "received" button in each one's chat."""
    async with bot.db(settle=False) as session:
        branch = (await tree(session))["CB1"]
        an = await member(session, branch, "Lê An", "0912000001", telegram_id=AN)
        await member(session, branch, "Vũ Dũng", "0912000002", telegram_id=DUNG)
        notice = await add_notice(session, branch.id, None, "Sinh hoạt chi bộ")
        message = NewMessage(chat_id=AN, payload={"text": NOTICE}, member_id=an.id)
        now = datetime.now(UTC)
        await enqueue_notice(session, notice, [message], [an.id], now)
        await session.execute(update(OutboxMessage).values(status=DeliveryStatus.SENT, sent_at=now))
        await session.execute(update(Broadcast).values(finished_at=now, report_sent_at=now))
        notice_id = notice.id
    messages = {}
    for user_id in (AN, DUNG):
        bot.fake.user(user_id, language_code="vi")
        markup = {
            "inline_keyboard": [[{"text": "✅ Đã nhận", "callback_data": f"nack:{notice_id}"}]]
        }
        params = {"chat_id": user_id, "text": NOTICE, "reply_markup": markup}
        sent = HANDLERS["sendmessage"](bot.fake, params, {})
        found = bot.fake.store.find(user_id, int(sent["message_id"]))
        assert found is not None
        messages[user_id] = found
    return notice_id, messages


async def test_a_press_is_answered_while_its_lane_is_busy(bot: RunningBot) -> None:
    fake = bot.fake
    notice_id, messages = await sent_notice(bot)
    an, dung = fake.user(AN), fake.user(DUNG)
    # Each one's lane is busy: the reply to their /help is held on its way to Telegram.
    for user in (an, dung):
        fake.inject("sendMessage", Hang(), chat_id=user.chat_id)
        await user.send_text("/help")

    def held() -> set[object]:
        return {p["chat_id"] for method, p in fake.calls if method == "sendMessage"}

    await fake.wait_until(lambda: held() == {AN, DUNG}, timeout=10)
    pressed = await an.press("✅ Đã nhận", message=messages[AN])
    refused = await dung.press("✅ Đã nhận", message=messages[DUNG])
    forged = await an.press_data("nack:abc", message=messages[AN])
    ids = [p["callback_query"]["id"] for p in (pressed, refused, forged)]

    def answer(query_id: str) -> list[tuple[str | None, bool]]:
        return [
            (a.text, a.show_alert) for a in fake.callback_answers if a.callback_query_id == query_id
        ]

    await fake.wait_until(lambda: all(answer(i) for i in ids), timeout=10)
    assert answer(ids[0]) == [(RECORDED, False)]
    assert answer(ids[1]) == [(NOT_YOURS, True)]  # a refusal says why
    assert answer(ids[2]) == [(NOT_YOURS, True)]
    assert messages[AN].buttons() == ["✅ Đã nhận"]  # the handler has not run yet

    fake.release_hangs()
    await fake.wait_until(lambda: messages[AN].buttons() != ["✅ Đã nhận"], timeout=10)
    assert messages[AN].buttons()[0].startswith("✅ Đã nhận ")
    assert messages[DUNG].buttons() == ["✅ Đã nhận"]
    async with bot.db() as session:
        receipts = list(await session.scalars(select(NoticeReceipt)))
    assert [(r.notice_id, r.acknowledged_at is not None) for r in receipts] == [(notice_id, True)]
    assert len(await bot.audit("notice_acknowledged")) == 1
    assert len(await bot.audit("refused")) == 2  # the handlers still ran, and recorded it
    # Each press was answered once: the handlers' own answers were dropped, not refused.
    answers = [p["callback_query_id"] for m, p in fake.calls if m == "answerCallbackQuery"]
    assert sorted(answers) == sorted(ids)


async def test_a_press_is_answered_while_its_batch_is_being_stored(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer leaves before the batch it came in is stored, and does not wait for it; the
    update is acknowledged to Telegram only once stored, and answered once. On PostgreSQL the
    receiving side runs in a thread of its own (bot/receiving.py), away from the lanes' loop."""
    fake = bot.fake
    _notice_id, messages = await sent_notice(bot)
    store_updates = inbox.store_updates
    storing, release = threading.Event(), threading.Event()
    stored_in: list[threading.Thread] = []

    async def held(session: AsyncSession, payloads: list[dict[str, Any]]) -> None:
        if any("callback_query" in payload for payload in payloads):
            stored_in.append(threading.current_thread())
            storing.set()
            await asyncio.to_thread(release.wait, 20)  # on the receiving side's loop
        await store_updates(session, payloads)

    monkeypatch.setattr(inbox, "store_updates", held)
    pressed = await fake.user(AN).press("✅ Đã nhận", message=messages[AN])
    query_id = pressed["callback_query"]["id"]
    try:
        await fake.wait_until(lambda: query_id in fake.answered_at, timeout=10)
        assert storing.is_set()
        assert not release.is_set()
        answers = [a.text for a in fake.callback_answers if a.callback_query_id == query_id]
        assert answers == [RECORDED]
        # Not stored yet, so not acknowledged: Telegram would send it again.
        assert pressed["update_id"] in [u["update_id"] for u in fake.updates.pending]
    finally:
        release.set()
    await fake.wait_until(lambda: messages[AN].buttons() != ["✅ Đã nhận"], timeout=10)
    await bot.settle()
    assert fake.updates.pending == []
    async with bot.db() as session:
        receipts = list(await session.scalars(select(NoticeReceipt)))
    assert [r.acknowledged_at is not None for r in receipts] == [True]
    answers = [p["callback_query_id"] for m, p in fake.calls if m == "answerCallbackQuery"]
    assert answers == [query_id]
    postgres = bot.settings.database_url.startswith("postgresql")
    assert (stored_in[0] is not threading.main_thread()) == postgres


async def test_a_press_whose_answer_cannot_be_read_is_answered_without_text_once(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The press was marked as answered on arrival before its answer was read: when the read
    fails, it is still answered (no spinner left), once, and its handler still records it."""
    fake = bot.fake
    _notice_id, messages = await sent_notice(bot)

    @asynccontextmanager
    async def unreadable(_sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Any]:
        raise OperationalError("SELECT", {}, Exception("the database went away"))
        yield  # pragma: no cover

    monkeypatch.setattr(early_answers, "read_transaction", unreadable)
    pressed = await fake.user(AN).press("✅ Đã nhận", message=messages[AN])
    query_id = pressed["callback_query"]["id"]
    await fake.wait_until(lambda: messages[AN].buttons() != ["✅ Đã nhận"], timeout=10)
    await bot.settle()
    await fake.wait_until(lambda: query_id in fake.answered_at, timeout=10)
    answers = [(a.text, a.show_alert) for a in fake.callback_answers]
    assert answers == [(None, False)]
    async with bot.db() as session:
        receipts = list(await session.scalars(select(NoticeReceipt)))
    assert [r.acknowledged_at is not None for r in receipts] == [True]
