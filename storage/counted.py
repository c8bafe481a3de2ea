"""Which members a figure counts: the one population every figure, overview and list of a
committee is computed over, so a rule about who counts (a status, a transfer) is written
here once and every figure follows it.

The organisation is a subtree filter on the unit path, never a list of ids bound as
parameters: PostgreSQL refuses more than 32,767 of those, and SQL can group a whole province
by branch faster than Python can load it.
"""

from __future__ import annotations

from sqlalchemy import Subquery, select

from storage.models import Member, MemberStatus, Unit


def counted_members(
    unit_path: str, *, active_only: bool = True, working_only: bool = False
) -> Subquery:
    """Members of the branches at or under `unit_path`: columns `member_id`, `branch_id`,
    `branch_path`.

    `active_only=False` keeps members made inactive since (their recorded attendance still
    happened); `working_only` leaves out residential branches, whose members already live
    where they take part (the residence figures count working members).
    """
    query = (
        select(
            Member.id.label("member_id"),
            Member.branch_id.label("branch_id"),
            Unit.path.label("branch_path"),
        )
        .join(Unit, Unit.id == Member.branch_id)
        .where(Unit.is_branch, Unit.path.startswith(unit_path))
    )
    if active_only:
        query = query.where(Member.status == MemberStatus.ACTIVE)
    if working_only:
        query = query.where(Unit.is_residential.is_(False))
    return query.subquery("counted")
