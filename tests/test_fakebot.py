"""Tests for tests/fakebot: the fake Bot API driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    Update,
)
from telegram import error as tg_error
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from tests.fakebot import FakeBotApi, Forbidden, Hang, RetryAfter, ServerError, Timeout

pytestmark = [
    pytest.mark.asyncio,
    # PTB's own RetryAfter warns about its int -> timedelta migration; not our concern here.
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]

TOKEN = "123:ABC"


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(bot_username="chibo_test_bot", bot_id=1000)
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url) as client:
        yield client


def lang_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("English", callback_data="lang:en")],
            [InlineKeyboardButton("Tiếng Việt", callback_data="lang:vi")],
        ]
    )


def retry_seconds(exc: tg_error.RetryAfter) -> float:
    # PTB 22 is migrating retry_after from int to timedelta (and warns about it): accept both.
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# --- identity & updates ---------------------------------------------------------------------


async def test_get_me(fake: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (1000, "chibo_test_bot", True)
    assert fake.count("getMe") >= 1


async def test_get_updates_offset_confirms(fake: FakeBotApi, bot: Bot) -> None:
    user = fake.user(111)
    for text in ("a", "b", "c"):
        await user.send_text(text)
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["a", "b", "c"]
    second = updates[1].update_id
    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second, second + 1]
    assert len(fake.pending_updates) == 2
    assert await bot.get_updates(offset=second + 2, limit=1) == ()
    assert fake.pending_updates == []


async def test_long_poll_returns_as_soon_as_update_arrives(fake: FakeBotApi, bot: Bot) -> None:
    user = fake.user(111)
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    await user.send_text("wake up")
    updates = await asyncio.wait_for(poll, 2)
    assert [u.message.text for u in updates if u.message] == ["wake up"]
    assert time.monotonic() - started < 1.5


async def test_get_updates_without_timeout_returns_immediately(bot: Bot) -> None:
    assert await bot.get_updates(timeout=0) == ()


async def test_redeliver_keeps_update_id(fake: FakeBotApi, bot: Bot) -> None:
    user = fake.user(111)
    sent = await user.send_text("hello")
    update_id = sent["update_id"]
    assert [u.update_id for u in await bot.get_updates()] == [update_id]
    assert await bot.get_updates(offset=update_id + 1) == ()
    fake.redeliver(update_id)
    again = await bot.get_updates(offset=update_id + 1)
    assert [u.update_id for u in again] == [update_id]
    assert await bot.get_updates(offset=update_id + 1) == ()  # confirmed this time


async def test_update_shapes_parse(fake: FakeBotApi, bot: Bot) -> None:
    user = fake.user(111, first_name="Lan", username="lan", language_code="vi")
    group = fake.group(-100123, "Chi bo 1")
    raw = [
        await user.send_text("/start abc"),
        await user.share_contact("+84912345678"),
        await user.share_contact("+84900000000", contact_user_id=222),
        await user.send_text("hi all", chat=group),
    ]
    start, own, other, in_group = (Update.de_json(u, bot) for u in raw)
    assert start.message and start.message.text == "/start abc"
    assert start.message.parse_entities() == {start.message.entities[0]: "/start"}
    assert start.effective_user and start.effective_user.language_code == "vi"
    assert own.message and own.message.contact and own.message.contact.user_id == 111
    assert own.message.contact.phone_number == "+84912345678"
    assert other.message and other.message.contact and other.message.contact.user_id == 222
    assert in_group.effective_chat and in_group.effective_chat.type == "supergroup"
    assert in_group.effective_chat.title == "Chi bo 1"


# --- messages -------------------------------------------------------------------------------


async def test_send_and_wait_for_message(fake: FakeBotApi, bot: Bot) -> None:
    user = fake.user(111)
    await user.send_text("/start")
    message = await bot.send_message(111, "Chọn ngôn ngữ", reply_markup=lang_keyboard())
    assert message.from_user and message.from_user.is_bot
    assert message.reply_markup == lang_keyboard()
    got = await user.wait_for_message(timeout=1)
    assert got.text == "Chọn ngôn ngữ"
    assert got.buttons() == ["English", "Tiếng Việt"]
    assert user.last_message is got
    assert fake.sent == [got]
    with pytest.raises(TimeoutError, match="Chọn ngôn ngữ"):
        await user.wait_for_message(timeout=0.05)


async def test_wait_cursor_semantics(fake: FakeBotApi, bot: Bot) -> None:
    user = fake.user(111)
    await bot.send_message(111, "before")
    await user.send_text("hi")  # moves the cursor past "before"
    await bot.send_message(111, "one")
    await bot.send_message(111, "two", reply_markup=ReplyKeyboardMarkup([["Yes", "No"]]))
    await bot.send_message(111, "three")
    assert (await user.wait_for_message()).text == "one"
    two, three = await user.wait_for_messages(2)
    assert (two.text, two.keyboard(), three.text) == ("two", ["Yes", "No"], "three")


async def test_chat_not_found(bot: Bot) -> None:
    with pytest.raises(tg_error.BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "nobody")


async def test_press_round_trip(fake: FakeBotApi, bot: Bot) -> None:
    user = fake.user(111)
    sent = await bot.send_message(111, "Language?", reply_markup=lang_keyboard())
    await user.press("English")
    (update,) = await bot.get_updates()
    query = update.callback_query
    assert query and query.data == "lang:en" and query.from_user.id == 111
    assert query.message and query.message.message_id == sent.message_id
    await bot.answer_callback_query(query.id, text="OK")
    assert fake.callback_answers[-1].text == "OK"
    assert fake.callback_answers[-1].callback_query_id == query.id
    with pytest.raises(LookupError, match="English"):
        await user.press("Français")
    forged = await user.press_data("lang:xx")
    assert forged["callback_query"]["data"] == "lang:xx"
    with pytest.raises(tg_error.BadRequest, match=r"(?i)query id is invalid"):
        await bot.answer_callback_query("nope")


async def test_edit_and_delete(fake: FakeBotApi, bot: Bot) -> None:
    fake.user(111)
    sent = await bot.send_message(111, "v1", reply_markup=lang_keyboard())
    edited = await bot.edit_message_text("v2", chat_id=111, message_id=sent.message_id)
    assert isinstance(edited, type(sent)) and edited.text == "v2"
    stored = fake.sent[-1]
    assert (stored.text, stored.buttons()) == ("v2", [])  # no markup -> keyboard removed
    assert [e.text for e in stored.edits] == ["v1"]
    with pytest.raises(tg_error.BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("v2", chat_id=111, message_id=sent.message_id)
    await bot.edit_message_reply_markup(111, sent.message_id, reply_markup=lang_keyboard())
    assert stored.buttons() == ["English", "Tiếng Việt"]
    with pytest.raises(tg_error.BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=111, message_id=4242)
    assert await bot.delete_message(111, sent.message_id)
    assert stored.deleted


async def test_send_document_and_photo(fake: FakeBotApi, bot: Bot) -> None:
    user = fake.user(111)
    message = await bot.send_document(111, b"col1,col2\n", filename="report.csv", caption="Báo")
    assert message.document and message.document.file_name == "report.csv"
    assert message.caption == "Báo"
    stored = user.last_message
    assert stored and stored.kind == "document" and stored.file_bytes == b"col1,col2\n"
    downloaded = await (await bot.get_file(message.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"col1,col2\n"
    photo = await bot.send_photo(111, b"\x89PNG fake", caption="pic")
    assert photo.photo and user.messages[-1].kind == "photo"


async def test_unknown_method_and_json_body(fake: FakeBotApi) -> None:
    fake.user(111)
    async with httpx.AsyncClient() as client:
        missing = await client.post(f"{fake.base_url}{TOKEN}/noSuchMethod")
        assert missing.status_code == 404
        assert missing.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        sent = await client.post(
            f"{fake.base_url}{TOKEN}/sendMessage", json={"chat_id": 111, "text": "42"}
        )
    assert sent.json()["result"]["text"] == "42"
    assert fake.sent[-1].text == "42"


async def test_commands_and_webhook(fake: FakeBotApi, bot: Bot) -> None:
    commands = [BotCommand("start", "Bắt đầu")]
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(commands, scope=scope, language_code="vi")
    await bot.set_my_commands([BotCommand("help", "Help")])
    assert fake.commands[("all_private_chats", "vi")] == [
        {"command": "start", "description": "Bắt đầu"}
    ]
    assert fake.commands[("default", "")] == [{"command": "help", "description": "Help"}]
    assert await bot.get_my_commands(scope=scope, language_code="vi") == tuple(commands)
    await bot.set_webhook("https://example.invalid/hook", secret_token="s3cret")
    assert fake.webhook and fake.webhook["secret_token"] == "s3cret"
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(tg_error.Conflict):
        await bot.get_updates()
    await bot.delete_webhook()
    assert fake.webhook is None


# --- faults & limits ------------------------------------------------------------------------


async def test_blocked_user_is_forbidden(fake: FakeBotApi, bot: Bot) -> None:
    user = fake.user(111)
    user.block()
    with pytest.raises(tg_error.Forbidden, match="blocked"):
        await bot.send_message(111, "hi")
    user.unblock()
    await bot.send_message(111, "hi")
    assert [m.text for m in user.messages] == ["hi"]


async def test_injected_faults(fake: FakeBotApi, bot: Bot) -> None:
    fake.user(111)
    fake.user(222)
    fake.inject("sendMessage", RetryAfter(3))
    with pytest.raises(tg_error.RetryAfter) as caught:
        await bot.send_message(111, "x")
    assert retry_seconds(caught.value) == 3
    assert fake.got_429 == 1
    fake.inject("sendMessage", ServerError(502))
    with pytest.raises(tg_error.NetworkError):
        await bot.send_message(111, "x")
    fake.inject("sendMessage", Forbidden(), times=2, chat_id=222)
    await bot.send_message(111, "ok")  # other chat: unaffected
    for _ in range(2):
        with pytest.raises(tg_error.Forbidden):
            await bot.send_message(222, "x")
    await bot.send_message(222, "ok")
    assert [m.text for m in fake.sent] == ["ok", "ok"]


async def test_timeout_and_hang(fake: FakeBotApi, bot: Bot) -> None:
    fake.user(111)
    fake.inject("sendMessage", Timeout(2.0))
    with pytest.raises(tg_error.TimedOut):
        await bot.send_message(111, "slow", read_timeout=0.2)
    assert fake.sent == []
    fake.inject("sendMessage", Hang())
    pending = asyncio.create_task(bot.send_message(111, "held"))
    await asyncio.sleep(0.1)
    assert not pending.done() and fake.sent == []
    fake.release_hangs()
    assert (await asyncio.wait_for(pending, 2)).text == "held"
    assert [m.text for m in fake.sent] == ["held"]


async def test_enforce_limits(fake: FakeBotApi, bot: Bot) -> None:
    fake.user(111)
    fake.user(222)
    fake.user(333)
    fake.enforce_limits(global_per_s=2, per_chat_per_s=1, paid_global_per_s=10)
    await bot.send_message(111, "first")
    with pytest.raises(tg_error.RetryAfter) as caught:
        await bot.send_message(111, "second")
    assert retry_seconds(caught.value) == 1
    await bot.send_message(222, "other chat")
    with pytest.raises(tg_error.RetryAfter):  # global 2/s reached
        await bot.send_message(333, "third chat")
    await bot.send_message(333, "paid", allow_paid_broadcast=True)
    assert fake.got_429 == 2 and len(fake.got_429_times) == 2
    assert [m.text for m in fake.sent] == ["first", "other chat", "paid"]
    fake.disable_limits()
    await bot.send_message(111, "free again")


async def test_limits_count_messages_only(fake: FakeBotApi, bot: Bot) -> None:
    """As Telegram: 30 a second and 1 a second per chat are for messages; answering a button
    press (no message) and editing one are not refused when those limits are reached."""
    user = fake.user(111)
    button = InlineKeyboardMarkup([[InlineKeyboardButton("Đã nhận", callback_data="d")]])
    message = await bot.send_message(111, "notice", reply_markup=button)
    fake.enforce_limits(global_per_s=1, per_chat_per_s=1)
    await bot.send_message(111, "uses the second")
    with pytest.raises(tg_error.RetryAfter):
        await bot.send_message(111, "one too many")
    pressed = await user.press_data("d")
    assert await bot.answer_callback_query(pressed["callback_query"]["id"], text="ok")
    await bot.edit_message_reply_markup(111, message.message_id, reply_markup=None)
    assert fake.got_429 == 1 and [a.text for a in fake.callback_answers] == ["ok"]


# --- full PTB Application -------------------------------------------------------------------


async def test_application_polling_round_trip(fake: FakeBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message and update.effective_message.text
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    user = fake.user(111)
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        await user.send_text("xin chào")
        reply = await user.wait_for_message(timeout=5)
        assert reply.text == "echo: xin chào"
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert fake.pending_updates == []  # the final getUpdates confirmed it


async def test_an_answer_later_than_15_seconds_is_refused(fake: FakeBotApi, bot: Bot) -> None:
    user = fake.user(111)
    await bot.send_message(111, "Language?", reply_markup=lang_keyboard())
    await user.press("English")
    await user.press("English")
    late, on_time = [u.callback_query for u in await bot.get_updates()]
    assert late and on_time
    fake.callback_query_times[late.id] -= 15.5  # pressed 15.5 s ago
    with pytest.raises(tg_error.BadRequest) as refused:
        await bot.answer_callback_query(late.id, text="Too late")
    assert refused.value.message == (
        "Query is too old and response timeout expired or query id is invalid"
    )
    await bot.answer_callback_query(on_time.id, text="OK")
    assert [a.text for a in fake.callback_answers] == ["OK"]
    assert fake.expired_answers == 1


# --- Telegram's size limits -----------------------------------------------------------------


async def test_text_over_4096_characters_is_refused_like_telegram(
    fake: FakeBotApi, bot: Bot
) -> None:
    fake.user(111)
    # HTML tags are markup: 4,096 visible characters wrapped in <b> still go through.
    await bot.send_message(111, "<b>" + "á" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(tg_error.BadRequest, match="Message is too long"):
        await bot.send_message(111, "&lt;" * 4097, parse_mode="HTML")
    sent = await bot.send_message(111, "short")
    with pytest.raises(tg_error.BadRequest, match="Message is too long"):
        await bot.edit_message_text("x" * 4097, chat_id=111, message_id=sent.message_id)
    assert [m.text for m in fake.sent][-1] == "short"


async def test_caption_over_1024_characters_is_refused(fake: FakeBotApi, bot: Bot) -> None:
    fake.user(111)
    await bot.send_document(111, b"a", filename="a.txt", caption="c" * 1024)
    with pytest.raises(tg_error.BadRequest, match="Message caption is too long"):
        await bot.send_photo(111, b"\x89PNG", caption="c" * 1025)
    sent = await bot.send_document(111, b"a", filename="a.txt", caption="ok")
    with pytest.raises(tg_error.BadRequest, match="Message caption is too long"):
        await bot.edit_message_caption(111, sent.message_id, caption="<i>c</i>" * 1025)


async def test_callback_data_over_64_bytes_is_refused(fake: FakeBotApi, bot: Bot) -> None:
    fake.user(111)
    fits = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 64)]])
    await bot.send_message(111, "fits", reply_markup=fits)
    # 22 Vietnamese letters of 3 bytes each: 22 characters, 66 bytes.
    long = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data="ễ" * 22)]])
    with pytest.raises(tg_error.BadRequest, match="Button_data_invalid"):
        await bot.send_message(111, "too long", reply_markup=long)
    with pytest.raises(tg_error.BadRequest, match="Button_data_invalid"):
        await bot.edit_message_reply_markup(111, fake.sent[-1].message_id, reply_markup=long)
    assert [m.text for m in fake.sent] == ["fits"]


async def test_press_matches_a_label_typed_without_its_emoji(fake: FakeBotApi, bot: Bot) -> None:
    user = fake.user(111)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("✅ Tôi đồng ý", callback_data="yes")],
         [InlineKeyboardButton("❌ Không đồng ý", callback_data="no")]]
    )  # fmt: skip
    await bot.send_message(111, "Đồng ý?", reply_markup=keyboard)
    pressed = await user.press("tôi đồng ý")
    assert pressed["callback_query"]["data"] == "yes"
    with pytest.raises(LookupError):
        await user.press("đồng ý")  # words of no button exactly
