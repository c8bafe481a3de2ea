"""Meetings: who is invited, their answers until the meeting starts, attendance afterwards,
and the yearly count of unexcused absences the Party Charter cares about."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any, cast

from sqlalchemy import ColumnElement, CompoundSelect, Select, Table, and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from storage.hosted import hosted_under
from storage.models import (
    AttachmentKind,
    Attendance,
    Meeting,
    MeetingAnswer,
    MeetingAudience,
    MeetingInvite,
    MeetingKind,
    Member,
    MemberStatus,
    ResidenceTie,
    RoleAssignment,
    TelegramAccount,
    TieStatus,
    Unit,
)
from storage.notices import Recipient
from storage.standing import is_counted

RECENT_MEETINGS = 10
INVITE_CHUNK = 1000  # rows per INSERT: two parameters each, far below any driver's limit


@dataclass(frozen=True)
class Invitee:
    member: Member
    account: TelegramAccount | None  # None: never linked to Telegram
    invite: MeetingInvite
    branch_path: str = ""  # of the member's own branch

    def belongs_to(self, meeting: Meeting) -> bool:
        """A member of the meeting's unit, not someone invited as a resident of the area."""
        return self.branch_path.startswith(meeting.unit.path)


@dataclass(frozen=True)
class MemberAttendance:
    member: Member
    counts: Counter[Attendance]  # at meetings of their own branch (or a committee over it)
    unexcused_months: int


@dataclass(frozen=True)
class NewMeeting:
    unit_id: int
    kind: MeetingKind
    audience: MeetingAudience
    starts_at: datetime
    place: str
    agenda: str
    created_by_member_id: int | None
    attachment: tuple[str, AttachmentKind] | None = None


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops it


def has_started(meeting: Meeting, now: datetime) -> bool:
    return aware(meeting.starts_at) <= now


async def audience(
    session: AsyncSession, unit: Unit, who: MeetingAudience, on: date
) -> list[Recipient]:
    """Members taking part on `on` invited (not those exempt or away: docs/populations.md):
    all of the unit's branches, with those temporarily transferred in (and, if asked, the
    members tied to them by residence), or those with a role on the unit."""
    query = (
        select(Member, TelegramAccount)
        .outerjoin(TelegramAccount, TelegramAccount.user_id == Member.telegram_user_id)
        .where(Member.status == MemberStatus.ACTIVE)
        .order_by(Member.name_folded, Member.id)
    )
    if who == MeetingAudience.COMMITTEE:
        holders = select(RoleAssignment.member_id).where(RoleAssignment.unit_id == unit.id)
        query = query.where(Member.id.in_(holders), is_counted("invitations", on))
    else:
        on_roster = select(Member.id).join(Unit, Unit.id == Member.branch_id)
        members: Select[Any] | CompoundSelect[Any] = on_roster.where(
            Unit.path.startswith(unit.path)
        )
        if who == MeetingAudience.WITH_RESIDENTS:
            members = on_roster.where(Unit.path.startswith(unit.path)).union(_residents(unit))
        taking_part = and_(Member.id.in_(members), is_counted("invitations", on))
        query = query.where(or_(taking_part, Member.id.in_(hosted_under(unit.path, on))))
    return [Recipient(m, a) for m, a in await session.execute(query)]


def _residents(unit: Unit) -> Select[Any]:
    """Members whose current, confirmed residence tie is to a branch at or under `unit`."""
    return (
        select(ResidenceTie.member_id)
        .join(Unit, Unit.id == ResidenceTie.residence_branch_id)
        .where(
            Unit.path.startswith(unit.path),
            ResidenceTie.status == TieStatus.CONFIRMED,
            ResidenceTie.ended_at.is_(None),
        )
    )


async def add_meeting(session: AsyncSession, new: NewMeeting, member_ids: Sequence[int]) -> Meeting:
    """The meeting and an invite for each of `member_ids`, flushed for their ids."""
    file_id, kind = new.attachment or (None, None)
    meeting = Meeting(
        unit_id=new.unit_id,
        kind=new.kind,
        audience=new.audience,
        starts_at=new.starts_at,
        place=new.place,
        agenda=new.agenda,
        attachment_file_id=file_id,
        attachment_kind=kind,
        created_by_member_id=new.created_by_member_id,
    )
    session.add(meeting)
    await session.flush()
    invites = cast(Table, MeetingInvite.__table__)
    for start in range(0, len(member_ids), INVITE_CHUNK):  # Core rows, no ORM objects
        chunk = member_ids[start : start + INVITE_CHUNK]
        rows = [{"meeting_id": meeting.id, "member_id": m} for m in chunk]
        await session.execute(insert(invites).values(rows))
    return meeting


