"""The durable update inbox: raw updates stored before Telegram is told we have them."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Integer,
    Table,
    bindparam,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import execute_core
from storage.models import InboxLane, InboxUpdate

# The kinds of update that have a chat; the first present names the lane.
_CHAT_PARTS = ("message", "edited_message", "my_chat_member", "chat_member")


# Set in a stored update whose button press was answered as it arrived (bot/early_answers.py).
ANSWERED = "chibo_answered"


def lane_of(payload: dict[str, Any]) -> tuple[int, bool]:
    """The update's chat (its lane; 0 if none) and whether it is a button press."""
    query = payload.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message") or {}
        chat = (message.get("chat") or {}).get("id") or (query.get("from") or {}).get("id")
        return int(chat or 0), True
    for key in _CHAT_PARTS:
        part = payload.get(key)
        if isinstance(part, dict):
            return int((part.get("chat") or {}).get("id") or 0), False
    return 0, False


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def store_updates(session: AsyncSession, payloads: Iterable[dict[str, Any]]) -> None:
    """Stores raw updates, ignoring ones already stored (Telegram may deliver twice).

    The rows go as parameters of one prebuilt statement (SQLAlchemy batches them into one
    INSERT), not as a VALUES list built for each batch: a statement with 100 rows of
    parameters is compiled anew every time, this one once."""
    rows = []
    for p in payloads:
        chat_id, press = lane_of(p)
        press = press and not p.get(ANSWERED)  # its answer is not due from the lane
        rows.append(
            {
                "update_id": int(p["update_id"]),
                "payload": p,
                "attempts": 0,
                "chat_id": chat_id,
                "press": press,
            }
        )
    if not rows:
        return
    statement = _STORE_UPDATES[session.get_bind().dialect.name]
    await session.execute(statement, rows)


