"""What the notice compose and status handlers share: the audience, the members' messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import Message

from bot.access import Action, Actor, can
from bot.i18n import LANGUAGES, Translator, pick_language, translator
from bot.settings import Settings
from storage.models import AttachmentKind, Notice, TelegramAccount, Unit
from storage.outbox import text_payload

FLOW = "notice"
TEXT_LIMIT = 4096  # Telegram's limit for a message text
CAPTION_LIMIT = 1024  # and for a document's or photo's caption
EXCERPT = 300  # characters of the notice quoted in reminders and lists

SEND_METHOD = {AttachmentKind.PHOTO: "sendPhoto", AttachmentKind.DOCUMENT: "sendDocument"}


def may_send(actor: Actor, unit: Unit | None) -> bool:
    return unit is not None and can(actor, Action.SEND_NOTICES, unit.path)


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


def acknowledge_markup(notice_id: int, label: str) -> dict[str, Any]:
    """The Bot API JSON of the one-button keyboard; pressing it again is harmless."""
    return {"inline_keyboard": [[{"text": label, "callback_data": f"nack:{notice_id}"}]]}


PerLanguage = dict[str, tuple[str, dict[str, Any]]]  # language -> (method, payload)


def reader_default(settings: Settings) -> str:
    """The language of a recipient who chose none and whose Telegram language we lack."""
    return pick_language(None, None, settings.default_locale)


def per_language(
    build: Callable[[Translator], tuple[str, dict[str, Any]]], settings: Settings
) -> PerLanguage:
    """A message rendered once in each language, for `storage.bulk_outbox`."""
    return {language: build(translator(language, settings.tz)) for language in LANGUAGES}


def notice_messages(notice: Notice, settings: Settings) -> PerLanguage:
    """The notice as the members get it: sent without parse_mode, so the text is never HTML."""

    def build(_: Translator) -> tuple[str, dict[str, Any]]:
        markup = acknowledge_markup(notice.id, _("✅ Received"))
        kind = notice.attachment_kind
        if kind is None:
            return "sendMessage", text_payload(notice.text, reply_markup=markup)
        media: dict[str, Any] = {kind.value: notice.attachment_file_id, "reply_markup": markup}
        if notice.text:
            media["caption"] = notice.text
        return SEND_METHOD[kind], media

    return per_language(build, settings)


def reminder_messages(notice: Notice, settings: Settings) -> PerLanguage:
    def build(_: Translator) -> tuple[str, dict[str, Any]]:
        text = _(
            "🔔 Reminder: please confirm that you have received the notice of {date}:\n\n{excerpt}",
            date=_.date_text(notice.created_at),
            excerpt=excerpt(notice.text, _),
        )
        markup = acknowledge_markup(notice.id, _("✅ Received"))
        return "sendMessage", text_payload(text, reply_markup=markup)

    return per_language(build, settings)
