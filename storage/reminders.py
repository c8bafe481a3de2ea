"""Reminders pressed by hand (🔔): who was reminded of what, and when, from the audit log.

A second press within the interval must not send the same people the same reminder again;
people not yet reminded (new recipients) still get it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry

SCANNED = 50  # latest reminders of one object read; a few a day at most


@dataclass
class Reminded:
    """The reminders of one object since a moment: the latest, and everyone they reached."""

    last_at: datetime | None = None
    member_ids: set[int] = field(default_factory=set)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops it


async def reminded_since(
    session: AsyncSession, action: str, object_type: str, object_id: int, since: datetime
) -> Reminded:
    """Who got a reminder `action` of this object since `since` (audit rows that name them)."""
    query = (
        select(AuditEntry)
        .where(
            AuditEntry.action == action,
            AuditEntry.object_type == object_type,
            AuditEntry.object_id == str(object_id),
        )
        .order_by(AuditEntry.id.desc())
        .limit(SCANNED)
    )
    found = Reminded()
    for entry in await session.scalars(query):
        at = _aware(entry.at)
        if at < since:
            continue
        found.last_at = max(found.last_at or at, at)
        found.member_ids.update(int(i) for i in (entry.details or {}).get("member_ids", []))
    return found


def window_start(now: datetime, minutes: int) -> datetime:
    return now - timedelta(minutes=minutes)
