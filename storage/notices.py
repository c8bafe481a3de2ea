"""Notices: the audience, the notice and its receipts, acknowledgements and the status.

Every audience member gets a receipt; members with a Telegram link also get an outbox row,
so "never linked", "blocked the bot" and "delivered" all come from the receipts.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage import outbox
from storage.bulk_outbox import enqueue_to_all, id_chunks, recipients_of
from storage.db import analyse_now, local_settings
from storage.models import (
    AttachmentKind,
    Broadcast,
    DeliveryStatus,
    Member,
    MemberStatus,
    Notice,
    NoticeReceipt,
    OutboxMessage,
    TelegramAccount,
    Unit,
)
from storage.outbox import NewMessage

RECENT_NOTICES = 10
STATUS_NAMES = 60  # names per list on a status; Telegram cuts a message at 4096 characters
RECEIPTS = cast(Table, NoticeReceipt.__table__)
OUTBOX = cast(Table, OutboxMessage.__table__)
# From this many receipts on, a notice's rows get statistics in the transaction that wrote
# them (`storage.db.analyse_now`); below, a plan that mistakes them for one row costs
# milliseconds.
ANALYSE_FROM = 10_000


@dataclass(frozen=True)
class Recipient:
    member: Member
    account: TelegramAccount | None  # None: never linked to Telegram


class NoticeList(enum.Enum):
    """The lists of names a notice's status shows, in the order it shows them."""

    NOT_ACKNOWLEDGED = "not_acknowledged"
    BLOCKED = "blocked"
    NEVER_LINKED = "never_linked"


@dataclass
class NoticeStatus:
    """Who of the audience got the notice and who acknowledged it: counts, and the first
    names of each list by folded name."""

    total: int = 0
    delivered: int = 0
    acknowledged: int = 0
    sending: int = 0
    failed: int = 0
    blocked_count: int = 0
    never_linked_count: int = 0
    not_acknowledged_count: int = 0  # delivered, not acknowledged
    blocked: list[Member] = field(default_factory=list)
    never_linked: list[Member] = field(default_factory=list)
    not_acknowledged: list[Member] = field(default_factory=list)

    def count_of(self, which: NoticeList) -> int:
        return {
            NoticeList.NOT_ACKNOWLEDGED: self.not_acknowledged_count,
            NoticeList.BLOCKED: self.blocked_count,
            NoticeList.NEVER_LINKED: self.never_linked_count,
        }[which]

    def names_of(self, which: NoticeList) -> list[Member]:
        return {
            NoticeList.NOT_ACKNOWLEDGED: self.not_acknowledged,
            NoticeList.BLOCKED: self.blocked,
            NoticeList.NEVER_LINKED: self.never_linked,
        }[which]


def _in_audience(unit: Unit) -> tuple[ColumnElement[bool], ...]:
    """Active members of the branches at or under `unit` (joined with Unit)."""
    return (Unit.path.startswith(unit.path), Member.status == MemberStatus.ACTIVE)


async def audience_counts(session: AsyncSession, unit: Unit) -> tuple[int, int]:
    """How many members the notice is for, and how many of them are linked to Telegram."""
    query = (
        select(func.count(), func.count(TelegramAccount.user_id))
        .select_from(Member)
        .join(Unit, Unit.id == Member.branch_id)
        .outerjoin(TelegramAccount, TelegramAccount.user_id == Member.telegram_user_id)
        .where(*_in_audience(unit))
    )
    total, linked = (await session.execute(query)).one()
    return int(total), int(linked)


def _linked_audience(unit: Unit) -> Select[Any]:
    query = (
        select(Member.id.label("member_id"), Member.telegram_user_id.label("chat_id"))
        .join(Unit, Unit.id == Member.branch_id)
        .join(TelegramAccount, TelegramAccount.user_id == Member.telegram_user_id)
        .where(*_in_audience(unit))
    )
    return recipients_of(query)


