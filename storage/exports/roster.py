"""The member roster dataset: who is on the rosters of the exported units."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.exports.dataset import (
    N_,
    Column,
    Dataset,
    ExportScope,
    Gettext,
    Kind,
    Row,
    in_scope,
    stream_batches,
)
from storage.models import Member, MemberStatus, Role, RoleAssignment, Unit
from storage.text import display_phone

STATUS_LABELS = {
    MemberStatus.ACTIVE.value: N_("Active"),
    MemberStatus.INACTIVE.value: N_("Inactive"),
}
ROLE_LABELS = {
    Role.SECRETARY: N_("Secretary"),
    Role.DEPUTY_SECRETARY: N_("Deputy secretary"),
    Role.COMMITTEE_MEMBER: N_("Committee member"),
}
COLUMNS = (
    Column(N_("Full name"), width=28),
    Column(N_("Phone"), width=14),
    Column(N_("Party card no."), width=14),
    Column(N_("Date of birth"), Kind.DATE, width=13),
    Column(N_("Branch"), width=28),
    Column(N_("Status"), width=14, labels=STATUS_LABELS),
    Column(N_("Telegram linked"), Kind.YES_NO, width=12),
    Column(N_("Roles"), width=36),
)


async def roster_dataset(session: AsyncSession, scope: ExportScope) -> Dataset:
    """Every member on the roster of a branch at or under the scope's unit, by branch, name."""
    roles = await _roles_in_scope(session, scope)
    query = (
        select(
            Member.id,
            Member.full_name,
            Member.phone,
            Member.party_card_no,
            Member.date_of_birth,
            Unit.name,
            Member.status,
            Member.telegram_user_id.is_not(None),
        )
        .join(Unit, Unit.id == Member.branch_id)
        .where(in_scope(Unit.path, scope))
        .order_by(Unit.name_folded, Unit.id, Member.name_folded, Member.id)
    )

    def convert(row: Any) -> Row:
        member_id, name, phone, card, born, branch, status, linked = row
        return (
            name,
            display_phone(phone),
            card,
            born,
            branch,
            status,
            linked,
            roles.get(member_id),
        )

    return Dataset(N_("Member roster"), COLUMNS, stream_batches(session, query, convert))


async def _roles_in_scope(session: AsyncSession, scope: ExportScope) -> dict[int, str]:
    """The roles of members in scope, as text ("Secretary (Chi bộ 1)"): few people hold one,
    so they are read up front rather than joined into every row."""
    holder = (
        select(Member.id).join(Unit, Unit.id == Member.branch_id).where(in_scope(Unit.path, scope))
    )
    rows = await session.execute(
        select(RoleAssignment.member_id, RoleAssignment.role, Unit.name)
        .join(Unit, Unit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.member_id.in_(holder))
        .order_by(RoleAssignment.member_id, Unit.path, RoleAssignment.role)
    )
    roles: defaultdict[int, list[str]] = defaultdict(list)
    for member_id, role, unit_name in rows:
        roles[member_id].append(_role_text(scope.gettext, role, unit_name))
    return {member_id: "; ".join(parts) for member_id, parts in roles.items()}


def _role_text(gettext: Gettext, role: Role, unit_name: str) -> str:
    return gettext("{role} ({unit})", role=gettext(ROLE_LABELS[role]), unit=unit_name)
