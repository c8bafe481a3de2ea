"""Transfer of party activity (chuyển sinh hoạt đảng).

Between branches in the bot, the sending branch starts it and the receiving branch's
secretary confirms receipt; only then does an official transfer move the member (roles on
the old branch end; the residence tie and the yearly plans are the member's and follow them
with their history). A temporary one leaves the member on the sending roster, away (out of
its duties). To a branch outside the bot the member leaves the roster at once as
"transferred out" with the destination written down. A transfer not confirmed within
`TRANSFER_CONFIRM_DAYS` is flagged to both secretaries and on the committee overview.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage import audit, schedule
from storage.models import (
    Member,
    MemberTransfer,
    RoleAssignment,
    Standing,
    TransferKind,
    Unit,
)
from storage.standing import (
    Change,
    StandingError,
    keep_flag_as_base,
    record_change,
    status_of,
)

OVERDUE_KIND = "transfer_overdue"


@dataclass(frozen=True)
class TransferDraft:
    kind: TransferKind
    to_branch_id: int | None  # None: outside the bot, `destination` says where
    destination: str | None
    letter_no: str | None
    letter_date: date | None


async def start_transfer(
    session: AsyncSession,
    member: Member,
    draft: TransferDraft,
    *,
    by_member_id: int | None,
    now: datetime,
    today: date,
    confirm_days: int,
) -> MemberTransfer:
    """Records the transfer. Outside the bot it takes effect today; inside, it waits for the
    receiving secretary, and an overdue check is booked."""
    if draft.to_branch_id == member.branch_id:
        raise StandingError("same_branch")
    if await pending_for(session, member.id) is not None:
        raise StandingError("transfer_pending")
    transfer = MemberTransfer(
        member_id=member.id,
        kind=draft.kind,
        from_branch_id=member.branch_id,
        to_branch_id=draft.to_branch_id,
        destination=draft.destination,
        letter_no=draft.letter_no,
        letter_date=draft.letter_date,
        started_by_member_id=by_member_id,
        started_at=now,
    )
    session.add(transfer)
    await session.flush()
    await _audit(session, "transfer_started", transfer, by_member_id)
    if draft.to_branch_id is None:
        await _leave(session, member, transfer, today, by_member_id)
        transfer.confirmed_at = now  # nobody in the bot to confirm it
    else:
        due = now + timedelta(days=confirm_days)
        key = f"transfer:{transfer.id}:overdue"
        await schedule.schedule(session, OVERDUE_KIND, key, due, {"transfer_id": transfer.id})
    return transfer


async def _leave(
    session: AsyncSession,
    member: Member,
    transfer: MemberTransfer,
    today: date,
    by_member_id: int | None,
    where: str | None = None,
) -> None:
    """The sending branch's side: gone for good (official) or away for a while (temporary;
    the transfer names the period, during which the member takes part at the receiving
    branch: storage/hosted.py)."""
    status = (
        Standing.TRANSFERRED_OUT
        if transfer.kind == TransferKind.OFFICIAL
        else Standing.TRANSFERRED_TEMPORARY
    )
    change = Change(
        status,
        today,
        note=where or transfer.destination,
        decision_no=transfer.letter_no,
        by_member_id=by_member_id,
        branch_id=transfer.from_branch_id,
    )
    period = await record_change(session, member, change, today)
    if transfer.kind == TransferKind.TEMPORARY:
        transfer.period_id = period.id


async def get_transfer(session: AsyncSession, transfer_id: int) -> MemberTransfer | None:
    query = (
        select(MemberTransfer)
        .where(MemberTransfer.id == transfer_id)
        .options(
            joinedload(MemberTransfer.member).joinedload(Member.branch),
            joinedload(MemberTransfer.from_branch),
            joinedload(MemberTransfer.to_branch),
        )
    )
    return await session.scalar(query)


async def pending_for(session: AsyncSession, member_id: int) -> MemberTransfer | None:
    query = select(MemberTransfer).where(
        MemberTransfer.member_id == member_id, MemberTransfer.confirmed_at.is_(None)
    )
    return await session.scalar(query.limit(1))


async def confirm_transfer(
    session: AsyncSession,
    transfer: MemberTransfer,
    *,
    by_member_id: int | None,
    now: datetime,
    today: date,
) -> None:
    """The receiving secretary confirms: an official transfer moves the member now."""
    if transfer.confirmed_at is not None or transfer.to_branch is None:
        raise StandingError("transfer_done")
    member = transfer.member
    transfer.confirmed_at = now
    transfer.confirmed_by_member_id = by_member_id
    if transfer.kind == TransferKind.TEMPORARY:
        await _leave(session, member, transfer, today, by_member_id, transfer.to_branch.name)
    else:
        await _move(session, member, transfer, today, by_member_id)
    await schedule.cancel(session, f"transfer:{transfer.id}:overdue")
    await _audit(session, "transfer_confirmed", transfer, by_member_id)


async def _move(
    session: AsyncSession,
    member: Member,
    transfer: MemberTransfer,
    today: date,
    by_member_id: int | None,
) -> None:
    """The member's base standing carries on at the new branch; roles on the old one end."""
    assert transfer.to_branch_id is not None
    standing = await status_of(session, member.id, today)
    base = Standing.PROBATIONARY if standing == Standing.PROBATIONARY else Standing.OFFICIAL
    roles = await session.execute(
        delete(RoleAssignment)
        .where(
            RoleAssignment.member_id == member.id,
            RoleAssignment.unit_id == transfer.from_branch_id,
        )
        .returning(RoleAssignment.role)
    )
    ended = [str(role) for role in roles.scalars()]
    await keep_flag_as_base(session, member)  # the time at the old branch stays in history
    member.branch_id = transfer.to_branch_id
    change = Change(
        base,
        today,
        note=transfer.from_branch.name,
        decision_no=transfer.letter_no,
        by_member_id=by_member_id,
        branch_id=transfer.to_branch_id,
    )
    await record_change(session, member, change, today)
    if ended:
        await audit.record(
            session,
            "roles_ended_by_transfer",
            actor_member_id=by_member_id,
            unit_id=transfer.from_branch_id,
            object_type="member",
            object_id=member.id,
            details={"roles": ended},
        )


async def _audit(
    session: AsyncSession, action: str, transfer: MemberTransfer, by_member_id: int | None
) -> None:
    await audit.record(
        session,
        action,
        actor_member_id=by_member_id,
        unit_id=transfer.from_branch_id,
        object_type="member_transfer",
        object_id=transfer.id,
        details={
            "member": transfer.member_id,
            "kind": transfer.kind.value,
            "to_branch": transfer.to_branch_id,
            "letter_no": transfer.letter_no,
        },
    )


async def overdue_transfers(
    session: AsyncSession, unit_path: str, now: datetime, days: int
) -> list[MemberTransfer]:
    """Transfers from or to branches under the unit, not confirmed within `days`."""
    from_unit = select(Unit.id).where(Unit.path.startswith(unit_path))
    query = (
        select(MemberTransfer)
        .where(
            MemberTransfer.confirmed_at.is_(None),
            MemberTransfer.started_at <= now - timedelta(days=days),
            MemberTransfer.from_branch_id.in_(from_unit)
            | MemberTransfer.to_branch_id.in_(from_unit),
        )
        .options(
            joinedload(MemberTransfer.member),
            joinedload(MemberTransfer.from_branch),
            joinedload(MemberTransfer.to_branch),
        )
        .order_by(MemberTransfer.started_at)
    )
    return list(await session.scalars(query))