async def get_meeting(session: AsyncSession, meeting_id: int) -> Meeting | None:
    query = select(Meeting).where(Meeting.id == meeting_id).options(joinedload(Meeting.unit))
    return await session.scalar(query)


async def invite_of(
    session: AsyncSession, meeting_id: int, member_id: int, *, lock: bool = False
) -> MeetingInvite | None:
    """The member's invite; `lock` for answering it, so that two answers at once (two
    phones) are taken one after the other, each seeing the one before (PostgreSQL)."""
    query = select(MeetingInvite).where(
        MeetingInvite.meeting_id == meeting_id, MeetingInvite.member_id == member_id
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def invitees(session: AsyncSession, meeting_id: int) -> list[Invitee]:
    """Everyone invited, by name, with their account (for messages) and their answer."""
    query = (
        select(Member, TelegramAccount, MeetingInvite, Unit.path)
        .join(MeetingInvite, MeetingInvite.member_id == Member.id)
        .join(Unit, Unit.id == Member.branch_id)
        .outerjoin(TelegramAccount, TelegramAccount.user_id == Member.telegram_user_id)
        .where(MeetingInvite.meeting_id == meeting_id)
        .order_by(Member.name_folded, Member.id)
    )
    return [Invitee(m, a, i, path) for m, a, i, path in await session.execute(query)]


def reachable(people: Sequence[Invitee]) -> list[Invitee]:
    """Those a message can go to: active, linked to Telegram."""
    return [
        p
        for p in people
        if p.account is not None
        and p.member.telegram_user_id
        and p.member.status == MemberStatus.ACTIVE
    ]


def record_answer(
    invite: MeetingInvite, answer: MeetingAnswer, reason: str | None, now: datetime
) -> None:
    invite.answer = answer
    invite.reason = reason if answer == MeetingAnswer.ABSENT else None
    invite.answered_at = now


def to_remind(people: Sequence[Invitee]) -> list[Invitee]:
    """Reminders go to those attending and those who have not answered; not to the absent."""
    return [p for p in reachable(people) if p.invite.answer != MeetingAnswer.ABSENT]


def prefill_attendance(people: Sequence[Invitee], meeting: Meeting) -> None:
    """Attendance from the answers, where not yet set: attending means present, absent with
    a reason excused; a member of the unit who did not answer is an unexcused absence until
    the secretary says otherwise. A resident of the area who did not answer stays unset: their
    own branch, not this one, keeps their record."""
    for person in people:
        invite = person.invite
        if invite.attendance is not None:
            continue
        if invite.answer == MeetingAnswer.ATTENDING:
            invite.attendance = Attendance.PRESENT
        elif invite.answer == MeetingAnswer.ABSENT and invite.reason:
            invite.attendance = Attendance.EXCUSED
        elif person.belongs_to(meeting):
            invite.attendance = Attendance.UNEXCUSED


NEXT_ATTENDANCE = {
    Attendance.PRESENT: Attendance.EXCUSED,
    Attendance.EXCUSED: Attendance.UNEXCUSED,
    Attendance.UNEXCUSED: Attendance.PRESENT,
}


async def get_invite(session: AsyncSession, invite_id: int) -> MeetingInvite | None:
    return await session.get(MeetingInvite, invite_id)


def year_bounds(year: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """The calendar year in the organisation's time zone, as UTC moments."""
    start = datetime(year, 1, 1, tzinfo=tz).astimezone(UTC)
    return start, datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC)


def counted_meetings(year: int, tz: tzinfo) -> ColumnElement[bool]:
    """Meetings of `year` whose attendance was recorded (cancelled ones never are)."""
    start, end = year_bounds(year, tz)
    return and_(
        Meeting.cancelled_at.is_(None),
        Meeting.attendance_recorded_at.is_not(None),
        Meeting.starts_at >= start,
        Meeting.starts_at < end,
    )


def own_branch_meetings() -> tuple[Any, ColumnElement[bool]]:
    """The member's branch (an alias to join) and the condition that the meeting's unit is
    that branch or a committee over it: residence meetings elsewhere are not counted."""
    branch = aliased(Unit)
    meeting_unit = aliased(Unit)
    own = and_(
        meeting_unit.id == Meeting.unit_id,
        branch.id == Member.branch_id,
        branch.path.startswith(meeting_unit.path),
    )
    return (branch, meeting_unit), own


async def unexcused_months(
    session: AsyncSession, member_ids: Sequence[int], year: int, tz: tzinfo
) -> dict[int, int]:
    """Per member: the months of `year` (local) with an unexcused absence from a recorded
    meeting of their own branch. The Party Charter counts months ("bỏ sinh hoạt chi bộ ba
    tháng trong năm"), not meetings: a thematic and a regular meeting missed in one month
    are one month."""
    if not member_ids:
        return {}
    (branch, meeting_unit), own = own_branch_meetings()
    query = (
        select(MeetingInvite.member_id, Meeting.starts_at)
        .join(Meeting, Meeting.id == MeetingInvite.meeting_id)
        .join(Member, Member.id == MeetingInvite.member_id)
        .join(branch, branch.id == Member.branch_id)
        .join(meeting_unit, meeting_unit.id == Meeting.unit_id)
        .where(
            MeetingInvite.member_id.in_(member_ids),
            MeetingInvite.attendance == Attendance.UNEXCUSED,
            counted_meetings(year, tz),
            own,
        )
    )
    months: dict[int, set[int]] = {}
    for member_id, starts_at in await session.execute(query):
        months.setdefault(member_id, set()).add(aware(starts_at).astimezone(tz).month)
    return {member_id: len(found) for member_id, found in months.items()}


async def member_history(
    session: AsyncSession, member_id: int, limit: int = RECENT_MEETINGS
) -> list[tuple[Meeting, MeetingInvite]]:
    """The member's meetings with recorded attendance, newest first."""
    query = (
        select(Meeting, MeetingInvite)
        .join(MeetingInvite, MeetingInvite.meeting_id == Meeting.id)
        .where(
            MeetingInvite.member_id == member_id,
            Meeting.attendance_recorded_at.is_not(None),
            Meeting.cancelled_at.is_(None),
        )
        .order_by(Meeting.starts_at.desc())
        .limit(limit)
    )
    return [(m, i) for m, i in await session.execute(query)]


async def attendance_by_member(
    session: AsyncSession, unit_path: str, year: int, tz: tzinfo
) -> list[MemberAttendance]:
    """Per member of the unit's branches: present / excused / unexcused in `year` at meetings
    of their own branch (or a committee over it), and the months with an unexcused absence."""
    (branch, meeting_unit), own = own_branch_meetings()
    query = (
        select(Member, MeetingInvite.attendance)
        .join(MeetingInvite, MeetingInvite.member_id == Member.id)
        .join(Meeting, Meeting.id == MeetingInvite.meeting_id)
        .join(branch, branch.id == Member.branch_id)
        .join(meeting_unit, meeting_unit.id == Meeting.unit_id)
        .where(branch.path.startswith(unit_path), counted_meetings(year, tz), own)
        .order_by(Member.name_folded, Member.id)
    )
    totals: dict[int, tuple[Member, Counter[Attendance]]] = {}
    for member, attendance in await session.execute(query):
        entry = totals.setdefault(member.id, (member, Counter()))
        if attendance is not None:
            entry[1][attendance] += 1
    months = await unexcused_months(session, list(totals), year, tz)
    return [MemberAttendance(m, c, months.get(m.id, 0)) for m, c in totals.values()]


async def upcoming_for_member(
    session: AsyncSession, member_id: int, now: datetime
) -> list[tuple[Meeting, MeetingInvite]]:
    """Meetings the member is invited to that have not started, soonest first."""
    query = (
        select(Meeting, MeetingInvite)
        .join(MeetingInvite, MeetingInvite.meeting_id == Meeting.id)
        .where(
            MeetingInvite.member_id == member_id,
            Meeting.cancelled_at.is_(None),
            Meeting.starts_at > now,
        )
        .order_by(Meeting.starts_at)
        .options(joinedload(Meeting.unit))
    )
    return [(m, i) for m, i in await session.execute(query)]


async def meetings_of(
    session: AsyncSession, unit_paths: set[str], now: datetime, limit: int = RECENT_MEETINGS
) -> list[Meeting]:
    """The units' meetings to come (soonest first), then the latest past ones."""
    if not unit_paths:
        return []
    under = or_(*(Unit.path.startswith(path) for path in unit_paths))
    base = (
        select(Meeting)
        .join(Unit, Unit.id == Meeting.unit_id)
        .where(under, Meeting.cancelled_at.is_(None))
        .options(joinedload(Meeting.unit))
    )
    coming = await session.scalars(
        base.where(Meeting.starts_at > now).order_by(Meeting.starts_at).limit(limit)
    )
    past = await session.scalars(
        base.where(Meeting.starts_at <= now).order_by(Meeting.starts_at.desc()).limit(limit)
    )
    return [*coming, *past]
