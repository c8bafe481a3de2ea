"""Yearly plans: the member's sections and commitment, submission, the committee's review,
the self-assessment against the plan and the final grade, each step in the history."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import (
    Grade,
    Member,
    MemberStatus,
    PlanRevision,
    PlanStatus,
    Unit,
    YearlyPlan,
)
from storage.plan_seasons import Season

# The plan's sections, in the order the member fills them in; "other" may stay empty.
SECTIONS = ("ideology", "ethics", "work", "residence", "other")
OPTIONAL_SECTIONS = frozenset({"other"})
EDITABLE = (PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.RETURNED)


class GoalResult(enum.StrEnum):
    """How the member did on one section of their plan, in the self-assessment."""

    DONE = "done"
    PARTLY = "partly"
    NOT_DONE = "not_done"


class PlanError(ValueError):
    """A plan operation that cannot be done now; `code` names the reason for translation."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def get_plan(session: AsyncSession, member_id: int, year: int) -> YearlyPlan | None:
    return await session.scalar(
        select(YearlyPlan).where(YearlyPlan.member_id == member_id, YearlyPlan.year == year)
    )


async def get_plan_with_member(session: AsyncSession, plan_id: int) -> YearlyPlan | None:
    """The plan with its member and the member's branch (to decide who may see it)."""
    query = (
        select(YearlyPlan)
        .where(YearlyPlan.id == plan_id)
        .options(joinedload(YearlyPlan.member).joinedload(Member.branch))
    )
    return await session.scalar(query)


def edit_refusal(plan: YearlyPlan | None, season: Season, today: date) -> str | None:
    """Why the member may not write or change their plan now; None when they may."""
    if plan is not None and plan.status == PlanStatus.ACCEPTED:
        return "accepted"
    if today < season.opens_on:
        return "not_open"
    # A plan the committee returned may be revised after the deadline: they asked for it.
    if today > season.deadline and (plan is None or plan.status != PlanStatus.RETURNED):
        return "closed"
    return None


async def plan_to_edit(session: AsyncSession, member_id: int, year: int) -> YearlyPlan:
    """The member's plan of the year, created as an empty draft the first time."""
    plan = await get_plan(session, member_id, year)
    if plan is None:
        plan = YearlyPlan(member_id=member_id, year=year, status=PlanStatus.DRAFT)
        plan.sections, plan.assessment = {}, {}
        session.add(plan)
        await session.flush()
    return plan


def next_empty_section(plan: YearlyPlan) -> str | None:
    """The first section the member has not written yet (an optional one skipped counts)."""
    for key in SECTIONS:
        if key not in plan.sections:
            return key
    return None


def missing_sections(plan: YearlyPlan) -> list[str]:
    return [k for k in SECTIONS if k not in OPTIONAL_SECTIONS and not plan.sections.get(k)]


def save_section(plan: YearlyPlan, key: str, text: str) -> None:
    """Stores one section; a submitted plan changed by its member awaits a new submission."""
    if key not in SECTIONS:
        raise PlanError("unknown_section")
    if plan.status not in EDITABLE:
        raise PlanError("accepted")
    plan.sections = {**plan.sections, key: text}  # a new dict: JSON changes in place are lost
    if plan.status == PlanStatus.SUBMITTED:
        plan.status = PlanStatus.DRAFT


def accept_commitment(plan: YearlyPlan, text: str, now: datetime) -> None:
    plan.commitment_text, plan.committed_at = text, now


async def _revision(
    session: AsyncSession,
    plan: YearlyPlan,
    event: str,
    actor_member_id: int | None,
    now: datetime,
    comment: str | None = None,
) -> None:
    session.add(
        PlanRevision(
            plan_id=plan.id,
            event=event,
            actor_member_id=actor_member_id,
            sections=dict(plan.sections),
            comment=comment,
            at=now,
        )
    )
    await session.flush()


async def submit_plan(session: AsyncSession, plan: YearlyPlan, now: datetime) -> None:
    """The member hands the plan to the committee; the text as submitted is kept."""
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.RETURNED):
        raise PlanError("not_draft")
    if missing_sections(plan):
        raise PlanError("incomplete")
    if plan.committed_at is None:
        raise PlanError("no_commitment")
    plan.status, plan.submitted_at = PlanStatus.SUBMITTED, now
    await _revision(session, plan, "submitted", plan.member_id, now)


async def plan_version(session: AsyncSession, plan_id: int) -> int:
    """The id of the plan's latest history entry (0 without one): each submission adds one,
    so a plan resubmitted after the committee read it has a new version."""
    query = select(func.max(PlanRevision.id)).where(PlanRevision.plan_id == plan_id)
    return int(await session.scalar(query) or 0)


