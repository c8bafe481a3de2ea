"""Notices: the audience, the notice and its receipts, acknowledgements and the status.

Every audience member gets a receipt; members with a Telegram link also get an outbox row,
so "never linked", "blocked the bot" and "delivered" all come from the receipts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage import outbox
from storage.models import (
    AttachmentKind,
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


@dataclass(frozen=True)
class Recipient:
    member: Member
    account: TelegramAccount | None  # None: never linked to Telegram


@dataclass
class NoticeStatus:
    """Who of the audience got the notice and who acknowledged it, names by folded name."""

    total: int = 0
    delivered: int = 0
    acknowledged: int = 0
    sending: int = 0
    failed: int = 0
    blocked: list[Member] = field(default_factory=list)
    never_linked: list[Member] = field(default_factory=list)
    not_acknowledged: list[Member] = field(default_factory=list)  # delivered, not acknowledged


async def audience(session: AsyncSession, unit: Unit) -> list[Recipient]:
    """Active members of the branches at or under `unit`, with their accounts, by name."""
    query = (
        select(Member, TelegramAccount)
        .join(Unit, Unit.id == Member.branch_id)
        .outerjoin(TelegramAccount, TelegramAccount.user_id == Member.telegram_user_id)
        .where(Unit.path.startswith(unit.path), Member.status == MemberStatus.ACTIVE)
        .order_by(Member.name_folded, Member.id)
    )
    return [Recipient(m, a) for m, a in await session.execute(query)]


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


async def _receipt_rows(
    session: AsyncSession, notice_id: int
) -> list[tuple[Member, NoticeReceipt, OutboxMessage | None]]:
    query = (
        select(Member, NoticeReceipt, OutboxMessage)
        .join(NoticeReceipt, NoticeReceipt.member_id == Member.id)
        .outerjoin(OutboxMessage, OutboxMessage.id == NoticeReceipt.outbox_message_id)
        .where(NoticeReceipt.notice_id == notice_id)
        .order_by(Member.name_folded, Member.id)
    )
    return [(m, r, o) for m, r, o in await session.execute(query)]


async def notice_status(session: AsyncSession, notice_id: int) -> NoticeStatus:
    status = NoticeStatus()
    for member, receipt, row in await _receipt_rows(session, notice_id):
        status.total += 1
        status.acknowledged += receipt.acknowledged_at is not None
        if row is None:
            status.never_linked.append(member)
        elif row.status == DeliveryStatus.UNREACHABLE:
            status.blocked.append(member)
        elif row.status == DeliveryStatus.FAILED:
            status.failed += 1
        elif row.status in outbox.OPEN:
            status.sending += 1
        else:
            status.delivered += 1
            if receipt.acknowledged_at is None:
                status.not_acknowledged.append(member)
    return status


async def reminder_recipients(session: AsyncSession, notice_id: int) -> list[Recipient]:
    """Members the notice reached who have not acknowledged it (and may read the reminder)."""
    query = (
        select(Member, TelegramAccount)
        .join(NoticeReceipt, NoticeReceipt.member_id == Member.id)
        .join(OutboxMessage, OutboxMessage.id == NoticeReceipt.outbox_message_id)
        .join(TelegramAccount, TelegramAccount.user_id == OutboxMessage.chat_id)
        .where(
            NoticeReceipt.notice_id == notice_id,
            NoticeReceipt.acknowledged_at.is_(None),
            OutboxMessage.status == DeliveryStatus.SENT,
        )
        .order_by(Member.name_folded, Member.id)
    )
    return [Recipient(m, a) for m, a in await session.execute(query)]
