"""The Resolution 21 scorecard: for each branch and rolled up for a committee, how far the year
has come against the targets (100% residence ties registered and commented, 100% plans
handed in, at least 90% graded good or better), with meeting attendance and survey response.

Every figure is a count over a count, so the roll-up adds counts, never averages shares.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Row,
    Select,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased

from storage.as_of import (
    HANDED_IN,
    comment_sent_by,
    exemption_current_at,
    first_submissions,
    grade_at,
    plan_status_at,
    recorded_by,
    tie_current_at,
    tie_registered_at,
)
from storage.as_of import day_end as as_of_day_end
from storage.counted import REPORT_SETTINGS, Snapshot, counted_members, snapshot
from storage.db import set_for_transaction
from storage.hosted import hosted_at
from storage.meetings import counted_meetings, year_bounds
from storage.models import (
    Attendance,
    Meeting,
    MeetingInvite,
    ResidenceComment,
    ResidenceExemption,
    ResidenceTie,
    RoleAssignment,
    Survey,
    SurveyParticipation,
    Unit,
    YearlyPlan,
)
from storage.plan_reports import GOOD_OR_BETTER, GOOD_OR_BETTER_TARGET
from storage.probation import ADMISSION_TARGET, admissions_from, admissions_query
from storage.standing import FIGURES, year_date


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


@dataclass(frozen=True)
class BranchName:
    """What a branch's card shows of its branch: read as plain rows, since building 10,000
    ORM units took longer than some of a province's figures."""

    id: int
    code: str
    name: str


@dataclass
class Scorecard:
    unit: Unit | BranchName
    residence_registered: Fraction = field(default_factory=Fraction)  # or exempt
    residence_commented: Fraction = field(default_factory=Fraction)  # of those not exempt
    plans_handed_in: Fraction = field(default_factory=Fraction)
    good_or_better: Fraction = field(default_factory=Fraction)
    attendance: Fraction = field(default_factory=Fraction)  # present of those invited
    survey_response: Fraction = field(default_factory=Fraction)
    # Exempt from activity, of the members on the roster: out of every denominator above,
    # shown here so nothing is hidden.
    exempt: Fraction = field(default_factory=Fraction)
    # Away on a temporary transfer, of the members on the roster: out of the denominators
    # above at this branch (counted at the receiving one), shown here (storage/hosted.py).
    away: Fraction = field(default_factory=Fraction)
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
    docs/populations.md gives it, from the history as it stood that day. Each figure is one
    query grouped by branch over `counted_members(unit.path, figure, at)`, all of that date
    reading one snapshot of the standings (the history is ranked once, not per figure)."""
    at = year_date(year, on)
    branches = (
        select(Unit.id, Unit.code, Unit.name)
        .where(Unit.is_branch, Unit.path.startswith(unit.path))
        .order_by(Unit.name_folded, Unit.id)  # as storage.units.branches_under
    )
    names = (await session.execute(branches)).all()
    # Each branch's counts as plain ints (done, total per metric, in METRICS order), the
    # cards built once at the end: a province has 10,000 branches, and building and adding
    # a Fraction per row and metric took longer than some of its queries.
    counts = {row[0]: [0] * _WIDTH for row in names}
    shared = await _shared_snapshot(session, unit, len(names))
    helper = None
    if shared is not None:
        helper = asyncio.create_task(_duties_apart(session, shared, unit, year, tz, at))
    try:
        async with _standings(session, unit, at) as standings:
            # Read apart, the records are read whole (`_duties`), attendance with them.
            many = helper is not None or (
                standings is not None and standings.members >= MANY_MEMBERS
            )
            queries = _queries(unit.path, year, tz, at, standings, many)
            admissions = admissions_from(await session.execute(queries.admissions))
            await _fill(session, counts, queries, helper)
    except BaseException:
        if helper is not None:  # its connection goes back to the pool before this returns
            helper.cancel()
            await asyncio.wait([helper])
            if not helper.cancelled():
                helper.exception()  # retrieved: the error raised here is the one to report
        raise
    for branch_id, (admitted, base) in admissions.items():
        mine = counts[branch_id]
        mine[_ADMISSIONS] += admitted
        mine[_ADMISSIONS + 1] += base
    cards = [_card(BranchName(*row), counts[row[0]]) for row in names]
    return cards, _card(unit, [sum(column) for column in zip(*counts.values(), strict=True)])


# Where a metric's (done, total) sit in a branch's counts (`_fill`): METRICS order.
_WIDTH = 2 * len(METRICS)
_REGISTERED = 2 * METRICS.index("residence_registered")
_COMMENTED = 2 * METRICS.index("residence_commented")
_HANDED_IN = 2 * METRICS.index("plans_handed_in")
_GOOD = 2 * METRICS.index("good_or_better")
_ATTENDANCE = 2 * METRICS.index("attendance")
_SURVEY = 2 * METRICS.index("survey_response")
_EXEMPT = 2 * METRICS.index("exempt")
_AWAY = 2 * METRICS.index("away")
_ADMISSIONS = 2 * METRICS.index("admissions")


def _card(unit: Unit | BranchName, counts: list[int]) -> Scorecard:
    if not counts:  # no branch at all
        counts = [0] * _WIDTH
    return Scorecard(unit, *(Fraction(counts[i], counts[i + 1]) for i in range(0, _WIDTH, 2)))


@asynccontextmanager
async def _standings(session: AsyncSession, unit: Unit, at: date) -> AsyncIterator[Snapshot | None]:
    """A committee's figures read one snapshot of the standings; a branch's rank its few
    members' history in each query, which costs less than making the snapshot."""
    if unit.is_branch:
        yield None
        return
    async with snapshot(session, unit.path, at) as standings:
        yield standings


