"""Helpers the notices began and other features use: a unit as an audience, an excerpt, the
content of a message, the reader's language and per-language rendering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import Message

from bot.i18n import LANGUAGES, Translator, pick_language, translator
from bot.settings import Settings
from storage.models import AttachmentKind, TelegramAccount, Unit

EXCERPT = 300  # characters of the notice quoted in reminders and lists

SEND_METHOD = {AttachmentKind.PHOTO: "sendPhoto", AttachmentKind.DOCUMENT: "sendDocument"}


def audience_name(unit: Unit, _: Translator) -> str:
    """A branch by its name; a committee means all the branches under it."""
    if unit.is_branch:
        return unit.name
    return _("all branches of {name}", name=unit.name)


def excerpt(text: str, _: Translator, length: int = EXCERPT) -> str:
    if not text.strip():
        return _("(a document or photo without a caption)")
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


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


def reader_translator(account: TelegramAccount | None, settings: Settings) -> Translator:
    """The recipient's language, not the secretary's."""
    language = pick_language(
        account.language if account else None,
        account.telegram_language if account else None,
        settings.default_locale,
    )
    return translator(language, settings.tz)


PerLanguage = dict[str, tuple[str, dict[str, Any]]]  # language -> (method, payload)


def reader_default(settings: Settings) -> str:
    """The language of a recipient who chose none and whose Telegram language we lack."""
    return pick_language(None, None, settings.default_locale)


def per_language(
    build: Callable[[Translator], tuple[str, dict[str, Any]]], settings: Settings
) -> PerLanguage:
    """A message rendered once in each language, for `storage.bulk_outbox`."""
    return {language: build(translator(language, settings.tz)) for language in LANGUAGES}
