"""The notice and its reminder as the members get them, rendered once per language for the
outbox (`storage.bulk_outbox`), with the members' ✅ Received button; and the two sends to many
(handlers/shared/audience.py) that queue them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.settings import Settings
from handlers.notices.buttons import ACKNOWLEDGE, NoticeRef
from handlers.shared.audience import Bulk
from handlers.shared.readers import SEND_METHOD, PerLanguage, excerpt, per_language, reader_default
from storage.models import Notice
from storage.notices import get_notice, queue_notice, queue_reminder
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


async def _queue_notice(
    session: AsyncSession,
    notice_id: int,
    settings: Settings,
    now: datetime,
    only: Collection[int] | None,
) -> int:
    notice = await get_notice(session, notice_id)
    if notice is None or notice.broadcast_id is not None:
        return 0  # gone, or queued already
    messages = notice_messages(notice, settings)
    default = reader_default(settings)
    return await queue_notice(session, notice, notice.unit, messages, default=default, now=now)


async def _queue_reminder(
    session: AsyncSession,
    notice_id: int,
    settings: Settings,
    now: datetime,
    only: Collection[int] | None,
) -> int:
    notice = await get_notice(session, notice_id)
    if notice is None:
        return 0
    messages = reminder_messages(notice, settings)
    default = reader_default(settings)
    return await queue_reminder(session, notice, messages, default=default, now=now, only=only)


# The names are those of jobs already booked: they never change.
NOTICE = Bulk("notice", _queue_notice)
NOTICE_REMINDER = Bulk("notice_reminder", _queue_reminder)
BULK = (NOTICE, NOTICE_REMINDER)