# From this many branches on, an organisation's records are read on a connection of their
# own beside the other passes (`_shared_snapshot`): a province's records take about as long
# as everything else together, and the database has more than one core.
APART_BRANCHES = 2_000
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


async def _shared_snapshot(session: AsyncSession, unit: Unit, branches: int) -> str | None:
    """The id of the session's snapshot of the database, exported for another connection to
    read the same data (PostgreSQL), where the records are worth reading apart: a large
    committee's, in a transaction that has written nothing (another connection would not
    see its writes). None: everything on the session's own connection."""
    if unit.is_branch or branches < APART_BRANCHES:
        return None
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return None
    if session.new or session.dirty or session.deleted or session.in_nested_transaction():
        return None  # unwritten objects; or a savepoint, where no snapshot can be exported
    written, exported = (
        await session.execute(
            text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL, pg_export_snapshot()")
        )
    ).one()
    if written or not _SNAPSHOT_ID.fullmatch(exported):
        return None
    return str(exported)


async def _duties_apart(
    session: AsyncSession, shared: str, unit: Unit, year: int, tz: tzinfo, at: date
) -> list[Row[Any]]:
    """The rows of the scorecard's records pass (`_duties`, attendance included) read on a
    connection of its own, in a read-only transaction importing the session's snapshot
    `shared` (the same data). It ranks the standings in the query itself: making a snapshot
    of them first took longer. The connection goes back to the pool when this ends,
    cancelled or not."""
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    async with AsyncSession(engine) as apart:
        await apart.connection(execution_options=options)
        await apart.execute(text(f"SET TRANSACTION SNAPSHOT '{shared}'"))
        # As `storage.counted.snapshot` does for the other passes.
        await set_for_transaction(apart, REPORT_SETTINGS)
        queries = _queries(unit.path, year, tz, at, None, True)
        rows = (await apart.execute(queries.duties)).all()
        await apart.rollback()
    return list(rows)


# From this many members on, a committee's records are read table by table, whole, and
# joined to its members once (`_duties`); below it, looked up per member by index.
MANY_MEMBERS = 20_000


@dataclass(frozen=True)
class _Queries:
    duties: Select[Any]
    attendance: Select[Any] | None  # None: counted with the duties
    roster: CompoundSelect[Any]
    survey_response: CompoundSelect[Any]
    admissions: CompoundSelect[Any]


@lru_cache(maxsize=128)
def _queries(
    unit_path: str, year: int, tz: tzinfo, at: date, standings: Snapshot | None, many: bool
) -> _Queries:
    """The scorecard's statements for a unit and date, kept for reuse: SQL constructs never
    change once built, and SQLAlchemy keeps a statement's cache key on the object, so a
    scorecard asked again (the chat, then its compact table or the sheet) neither builds nor
    compiles them again. Building and compiling them took longer than a branch's figures
    take in PostgreSQL. `many`: a large committee's (`_duties`)."""
    return _Queries(
        duties=_duties(unit_path, year, tz, at, standings)
        if many
        else _duties_by_member(unit_path, year, at, standings),
        attendance=None if many else _attendance(unit_path, year, tz, at, standings),
        roster=_roster(unit_path, at, standings),
        survey_response=_survey_response(unit_path, year, tz, at, standings),
        admissions=admissions_query(unit_path, year, at, standings),
    )


