"""Which members a figure counts: the one population every figure, overview and list of a
committee is computed over, so a rule about who counts (a status, a transfer) is written
here once and every figure follows it.

Who counts is `storage.standing.FIGURES` (the figure's standings on the date, from the
dated history; docs/populations.md); where is a subtree filter on the unit path, never a
list of ids bound as parameters: PostgreSQL refuses more than 32,767 of those, and SQL can
group a whole province by branch faster than Python can load it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Subquery, select

from storage.models import Unit
from storage.standing import counted


def counted_members(
    unit_path: str, figure: str, at: date, *, working_only: bool = False
) -> Subquery:
    """The members `figure` counts on `at` in the branches at or under `unit_path`: columns
    `member_id`, `branch_id`, `branch_path`, the branch being the member's on that date (a
    member who moved counts where they were).

    `working_only` leaves out residential branches, whose members already live where they
    take part (the residence figures count working members).
    """
    population = counted(figure, at, within=unit_path)
    query = (
        select(
            population.c.member_id,
            population.c.branch_id,
            Unit.path.label("branch_path"),
        )
        .select_from(population)
        .join(Unit, Unit.id == population.c.branch_id)
        .where(Unit.is_branch, Unit.path.startswith(unit_path))
    )
    if working_only:
        query = query.where(Unit.is_residential.is_(False))
    return query.subquery("counted")
