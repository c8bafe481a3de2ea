"""Admission (kết nạp) and probation: a new member is probationary from the admission date;
12 months later the branch records the outcome (recognised as official, or not). Reminders
to the branch secretary are stored jobs; the admission rate is one figure of the scorecard.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import schedule
from storage.counted import Snapshot, counted_on
from storage.models import Member, MemberStanding, Standing, Unit
from storage.standing import (
    ENDS,
    PROBATION_MONTHS,
    Change,
    StandingError,
    history,
    keep_flag_as_base,
    record_change,
    status_of,
)
from storage.text import clean_name, fold, normalize_phone

KIND = "probation_reminder"
ADMISSION_TARGET = 0.03  # Lâm Đồng's programme: 3-4% of members a year


def probation_end(admitted_on: date) -> date:
    """The day the 12 months of probation are complete (29 February: the 28th)."""
    months = admitted_on.month - 1 + PROBATION_MONTHS
    year, month = admitted_on.year + months // 12, months % 12 + 1
    for day in (admitted_on.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def month_before(day: date) -> date:
    month = day.month - 1 or 12
    year = day.year - (1 if day.month == 1 else 0)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Admission:
    full_name: str
    phone: str
    admitted_on: date
    decision_no: str | None


async def admit(
    session: AsyncSession,
    branch: Unit,
    new: Admission,
    *,
    by_member_id: int | None,
    by_label: str | None = None,
    today: date,
) -> Member:
    """Adds the member to the branch's roster as probationary from the admission date.

    The roster lists party members (docs/populations.md, "Admission"): an admitted person is
    new to it, so a phone already on a roster is refused. The one exception is a former
    member whose record is kept for its history (removed, transferred out): re-admitted
    (kết nạp lại), they start a new probation on that record, after the day they left."""
    owner = await phone_owner(session, new.phone, today)
    if owner is not None and not owner.former:
        raise StandingError("phone_taken")
    if owner is not None:
        member = await _readmit(session, owner, branch, new.admitted_on)
    else:
        member = await _new_member(session, branch, new)
    change = Change(
        Standing.PROBATIONARY,
        new.admitted_on,
        decision_no=new.decision_no,
        by_member_id=by_member_id,
        by_label=by_label,
    )
    await record_change(session, member, change, today)
    return member


@dataclass(frozen=True)
class PhoneOwner:
    """Who a phone number already belongs to, and their standing today."""

    member: Member
    standing: Standing | None  # None: admitted from a later date
    left_on: date | None = None  # a former member: the day they left the roster

    @property
    def former(self) -> bool:
        return self.standing in ENDS


async def phone_owner(session: AsyncSession, raw_phone: str, today: date) -> PhoneOwner | None:
    """The member with this phone number, if any (raises "phone_invalid" for no number)."""
    phone = normalize_phone(raw_phone)
    if phone is None:
        raise StandingError("phone_invalid")
    member = await session.scalar(select(Member).where(Member.phone == phone))
    if member is None:
        return None
    standing = await status_of(session, member.id, today)
    left_on = None
    if standing in ENDS:
        ends = [p for p in await history(session, member.id) if p.status in ENDS]
        left_on = ends[-1].valid_from if ends else None
    return PhoneOwner(member, standing, left_on)


async def _new_member(session: AsyncSession, branch: Unit, new: Admission) -> Member:
    phone = normalize_phone(new.phone)
    assert phone is not None  # checked by phone_owner
    name = clean_name(new.full_name)  # NFC, single spaces, as the roster import stores names
    member = Member(full_name=name, name_folded=fold(name), phone=phone, branch_id=branch.id)
    session.add(member)
    await session.flush()
    return member


async def _readmit(
    session: AsyncSession, owner: PhoneOwner, branch: Unit, admitted_on: date
) -> Member:
    """The former member's record joins the branch; their history stays as it was (an
    unrecorded departure is written down first, so the new probation does not hide it)."""
    if owner.left_on is not None and admitted_on <= owner.left_on:
        raise StandingError("admitted_before_leaving")
    member = owner.member
    await keep_flag_as_base(session, member)
    member.branch_id = branch.id
    return member


def reminder_key(member_id: int, which: str) -> str:
    return f"probation:{member_id}:{which}"


async def schedule_reminders(
    session: AsyncSession, member_id: int, admitted_on: date, tz: tzinfo, hour: int
) -> None:
    """A reminder a month before the probation ends and one on the day."""
    end = probation_end(admitted_on)
    for which, day in (("before", month_before(end)), ("due", end)):
        # In UTC: SQLite keeps no time zone, and the scheduler compares UTC moments.
        due = datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)
        payload = {"member_id": member_id, "which": which}
        await schedule.schedule(session, KIND, reminder_key(member_id, which), due, payload)


async def on_probation(session: AsyncSession, member_id: int, today: date) -> MemberStanding | None:
    """The member's open probation period, if the outcome is still to be recorded."""
    if await status_of(session, member_id, today) not in (Standing.PROBATIONARY, Standing.EXEMPT):
        return None
    h = MemberStanding
    query = (
        select(h)
        .where(h.member_id == member_id, h.status == Standing.PROBATIONARY, h.valid_to.is_(None))
        .order_by(h.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def record_outcome(
    session: AsyncSession,
    member: Member,
    recognised: bool,
    on: date,
    *,
    by_member_id: int | None,
    today: date,
    decision_no: str | None = None,
) -> MemberStanding:
    """Recognised: official from `on`. Not recognised: struck off the roster (xóa tên) from
    `on`. The reminders stop."""
    probation = await on_probation(session, member.id, today)
    if probation is None:
        raise StandingError("not_on_probation")
    if probation.valid_from is not None and on < probation.valid_from:
        raise StandingError("ends_before_start")
    status = Standing.OFFICIAL if recognised else Standing.REMOVED
    change = Change(
        status,
        on,
        detail=None if recognised else "xoa_ten",
        decision_no=decision_no,
        by_member_id=by_member_id,
    )
    row = await record_change(session, member, change, today)
    await schedule.cancel_prefix(session, f"probation:{member.id}:")
    return row


async def admissions_by_branch(
    session: AsyncSession, unit_path: str, year: int, at: date, snapshot: Snapshot | None = None
) -> dict[int, tuple[int, int]]:
    """Per branch at or under the unit: (admitted in `year` up to `at`, members on the roster
    on 1 January), docs/populations.md "admission_base". `snapshot`: the standings of the
    report's date, whose members without history stand the same on 1 January."""
    return admissions_from(await session.execute(admissions_query(unit_path, year, at, snapshot)))


def admissions_query(
    unit_path: str, year: int, at: date, snapshot: Snapshot | None = None
) -> CompoundSelect[Any]:
    """The statement `admissions_by_branch` runs (rows: branch id, count, admitted or not),
    for a report that keeps its statements for reuse; `admissions_from` reads its rows."""
    h = MemberStanding
    admitted = (
        select(h.branch_id, func.count(func.distinct(h.member_id)))
        .join(Unit, Unit.id == h.branch_id)
        .where(
            Unit.path.startswith(unit_path),
            h.status == Standing.PROBATIONARY,
            h.valid_from >= date(year, 1, 1),
            h.valid_from <= at,
            ~_carried_on(h),
        )
        .group_by(h.branch_id)
    )
    base = counted_on(unit_path, "admission_base", date(year, 1, 1), snapshot)
    members = select(base.c.branch_id, func.count()).group_by(base.c.branch_id)
    both = union_all(  # one round trip
        members.add_columns(literal(False).label("admitted")),
        admitted.add_columns(literal(True).label("admitted")),
    )
    return both


def admissions_from(rows: Iterable[Any]) -> dict[int, tuple[int, int]]:
    result: dict[int, tuple[int, int]] = {}
    for branch_id, count, is_admitted in rows:
        done, total = result.get(branch_id, (0, 0))
        result[branch_id] = (int(count), total) if is_admitted else (done, int(count))
    return result


def _carried_on(h: type[MemberStanding]) -> ColumnElement[bool]:
    """A probation period that goes on from one ending that day (a probationary member
    transferred to another branch): an admission is counted once, where it was made."""
    before = aliased(MemberStanding)
    return (
        select(before.id)
        .where(
            before.member_id == h.member_id,
            before.status == Standing.PROBATIONARY,
            before.valid_to == h.valid_from,
            before.id != h.id,
        )
        .exists()
    )
