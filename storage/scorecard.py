"""The Resolution 21 scorecard: for each branch and rolled up for a committee, how far the year
has come against the targets (100% residence ties registered and commented, 100% plans
handed in, at least 90% graded good or better), with meeting attendance and survey response.

Every figure is a count over a count, so the roll-up adds counts, never averages shares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.meetings import counted_meetings, own_branch_meetings, year_bounds
from storage.models import (
    Attendance,
    Meeting,
    MeetingInvite,
    Member,
    Survey,
    SurveyParticipation,
    Unit,
)
from storage.plan_reports import GOOD_OR_BETTER, GOOD_OR_BETTER_TARGET, branch_counts
from storage.probation import ADMISSION_TARGET, admissions_by_branch
from storage.residence_comments import BranchResidence, branch_residence
from storage.standing import counted, counted_ids, is_counted, year_date
from storage.surveys import survey_audience
from storage.units import branches_under


@dataclass
class Fraction:
    done: int = 0
    total: int = 0

    @property
    def share(self) -> float | None:
        """None where there is nothing to count (a residential branch has no working member)."""
        return self.done / self.total if self.total else None

    def __iadd__(self, other: Fraction) -> Fraction:
        self.done += other.done
        self.total += other.total
        return self


@dataclass
class Scorecard:
    unit: Unit
    residence_registered: Fraction = field(default_factory=Fraction)  # or exempt
    residence_commented: Fraction = field(default_factory=Fraction)  # of those not exempt
    plans_handed_in: Fraction = field(default_factory=Fraction)
    good_or_better: Fraction = field(default_factory=Fraction)
    attendance: Fraction = field(default_factory=Fraction)  # present of those invited
    survey_response: Fraction = field(default_factory=Fraction)
    # Exempt from activity, of the members on the roster: out of every denominator above,
    # shown here so nothing is hidden.
    exempt: Fraction = field(default_factory=Fraction)
    # Admitted in the year up to the date, of the members on the roster on 1 January.
    admissions: Fraction = field(default_factory=Fraction)

    def add(self, other: Scorecard) -> None:
        for name in METRICS:
            mine: Fraction = getattr(self, name)
            mine += getattr(other, name)


METRICS = tuple(f.name for f in fields(Scorecard) if f.name != "unit")
TARGETS: dict[str, float] = {
    "residence_registered": 1.0,
    "residence_commented": 1.0,
    "plans_handed_in": 1.0,
    "good_or_better": GOOD_OR_BETTER_TARGET,
    "admissions": ADMISSION_TARGET,
}


async def scorecards(
    session: AsyncSession,
    unit: Unit,
    year: int,
    tz: tzinfo,
    on: date | None = None,
) -> tuple[list[Scorecard], Scorecard]:
    """The scorecard of each branch at or under `unit`, by name, and of the unit as a whole,
    as it stands on `on` (default: the year's last day): each figure counts the population
    docs/populations.md gives it, from the history as it stood that day."""
    at = year_date(year, on)
    branches = await branches_under(session, {unit.path})
    cards = {b.id: Scorecard(b) for b in branches}
    _add_residence(cards, await branch_residence(session, _working(branches), year, at))
    for branch, counts in await branch_counts(session, unit.path, year, at):
        if branch.id in cards:
            card = cards[branch.id]
            card.plans_handed_in += Fraction(counts.handed_in, counts.members)
            good = sum(counts.grades[g] for g in GOOD_OR_BETTER)
            card.good_or_better += Fraction(good, counts.members)
    for branch_id, attendance in (await _attendance(session, unit, year, tz, at)).items():
        if branch_id in cards:
            present = attendance[Attendance.PRESENT]
            cards[branch_id].attendance += Fraction(present, sum(attendance.values()))
    for branch_id, response in (await _survey_response(session, set(cards), year, tz, at)).items():
        cards[branch_id].survey_response += response
    for branch_id, exempt in (await _exempt(session, unit, at)).items():
        if branch_id in cards:
            cards[branch_id].exempt += exempt
    for branch_id, (admitted, base) in (
        await admissions_by_branch(session, unit.path, year, at)
    ).items():
        if branch_id in cards:
            cards[branch_id].admissions += Fraction(admitted, base)
    total = Scorecard(unit)
    for card in cards.values():
        total.add(card)
    return list(cards.values()), total


def _working(branches: Sequence[Unit]) -> list[Unit]:
    return [b for b in branches if not b.is_residential]


def _add_residence(cards: dict[int, Scorecard], residence: Sequence[BranchResidence]) -> None:
    for branch in residence:
        card = cards[branch.branch.id]
        members = branch.members
        exempt = branch.exempt
        registered = sum(1 for m in members if m.registered or m.exemption is not None)
        card.residence_registered += Fraction(registered, len(members))
        card.residence_commented += Fraction(branch.comments_received, len(members) - exempt)


async def _exempt(session: AsyncSession, unit: Unit, at: date) -> dict[int, Fraction]:
    """Per branch: members exempt from activity on `at`, of the members on the roster."""
    roster = counted("members", at)
    exempt = counted_ids("exempt", at)
    query = (
        select(roster.c.branch_id, roster.c.member_id.in_(exempt), func.count())
        .join(Unit, Unit.id == roster.c.branch_id)
        .where(Unit.path.startswith(unit.path))
        .group_by(roster.c.branch_id, roster.c.member_id.in_(exempt))
    )
    result: dict[int, Fraction] = {}
    for branch_id, is_exempt, count in await session.execute(query):
        entry = result.setdefault(branch_id, Fraction())
        entry += Fraction(count if is_exempt else 0, count)
    return result


async def _attendance(
    session: AsyncSession, unit: Unit, year: int, tz: tzinfo, at: date
) -> dict[int, Counter[Attendance]]:
    """Recorded attendance of the year up to `at` per member's branch, at meetings of that
    branch or a committee over it (residence meetings elsewhere are the host branch's
    business), of the members taking part on `at`."""
    (branch, meeting_unit), own = own_branch_meetings()
    query = (
        select(Member.branch_id, MeetingInvite.attendance, func.count())
        .join(MeetingInvite, MeetingInvite.member_id == Member.id)
        .join(Meeting, Meeting.id == MeetingInvite.meeting_id)
        .join(branch, branch.id == Member.branch_id)
        .join(meeting_unit, meeting_unit.id == Meeting.unit_id)
        .where(
            branch.path.startswith(unit.path),
            counted_meetings(year, tz),
            own,
            MeetingInvite.attendance.is_not(None),
            Meeting.starts_at < day_end(at, tz),
            is_counted("attendance", at),
        )
        .group_by(Member.branch_id, MeetingInvite.attendance)
    )
    result: dict[int, Counter[Attendance]] = {}
    for branch_id, attendance, count in await session.execute(query):
        if attendance is not None:
            result.setdefault(branch_id, Counter())[attendance] = count
    return result


async def _survey_response(
    session: AsyncSession, branch_ids: set[int], year: int, tz: tzinfo, at: date
) -> dict[int, Fraction]:
    """Per branch: of the members each survey opened in `year` up to `at` is for, how many
    answered. The audience is the survey's, of the members on the roster on `at`."""
    start, end = year_bounds(year, tz)
    end = min(end, day_end(at, tz))
    surveys = await session.scalars(
        select(Survey)
        .where(Survey.opens_at >= start, Survey.opens_at < end)
        .options(joinedload(Survey.unit))
    )
    result: dict[int, Fraction] = {}
    for survey in surveys.all():
        answered = set(
            await session.scalars(
                select(SurveyParticipation.member_id).where(
                    SurveyParticipation.survey_id == survey.id
                )
            )
        )
        for recipient in await survey_audience(session, survey, at):
            branch_id = recipient.member.branch_id
            if branch_id in branch_ids:
                entry = result.setdefault(branch_id, Fraction())
                entry += Fraction(int(recipient.member.id in answered), 1)
    return result


def day_end(at: date, tz: tzinfo) -> datetime:
    """The first moment after the local day `at`: figures on a date include that day."""
    return datetime.combine(at + timedelta(days=1), time(), tzinfo=tz)
