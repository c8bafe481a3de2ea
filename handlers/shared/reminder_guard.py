"""🔔 pressed twice: the same reminder never reaches the same people twice within
`REMINDER_MIN_INTERVAL_MINUTES`; the secretary is told when the last one went."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.i18n import Translator
from storage.outbox import NewMessage
from storage.reminders import Reminded, reminded_since

if TYPE_CHECKING:  # a handler's context; the use cases that import this need no Telegram
    from handlers.shared.common import Context


async def recently_reminded(
    context: Context, action: str, object_type: str, object_id: int
) -> Reminded:
    """Who got this reminder within the interval, and when the last one went."""
    minutes = context.settings.reminder_min_interval_minutes
    since = context.now() - timedelta(minutes=minutes)
    return await reminded_since(context.db, action, object_type, object_id, since)


def not_yet_reminded(messages: Sequence[NewMessage], reminded: Reminded) -> list[NewMessage]:
    return [m for m in messages if m.member_id not in reminded.member_ids]


def moment_text(_: Translator, moment: datetime, now: datetime) -> str:
    """`14:05 today`, or `30/11/2026 14:05` on another day (local time)."""
    if _.date_text(moment) == _.date_text(now):
        return _("{time} today", time=_.time_text(moment))
    return _.datetime_text(moment)


def too_soon_text(context: Context, reminded: Reminded) -> str:
    """Why nothing is sent now: when the last reminder went, and when the next may go."""
    _, now = context._, context.now()
    assert reminded.last_at is not None
    following = reminded.last_at + timedelta(minutes=context.settings.reminder_min_interval_minutes)
    return _(
        "A reminder already went to these members at {when}. So that nobody gets it twice, "
        "the next one can be sent from {next}.",
        when=moment_text(_, reminded.last_at, now),
        next=moment_text(_, following, now),
    )


def skipped_text(context: Context, reminded: Reminded, skipped: int) -> str:
    # Worked out first: a `_` among the arguments would hide the plural from `make messages`.
    when = moment_text(context._, reminded.last_at or context.now(), context.now())
    return context._.plural(
        "{count} already reminded at {when} is left out.",
        "{count} already reminded at {when} are left out.",
        skipped,
        when=when,
    )
