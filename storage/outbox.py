"""The delivery outbox: messages stored as rows before they are sent, and their outcomes.

Only the sender (bot/delivery/sender.py) moves rows out of 'pending'; everyone else enqueues.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, Text, and_, bindparam, delete, exists, func, insert, select, update
from sqlalchemy import cast as cast_
from sqlalchemy.ext.asyncio import AsyncSession

from storage import clock
from storage.models import (
    Broadcast,
    DeliveryStatus,
    Member,
    NoticeReceipt,
    OutboxMessage,
    TelegramAccount,
)

OPEN = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
FINAL = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.UNREACHABLE)
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})


@dataclass(frozen=True)
class NewMessage:
    """One message to enqueue; `payload` holds the Bot API parameters but chat_id."""

    chat_id: int
    payload: dict[str, Any]
    method: str = "sendMessage"
    member_id: int | None = None


@dataclass(frozen=True)
class Claimed:
    """A row the sender has claimed ('sending'), detached from any session."""

    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    attempts: int
    broadcast_id: int | None


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed row; `status` PENDING means "try again at next_attempt_at"."""

    id: int
    chat_id: int
    broadcast_id: int | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None = None
    telegram_message_id: int | None = None
    last_error: str | None = None


@dataclass
class BroadcastCounts:
    counts: dict[DeliveryStatus, int] = field(default_factory=dict)

    def __getitem__(self, status: DeliveryStatus) -> int:
        return self.counts.get(status, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> bool:
        return not any(self[status] for status in OPEN)


def text_payload(
    text: str, parse_mode: str | None = None, reply_markup: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The payload of a sendMessage row; reply_markup as the Bot API's JSON dict."""
    payload: dict[str, Any] = {"text": text}
    if parse_mode:
        payload["parse_mode"] = parse_mode
    if reply_markup:
        payload["reply_markup"] = reply_markup
    return payload


def _row(message: NewMessage, broadcast_id: int | None, now: datetime) -> dict[str, Any]:
    if message.method not in SEND_METHODS:
        raise ValueError(f"the outbox cannot send {message.method}")
    return {
        "broadcast_id": broadcast_id,
        "chat_id": message.chat_id,
        "member_id": message.member_id,
        "method": message.method,
        "payload": message.payload,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
    }


async def enqueue(
    session: AsyncSession, message: NewMessage, now: datetime | None = None
) -> OutboxMessage:
    """One message, outside any broadcast (a reminder, a report)."""
    row = OutboxMessage(**_row(message, None, now or clock.now()))
    session.add(row)
    await session.flush()
    return row


async def enqueue_broadcast(
    session: AsyncSession,
    kind: str,
    messages: Iterable[NewMessage],
    *,
    created_by_member_id: int | None = None,
    unit_id: int | None = None,
    now: datetime | None = None,
    subject: str | None = None,
) -> Broadcast:
    """A broadcast and one row per message, inserted in one statement; `subject` names what
    was sent in the creator's delivery report."""
    now = now or clock.now()
    broadcast = Broadcast(
        kind=kind,
        created_by_member_id=created_by_member_id,
        unit_id=unit_id,
        subject=subject[:255] if subject else None,
    )
    session.add(broadcast)
    await session.flush()
    rows = [_row(message, broadcast.id, now) for message in messages]
    if rows:
        await session.execute(insert(OutboxMessage), rows)
    return broadcast


async def claim_due(session: AsyncSession, limit: int, now: datetime) -> list[Claimed]:
    """Marks up to `limit` due rows 'sending' and returns them, oldest first."""
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == DeliveryStatus.PENDING)
        .where(OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer anyway
    )
    claim = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(status=DeliveryStatus.SENDING)
        .returning(
            OutboxMessage.id,
            OutboxMessage.chat_id,
            OutboxMessage.method,
            OutboxMessage.payload,
            OutboxMessage.attempts,
            OutboxMessage.broadcast_id,
        )
        .execution_options(synchronize_session=False)
    )
    claimed = [Claimed(*row) for row in await session.execute(claim)]
    return sorted(claimed, key=lambda row: row.id)


async def next_due_at(session: AsyncSession) -> datetime | None:
    """When the earliest pending row becomes due (UTC), or None if nothing is pending."""
    earliest = await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == DeliveryStatus.PENDING
        )
    )
    if earliest is None:
        return None
    return earliest if earliest.tzinfo else earliest.replace(tzinfo=UTC)  # SQLite drops it


_OUTBOX_TABLE = cast(Table, OutboxMessage.__table__)
_RECORD_OUTCOME = (
    update(_OUTBOX_TABLE)
    .where(_OUTBOX_TABLE.c.id == bindparam("row_id"))
    .values(
        status=bindparam("status"),
        attempts=bindparam("attempts"),
        next_attempt_at=bindparam("next_attempt_at"),
        sent_at=bindparam("sent_at"),
        telegram_message_id=bindparam("telegram_message_id"),
        last_error=bindparam("last_error"),
    )
)


async def record_outcomes(
    session: AsyncSession, outcomes: Sequence[Outcome], now: datetime
) -> None:
    """Stores the outcomes of claimed rows, and what they say about the accounts."""
    if not outcomes:
        return
    rows = [
        {
            "row_id": o.id,
            "status": o.status.value,
            "attempts": o.attempts,
            "next_attempt_at": o.next_attempt_at,
            "sent_at": o.sent_at,
            "telegram_message_id": o.telegram_message_id,
            "last_error": o.last_error,
        }
        for o in outcomes
    ]
    # One Core statement run as executemany: the ORM's bulk update costs ~1 ms a row.
    await session.execute(_RECORD_OUTCOME, rows)
    blocked = {o.chat_id for o in outcomes if _blocked(o)}
    delivered = {o.chat_id for o in outcomes if o.status == DeliveryStatus.SENT} - blocked
    await _mark_accounts(session, blocked, delivered, now)


