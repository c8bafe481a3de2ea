"""Yearly plan figures for committees: counts per branch and per committee against the
targets, who is missing, who should hear about a plan, and rows to export."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.as_of import day_end, grade_at, plan_status_at
from storage.counted import Snapshot, counted_members
from storage.hosted import hosted_in
from storage.models import (
    Grade,
    Member,
    MemberStatus,
    PlanStatus,
    Role,
    RoleAssignment,
    TelegramAccount,
    Unit,
    YearlyPlan,
)
from storage.plan_seasons import ancestor_ids
from storage.standing import is_counted, year_date
from storage.units import branches_under

SUBMITTED_TARGET = 1.0  # every member hands in a plan and commitment
GOOD_OR_BETTER_TARGET = 0.9  # of members graded "good" or better
GOOD_OR_BETTER = (Grade.EXCELLENT, Grade.GOOD)
COMMITTEE_ROLES = (Role.SECRETARY, Role.DEPUTY_SECRETARY, Role.COMMITTEE_MEMBER)


@dataclass
class PlanCounts:
    """Where a group of active members stands with their plans in one year."""

    members: int = 0
    submitted: int = 0  # awaiting review
    accepted: int = 0
    returned: int = 0
    missing: int = 0  # no plan, or a draft never (re)submitted
    grades: Counter[Grade] = field(default_factory=Counter)

    def add(self, status: PlanStatus | None, grade: Grade | None, count: int = 1) -> None:
        """`count` members whose plan has this status and grade."""
        self.members += count
        if status == PlanStatus.SUBMITTED:
            self.submitted += count
        elif status == PlanStatus.ACCEPTED:
            self.accepted += count
        elif status == PlanStatus.RETURNED:
            self.returned += count
        else:
            self.missing += count
        if grade is not None:
            self.grades[grade] += count

    def merge(self, other: PlanCounts) -> None:
        self.members += other.members
        self.submitted += other.submitted
        self.accepted += other.accepted
        self.returned += other.returned
        self.missing += other.missing
        self.grades.update(other.grades)

    @property
    def handed_in(self) -> int:
        """Members whose plan reached the committee (awaiting, accepted or returned)."""
        return self.members - self.missing

    @property
    def handed_in_share(self) -> float:
        return self.handed_in / self.members if self.members else 0.0

    @property
    def good_or_better_share(self) -> float:
        good = sum(self.grades[g] for g in GOOD_OR_BETTER)
        return good / self.members if self.members else 0.0

    @property
    def meets_submission_target(self) -> bool:
        return self.members > 0 and self.handed_in_share >= SUBMITTED_TARGET

    @property
    def meets_grade_target(self) -> bool:
        return self.members > 0 and self.good_or_better_share >= GOOD_OR_BETTER_TARGET


async def _member_rows(
    session: AsyncSession, unit_path: str, year: int, on: date | None = None
) -> list[tuple[Unit, Member, YearlyPlan | None]]:
    # Population: docs/populations.md, "plans_handed_in" (members taking part on the date,
    # at the branch they were on then).
    counted = counted_members(unit_path, "plans_handed_in", year_date(year, on))
    query = (
        select(Unit, Member, YearlyPlan)
        .select_from(counted)
        .join(Unit, Unit.id == counted.c.branch_id)
        .join(Member, Member.id == counted.c.member_id)
        .outerjoin(YearlyPlan, (YearlyPlan.member_id == Member.id) & (YearlyPlan.year == year))
        .order_by(Unit.name_folded, Unit.id, Member.name_folded, Member.id)
    )
    return [(u, m, p) for u, m, p in await session.execute(query)]


async def counts_by_branch(
    session: AsyncSession,
    unit_path: str,
    year: int,
    on: date | None = None,
    snapshot: Snapshot | None = None,
) -> dict[int, PlanCounts]:
    """Branch id -> counts, for each branch at or under the unit with members counted on
    `on` (default: the year's last day); counted in SQL, grouped by branch, status and
    grade."""
    at = year_date(year, on)
    counted = counted_members(unit_path, "plans_handed_in", at, snapshot=snapshot)
    plan = and_(YearlyPlan.member_id == counted.c.member_id, YearlyPlan.year == year)
    # The plan and grade as they stood at the end of that day (storage/as_of.py).
    status, grade = plan_status_at(day_end(at)), grade_at(day_end(at))
    query = (
        select(counted.c.branch_id, status, grade, func.count())
        .select_from(counted)
        .outerjoin(YearlyPlan, plan)
        .group_by(counted.c.branch_id, status, grade)
    )
    counts: dict[int, PlanCounts] = {}
    for branch_id, status, grade, count in await session.execute(query):
        counts.setdefault(branch_id, PlanCounts()).add(status, grade, int(count))
    return counts


async def branch_counts(
    session: AsyncSession, unit_path: str, year: int, on: date | None = None
) -> list[tuple[Unit, PlanCounts]]:
    """Counts for each branch at or under the unit (branches without members left out), by
    name, of the members counted on `on` (default: the year's last day)."""
    counts = await counts_by_branch(session, unit_path, year, on)
    branches = await branches_under(session, {unit_path})
    return [(b, counts[b.id]) for b in branches if b.id in counts]


async def unit_counts(
    session: AsyncSession, unit_path: str, year: int, on: date | None = None
) -> PlanCounts:
    """Counts over every branch at or under the unit: a branch, or a whole committee."""
    total = PlanCounts()
    for _branch, counts in await branch_counts(session, unit_path, year, on):
        total.merge(counts)
    return total


@dataclass(frozen=True)
class Person:
    member: Member
    account: TelegramAccount | None


async def missing_members(
    session: AsyncSession, branch_id: int, year: int, on: date | None = None
) -> list[Person]:
    """Members of the branch taking part on `on` (not exempt: they are not reminded), and
    those temporarily transferred in to it (storage/hosted.py), who have not handed in their
    plan of the year, by name."""
    at = year_date(year, on)
    own = and_(Member.branch_id == branch_id, is_counted("plans_handed_in", at))
    has_plan = exists().where(  # not NOT IN: see storage/surveys.py `_not_answered`
        YearlyPlan.member_id == Member.id,
        YearlyPlan.year == year,
        YearlyPlan.status != PlanStatus.DRAFT,
    )
    query = (
        select(Member, TelegramAccount)
        .outerjoin(TelegramAccount, TelegramAccount.user_id == Member.telegram_user_id)
        .where(
            or_(own, Member.id.in_(hosted_in(branch_id, at))),  # and those away here
            Member.status == MemberStatus.ACTIVE,
            ~has_plan,
        )
        .order_by(Member.name_folded, Member.id)
    )
    return [Person(m, a) for m, a in await session.execute(query)]


async def committee_of(
    session: AsyncSession,
    branch: Unit,
    roles: tuple[Role, ...] = COMMITTEE_ROLES,
    *,
    excluding: int | None = None,
) -> list[Person]:
    """Active, linked holders of `roles` on the branch; if it has none, on its nearest
    ancestor that has some (a branch without its own committee answers to the one above).
    The member `excluding` (the author of what they are told about) does not count: a
    secretary who is the branch's only role holder is heard by the committee above."""
    ids = ancestor_ids(branch.path)
    query = (
        select(RoleAssignment.unit_id, Member, TelegramAccount)
        .join(Member, Member.id == RoleAssignment.member_id)
        .join(TelegramAccount, TelegramAccount.user_id == Member.telegram_user_id)
        .where(
            RoleAssignment.unit_id.in_(ids),
            RoleAssignment.role.in_(roles),
            Member.status == MemberStatus.ACTIVE,
        )
        .order_by(Member.name_folded, Member.id)
    )
    by_unit: dict[int, dict[int, Person]] = {}
    for unit_id, member, account in await session.execute(query):
        if member.id == excluding:
            continue
        by_unit.setdefault(unit_id, {})[member.id] = Person(member, account)
    for unit_id in reversed(ids):
        if unit_id in by_unit:
            return list(by_unit[unit_id].values())
    return []


@dataclass(frozen=True)
class PlanExportRow:
    """One member's year in a committee's export."""

    branch: str
    full_name: str
    status: PlanStatus | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    proposed_grade: Grade | None
    final_grade: Grade | None
    graded_at: datetime | None


async def export_rows(
    session: AsyncSession, unit_path: str, year: int, on: date | None = None
) -> list[PlanExportRow]:
    """Every active member at or under the unit with their plan's status and grades."""
    return [
        PlanExportRow(
            branch=branch.name,
            full_name=member.full_name,
            status=plan.status if plan else None,
            submitted_at=plan.submitted_at if plan else None,
            reviewed_at=plan.reviewed_at if plan else None,
            proposed_grade=plan.proposed_grade if plan else None,
            final_grade=plan.final_grade if plan else None,
            graded_at=plan.graded_at if plan else None,
        )
        for branch, member, plan in await _member_rows(session, unit_path, year, on)
    ]