async def _fill(
    session: AsyncSession,
    counts: dict[int, list[int]],
    queries: _Queries,
    helper: asyncio.Task[list[Row[Any]]] | None = None,
) -> None:
    """The figures counted over the standings on the scorecard's date, added to each
    branch's `counts` (`_card`'s order): one pass over the roster (exempt, away, the duty
    figures' denominators and the size of an organisation-wide survey's audience), one over
    the records of the members taking part (residence, plans and attendance), then
    answers. `helper`: the records' pass, run on another connection (`_duties_apart`),
    awaited after the others."""
    sizes: dict[int, int] = {}  # members on the roster
    taking_part: dict[int, tuple[int, int]] = {}  # (members taking part, working members)
    for row in await session.execute(queries.roster):
        branch_id, members, exempt, away, taking, working = (int(n) for n in row)
        mine = counts[branch_id]
        sizes[branch_id] = sizes.get(branch_id, 0) + members
        mine[_EXEMPT] += exempt
        mine[_EXEMPT + 1] += members
        mine[_AWAY] += away
        mine[_AWAY + 1] += members
        before = taking_part.get(branch_id, (0, 0))
        taking_part[branch_id] = (before[0] + taking, before[1] + working)
    survey_rows = None
    if helper is not None:  # the answers while the helper reads the records
        survey_rows = (await session.execute(queries.survey_response)).all()
        duty_rows = await helper
    else:
        duty_rows = (await session.execute(queries.duties)).all()
    done: dict[int, tuple[int, ...]] = {}
    for branch_id, *row in duty_rows:
        done[branch_id] = tuple(int(n) for n in row)
    nothing = (0,) * 8
    for branch_id, (members, working_n) in taking_part.items():
        registered, residence_exempt, both, commented, handed_in, good, present, recorded = (
            done.get(branch_id, nothing)
        )
        mine = counts[branch_id]
        mine[_REGISTERED] += registered + residence_exempt - both
        mine[_REGISTERED + 1] += working_n
        mine[_COMMENTED] += commented
        mine[_COMMENTED + 1] += working_n - residence_exempt
        mine[_HANDED_IN] += handed_in
        mine[_HANDED_IN + 1] += members
        mine[_GOOD] += good
        mine[_GOOD + 1] += members
        mine[_ATTENDANCE] += present
        mine[_ATTENDANCE + 1] += recorded
    if queries.attendance is not None:
        for branch_id, present, recorded in await session.execute(queries.attendance):
            mine = counts[branch_id]
            mine[_ATTENDANCE] += int(present)
            mine[_ATTENDANCE + 1] += int(recorded)
    if survey_rows is None:
        survey_rows = (await session.execute(queries.survey_response)).all()
    for branch_id, total, kind in survey_rows:
        mine, count = counts[branch_id], int(total)  # a sum: numeric in PostgreSQL
        if kind == "everyone":  # surveys to everyone there: the roster, once per survey
            mine[_SURVEY + 1] += count * sizes.get(branch_id, 0)
        elif kind == "leaders":
            mine[_SURVEY + 1] += count
        else:
            mine[_SURVEY] += count


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _duties(
    unit_path: str, year: int, tz: tzinfo, at: date, standings: Snapshot | None
) -> Select[Any]:
    """Per branch, of the members taking part on `at`: (working members' current residence
    ties registered, their current residence exemptions, those of them with both, their
    residence comments; plans handed in, plans graded good or better; present and recorded
    attendance), each record as it stood at the end of that day (storage/as_of.py).

    Attendance is that of the year up to `at`, at meetings of the member's branch on `at`
    or a committee over it (residence meetings elsewhere are the host branch's business;
    docs/populations.md): a member has many, each a row.

    The records of every kind are one list of (member, what it counts) rows joined to the
    members once: joining each table to the members in turn built a hash table per table
    and probed each with every member of a province. A member has at most one current tie,
    one current exemption, one comment and one plan of the year, so each of those rows
    counts one member once; the exempt with a registered tie are counted apart, so that "registered
    or exempt" counts them once. How many take part, and how many of them work, comes from
    `_roster`."""
    end = as_of_day_end(at)
    counted = counted_members(unit_path, "plans_handed_in", at, snapshot=standings)
    working = counted.c.is_residential.is_(False)
    zero, one = literal(0), literal(1)
    tie, exemption = aliased(ResidenceTie), aliased(ResidenceExemption)
    comment = aliased(ResidenceComment)
    registered = and_(tie_current_at(tie, end), tie_registered_at(tie, end))
    other_tie = aliased(ResidenceTie)
    also_registered = (
        select(other_tie.id)
        .where(
            other_tie.member_id == exemption.member_id,
            tie_current_at(other_tie, end),
            tie_registered_at(other_tie, end),
        )
        .exists()
    )
    firsts = first_submissions()
    handed_in = plan_status_at(end, firsts.c.first).in_(HANDED_IN)
    good = grade_at(end).in_(GOOD_OR_BETTER)
    no_path = null().cast(Unit.path.type)
    meeting_unit = aliased(Unit)
    local_end = day_end(at, tz)
    facts = union_all(
        select(
            tie.member_id.label("member_id"),
            one.label("registered"),
            zero.label("exempt"),
            zero.label("both"),
            zero.label("commented"),
            zero.label("handed_in"),
            zero.label("good"),
            zero.label("present"),
            zero.label("recorded"),
            no_path.label("meeting_path"),
        ).where(registered),
        select(
            exemption.member_id,
            zero,
            one,
            case((also_registered, 1), else_=0),
            *(zero, zero, zero, zero, zero, no_path),
        ).where(exemption_current_at(exemption, end)),
        select(comment.member_id, zero, zero, zero, one, zero, zero, zero, zero, no_path).where(
            comment.year == year, comment_sent_by(comment, end)
        ),
        select(
            YearlyPlan.member_id,
            *(zero, zero, zero, zero),
            case((handed_in, 1), else_=0),
            case((good, 1), else_=0),
            *(zero, zero, no_path),
        )
        .select_from(YearlyPlan)
        .outerjoin(firsts, firsts.c.plan_id == YearlyPlan.id)
        # A plan neither handed in nor graded good counts nothing: not a row to join.
        .where(YearlyPlan.year == year, or_(handed_in, good)),
        select(
            MeetingInvite.member_id,
            *(zero, zero, zero, zero, zero, zero),
            case((MeetingInvite.attendance == Attendance.PRESENT, 1), else_=0),
            one,
            meeting_unit.path,
        )
        .join(Meeting, Meeting.id == MeetingInvite.meeting_id)
        .join(meeting_unit, meeting_unit.id == Meeting.unit_id)
        .where(
            counted_meetings(year, tz),
            MeetingInvite.attendance.is_not(None),
            Meeting.starts_at < local_end,
            recorded_by(Meeting.attendance_recorded_at, local_end),  # as_of
        ),
    ).subquery("facts")
    # A meeting counts for members of its unit's branches (a test per row, not a join
    # condition: PostgreSQL cannot estimate one, and then sorted the whole join to group it).
    at_meeting = counted.c.branch_path.startswith(facts.c.meeting_path)
    return (
        select(
            counted.c.branch_id,
            _sum_if(working, facts.c.registered),
            _sum_if(working, facts.c.exempt),
            _sum_if(working, facts.c.both),
            _sum_if(working, facts.c.commented),
            func.sum(facts.c.handed_in),
            func.sum(facts.c.good),
            _sum_if(at_meeting, facts.c.present),
            _sum_if(at_meeting, facts.c.recorded),
        )
        .select_from(counted)
        .join(facts, facts.c.member_id == counted.c.member_id)
        .group_by(counted.c.branch_id)
    )