def _blocked(outcome: Outcome) -> bool:
    return outcome.status == DeliveryStatus.UNREACHABLE and outcome.chat_id > 0


async def _mark_accounts(
    session: AsyncSession, blocked: set[int], delivered: set[int], now: datetime
) -> None:
    if blocked:
        await session.execute(
            update(TelegramAccount)
            .where(TelegramAccount.user_id.in_(blocked))
            .values(blocked_at=now)
        )
    if delivered:  # a delivery proves the person has unblocked the bot
        await session.execute(
            update(TelegramAccount)
            .where(TelegramAccount.user_id.in_(delivered), TelegramAccount.blocked_at.is_not(None))
            .values(blocked_at=None)
        )


async def reset_interrupted(session: AsyncSession) -> int:
    """Rows left 'sending' by a crash go back to 'pending'; returns how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.PENDING)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def broadcast_counts(session: AsyncSession, broadcast_id: int) -> BroadcastCounts:
    """How many rows of the broadcast are in each status."""
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(OutboxMessage.status)
    )
    return BroadcastCounts({DeliveryStatus(status): int(n) for status, n in rows})


async def unreachable_members(
    session: AsyncSession, broadcast_id: int, limit: int | None = None
) -> list[Member]:
    """Members who blocked the bot, by name (the first `limit` of them)."""
    query = (
        select(Member)
        .join(OutboxMessage, OutboxMessage.member_id == Member.id)
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .where(OutboxMessage.status == DeliveryStatus.UNREACHABLE)
        .order_by(Member.name_folded, Member.id)
        .limit(limit)
    )
    return list(await session.scalars(query))


@dataclass(frozen=True)
class PersonDelivery:
    """How a broadcast went for one person: reached if any of their messages was sent."""

    member_id: int | None
    name: str | None
    status: DeliveryStatus
    last_error: str | None


_WORST_FIRST = (DeliveryStatus.UNREACHABLE, DeliveryStatus.FAILED, *OPEN)


async def people_delivered(session: AsyncSession, broadcast_id: int) -> list[PersonDelivery]:
    """One entry per chat the broadcast went to (an invitation and its agenda photo are two
    messages to one person), the unreached first by name."""
    rows = await session.execute(
        select(
            OutboxMessage.chat_id,
            OutboxMessage.member_id,
            Member.full_name,
            OutboxMessage.status,
            OutboxMessage.last_error,
        )
        .outerjoin(Member, Member.id == OutboxMessage.member_id)
        .where(OutboxMessage.broadcast_id == broadcast_id)
    )
    by_chat: dict[int, list[Any]] = {}
    for row in rows:
        by_chat.setdefault(int(row[0]), []).append(row)
    people = [_person(chat_rows) for chat_rows in by_chat.values()]
    return sorted(people, key=lambda p: (p.status == DeliveryStatus.SENT, p.name or ""))


def _person(rows: list[Any]) -> PersonDelivery:
    member_id, name = rows[0][1], rows[0][2]
    statuses = {DeliveryStatus(row[3]): row[4] for row in rows}
    if DeliveryStatus.SENT in statuses:
        return PersonDelivery(member_id, name, DeliveryStatus.SENT, None)
    worst = next(s for s in _WORST_FIRST if s in statuses)
    return PersonDelivery(member_id, name, worst, statuses[worst])


@dataclass(frozen=True)
class Pruned:
    deleted: int  # final rows past retention that nothing refers to
    blanked: int  # final rows past retention a notice receipt refers to: payload emptied


async def prune(session: AsyncSession, before: datetime) -> Pruned:
    """Retention: rows sent (or given up) before `before` go; a notice's status still needs
    its receipts' rows (delivered or blocked), so those only lose their text."""
    old = and_(OutboxMessage.status.in_(FINAL), OutboxMessage.created_at < before)
    referred = exists().where(NoticeReceipt.outbox_message_id == OutboxMessage.id)
    deleted = await session.execute(
        delete(OutboxMessage).where(old, ~referred).execution_options(synchronize_session=False)
    )
    blanked = await session.execute(
        update(OutboxMessage)
        .where(old, referred, cast_(OutboxMessage.payload, Text) != "{}")
        .values(payload={})
        .execution_options(synchronize_session=False)
    )
    return Pruned(_rowcount(deleted), _rowcount(blanked))


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def finish_broadcasts(
    session: AsyncSession, now: datetime, ids: Iterable[int] | None = None
) -> list[Broadcast]:
    """Marks finished the unfinished broadcasts (of `ids`, or all) whose rows are all final."""
    still_open = exists().where(
        OutboxMessage.broadcast_id == Broadcast.id, OutboxMessage.status.in_(OPEN)
    )
    query = select(Broadcast).where(Broadcast.finished_at.is_(None), ~still_open)
    if ids is not None:
        query = query.where(Broadcast.id.in_(set(ids)))
    finished = list(await session.scalars(query.order_by(Broadcast.id)))
    for broadcast in finished:
        broadcast.finished_at = now
    await session.flush()
    return finished
