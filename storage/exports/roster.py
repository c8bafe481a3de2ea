"""The member roster dataset: who is on the rosters of the exported units."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Subquery, case, func, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import clock
from storage.as_of import LOCAL_TZ
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
from storage.models import Member, MemberStanding, Role, RoleAssignment, Standing, Unit
from storage.standing import standing_at
from storage.text import display_phone

# The party standing today, in the words the roster import reads back (storage/roster_file.py
# STANDINGS): a re-import of this export changes no one's history.
STANDING_LABELS = {
    Standing.PROBATIONARY.value: N_("Probationary member"),
    Standing.OFFICIAL.value: N_("Full member"),
    Standing.EXEMPT.value: N_("Exempt from activity"),
    Standing.TRANSFERRED_TEMPORARY.value: N_("Transferred temporarily"),
    Standing.TRANSFERRED_OUT.value: N_("Transferred out"),
    Standing.REMOVED.value: N_("Removed from the roster"),
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
    Column(N_("Status"), width=24, labels=STANDING_LABELS),
    Column(N_("Admission date"), Kind.DATE, width=13),
    Column(N_("Official date"), Kind.DATE, width=13),
    Column(N_("Telegram linked"), Kind.YES_NO, width=12),
    # Not "Roles": the import reads a column by that name as the role to grant at its branch.
    Column(N_("Roles held"), width=36),
)


async def roster_dataset(session: AsyncSession, scope: ExportScope) -> Dataset:
    """Every member on the roster of a branch at or under the scope's unit, by branch, name,
    with their party standing today and the dates it started (blank where nobody recorded
    them: the import then leaves them alone)."""
    roles = await _roles_in_scope(session, scope)
    today = clock.today(LOCAL_TZ)
    standing = standing_at(today)
    admitted, official = first_start(Standing.PROBATIONARY), first_start(Standing.OFFICIAL)
    query = (
        select(
            Member.id,
            Member.full_name,
            Member.phone,
            Member.party_card_no,
            Member.date_of_birth,
            Unit.name,
            standing.c.status,
            admitted.c.valid_from,
            official.c.valid_from,
            Member.telegram_user_id.is_not(None),
        )
        .join(Unit, Unit.id == Member.branch_id)
        .outerjoin(standing, standing.c.member_id == Member.id)
        .outerjoin(admitted, admitted.c.member_id == Member.id)
        .outerjoin(official, official.c.member_id == Member.id)
        .where(in_scope(Unit.path, scope))
        .order_by(Unit.name_folded, Unit.id, Member.name_folded, Member.id)
    )

    def convert(row: Any) -> Row:
        member_id, name, phone, card, born, branch, status, since, full, linked = row
        return (
            name,
            display_phone(phone),
            card,
            born,
            branch,
            status,
            since,
            full,
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


def first_start(status: Standing) -> Subquery:
    """Per member, the start of their first period of `status` (the admission date, the
    date of recognition); none where a period of it has no recorded start (an official
    member from before the history: a transfer's later period is not the date)."""
    h = MemberStanding
    undated = func.count() > func.count(h.valid_from)
    start = case((undated, null()), else_=func.min(h.valid_from))
    return (
        select(h.member_id, start.label("valid_from"))
        .where(h.status == status)
        .group_by(h.member_id)
        .subquery(f"first_{status.value}")
    )
