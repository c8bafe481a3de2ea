"""The durable update inbox: raw updates stored before Telegram is told we have them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import execute_core
from storage.models import InboxUpdate


async def store_updates(session: AsyncSession, payloads: Iterable[dict[str, Any]]) -> int:
    """Stores raw updates, ignoring ones already stored (Telegram may deliver twice)."""
    rows = [{"update_id": int(p["update_id"]), "payload": p, "attempts": 0} for p in payloads]
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(InboxUpdate).values(rows).on_conflict_do_nothing(index_elements=["update_id"])
    )
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def last_update_id(session: AsyncSession) -> int | None:
    return await session.scalar(select(func.max(InboxUpdate.update_id)))


def _waiting() -> Any:
    return InboxUpdate.processed_at.is_(None) & InboxUpdate.failed_at.is_(None)


async def pending(session: AsyncSession, limit: int = 100) -> list[InboxUpdate]:
    """Updates still to handle, in the order Telegram numbered them."""
    query = select(InboxUpdate).where(_waiting()).order_by(InboxUpdate.update_id).limit(limit)
    return list(await session.scalars(query))


_inbox = cast(Table, InboxUpdate.__table__)
# Built once: this runs for every update, and building and keying a statement costs more than
# SQLite takes to run it. A Core statement on the table: no ORM objects to keep in step.
_CLAIM = (
    update(_inbox)
    .where(
        _inbox.c.update_id == bindparam("claimed_id"),
        _inbox.c.processed_at.is_(None),
        _inbox.c.failed_at.is_(None),
    )
    .values(processed_at=bindparam("now"))
)


async def claim(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Marks an update handled in the caller's transaction; False if it already was.

    On PostgreSQL a second runner claiming the same row waits for the first one's
    transaction and then finds nothing to claim, so no update is applied twice.
    """
    result = await execute_core(session, _CLAIM, {"claimed_id": update_id, "now": now})
    return bool(result.rowcount)


async def mark_failed(
    session: AsyncSession, update_id: int, error: str, now: datetime, max_attempts: int
) -> bool:
    """Counts a failed attempt; after `max_attempts` the update is set aside. True if set aside."""
    row = await session.get(InboxUpdate, update_id)
    if row is None:
        return True
    row.attempts += 1
    row.last_error = error[:255]
    if row.attempts >= max_attempts:
        row.failed_at = now  # kept for a person to look at; never pruned
        return True
    return False


async def prune(session: AsyncSession, before: datetime) -> int:
    """Deletes handled updates older than `before`: they hold personal data."""
    result = await session.execute(
        delete(InboxUpdate).where(
            InboxUpdate.processed_at.is_not(None), InboxUpdate.processed_at < before
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def redact_from_user(session: AsyncSession, user_id: int, since: datetime) -> int:
    """Blanks the payloads of a user's handled updates received since `since` (their answers
    to an anonymous survey): a handled row is only kept for its id, to ignore a redelivery."""
    sender = or_(
        # As float: Telegram ids pass 32 bits, and SQLite's JSON gives an integer, not text.
        InboxUpdate.payload[("message", "from", "id")].as_float() == float(user_id),
        InboxUpdate.payload[("callback_query", "from", "id")].as_float() == float(user_id),
    )
    result = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.processed_at.is_not(None), InboxUpdate.received_at >= since, sender)
        .values(payload={"redacted": True})
    )
    return int(getattr(result, "rowcount", 0) or 0)
