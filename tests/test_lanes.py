"""Lanes: chats handled side by side, one chat in order; replies after commit; a failure stays
with its own update; a member's reply goes before a queued broadcast; leases between
processes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

import handlers.onboarding.welcome
from storage import clock, inbox, outbox
from storage.db import transaction
from storage.models import InboxUpdate, TelegramAccount
from storage.outbox import NewMessage, text_payload
from tests.fakebot import BadRequest, FakeBotApi
from tests.harness import RunningBot

SORRY = "Xin lỗi, đã có lỗi xảy ra. Đồng chí vui lòng thử lại."
WELCOME = "Chào mừng"
HELP_START = "Tôi hỗ trợ"


async def set_aside(bot: RunningBot) -> list[InboxUpdate]:
    async with bot.db() as session:
        query = select(InboxUpdate).where(InboxUpdate.failed_at.is_not(None))
        return list(await session.scalars(query))


async def test_a_reply_telegram_refuses_gets_one_apology_and_others_go_on(
    bot: RunningBot,
) -> None:
    fake = bot.fake
    fake.inject("sendMessage", BadRequest("Bad Request: message is too long"), chat_id=901)
    unlucky, *others = [fake.user(user_id, language_code="vi") for user_id in (901, 902, 903)]
    for user in (unlucky, *others):
        await user.send_text("/start")
    for user in others:
        assert WELCOME in (await user.wait_for_message(timeout=10)).text
    assert (await unlucky.wait_for_message(timeout=10)).text == SORRY
    failed = await set_aside(bot)
    assert [(row.chat_id, row.last_error) for row in failed] == [(901, "BadRequest")]
    sends = [p for method, p in fake.calls if method == "sendMessage" and p["chat_id"] == 901]
    assert len(sends) == 2  # the refused reply, not tried again, and the apology
    assert len(unlucky.messages) == 1


async def test_a_text_telegram_would_refuse_rolls_the_update_back(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def too_long(update: Update, context: handlers.onboarding.welcome.Context) -> None:
        assert update.effective_chat is not None
        # Long texts are split to fit (bot/fit_bot.py); button data over 64 bytes cannot be.
        button = InlineKeyboardButton("x", callback_data="x" * 65)
        await update.effective_chat.send_message("x", reply_markup=InlineKeyboardMarkup([[button]]))

    fake = bot.fake
    unlucky = fake.user(911, language_code="vi")
    await unlucky.send_text("/start")
    await unlucky.wait_for_message()
    monkeypatch.setattr(handlers.onboarding.welcome, "next_step", too_long)
    press = await unlucky.press("✅ Tôi đồng ý")
    other = fake.user(912, language_code="vi")
    await other.send_text("/help")
    assert (await other.wait_for_message(timeout=10)).text.startswith(HELP_START)
    assert (await unlucky.wait_for_message(timeout=10)).text == SORRY
    failed = await set_aside(bot)
    assert [(row.attempts, row.last_error) for row in failed] == [(1, "BadRequest")]
    async with bot.db() as session:
        account = await session.get(TelegramAccount, 911)
        assert account is not None and account.consent_at is None  # rolled back
    assert await bot.audit("consent") == []
    answered = [a.callback_query_id for a in fake.callback_answers]
    assert press["callback_query"]["id"] in answered  # no spinner left
    assert not any(m.text == "x" for m in fake.sent)


async def test_one_chat_is_answered_in_order(bot: RunningBot) -> None:
    user = bot.fake.user(921, language_code="vi")
    for text in ("/help", "/start", "/help"):
        await user.send_text(text)
    first, second, third = await user.wait_for_messages(3, timeout=10)
    assert first.text.startswith(HELP_START) and third.text.startswith(HELP_START)
    assert WELCOME in second.text


async def test_a_members_reply_goes_before_a_queued_broadcast(bot: RunningBot) -> None:
    fake = bot.fake
    fake.enforce_limits()
    crowd = list(range(60_000, 61_000))
    for user_id in crowd:
        fake.user(user_id)
    async with bot.db(settle=False) as session:
        notice = [NewMessage(chat_id=c, payload=text_payload("Thông báo")) for c in crowd]
        await outbox.enqueue_broadcast(session, "notice", notice)
    assert bot.chibo is not None
    bot.chibo.sender.wake()
    await fake.wait_until(lambda: broadcast_sent(fake) >= 10, timeout=10)
    member_user = fake.user(931, language_code="vi")
    await member_user.send_text("/help")
    before = broadcast_sent(fake)
    reply = await member_user.wait_for_message(timeout=10)
    after = broadcast_sent(fake)
    assert reply.text.startswith(HELP_START)
    # At 30 messages a second, a reply waiting behind the queue would see ~1,000 go first;
    # it waits only for its own handling and round trip.
    assert after - before < 30
    # A press meanwhile: answered, then its follow-up message, in order.
    newcomer = fake.user(932, language_code="vi")
    await newcomer.send_text("/start")
    await newcomer.wait_for_message(timeout=10)
    press = await newcomer.press("✅ Tôi đồng ý")
    ask = await newcomer.wait_for_message(timeout=10)
    assert ask.keyboard() == ["📱 Chia sẻ số điện thoại của tôi"]
    answers = [a.callback_query_id for a in fake.callback_answers]
    assert press["callback_query"]["id"] in answers
    assert broadcast_sent(fake) < len(crowd) // 2  # the broadcast is still under way
    assert fake.got_429 == 0


def broadcast_sent(fake: FakeBotApi) -> int:
    return sum(1 for message in fake.sent if message.text == "Thông báo")


# --- leases between processes ---------------------------------------------------------------


def update(update_id: int, chat_id: int, press: bool = False) -> dict[str, object]:
    chat = {"id": chat_id, "type": "private"}
    person = {"id": chat_id, "is_bot": False, "first_name": "An"}
    message = {"message_id": 1, "date": 0, "chat": chat, "from": person, "text": "hi"}
    if press:
        query = {"id": f"q{update_id}", "from": person, "message": message, "data": "x"}
        return {"update_id": update_id, "callback_query": query}
    return {"update_id": update_id, "message": message}


async def test_one_holder_per_lane_and_a_dead_holders_lane_passes_on(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = clock.now()
    lease = now + timedelta(seconds=15)
    async with transaction(sessions) as session:
        await inbox.store_updates(session, [update(1, 501), update(2, 501), update(3, 502, True)])
    async with transaction(sessions) as session:
        # The chat with a press first, then by the oldest update.
        assert await inbox.lanes_with_work(session, "a", now, (), 10) == [502, 501]
        assert sorted(await inbox.take_lanes(session, [501, 502], "a", now, lease)) == [501, 502]
    async with transaction(sessions) as session:
        assert await inbox.lanes_with_work(session, "b", now, (), 10) == []
        assert await inbox.take_lanes(session, [501], "b", now, now) == []
        assert not await inbox.claim(session, 1, now, 501, "b")
    async with transaction(sessions) as session:
        assert await inbox.claim(session, 1, now, 501, "a")
        assert not await inbox.claim(session, 1, now, 501, "a")  # once
    later = lease + timedelta(seconds=1)  # "a" died and did not renew
    async with transaction(sessions) as session:
        assert await inbox.lanes_with_work(session, "b", later, (), 10) == [502, 501]
        assert await inbox.take_lanes(session, [501], "b", later, later + timedelta(15)) == [501]
        assert [item.update_id for item in await inbox.lane_work(session, 501)] == [2]
        assert await inbox.claim(session, 2, later, 501, "b")
        assert not await inbox.claim(session, 3, later, 502, "b")  # not its lane


async def test_replies_left_keep_a_handled_update_in_its_lane(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = clock.now()
    async with transaction(sessions) as session:
        await inbox.store_updates(session, [update(7, 701)])
        await inbox.take_lanes(session, [701], "a", now, now + timedelta(seconds=15))
        assert await inbox.claim(session, 7, now, 701, "a")
        await inbox.save_replies(session, 7, {"calls": [{"m": "sendMessage", "p": {}}]}, 1)
    async with transaction(sessions) as session:
        await inbox.release_lanes(session, "a")
        (item,) = await inbox.lane_work(session, 701)
        assert item.handled and item.replies_left == 1
        assert await inbox.lanes_with_work(session, "b", now, (), 10) == [701]
        await inbox.record_replies_left(session, {7: 0})
    async with transaction(sessions) as session:
        assert await inbox.lane_work(session, 701) == []
        row = await session.get(InboxUpdate, 7)
        assert row is not None and row.replies is None  # the texts are not kept
