"""Role assignments: who is secretary, deputy or committee member of which unit."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, Role, RoleAssignment, Unit


async def grant_role(session: AsyncSession, member: Member, role: Role, unit: Unit) -> bool:
    """Grants a role; False when the member already had it."""
    existing = await session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.member_id == member.id,
            RoleAssignment.unit_id == unit.id,
            RoleAssignment.role == role,
        )
    )
    if existing:
        return False
    session.add(RoleAssignment(member_id=member.id, unit_id=unit.id, role=role))
    await session.flush()
    return True


async def revoke_role(session: AsyncSession, member: Member, role: Role, unit: Unit) -> bool:
    """Revokes a role; False when the member did not have it."""
    result = await session.execute(
        delete(RoleAssignment).where(
            RoleAssignment.member_id == member.id,
            RoleAssignment.unit_id == unit.id,
            RoleAssignment.role == role,
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def roles_of(session: AsyncSession, member_id: int) -> list[tuple[Role, Unit]]:
    rows = await session.execute(
        select(RoleAssignment.role, Unit)
        .join(Unit, Unit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.member_id == member_id)
        .order_by(Unit.path)
    )
    return [(role, unit) for role, unit in rows.tuples()]