def _duties_by_member(
    unit_path: str, year: int, at: date, standings: Snapshot | None
) -> Select[Any]:
    """`_duties` (the same columns, attendance left to `_attendance`) for a few members:
    each member's records looked up by index, one pass over the members joining each table
    in turn (a member has at most one current tie, one current exemption, one comment and
    one plan of the year, so the joins add no rows). Reading every table whole costs more
    than that below some thousands of members."""
    end = as_of_day_end(at)
    counted = counted_members(unit_path, "plans_handed_in", at, snapshot=standings)
    member = counted.c.member_id
    working = counted.c.is_residential.is_(False)
    tie, exemption = aliased(ResidenceTie), aliased(ResidenceExemption)
    comment = aliased(ResidenceComment)
    exempt = exemption.id.is_not(None)
    firsts = first_submissions()
    return (
        select(
            counted.c.branch_id,
            _count(and_(working, tie_registered_at(tie, end))),
            _count(and_(working, exempt)),
            _count(and_(working, tie_registered_at(tie, end), exempt)),
            _count(and_(working, comment.id.is_not(None))),
            _count(plan_status_at(end, firsts.c.first).in_(HANDED_IN)),
            _count(grade_at(end).in_(GOOD_OR_BETTER)),
            literal(0),
            literal(0),
        )
        .select_from(counted)
        .outerjoin(tie, and_(working, tie.member_id == member, tie_current_at(tie, end)))
        .outerjoin(
            exemption,
            and_(working, exemption.member_id == member, exemption_current_at(exemption, end)),
        )
        .outerjoin(
            comment,
            and_(
                working,
                comment.member_id == member,
                comment.year == year,
                comment_sent_by(comment, end),
            ),
        )
        .outerjoin(YearlyPlan, and_(YearlyPlan.member_id == member, YearlyPlan.year == year))
        .outerjoin(firsts, firsts.c.plan_id == YearlyPlan.id)
        .group_by(counted.c.branch_id)
    )


