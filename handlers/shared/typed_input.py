"""What a person types: a text within its limit, a date, a text or a document or photo.

Every input check names what is too long with the one message of `too_long_text`."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Message, Update

from bot.i18n import Translator
from handlers.shared.common import Context
from handlers.shared.drafts import draft_text
from storage.dates import parse_typed_date
from storage.models import AttachmentKind
from storage.text import TextTooLong, clean_text


def parse_day(text: str, today: date) -> date | None:
    """A typed date (`05/11/2026`, `5/11`, `hôm qua`, `ngày 5 tháng 11`...), or None."""
    return parse_typed_date(text, today)


def too_long_text(_: Translator, field: str, length: int, limit: int) -> str:
    """The one message for every typed text over its limit; `field` (an `N_` text such as
    "The address") says which text it is."""
    return _(
        "{field} is {length} characters long; at most {limit} are allowed here. Please "
        "shorten it and send it again: what you entered before is kept.",
        field=_(field),
        length=length,
        limit=limit,
    )


def text_problem(_: Translator, text: str, limit: int, field: str) -> str | None:
    """Why a typed text cannot be taken (empty, too long), or None."""
    try:
        value = clean_text(text, limit)
    except TextTooLong as error:
        return too_long_text(_, field, error.length, error.limit)
    return None if value else _("Please send it as a text message.")


async def typed_text(update: Update, context: Context, limit: int, field: str) -> str | None:
    """The message's text cleaned up; None (and the person told why) if empty or too long.
    The draft is not touched, so nothing typed before is lost."""
    _ = context._
    message = update.effective_message
    if message is None:
        return None
    typed = draft_text(message)
    if not typed:
        await message.reply_text(_("Please send it as a text message."))
        return None
    try:
        value = clean_text(typed, limit)
    except TextTooLong as error:
        await message.reply_text(too_long_text(_, field, error.length, error.limit))
        return None
    if not value:
        await message.reply_text(_("Please send it as a text message."))
    return value or None


def notice_content(message: Message) -> dict[str, Any] | None:
    """The notice in a message: text, or a photo or document with its caption."""
    if message.photo:
        return {
            "text": message.caption or "",
            "file_id": message.photo[-1].file_id,
            "kind": AttachmentKind.PHOTO.value,
        }
    if message.document:
        return {
            "text": message.caption or "",
            "file_id": message.document.file_id,
            "kind": AttachmentKind.DOCUMENT.value,
        }
    if message.text:
        return {"text": message.text, "file_id": None, "kind": None}
    return None