async def review_plan(
    session: AsyncSession,
    plan: YearlyPlan,
    reviewer_id: int | None,
    now: datetime,
    comment: str | None = None,
    *,
    read_version: int | None = None,
) -> None:
    """The committee accepts the plan, or (with a comment) returns it to the member. With
    `read_version` (the `plan_version` the reviewer read), refused if the member has
    resubmitted since: the committee decides on the text it read, not a newer one."""
    if plan.status != PlanStatus.SUBMITTED:
        raise PlanError("not_submitted")
    if read_version is not None and read_version != await plan_version(session, plan.id):
        raise PlanError("changed_since_read")
    plan.status = PlanStatus.RETURNED if comment else PlanStatus.ACCEPTED
    plan.reviewed_at, plan.reviewed_by_member_id = now, reviewer_id
    plan.review_comment = comment
    event = "returned" if comment else "accepted"
    await _revision(session, plan, event, reviewer_id, now, comment)


def assessment_refusal(plan: YearlyPlan | None, season: Season, today: date) -> str | None:
    """Why the member may not write their self-assessment now; None when they may."""
    if plan is None or plan.status != PlanStatus.ACCEPTED:
        return "plan_not_accepted"
    if plan.final_grade is not None:
        return "graded"
    if not season.assessment_open(today):
        return "assessment_closed"
    return None


def goals(plan: YearlyPlan) -> list[str]:
    """The sections of the plan the member wrote something in: what they assess."""
    return [key for key in SECTIONS if plan.sections.get(key)]


def set_goal_result(plan: YearlyPlan, key: str, result: GoalResult, note: str = "") -> None:
    if key not in goals(plan):
        raise PlanError("unknown_section")
    plan.assessment = {**plan.assessment, key: {"result": result.value, "note": note}}


def next_unassessed_goal(plan: YearlyPlan) -> str | None:
    return next((key for key in goals(plan) if key not in plan.assessment), None)


async def submit_assessment(
    session: AsyncSession, plan: YearlyPlan, grade: Grade, now: datetime
) -> None:
    """The member's self-assessment with their proposed grade, for the committee."""
    if next_unassessed_goal(plan) is not None:
        raise PlanError("incomplete")
    if plan.final_grade is not None:
        raise PlanError("graded")
    plan.proposed_grade, plan.assessed_at = grade, now
    await _revision(session, plan, "self_assessed", plan.member_id, now)


async def record_grade(
    session: AsyncSession, plan: YearlyPlan, grade: Grade, grader_id: int | None, now: datetime
) -> None:
    """The committee's final grade of the year, after the member's self-assessment. Given
    once: a second committee member or a stale button must not overwrite it silently."""
    if plan.assessed_at is None:
        raise PlanError("not_assessed")
    if plan.final_grade is not None:
        raise PlanError("already_graded")
    plan.final_grade, plan.graded_at, plan.graded_by_member_id = grade, now, grader_id
    await _revision(session, plan, "graded", grader_id, now, grade.value)


async def revisions(session: AsyncSession, plan_id: int) -> list[PlanRevision]:
    query = select(PlanRevision).where(PlanRevision.plan_id == plan_id)
    return list(await session.scalars(query.order_by(PlanRevision.id)))


def under_paths(paths: set[str]) -> ColumnElement[bool]:
    """Units at or under any of `paths`."""
    return or_(*(Unit.path.startswith(path) for path in paths))


async def plans_in(
    session: AsyncSession,
    paths: set[str],
    year: int | None,
    *,
    awaiting: str,
    reviewer_id: int | None = None,
) -> list[YearlyPlan]:
    """Plans of active members under `paths` (of `year`, or any) awaiting the committee:
    `awaiting` is "review" (submitted plans) or "grade" (self-assessed, not graded), by
    member name; the reviewer's own plan is not theirs to review."""
    if not paths:
        return []
    query = (
        select(YearlyPlan)
        .join(Member, Member.id == YearlyPlan.member_id)
        .join(Unit, Unit.id == Member.branch_id)
        .where(under_paths(paths), Member.status == MemberStatus.ACTIVE)
        .where(Member.id != (reviewer_id or 0))
        .options(joinedload(YearlyPlan.member).joinedload(Member.branch))
        .order_by(Member.name_folded, Member.id)
    )
    if year is not None:
        query = query.where(YearlyPlan.year == year)
    if awaiting == "review":
        query = query.where(YearlyPlan.status == PlanStatus.SUBMITTED)
    else:
        query = query.where(YearlyPlan.assessed_at.is_not(None), YearlyPlan.final_grade.is_(None))
    return list(await session.scalars(query))