def _attendance(
    unit_path: str, year: int, tz: tzinfo, at: date, standings: Snapshot | None
) -> Select[Any]:
    """Per member's branch (on `at`): (present, recorded) attendance of the year up to `at`
    at meetings of that branch or a committee over it (residence meetings elsewhere are the
    host branch's business), of the members taking part on `at` (docs/populations.md): what
    `_duties` counts with the other records, for `_duties_by_member`'s few members."""
    counted = counted_members(unit_path, "attendance", at, snapshot=standings)
    meeting_unit = aliased(Unit)
    return (
        select(
            counted.c.branch_id,
            _count(MeetingInvite.attendance == Attendance.PRESENT),
            func.count(),
        )
        .select_from(counted)
        .join(MeetingInvite, MeetingInvite.member_id == counted.c.member_id)
        .join(Meeting, Meeting.id == MeetingInvite.meeting_id)
        .join(meeting_unit, meeting_unit.id == Meeting.unit_id)
        .where(
            counted.c.branch_path.startswith(meeting_unit.path),
            counted_meetings(year, tz),
            MeetingInvite.attendance.is_not(None),
            Meeting.starts_at < day_end(at, tz),
            recorded_by(Meeting.attendance_recorded_at, day_end(at, tz)),  # as_of
        )
        .group_by(counted.c.branch_id)
    )


def _sum_if(condition: ColumnElement[bool], column: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, column), else_=0)), 0)


def _roster(unit_path: str, at: date, standings: Snapshot | None) -> CompoundSelect[Any]:
    """Per branch: (members on the roster on `at`, of them exempt, of them away on a
    temporary transfer, members taking part, of them working members): the exempt and away
    are shown apart from the duty figures, those taking part are the duty figures'
    denominators (docs/populations.md), and the roster is the audience of a survey to
    everyone. One pass over the roster's standings, and one over the few members
    temporarily transferred in (they take part where they are hosted: storage/hosted.py);
    a branch may have a row of each."""
    roster = counted_members(unit_path, "members", at, snapshot=standings)
    exempt = roster.c.status.in_([s.value for s in FIGURES["exempt"].counts])
    away = roster.c.status.in_([s.value for s in FIGURES["transferred_temporary"].counts])
    taking_part = roster.c.status.in_([s.value for s in FIGURES["plans_handed_in"].counts])
    own = (
        select(
            roster.c.branch_id,
            func.count(),
            _count(exempt),
            _count(away),
            _count(taking_part),
            _count(and_(taking_part, roster.c.is_residential.is_(False))),
        )
        .select_from(roster)
        .group_by(roster.c.branch_id)
    )
    hosted = hosted_at(at).subquery("hosted")
    zero = literal(0)
    hosted_here = (
        select(
            hosted.c.branch_id,
            zero,
            zero,
            zero,
            func.count(),
            _count(Unit.is_residential.is_(False)),
        )
        .join(Unit, Unit.id == hosted.c.branch_id)
        .where(Unit.is_branch, Unit.path.startswith(unit_path))
        .group_by(hosted.c.branch_id)
    )
    return union_all(own, hosted_here)


