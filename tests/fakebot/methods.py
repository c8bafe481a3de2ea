"""Synchronous Bot API method handlers (getUpdates, which long-polls, lives in server.py).

Each handler receives the fake, the decoded params and the uploaded files and returns the
``result`` value, or raises ApiError for a Telegram-shaped error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .chats import FakeChat
from .models import ApiError, CallbackAnswer, Edit, MessageKind, SentMessage, bad_request
from .params import Upload
from .sizes import check_caption, check_markup, check_text

if TYPE_CHECKING:
    from .server import FakeBotApi

Params = dict[str, Any]
Files = dict[str, Upload]
Handler = Callable[["FakeBotApi", Params, Files], Any]

BLOCKED = "Forbidden: bot was blocked by the user"
EXPIRED = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)

HANDLERS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[name.lower()] = func  # Telegram method names are case-insensitive
        return func

    return register


def _writable_chat(fake: FakeBotApi, params: Params) -> FakeChat:
    chat = fake.store.chat(params.get("chat_id"))
    if chat.blocked:
        raise ApiError(403, BLOCKED)
    return chat


def _markup(params: Params) -> dict[str, Any] | None:
    markup = params.get("reply_markup")
    if not isinstance(markup, dict):
        return None
    check_markup(markup)
    return markup


def _record(fake: FakeBotApi, chat: FakeChat, params: Params, **fields: Any) -> dict[str, Any]:
    message = SentMessage(
        message_id=chat.next_message_id(),
        chat_id=chat.chat_id,
        parse_mode=params.get("parse_mode"),
        reply_markup=_markup(params),
        params=params,
        **fields,
    )
    fake.store.add(chat, message)
    return fake.store.message_json(message)


# --- identity, webhook, commands ----------------------------------------------------------


@method("getMe")
def get_me(fake: FakeBotApi, params: Params, files: Files) -> Any:
    return {
        **fake.store.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


@method("setWebhook")
def set_webhook(fake: FakeBotApi, params: Params, files: Files) -> Any:
    if not params.get("url"):
        return delete_webhook(fake, params, files)
    fake.webhook = dict(params)
    if params.get("drop_pending_updates"):
        fake.updates.clear()
    return True


@method("deleteWebhook")
def delete_webhook(fake: FakeBotApi, params: Params, files: Files) -> Any:
    fake.webhook = None
    if params.get("drop_pending_updates"):
        fake.updates.clear()
    return True


@method("getWebhookInfo")
def get_webhook_info(fake: FakeBotApi, params: Params, files: Files) -> Any:
    return {
        "url": (fake.webhook or {}).get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": len(fake.updates.pending),
    }


def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.get("scope")
    scope_type = scope.get("type", "default") if isinstance(scope, dict) else "default"
    return scope_type, params.get("language_code") or ""


@method("setMyCommands")
def set_my_commands(fake: FakeBotApi, params: Params, files: Files) -> Any:
    commands = params.get("commands")
    if not isinstance(commands, list):
        raise bad_request('parameter "commands" is required')
    fake.commands[_commands_key(params)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


@method("getMyCommands")
def get_my_commands(fake: FakeBotApi, params: Params, files: Files) -> Any:
    return fake.commands.get(_commands_key(params), [])


@method("deleteMyCommands")
def delete_my_commands(fake: FakeBotApi, params: Params, files: Files) -> Any:
    fake.commands.pop(_commands_key(params), None)
    return True


@method("setChatMenuButton")
def set_chat_menu_button(fake: FakeBotApi, params: Params, files: Files) -> Any:
    fake.menu_buttons[params.get("chat_id")] = params.get("menu_button") or {"type": "default"}
    return True


@method("getChatMenuButton")
def get_chat_menu_button(fake: FakeBotApi, params: Params, files: Files) -> Any:
    return fake.menu_buttons.get(params.get("chat_id"), {"type": "default"})


@method("close")
@method("logOut")
@method("setMyDescription")
@method("setMyShortDescription")
@method("setMyName")
def accept(fake: FakeBotApi, params: Params, files: Files) -> Any:
    return True


# --- sending --------------------------------------------------------------------------------


@method("sendMessage")
def send_message(fake: FakeBotApi, params: Params, files: Files) -> Any:
    chat = _writable_chat(fake, params)
    text = params.get("text")
    if not text:
        raise bad_request("message text is empty")
    check_text(str(text), params.get("parse_mode"))
    return _record(fake, chat, params, text=str(text), kind="text")


def _send_media(fake: FakeBotApi, params: Params, files: Files, kind: MessageKind) -> Any:
    chat = _writable_chat(fake, params)
    check_caption(params.get("caption"), params.get("parse_mode"))
    upload = files.get(kind)
    if upload is not None:
        stored = fake.store.add_file(upload.file_name, upload.content, upload.content_type)
    else:  # re-sending by file_id (or a URL, which we cannot fetch)
        reference = params.get(kind)
        if not reference:
            raise bad_request(f"there is no {kind} in the request")
        known = fake.store.files.get(str(reference))
        stored = known or fake.store.add_file(None, b"", None)
    return _record(
        fake,
        chat,
        params,
        text=params.get("caption"),
        kind=kind,
        file_name=stored.file_name,
        file_bytes=stored.content if stored.content or upload else None,
        file_id=stored.file_id,
    )


@method("sendDocument")
def send_document(fake: FakeBotApi, params: Params, files: Files) -> Any:
    return _send_media(fake, params, files, "document")


@method("sendPhoto")
def send_photo(fake: FakeBotApi, params: Params, files: Files) -> Any:
    return _send_media(fake, params, files, "photo")


@method("sendChatAction")
def send_chat_action(fake: FakeBotApi, params: Params, files: Files) -> Any:
    _writable_chat(fake, params)
    return True


@method("getFile")
def get_file(fake: FakeBotApi, params: Params, files: Files) -> Any:
    stored = fake.store.files.get(str(params.get("file_id")))
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
        "file_path": stored.file_path,
    }


# --- editing --------------------------------------------------------------------------------


def _editable(fake: FakeBotApi, params: Params) -> SentMessage:
    if params.get("inline_message_id"):
        raise bad_request("message to edit not found")  # inline messages are not simulated
    chat = _writable_chat(fake, params)
    message = fake.store.find(chat.chat_id, params.get("message_id"))
    if message is None:
        raise bad_request("message to edit not found")
    return message


def _apply_edit(
    fake: FakeBotApi, message: SentMessage, text: str | None, markup: dict[str, Any] | None
) -> Any:
    if text == message.text and markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.edits.append(Edit(message.text, message.reply_markup))
    message.text = text
    message.reply_markup = markup
    return fake.store.message_json(message)


@method("editMessageText")
def edit_message_text(fake: FakeBotApi, params: Params, files: Files) -> Any:
    message = _editable(fake, params)
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    text = params.get("text")
    if not text:
        raise bad_request("message text is empty")
    check_text(str(text), params.get("parse_mode"))
    if "parse_mode" in params:
        message.parse_mode = params["parse_mode"]
    # Like Telegram, omitting reply_markup removes the message's inline keyboard.
    return _apply_edit(fake, message, str(text), _markup(params))


@method("editMessageCaption")
def edit_message_caption(fake: FakeBotApi, params: Params, files: Files) -> Any:
    message = _editable(fake, params)
    if message.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    check_caption(params.get("caption"), params.get("parse_mode"))
    return _apply_edit(fake, message, params.get("caption"), _markup(params))


@method("editMessageReplyMarkup")
def edit_message_reply_markup(fake: FakeBotApi, params: Params, files: Files) -> Any:
    message = _editable(fake, params)
    return _apply_edit(fake, message, message.text, _markup(params))


@method("deleteMessage")
def delete_message(fake: FakeBotApi, params: Params, files: Files) -> Any:
    chat = fake.store.chat(params.get("chat_id"))
    message = fake.store.find(chat.chat_id, params.get("message_id"))
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    return True


@method("answerCallbackQuery")
def answer_callback_query(fake: FakeBotApi, params: Params, files: Files) -> Any:
    query_id = str(params.get("callback_query_id", ""))
    if query_id not in fake.callback_query_ids:
        raise bad_request(EXPIRED)
    pressed_at = fake.callback_query_times.get(query_id)
    if pressed_at is not None and time.monotonic() - pressed_at > fake.callback_answer_window:
        fake.expired_answers += 1
        raise bad_request(EXPIRED)
    fake.callback_query_ids.discard(query_id)  # Telegram accepts one answer per query
    fake.answered_at[query_id] = time.monotonic()
    answer = CallbackAnswer(
        callback_query_id=query_id,
        text=params.get("text"),
        show_alert=bool(params.get("show_alert", False)),
        url=params.get("url"),
    )
    fake.callback_answers.append(answer)
    return True
