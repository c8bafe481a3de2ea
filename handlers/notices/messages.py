"""The notice and its reminder as the members get them, rendered once per language for the
outbox (`storage.bulk_outbox`), with the members' ✅ Received button."""

from __future__ import annotations

from typing import Any

from bot.i18n import Translator
from bot.settings import Settings
from handlers.notices.buttons import ACKNOWLEDGE, NoticeRef
from handlers.readers import SEND_METHOD, PerLanguage, excerpt, per_language
from storage.models import Notice
from storage.outbox import text_payload


def acknowledge_markup(notice_id: int, label: str) -> dict[str, Any]:
    """The Bot API JSON of the one-button keyboard; pressing it again is harmless."""
    return {"inline_keyboard": [[ACKNOWLEDGE.json(label, NoticeRef(notice_id))]]}


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
