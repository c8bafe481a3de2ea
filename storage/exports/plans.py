"""The yearly plans dataset: each active member of the units, their plan's status and grades."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import clock
from storage.exports.dataset import (
    N_,
    Choice,
    Column,
    Dataset,
    ExportScope,
    Kind,
    Row,
    in_scope,
    member_years,
    stream_batches,
    year_choices,
)
from storage.models import Grade, Member, MemberStatus, PlanStatus, Unit, YearlyPlan
from storage.plans import SECTIONS

STATUS_LABELS = {
    PlanStatus.DRAFT.value: N_("Draft"),
    PlanStatus.SUBMITTED.value: N_("Submitted"),
    PlanStatus.RETURNED.value: N_("Returned"),
    PlanStatus.ACCEPTED.value: N_("Accepted"),
}
GRADE_LABELS = {
    Grade.EXCELLENT.value: N_("Excellently completed duties"),
    Grade.GOOD.value: N_("Well completed duties"),
    Grade.COMPLETED.value: N_("Completed duties"),
    Grade.NOT_COMPLETED.value: N_("Did not complete duties"),
}
COLUMNS = (
    Column(N_("Branch"), width=28),
    Column(N_("Full name"), width=28),
    Column(N_("Plan"), width=14, labels=STATUS_LABELS),
    Column(N_("Submitted"), Kind.DATETIME, width=17),
    Column(N_("Reviewed"), Kind.DATETIME, width=17),
    Column(N_("Proposed grade"), width=28, labels=GRADE_LABELS),
    Column(N_("Final grade"), width=28, labels=GRADE_LABELS),
    Column(N_("Graded"), Kind.DATETIME, width=17),
    # The plan's own text, one column per part (the same names the member wrote under).
    Column(N_("Political ideology and study"), width=40),
    Column(N_("Ethics and lifestyle"), width=40),
    Column(N_("Task goals at work"), width=40),
    Column(N_("Tasks at the place of residence"), width=40),
    Column(N_("Other"), width=40),
)


async def plan_years(session: AsyncSession, unit: Unit) -> list[Choice]:
    """The years with plans in the unit, newest first, and always the current one."""
    years = await member_years(session, unit, YearlyPlan.year, YearlyPlan.member_id)
    return year_choices(years, clock.now().year)


async def plans_dataset(session: AsyncSession, scope: ExportScope) -> Dataset:
    """Every active member at or under the scope's unit (no plan: empty cells), by branch."""
    year = scope.choice or clock.now().year
    query = (
        select(
            Unit.name,
            Member.full_name,
            YearlyPlan.status,
            YearlyPlan.submitted_at,
            YearlyPlan.reviewed_at,
            YearlyPlan.proposed_grade,
            YearlyPlan.final_grade,
            YearlyPlan.graded_at,
            YearlyPlan.sections,
        )
        .join(Member, Member.branch_id == Unit.id)
        .outerjoin(YearlyPlan, (YearlyPlan.member_id == Member.id) & (YearlyPlan.year == year))
        .where(in_scope(Unit.path, scope), Member.status == MemberStatus.ACTIVE)
        .order_by(Unit.name_folded, Unit.id, Member.name_folded, Member.id)
    )

    def convert(row: Any) -> Row:
        sections = row[-1] or {}
        return (*row[:-1], *(sections.get(key) or None for key in SECTIONS))

    return Dataset(N_("Yearly plans and grades"), COLUMNS, stream_batches(session, query, convert))
