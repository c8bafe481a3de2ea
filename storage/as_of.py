"""What a member's records looked like at the end of a past day, for the figures of a date.

The population of a figure comes from the standing history (storage/standing.py); what that
population *did* comes from rows that change later: a plan is handed in, reviewed and graded,
a residence tie is registered, decided or replaced, an exemption lifted, a comment sent, an
answer given, attendance recorded. Each condition below reads those rows as they stood before
`end` (the first moment after the day the figure is for, `day_end`), from the timestamps the
rows keep, so a scorecard for 31/12/2026 run in March 2027 gives the numbers it gave on
31/12/2026 (docs/populations.md, "Figures at a past date").

A timestamp nobody recorded (rows from before it was kept, or written by a tool) counts as
"long ago", as a standing period without a start date does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, literal, null, or_, select

from storage.models import (
    Grade,
    PlanRevision,
    PlanStatus,
    TieStatus,
    YearlyPlan,
)

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # the figures' days are local days (domain.md)
HANDED_IN = (PlanStatus.SUBMITTED, PlanStatus.ACCEPTED, PlanStatus.RETURNED)
REVIEWED = (PlanStatus.ACCEPTED, PlanStatus.RETURNED)


def day_end(at: date, tz: tzinfo | None = None) -> datetime:
    """The first moment after the local day `at`, in UTC (SQLite keeps no time zone, and
    every stored moment is UTC)."""
    local = datetime.combine(at + timedelta(days=1), time(), tzinfo=tz or LOCAL_TZ)
    return local.astimezone(UTC)


def recorded_by(moment: Any, end: datetime) -> ColumnElement[bool]:
    """`moment` (a timestamp column) is before `end`, or was never recorded."""
    return or_(moment.is_(None), moment < end)


def first_submissions() -> Any:
    """`plan_id`, `first` (the moment of its first submission in the plan history): joined
    by a report over many plans instead of asking per plan (`plan_status_at`)."""
    return (
        select(PlanRevision.plan_id, func.min(PlanRevision.at).label("first"))
        .where(PlanRevision.event == "submitted")
        .group_by(PlanRevision.plan_id)
        .subquery("first_submissions")
    )


def plan_status_at(end: datetime, first: Any = None) -> ColumnElement[PlanStatus | None]:
    """The plan's status (of the outer `YearlyPlan` row) before `end`: handed in only from
    its first submission (the history's, else `submitted_at`); accepted or returned only from
    the review. Before the first submission it was a draft. A plan edited back to a draft
    after `end` is counted as it is now (no history of edits is kept; the season closes
    editing before the year's figures are final). `first`: the first submission's
    column of `first_submissions` where the query joins it (default: asked per plan)."""
    if first is None:
        first = (
            select(func.min(PlanRevision.at))
            .where(PlanRevision.plan_id == YearlyPlan.id, PlanRevision.event == "submitted")
            .scalar_subquery()
        )
    handed_in = recorded_by(func.coalesce(first, YearlyPlan.submitted_at), end)
    reviewed_later = and_(YearlyPlan.reviewed_at.is_not(None), YearlyPlan.reviewed_at >= end)
    status_type = YearlyPlan.status.type
    return case(
        (YearlyPlan.status.not_in(HANDED_IN), YearlyPlan.status),
        (~handed_in, literal(PlanStatus.DRAFT, status_type)),
        (
            and_(YearlyPlan.status.in_(REVIEWED), reviewed_later),
            literal(PlanStatus.SUBMITTED, status_type),
        ),
        else_=YearlyPlan.status,
    )


def grade_at(end: datetime) -> ColumnElement[Grade | None]:
    """The committee's final grade, if given before `end` (a grade is given once)."""
    graded = recorded_by(YearlyPlan.graded_at, end)
    return case((graded, YearlyPlan.final_grade), else_=null())


def tie_current_at(tie: Any, end: datetime) -> ColumnElement[bool]:
    """The tie the member had before `end`: registered by then and not yet replaced (a new
    tie ends the old one at the moment it is made, so there is at most one)."""
    return and_(
        tie.created_at < end,
        or_(tie.ended_at.is_(None), tie.ended_at >= end),
    )


def tie_registered_at(tie: Any, end: datetime) -> ColumnElement[bool]:
    """The tie counted as registered then: any but one declined before `end`."""
    declined = and_(tie.status == TieStatus.DECLINED, recorded_by(tie.decided_at, end))
    return and_(tie.id.is_not(None), ~declined)


def tie_confirmed_at(tie: Any, end: datetime) -> ColumnElement[bool]:
    return and_(tie.status == TieStatus.CONFIRMED, recorded_by(tie.decided_at, end))


def exemption_current_at(exemption: Any, end: datetime) -> ColumnElement[bool]:
    """The residence exemption in force before `end` (lifted ones keep `ended_at`)."""
    return and_(
        exemption.created_at < end,
        or_(exemption.ended_at.is_(None), exemption.ended_at >= end),
    )


def comment_sent_by(comment: Any, end: datetime) -> ColumnElement[bool]:
    return and_(comment.sent_at < end)
