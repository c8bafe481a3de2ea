"""Slots for messages shared by every instance on one PostgreSQL database (bot/shared_pace.py).

A slot is reserved in one statement that locks the overall row (key 0) and the chat's row,
takes the later of their `next_at` and the database's clock, and moves both on: the lock
lasts one statement, and every instance reads the one clock (the database's), so two
machines' clocks never disagree about it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SendPace

OVERALL = 0
NEVER = datetime(2000, 1, 1).astimezone()

_RESERVE = text(
    """
    WITH locked AS (
        SELECT key, next_at FROM send_pace WHERE key IN (0, :chat) ORDER BY key FOR UPDATE
    ), slot AS (
        SELECT GREATEST(clock_timestamp(), max(next_at)) AS at FROM locked
    )
    UPDATE send_pace SET next_at = slot.at + CASE WHEN send_pace.key = 0
        THEN make_interval(secs => :overall) ELSE make_interval(secs => :per_chat) END
    FROM slot WHERE send_pace.key IN (0, :chat)
    RETURNING EXTRACT(EPOCH FROM slot.at - clock_timestamp())
    """
)


async def reserve_slot(
    session: AsyncSession, chat_id: int, overall_seconds: float, chat_seconds: float
) -> float:
    """Seconds from now until this message may go; its slot is taken (PostgreSQL only)."""
    rows = [{"key": OVERALL, "next_at": NEVER}]
    if chat_id != OVERALL:
        rows.append({"key": chat_id, "next_at": NEVER})
    await session.execute(insert(SendPace).values(rows).on_conflict_do_nothing())
    params = {"chat": chat_id, "overall": overall_seconds, "per_chat": chat_seconds}
    result = await session.execute(_RESERVE, params)
    return max(0.0, float(result.scalars().first() or 0.0))


async def forget_old(session: AsyncSession, before: timedelta) -> int:
    """Drops chats' rows whose slot is long past (the overall row stays)."""
    result = await session.execute(
        text(
            "DELETE FROM send_pace WHERE key <> 0"
            " AND next_at < clock_timestamp() - CAST(:age AS interval)"
        ),
        {"age": before},
    )
    return int(getattr(result, "rowcount", 0) or 0)