_STORE_UPDATES = {
    name: insert(cast(Table, InboxUpdate.__table__)).on_conflict_do_nothing(
        index_elements=["update_id"]
    )
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


async def last_update_id(session: AsyncSession) -> int | None:
    return await session.scalar(select(func.max(InboxUpdate.update_id)))


def _waiting() -> Any:
    return InboxUpdate.processed_at.is_(None) & InboxUpdate.failed_at.is_(None)


async def pending(session: AsyncSession, limit: int = 100) -> list[InboxUpdate]:
    """Updates still to handle, in the order Telegram numbered them."""
    query = select(InboxUpdate).where(_waiting()).order_by(InboxUpdate.update_id).limit(limit)
    return list(await session.scalars(query))


async def unfinished(session: AsyncSession) -> bool:
    """Whether any update waits to be handled or has replies still to send."""
    waiting = select(InboxUpdate.update_id).where(_waiting() | (InboxUpdate.replies_left > 0))
    return bool(await session.scalar(waiting.limit(1)))


_inbox = cast(Table, InboxUpdate.__table__)
_lanes = cast(Table, InboxLane.__table__)
# Built once: this runs for every update, and building and keying a statement costs more than
# SQLite takes to run it. A Core statement on the table: no ORM objects to keep in step.
_CLAIM = (
    update(_inbox)
    .where(
        _inbox.c.update_id == bindparam("claimed_id"),
        _inbox.c.processed_at.is_(None),
        _inbox.c.failed_at.is_(None),
        # Only the lane's holder: a process whose lease has passed to another stops here.
        exists().where(
            _lanes.c.chat_id == bindparam("lane"), _lanes.c.holder == bindparam("holder")
        ),
    )
    .values(processed_at=bindparam("now"))
)
_SAVE_REPLIES = (
    update(_inbox)
    .where(_inbox.c.update_id == bindparam("saved_id"))
    .values(replies=bindparam("replies", type_=JSON), replies_left=bindparam("left"))
)
# Replies all sent: their texts are not kept (they can hold what the person answered).
_REPLIES_SENT = (
    update(_inbox)
    .where(_inbox.c.update_id == bindparam("sent_id"))
    .values(replies=None, replies_left=0)
)
_REPLIES_LEFT = (
    update(_inbox)
    .where(_inbox.c.update_id == bindparam("sent_id"))
    .values(replies_left=bindparam("left"))
)


async def claim(
    session: AsyncSession, update_id: int, now: datetime, lane: int, holder: str
) -> bool:
    """Marks an update handled in the caller's transaction; False if it already was, or if
    `holder` no longer holds the update's lane.

    On PostgreSQL a second runner claiming the same row waits for the first one's
    transaction and then finds nothing to claim, so no update is applied twice.
    """
    parameters = {"claimed_id": update_id, "now": now, "lane": lane, "holder": holder}
    result = await execute_core(session, _CLAIM, parameters)
    return bool(result.rowcount)


async def save_replies(
    session: AsyncSession, update_id: int, replies: dict[str, Any], count: int
) -> None:
    """Stores the Bot API calls a handler made, to be sent after the commit."""
    parameters = {"saved_id": update_id, "replies": replies, "left": count}
    await execute_core(session, _SAVE_REPLIES, parameters)


async def record_replies_left(session: AsyncSession, progress: dict[int, int]) -> None:
    """How many replies of each update are still to send (0: all sent)."""
    done = [{"sent_id": update_id} for update_id, left in progress.items() if left <= 0]
    partial = [
        {"sent_id": update_id, "left": left} for update_id, left in progress.items() if left > 0
    ]
    if done:
        await session.execute(_REPLIES_SENT, done)
    if partial:
        await session.execute(_REPLIES_LEFT, partial)


async def mark_failed(
    session: AsyncSession,
    update_id: int,
    error: str,
    now: datetime,
    max_attempts: int,
    final: bool = False,
    replies: dict[str, Any] | None = None,
) -> bool:
    """Counts a failed attempt; after `max_attempts` (or at once when `final`) the update is
    set aside, with `replies` to send (an apology). True if set aside."""
    row = await session.get(InboxUpdate, update_id)
    if row is None:
        return True
    row.attempts += 1
    row.last_error = error[:255]
    if final or row.attempts >= max_attempts:
        row.failed_at = now  # kept for a person to look at; never pruned
        if replies and replies.get("calls"):
            row.replies = replies
            row.replies_left = len(replies["calls"])
        return True
    return False


async def set_aside_after_reply(
    session: AsyncSession, update_id: int, error: str, now: datetime, replies: dict[str, Any]
) -> None:
    """Telegram refused one of a handled update's replies for good: the update is set aside
    (its writes stay: they were committed) and `replies` (the apology) replace the rest."""
    row = await session.get(InboxUpdate, update_id)
    if row is None:
        return
    row.last_error = error[:255]
    row.failed_at = now
    row.replies = replies
    row.replies_left = len(replies.get("calls") or [])


# --- lanes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LaneItem:
    """An update of a lane: to handle, or handled with replies still to send."""

    update_id: int
    payload: dict[str, Any]
    attempts: int
    handled: bool
    replies: dict[str, Any] | None
    replies_left: int


def _lanes_with_work_query() -> Any:
    pending = select(
        _inbox.c.chat_id, _inbox.c.update_id, _inbox.c.press.cast(Integer).label("press")
    ).where(_inbox.c.processed_at.is_(None), _inbox.c.failed_at.is_(None))
    unsent = select(_inbox.c.chat_id, _inbox.c.update_id, literal(0, Integer).label("press")).where(
        _inbox.c.replies_left > 0
    )
    work = union_all(pending, unsent).subquery()
    held_elsewhere = exists().where(
        _lanes.c.chat_id == work.c.chat_id,
        _lanes.c.lease_until > bindparam("now"),
        _lanes.c.holder != bindparam("holder"),
    )
    return (
        select(work.c.chat_id)
        .where(~held_elsewhere, work.c.chat_id.not_in(bindparam("busy", expanding=True)))
        .group_by(work.c.chat_id)
        .order_by(func.max(work.c.press).desc(), func.min(work.c.update_id))
        .limit(bindparam("limit"))
    )


_LANES_WITH_WORK = _lanes_with_work_query()
_NO_CHAT = -(2**62)  # stands in for "no busy lane": `NOT IN ()` is not portable SQL


async def lanes_with_work(
    session: AsyncSession, holder: str, now: datetime, busy: Collection[int], limit: int
) -> list[int]:
    """Chats with updates to handle or replies to send that nobody else holds; chats
    with a button press first (its answer is due within seconds), then oldest first."""
    parameters = {"now": now, "holder": holder, "busy": list(busy) or [_NO_CHAT], "limit": limit}
    result = await execute_core(session, _LANES_WITH_WORK, parameters)
    return [int(row[0]) for row in result]


async def take_lanes(
    session: AsyncSession, chat_ids: Collection[int], holder: str, now: datetime, until: datetime
) -> list[int]:
    """Leases the lanes of `chat_ids` that are free (or already ours); returns those taken."""
    if not chat_ids:
        return []
    rows = [{"chat_id": c, "holder": holder, "lease_until": until} for c in chat_ids]
    insert = _insert(session)(InboxLane).values(rows)
    statement = insert.on_conflict_do_update(
        index_elements=["chat_id"],
        set_={"holder": insert.excluded.holder, "lease_until": insert.excluded.lease_until},
        where=(InboxLane.lease_until <= now) | (InboxLane.holder == holder),
    ).returning(InboxLane.chat_id)
    return list(await session.scalars(statement))


async def renew_lanes(session: AsyncSession, holder: str, until: datetime) -> None:
    await session.execute(
        update(InboxLane).where(InboxLane.holder == holder).values(lease_until=until)
    )


async def holds_lane(session: AsyncSession, chat_id: int, holder: str) -> bool:
    found = await session.scalar(
        select(InboxLane.chat_id).where(InboxLane.chat_id == chat_id, InboxLane.holder == holder)
    )
    return found is not None


async def release_lanes(
    session: AsyncSession, holder: str | None, chat_ids: Collection[int] | None = None
) -> None:
    """Gives lanes up: `holder`'s (those of `chat_ids`, or all), or every lane (None)."""
    statement = delete(InboxLane)
    if holder is not None:
        statement = statement.where(InboxLane.holder == holder)
    if chat_ids is not None:
        statement = statement.where(InboxLane.chat_id.in_(list(chat_ids)))
    await session.execute(statement)


_LANE_WORK = (
    select(
        _inbox.c.update_id,
        _inbox.c.payload,
        _inbox.c.attempts,
        _inbox.c.processed_at.is_not(None) | _inbox.c.failed_at.is_not(None),
        _inbox.c.replies,
        _inbox.c.replies_left,
    )
    .where(_inbox.c.chat_id == bindparam("lane"))
    .where(
        (_inbox.c.processed_at.is_(None) & _inbox.c.failed_at.is_(None))
        | (_inbox.c.replies_left > 0)
    )
    .order_by(_inbox.c.update_id)
    .limit(bindparam("limit"))
)
_RELEASE_LANE = delete(_lanes).where(
    _lanes.c.chat_id == bindparam("lane"), _lanes.c.holder == bindparam("holder")
)


async def lane_work(session: AsyncSession, chat_id: int, limit: int = 20) -> list[LaneItem]:
    """The lane's updates in order: handled ones with replies left, then those to handle."""
    result = await execute_core(session, _LANE_WORK, {"lane": chat_id, "limit": limit})
    rows: list[tuple[Any, ...]] = [tuple(row) for row in result]
    return [LaneItem(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows]


async def release_lane(session: AsyncSession, chat_id: int, holder: str) -> None:
    """Gives one lane up (the hot path's: a lane ends with every update it handles)."""
    await execute_core(session, _RELEASE_LANE, {"lane": chat_id, "holder": holder})


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
