"""Messages to other people: each reader's language, and a message rendered once per language.

Every feature that writes to members (notices, meetings, surveys, plans, residence, transfers,
probation) uses these, so they live here rather than in one feature's module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.i18n import LANGUAGES, Translator, pick_language, translator
from bot.settings import Settings
from storage.models import AttachmentKind, TelegramAccount, Unit

EXCERPT = 300  # characters of the notice quoted in reminders and lists
MESSAGE_LIMIT = 4000  # under Telegram's 4096, leaving room for the markup

SEND_METHOD = {AttachmentKind.PHOTO: "sendPhoto", AttachmentKind.DOCUMENT: "sendDocument"}

PerLanguage = dict[str, tuple[str, dict[str, Any]]]  # language -> (method, payload)


def reader_translator(account: TelegramAccount | None, settings: Settings) -> Translator:
    """The recipient's language, not the secretary's."""
    language = pick_language(
        account.language if account else None,
        account.telegram_language if account else None,
        settings.default_locale,
    )
    return translator(language, settings.tz)


def reader_default(settings: Settings) -> str:
    """The language of a recipient who chose none and whose Telegram language we lack."""
    return pick_language(None, None, settings.default_locale)


def per_language(
    build: Callable[[Translator], tuple[str, dict[str, Any]]], settings: Settings
) -> PerLanguage:
    """A message rendered once in each language, for `storage.bulk_outbox`."""
    return {language: build(translator(language, settings.tz)) for language in LANGUAGES}


def audience_name(unit: Unit, _: Translator) -> str:
    """A branch by its name; a committee means all the branches under it."""
    if unit.is_branch:
        return unit.name
    return _("all branches of {name}", name=unit.name)


def excerpt(text: str, _: Translator, length: int = EXCERPT) -> str:
    if not text.strip():
        return _("(a document or photo without a caption)")
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def split_message(paragraphs: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Paragraphs joined into as few messages as fit Telegram's limit (a paragraph is never
    longer than the limit: each section's length is capped well below it)."""
    messages: list[str] = []
    current = ""
    for paragraph in paragraphs:
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) > limit and current:
            messages.append(current)
            candidate = paragraph
        current = candidate
    return [*messages, current] if current else messages