async def queue_notice(
    session: AsyncSession,
    notice: Notice,
    unit: Unit,
    messages: Mapping[str, tuple[str, dict[str, Any]]],
    *,
    default: str,
    now: datetime,
) -> int:
    """The notice's broadcast (a row per linked audience member, in their language) and a
    receipt for every audience member, each in one statement; how many rows were queued."""
    broadcast = Broadcast(
        kind="notice", created_by_member_id=notice.created_by_member_id, unit_id=notice.unit_id
    )
    session.add(broadcast)
    await session.flush()
    notice.broadcast_id = broadcast.id
    queued = await enqueue_to_all(
        session,
        _linked_audience(unit),
        messages,
        default=default,
        now=now,
        broadcast_id=broadcast.id,
    )
    row = and_(OutboxMessage.broadcast_id == broadcast.id, OutboxMessage.member_id == Member.id)
    receipts = (
        select(literal(notice.id, Integer), Member.id, OutboxMessage.id)
        .join(Unit, Unit.id == Member.branch_id)
        .outerjoin(OutboxMessage, row)
        .where(*_in_audience(unit))
    )
    columns = ("notice_id", "member_id", "outbox_message_id")
    stored = await session.execute(insert(RECEIPTS).from_select(columns, receipts))
    if int(getattr(stored, "rowcount", 0) or 0) >= ANALYSE_FROM:
        await analyse_now(session, RECEIPTS, OUTBOX)
    return queued


async def add_notice(
    session: AsyncSession,
    unit_id: int,
    created_by_member_id: int | None,
    text: str,
    attachment: tuple[str, AttachmentKind] | None = None,
) -> Notice:
    """The notice row, flushed so its id can go into the members' buttons."""
    file_id, kind = attachment or (None, None)
    notice = Notice(
        unit_id=unit_id,
        created_by_member_id=created_by_member_id,
        text=text,
        attachment_file_id=file_id,
        attachment_kind=kind,
    )
    session.add(notice)
    await session.flush()
    return notice


async def enqueue_notice(
    session: AsyncSession,
    notice: Notice,
    messages: Sequence[NewMessage],
    member_ids: Sequence[int],
    now: datetime,
    subject: str | None = None,
) -> None:
    """One broadcast of `messages`, and a receipt for every audience member in `member_ids`."""
    broadcast = await outbox.enqueue_broadcast(
        session,
        "notice",
        messages,
        created_by_member_id=notice.created_by_member_id,
        unit_id=notice.unit_id,
        now=now,
        subject=subject,
    )
    notice.broadcast_id = broadcast.id
    rows = await session.execute(
        select(OutboxMessage.member_id, OutboxMessage.id).where(
            OutboxMessage.broadcast_id == broadcast.id
        )
    )
    row_of = {member_id: row_id for member_id, row_id in rows}
    session.add_all(
        NoticeReceipt(notice_id=notice.id, member_id=m, outbox_message_id=row_of.get(m))
        for m in member_ids
    )
    await session.flush()


async def get_notice(session: AsyncSession, notice_id: int) -> Notice | None:
    query = select(Notice).where(Notice.id == notice_id).options(joinedload(Notice.unit))
    return await session.scalar(query)


