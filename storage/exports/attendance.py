"""The meeting attendance dataset: one row per invited member of each meeting held."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.exports.dataset import (
    N_,
    Column,
    Dataset,
    ExportScope,
    Kind,
    Row,
    in_scope,
    stream_batches,
)
from storage.models import (
    Attendance,
    Meeting,
    MeetingAnswer,
    MeetingInvite,
    MeetingKind,
    Member,
    Unit,
)

KIND_LABELS = {
    MeetingKind.REGULAR.value: N_("Regular monthly meeting"),
    MeetingKind.THEMATIC.value: N_("Thematic meeting"),
    MeetingKind.COMMITTEE.value: N_("Committee meeting"),
    MeetingKind.EXTRAORDINARY.value: N_("Extraordinary meeting"),
    MeetingKind.ONLINE.value: N_("Online meeting"),
}
ANSWER_LABELS = {
    MeetingAnswer.ATTENDING.value: N_("Attending"),
    MeetingAnswer.ABSENT.value: N_("Absent"),
}
ATTENDANCE_LABELS = {
    Attendance.PRESENT.value: N_("Present"),
    Attendance.EXCUSED.value: N_("Excused absence"),
    Attendance.UNEXCUSED.value: N_("Unexcused absence"),
}
COLUMNS = (
    Column(N_("Meeting time"), Kind.DATETIME, width=17),
    Column(N_("Kind of meeting"), width=26, labels=KIND_LABELS),
    Column(N_("Unit"), width=28),
    Column(N_("Full name"), width=28),
    Column(N_("Branch"), width=28),
    Column(N_("Answer"), width=12, labels=ANSWER_LABELS),
    Column(N_("Reason"), width=30),
    Column(N_("Attendance"), width=20, labels=ATTENDANCE_LABELS),
)


async def attendance_dataset(session: AsyncSession, scope: ExportScope) -> Dataset:
    """Meetings of units at or under the scope (not cancelled), each invited member a row;
    attendance is empty until the secretary has recorded it."""
    branch = aliased(Unit)
    query = (
        select(
            Meeting.starts_at,
            Meeting.kind,
            Unit.name,
            Member.full_name,
            branch.name,
            MeetingInvite.answer,
            MeetingInvite.reason,
            MeetingInvite.attendance,
        )
        .join(Unit, Unit.id == Meeting.unit_id)
        .join(MeetingInvite, MeetingInvite.meeting_id == Meeting.id)
        .join(Member, Member.id == MeetingInvite.member_id)
        .join(branch, branch.id == Member.branch_id)
        .where(in_scope(Unit.path, scope), Meeting.cancelled_at.is_(None))
        .order_by(Meeting.starts_at, Meeting.id, Member.name_folded, Member.id)
    )

    def convert(row: Any) -> Row:
        return tuple(row)

    return Dataset(N_("Meeting attendance"), COLUMNS, stream_batches(session, query, convert))
