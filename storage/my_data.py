"""What the bot keeps about one member beyond their roster entry, for /me.

The data rules say members see what is stored about them: the roster entry alone hides the
residence address, the yearly plans and grades, meeting answers and attendance, notice
receipts and survey answers. This gathers the current residence tie and a count of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Grade,
    MeetingInvite,
    NoticeReceipt,
    PlanStatus,
    ResidenceActivity,
    ResidenceComment,
    ResidenceExemption,
    ResidenceTie,
    SurveyParticipation,
    SurveyResponse,
    YearlyPlan,
)
from storage.residence import current_exemption, current_tie


@dataclass(frozen=True)
class YearOnRecord:
    year: int
    status: PlanStatus
    grade: Grade | None


@dataclass(frozen=True)
class StoredAbout:
    tie: ResidenceTie | None  # the current one, with its residence branch
    exemption: ResidenceExemption | None
    older_ties: int  # ended by a move, kept as history
    activities: int
    residence_comments: int
    plans: list[YearOnRecord]  # newest first
    meeting_invites: int
    meeting_answers: int
    attendance_records: int
    notices: int
    notices_acknowledged: int
    surveys_answered: int
    named_answers: int  # answer sets linked to the member (anonymous ones never are)


def _count(model: Any, member_id: int, *conditions: Any) -> Any:
    return (
        select(func.count())
        .select_from(model)
        .where(model.member_id == member_id, *conditions)
        .scalar_subquery()
    )


async def stored_about(session: AsyncSession, member_id: int) -> StoredAbout:
    counts = (
        await session.execute(
            select(
                _count(ResidenceTie, member_id, ResidenceTie.ended_at.is_not(None)),
                _count(ResidenceActivity, member_id),
                _count(ResidenceComment, member_id),
                _count(MeetingInvite, member_id),
                _count(MeetingInvite, member_id, MeetingInvite.answer.is_not(None)),
                _count(MeetingInvite, member_id, MeetingInvite.attendance.is_not(None)),
                _count(NoticeReceipt, member_id),
                _count(NoticeReceipt, member_id, NoticeReceipt.acknowledged_at.is_not(None)),
                _count(SurveyParticipation, member_id),
                _count(SurveyResponse, member_id),
            )
        )
    ).one()
    plans = await session.execute(
        select(YearlyPlan.year, YearlyPlan.status, YearlyPlan.final_grade)
        .where(YearlyPlan.member_id == member_id)
        .order_by(YearlyPlan.year.desc())
    )
    (older_ties, activities, comments, invites, answers, attendance) = counts[:6]
    notices, acknowledged, surveys, named = counts[6:]
    return StoredAbout(
        tie=await current_tie(session, member_id),
        exemption=await current_exemption(session, member_id),
        older_ties=older_ties,
        activities=activities,
        residence_comments=comments,
        plans=[YearOnRecord(year, status, grade) for year, status, grade in plans],
        meeting_invites=invites,
        meeting_answers=answers,
        attendance_records=attendance,
        notices=notices,
        notices_acknowledged=acknowledged,
        surveys_answered=surveys,
        named_answers=named,
    )
