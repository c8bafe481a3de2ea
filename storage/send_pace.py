"""Slots for messages shared by every instance on one PostgreSQL database (bot/shared_pace.py).

A slot is reserved in one statement that locks the overall row (key 0) and the chat's row
and reads the database's clock: every instance reads that one clock, so two machines' clocks
never disagree about it, and the lock lasts one statement.

The slot is the overall row's `next_at` (or now, if that is past), and it is taken only if
the chat's own `next_at` has come by then: both rows move on, the overall one by the overall
interval and the chat's by the per-chat one. A message whose chat is not due yet takes
nothing and learns how long until it is, then asks again: it must not take a later overall
slot and push every other chat's messages back behind its chat's wait (a reply and the next
question to one person would stop the whole bot for a second). Two messages for one chat
that ask again at once queue on the rows' lock, so only the first of them gets that slot.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SendPace

OVERALL = 0
NEVER = datetime(2000, 1, 1).astimezone()

# `chat` is the overall row again when :chat is 0 (a message to no chat), and always due.
# A chat row deleted meanwhile by `forget_old` (another instance's) was long due: COALESCE.
_RESERVE = text(
    """
    WITH locked AS (
        SELECT key, next_at FROM send_pace WHERE key IN (0, :chat) ORDER BY key FOR UPDATE
    ), state AS (
        SELECT clock_timestamp() AS now,
            max(next_at) FILTER (WHERE key = 0) AS overall,
            COALESCE(max(next_at) FILTER (WHERE key = :chat), '-infinity') AS chat
        FROM locked
    ), slot AS (
        SELECT now, chat, GREATEST(now, overall) AS at,
            chat <= GREATEST(now, overall) AS taken
        FROM state
    ), moved AS (
        UPDATE send_pace SET next_at = slot.at + CASE WHEN send_pace.key = 0
            THEN make_interval(secs => :overall) ELSE make_interval(secs => :per_chat) END
        FROM slot WHERE slot.taken AND send_pace.key IN (0, :chat)
    )
    SELECT taken,
        EXTRACT(EPOCH FROM CASE WHEN taken THEN at ELSE chat END - now) AS wait
    FROM slot
    """
)


class Slot(NamedTuple):
    """`wait` seconds from now until the message may go (`taken`: its slot is reserved), or
    until its chat is due, when it must ask again (not `taken`: nothing is reserved)."""

    wait: float
    taken: bool


async def reserve_slot(
    session: AsyncSession, chat_id: int, overall_seconds: float, chat_seconds: float
) -> Slot:
    """Takes this message's slot if its chat is due by the next overall one (PostgreSQL only)."""
    rows = [{"key": OVERALL, "next_at": NEVER}]
    if chat_id != OVERALL:
        rows.append({"key": chat_id, "next_at": NEVER})
    await session.execute(insert(SendPace).values(rows).on_conflict_do_nothing())
    params = {"chat": chat_id, "overall": overall_seconds, "per_chat": chat_seconds}
    row = (await session.execute(_RESERVE, params)).one()
    return Slot(max(0.0, float(row.wait)), bool(row.taken))


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