def _survey_response(
    unit_path: str, year: int, tz: tzinfo, at: date, standings: Snapshot | None
) -> CompoundSelect[Any]:
    """Per branch: of the members each survey opened in `year` up to `at` is for, how many
    answered. The audience is the survey's, of the members on the roster on `at`
    (docs/populations.md, "survey_response"). Rows (branch id, count, kind): "everyone",
    the surveys to everyone there (their audience there is the branch's roster, counted by
    `_roster`); "leaders", the members in the audience of the others; "answered".

    The pairs (survey, branch under it) come from the few units first, so that members and
    answers join on equalities the planner estimates well (a join on the path prefix made
    PostgreSQL probe the answers once per member)."""
    start, end = year_bounds(year, tz)
    end = min(end, day_end(at, tz))
    counted = counted_members(unit_path, "survey_response", at, snapshot=standings)
    survey_unit, branch = aliased(Unit), aliased(Unit)
    pairs = (
        select(
            Survey.id.label("survey_id"),
            branch.id.label("branch_id"),
            Survey.audience_role,
            survey_unit.path.label("survey_path"),
        )
        .join(survey_unit, survey_unit.id == Survey.unit_id)
        .join(branch, and_(branch.is_branch, branch.path.startswith(survey_unit.path)))
        .where(Survey.opens_at >= start, Survey.opens_at < end, branch.path.startswith(unit_path))
        .subquery("pairs")
    )
    everyone = pairs.c.audience_role.is_(None)
    in_audience = or_(everyone, counted.c.member_id.in_(_leaders(pairs.c.survey_path)))
    everyone_surveys = (
        select(pairs.c.branch_id, func.count()).where(everyone).group_by(pairs.c.branch_id)
    )
    leaders_total = (
        select(counted.c.branch_id, func.count())
        .join(pairs, pairs.c.branch_id == counted.c.branch_id)
        .where(~everyone, in_audience)
        .group_by(counted.c.branch_id)
    )
    # Answers counted per (survey, branch) on equalities first (a hash join of the answers
    # and the members), then kept where the branch is under the survey's unit: a path test
    # inside the big join made PostgreSQL expect a few rows and probe the answers once per
    # member.
    answered_unit = aliased(Unit)
    answers = (
        select(
            SurveyParticipation.survey_id,
            counted.c.branch_id,
            func.count().label("answers"),
        )
        .select_from(SurveyParticipation)
        .join(Survey, Survey.id == SurveyParticipation.survey_id)
        .join(answered_unit, answered_unit.id == Survey.unit_id)
        .join(counted, counted.c.member_id == SurveyParticipation.member_id)
        .where(
            Survey.opens_at >= start,
            Survey.opens_at < end,
            SurveyParticipation.submitted_at < day_end(at, tz),  # answered by then (as_of)
            or_(
                Survey.audience_role.is_(None),
                counted.c.member_id.in_(_leaders(answered_unit.path)),
            ),
        )
        .group_by(SurveyParticipation.survey_id, counted.c.branch_id)
        .subquery("answers")
    )
    answered = (
        select(pairs.c.branch_id, func.sum(answers.c.answers))
        .join(
            answers,
            and_(
                answers.c.survey_id == pairs.c.survey_id,
                answers.c.branch_id == pairs.c.branch_id,
            ),
        )
        .group_by(pairs.c.branch_id)
    )
    # One round trip for the three counts (a branch's whole scorecard takes milliseconds).
    return union_all(
        everyone_surveys.add_columns(literal("everyone").label("kind")),
        leaders_total.add_columns(literal("leaders").label("kind")),
        answered.add_columns(literal("answered").label("kind")),
    )


def _leaders(survey_path: Any) -> Select[Any]:
    """Members holding a role at or under the survey's unit (a `leaders` survey's audience),
    the unit's path being `survey_path` of the enclosing query."""
    role_unit = aliased(Unit)
    return (
        select(RoleAssignment.member_id)
        .join(role_unit, role_unit.id == RoleAssignment.unit_id)
        .where(role_unit.path.startswith(survey_path))
    )


def day_end(at: date, tz: tzinfo) -> datetime:
    """The first moment after the local day `at`: figures on a date include that day."""
    return datetime.combine(at + timedelta(days=1), time(), tzinfo=tz)