async def recent_notices(
    session: AsyncSession, unit_paths: set[str], limit: int = RECENT_NOTICES
) -> list[Notice]:
    """The latest notices to units at or under any of `unit_paths`, newest first."""
    if not unit_paths:
        return []
    query = (
        select(Notice)
        .join(Unit, Unit.id == Notice.unit_id)
        .where(or_(*(Unit.path.startswith(path) for path in unit_paths)))
        .options(joinedload(Notice.unit))
        .order_by(Notice.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(query))


async def receipt_of(
    session: AsyncSession, notice_id: int, member_id: int, *, lock: bool = False
) -> NoticeReceipt | None:
    """The member's receipt of a notice that was sent to them (never-linked ones were not).

    `lock`: for acknowledging, so that of two presses at once the second waits and sees the
    first one's acknowledgement (PostgreSQL; SQLite has one writer anyway).
    """
    query = select(NoticeReceipt).where(
        NoticeReceipt.notice_id == notice_id,
        NoticeReceipt.member_id == member_id,
        NoticeReceipt.outbox_message_id.is_not(None),
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


def acknowledge(receipt: NoticeReceipt, now: datetime) -> bool:
    """Records the first acknowledgement; False (and no change) for a repeat."""
    if receipt.acknowledged_at is not None:
        return False
    receipt.acknowledged_at = now
    return True


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _its_row(broadcast_id: int | None) -> ColumnElement[bool]:
    """The receipt's outbox row. It is one of the notice's broadcast (`queue_notice`,
    `enqueue_notice`): saying so lets the database read that broadcast's rows by index
    instead of hashing the whole outbox (which keeps every notice's rows)."""
    row = OutboxMessage.id == NoticeReceipt.outbox_message_id
    if broadcast_id is None:
        return row
    return and_(row, OutboxMessage.broadcast_id == broadcast_id)


async def notice_status(
    session: AsyncSession, notice_id: int, names: int = STATUS_NAMES
) -> NoticeStatus:
    """The counts, then the first `names` names of each list (by name), all in SQL."""
    # Without JIT compilation: a list's lookup per receipt is costed at millions of units,
    # and compiling it took 0.2 s for a statement that runs in milliseconds.
    async with local_settings(session, jit="off"):
        broadcast_id, status = await _counts(session, notice_id)
        for which in NoticeList:
            first = await _list_page(session, notice_id, broadcast_id, status, which, 0, names)
            status.names_of(which).extend(first)
    return status


async def notice_list_page(
    session: AsyncSession, notice_id: int, which: NoticeList, page: int, size: int
) -> tuple[int, int, list[Member]]:
    """Page `page` (from 0) of `size` names of one list of the notice's status, by name:
    how many the list has, the page shown (the last one, if the list has shrunk to fewer
    pages since), and its members."""
    async with local_settings(session, jit="off"):
        broadcast_id, status = await _counts(session, notice_id)
        count = status.count_of(which)
        page = max(0, min(page, (count - 1) // size))
        members = await _list_page(
            session, notice_id, broadcast_id, status, which, page * size, size
        )
    return count, page, members


_DELIVERED = OutboxMessage.status == DeliveryStatus.SENT
_NOT_ACKNOWLEDGED = and_(_DELIVERED, NoticeReceipt.acknowledged_at.is_(None))
_NEVER_LINKED = NoticeReceipt.outbox_message_id.is_(None)


async def _counts(session: AsyncSession, notice_id: int) -> tuple[int | None, NoticeStatus]:
    """The notice's broadcast, and its status's counts (no names yet)."""
    broadcast_id = await session.scalar(select(Notice.broadcast_id).where(Notice.id == notice_id))
    row = OutboxMessage.status
    counts = (
        select(
            func.count(),
            _count(_DELIVERED),
            func.count(NoticeReceipt.acknowledged_at),
            _count(row.in_(outbox.OPEN)),
            _count(row == DeliveryStatus.FAILED),
            _count(row == DeliveryStatus.UNREACHABLE),
            _count(_NEVER_LINKED),
            _count(_NOT_ACKNOWLEDGED),
        )
        .select_from(NoticeReceipt)
        .outerjoin(OutboxMessage, _its_row(broadcast_id))
        .where(NoticeReceipt.notice_id == notice_id)
    )
    # Until its statistics are gathered again, PostgreSQL takes a notice just queued for 1
    # receipt and 1 broadcast row, and joins them in a nested loop that reads the whole
    # broadcast again for every receipt: 0.1 s at 1,100 members, over ten minutes at 300,000.
    # A hash join reads each side once whatever the estimate (5 ms and 0.2 s).
    async with local_settings(session, enable_nestloop="off"):
        numbers = [int(n) for n in (await session.execute(counts)).one()]
    status = NoticeStatus()
    status.total, status.delivered, status.acknowledged, status.sending = numbers[:4]
    status.failed, status.blocked_count, status.never_linked_count = numbers[4:7]
    status.not_acknowledged_count = numbers[7]
    return broadcast_id, status


# A list of at most this many members is read from the notice's own rows, then its members
# by id; a longer one by walking the members in name order, where its first names come
# within a few thousand members. Walking for a short list reads nearly every member (1.5 s
# at 300,000 for a list of none; the counts now skip those).
FEW = 2_000
NAME_ORDER = (Member.name_folded, Member.id)


async def _list_page(
    session: AsyncSession,
    notice_id: int,
    broadcast_id: int | None,
    status: NoticeStatus,
    which: NoticeList,
    offset: int,
    limit: int,
) -> list[Member]:
    """`limit` members by name from the `offset`-th of a list (`status` has the counts):
    none, or from its members' ids when it is short, else walking the members in name
    order."""
    count = status.count_of(which)
    if count <= offset:
        return []
    if count > FEW:
        walk = _walk(notice_id, which)
        return list(await session.scalars(walk.offset(offset).limit(limit)))
    ids = list(await session.scalars(_list_members(notice_id, broadcast_id, status, which)))
    query = select(Member).where(Member.id.in_(ids)).order_by(*NAME_ORDER)
    return list(await session.scalars(query.offset(offset).limit(limit)))


def _walk(notice_id: int, which: NoticeList) -> Select[Any]:
    """The members in name order whose receipt (and outbox row) are on the list.

    The outbox row is joined by its key alone, not by the broadcast too: given the
    broadcast, a plan made before the notice's statistics were gathered reads the
    broadcast's rows again per receipt (0.4 s for the three lists at 1,100 members, against
    15 ms)."""
    condition = {
        NoticeList.NOT_ACKNOWLEDGED: _NOT_ACKNOWLEDGED,
        NoticeList.BLOCKED: OutboxMessage.status == DeliveryStatus.UNREACHABLE,
        NoticeList.NEVER_LINKED: _NEVER_LINKED,
    }[which]
    query = (
        select(Member)
        .join(NoticeReceipt, NoticeReceipt.member_id == Member.id)
        .where(NoticeReceipt.notice_id == notice_id, condition)
        .order_by(*NAME_ORDER)
    )
    if which is NoticeList.NEVER_LINKED:
        return query
    return query.join(OutboxMessage, _its_row(None))


def _list_members(
    notice_id: int, broadcast_id: int | None, status: NoticeStatus, which: NoticeList
) -> Select[Any]:
    """The member ids of a (short) list, read from the notice's own rows: from its broadcast's
    rows of that status, or from its receipts, whichever side has fewer rows to look up."""
    if which is NoticeList.NEVER_LINKED:
        return _receipt_members(notice_id, _NEVER_LINKED)
    if which is NoticeList.BLOCKED:
        return _from_rows(notice_id, broadcast_id, DeliveryStatus.UNREACHABLE)
    unacknowledged = NoticeReceipt.acknowledged_at.is_(None)
    # While it is being sent, few are delivered and most have not acknowledged; at the end,
    # the other way round.
    if status.delivered <= status.total - status.acknowledged:
        return _from_rows(notice_id, broadcast_id, DeliveryStatus.SENT, unacknowledged)
    return _receipt_members(notice_id, unacknowledged, _row_status() == DeliveryStatus.SENT)


def _row_status() -> ColumnElement[Any]:
    """The receipt's outbox row's status, looked up by its key for each receipt: a
    subquery the planner cannot turn into a join that reads all of the broadcast's rows."""
    return (
        select(OutboxMessage.status)
        .where(OutboxMessage.id == NoticeReceipt.outbox_message_id)
        .scalar_subquery()
    )


def _receipt_members(notice_id: int, *which: ColumnElement[bool]) -> Select[Any]:
    return select(NoticeReceipt.member_id).where(NoticeReceipt.notice_id == notice_id, *which)


def _from_rows(
    notice_id: int,
    broadcast_id: int | None,
    row_status: DeliveryStatus,
    *which: ColumnElement[bool],
) -> Select[Any]:
    """The members whose row of the notice's broadcast has `row_status` (and whose receipt
    is `which`): found from the broadcast's rows, not by looking up each receipt's row."""
    if broadcast_id is None:  # no broadcast (never queued): by each receipt's row
        return _receipt_members(notice_id, _row_status() == row_status, *which)
    # The receipt is found by its row's id alone, the one index that can: by the notice too,
    # a stale plan could read the notice's receipts again for every row.
    return (
        select(NoticeReceipt.member_id)
        .join(OutboxMessage, _its_row(None))
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == row_status)
        .where(*which)
    )


def _reminder_recipients(notice_id: int) -> Any:
    """Members the notice reached who have not acknowledged it (and may read the reminder)."""
    return (
        select(NoticeReceipt.member_id.label("member_id"), OutboxMessage.chat_id.label("chat_id"))
        .join(OutboxMessage, OutboxMessage.id == NoticeReceipt.outbox_message_id)
        .join(TelegramAccount, TelegramAccount.user_id == OutboxMessage.chat_id)
        .where(
            NoticeReceipt.notice_id == notice_id,
            NoticeReceipt.acknowledged_at.is_(None),
            OutboxMessage.status == DeliveryStatus.SENT,
        )
    )


async def reminder_targets(session: AsyncSession, notice_id: int) -> list[int]:
    """The members a reminder would go to now: reached by the notice, not acknowledged."""
    query = select(_reminder_recipients(notice_id).subquery().c.member_id)
    return [int(member_id) for member_id in await session.scalars(query)]


async def queue_reminder(
    session: AsyncSession,
    notice: Notice,
    messages: Mapping[str, tuple[str, dict[str, Any]]],
    *,
    default: str,
    now: datetime,
    only: Collection[int] | None = None,
) -> int:
    """A reminder broadcast to everyone `reminder_targets` names (of them, `only` these
    members when given); how many rows were queued."""
    broadcast = Broadcast(kind="notice_reminder", unit_id=notice.unit_id)
    session.add(broadcast)
    await session.flush()
    query = _reminder_recipients(notice.id)
    queued = 0
    for chunk in id_chunks(only):  # PostgreSQL takes at most 32,767 bound parameters
        chosen = query if chunk is None else query.where(NoticeReceipt.member_id.in_(chunk))
        queued += await enqueue_to_all(
            session,
            recipients_of(chosen),
            messages,
            default=default,
            now=now,
            broadcast_id=broadcast.id,
        )
    return queued


async def pressers_with_receipts(
    session: AsyncSession, presses: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], str | None]:
    """Of (Telegram user id, notice id) pairs, those whose user is an active member with a
    receipt of that notice, and the language each user chose (None: not chosen).

    One statement for a whole batch of presses: answering them must not wait on a query each.
    """
    if not presses:
        return {}
    users = {user for user, _notice in presses}
    notices = {notice for _user, notice in presses}
    query = (
        select(Member.telegram_user_id, NoticeReceipt.notice_id, TelegramAccount.language)
        .join(NoticeReceipt, NoticeReceipt.member_id == Member.id)
        .outerjoin(TelegramAccount, TelegramAccount.user_id == Member.telegram_user_id)
        .where(
            Member.telegram_user_id.in_(users),
            Member.status == MemberStatus.ACTIVE,
            NoticeReceipt.notice_id.in_(notices),
            NoticeReceipt.outbox_message_id.is_not(None),
        )
    )
    wanted = set(presses)
    found: dict[tuple[int, int], str | None] = {}
    for user, notice, language in await session.execute(query):
        key = (int(user or 0), notice)
        if key in wanted:
            found[key] = language
    return found
