"""A member's party standing as a dated history, and which members each figure counts.

The one table of populations is `FIGURES` (written out for people in docs/populations.md):
each scorecard and overview figure names the standings it counts. Queries ask
`counted(figure, at)` (members and their branch on that date, as a subquery) or
`is_counted(figure, at)` (a filter on `Member.id`), so a figure for a past date is
computed from the history as it stood then.

`Member.status` stays as the present-day summary of the history (active: on the roster),
kept in step by every change made here, for the code that only asks about today.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.hosted import hosted_among, hosted_taking_part
from storage.models import Member, MemberStanding, MemberStatus, Standing, Unit

PROBATION_MONTHS = 12
ID_CHUNK = 10_000  # member ids bound in one query, far below any driver's limit

# Kinds each standing's `detail` may take (None where it has none).
DETAILS: dict[Standing, tuple[str, ...]] = {
    Standing.EXEMPT: ("age", "health", "other"),
    Standing.REMOVED: ("xoa_ten", "khai_tru", "left", "deceased"),
}

BASE = (Standing.PROBATIONARY, Standing.OFFICIAL, Standing.TRANSFERRED_OUT, Standing.REMOVED)
OVERLAYS = (Standing.EXEMPT, Standing.TRANSFERRED_TEMPORARY)
ENDS = (Standing.TRANSFERRED_OUT, Standing.REMOVED)

# On the branch's roster: everyone the branch still answers for.
ON_ROSTER = (
    Standing.PROBATIONARY,
    Standing.OFFICIAL,
    Standing.EXEMPT,
    Standing.TRANSFERRED_TEMPORARY,
)
# Taking part: invited, reminded, warned, and in the denominators of the duty figures.
TAKING_PART = (Standing.PROBATIONARY, Standing.OFFICIAL)


@dataclass(frozen=True)
class Population:
    """Who a figure counts: the denominator's standings (the numerator is the part of them
    that did the thing) and what the figure means, for docs/populations.md."""

    counts: tuple[Standing, ...]
    about: str


FIGURES: dict[str, Population] = {
    "residence_registered": Population(TAKING_PART, "working members registered or exempt"),
    "residence_commented": Population(TAKING_PART, "not residence-exempt, comment received"),
    "plans_handed_in": Population(TAKING_PART, "plan handed in"),
    "good_or_better": Population(TAKING_PART, "final grade good or excellent"),
    "attendance": Population(TAKING_PART, "present of recorded attendance"),
    "survey_response": Population(ON_ROSTER, "answered of the survey's audience"),
    "exempt": Population((Standing.EXEMPT,), "exempt from activity (shown apart)"),
    "transferred_temporary": Population(
        (Standing.TRANSFERRED_TEMPORARY,), "temporarily transferred out (shown apart)"
    ),
    "members": Population(ON_ROSTER, "members on the roster"),
    "admission_base": Population(ON_ROSTER, "members at the start of the year"),
    "invitations": Population(TAKING_PART, "invited to meetings, reminded, warned"),
}

_FIRST_DAY = date(1, 1, 1)  # orders an unrecorded start before every recorded one


class StandingError(ValueError):
    """A change that does not fit the member's history; `code` names it for the caller."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _periods(within: str | None, members: Select[Any] | None = None) -> Subquery:
    """Every stored period; `within` (a unit path) keeps the members with a period at a
    branch there (all their periods, so the one in force still wins): a branch's figures
    then rank its own members' periods, not the whole organisation's. `members` (a select
    of member ids) keeps only theirs."""
    h = MemberStanding
    query = select(
        h.id.label("id"),
        h.member_id.label("member_id"),
        h.branch_id.label("branch_id"),
        h.status.label("status"),
        h.valid_from.label("valid_from"),
        h.valid_to.label("valid_to"),
    )
    if within is not None:
        there = select(h.member_id).join(Unit, Unit.id == h.branch_id)
        query = query.where(h.member_id.in_(there.where(Unit.path.startswith(within))))
    if members is not None:
        query = query.where(h.member_id.in_(members))
    return query.subquery("periods")


def _ranked(at: date, within: str | None, members: Select[Any] | None = None) -> Subquery:
    """The period in force on `at` of each member with a history (`member_id`,
    `branch_id`, `status`): an end (removed, transferred out) wins over all; an open
    overlay (exempt, temporarily transferred) over the base; among equals the latest start,
    then the latest row. One window over the periods in force that day, nothing else."""
    rows = _periods(within, members)
    weight = case(
        (rows.c.status.in_([s.value for s in ENDS]), 2),
        (rows.c.status.in_([s.value for s in OVERLAYS]), 1),
        else_=0,
    )
    order = (
        weight.desc(),
        func.coalesce(rows.c.valid_from, _FIRST_DAY).desc(),
        rows.c.id.desc(),
    )
    ranked = select(
        rows.c.member_id,
        rows.c.branch_id,
        rows.c.status,
        func.row_number().over(partition_by=rows.c.member_id, order_by=order).label("rank"),
    ).where(
        or_(rows.c.valid_from.is_(None), rows.c.valid_from <= at),
        or_(rows.c.valid_to.is_(None), rows.c.valid_to > at),
    )
    return ranked.subquery("ranked")


def _without_history(within: str | None) -> ColumnElement[bool]:
    """Members with no period at all stand on the present-day flag (added before the
    history, or by a tool that wrote none): active = official, else removed."""
    conditions = [~select(MemberStanding.id).where(MemberStanding.member_id == Member.id).exists()]
    if within is not None:
        conditions.append(Member.branch_id.in_(select(Unit.id).where(Unit.path.startswith(within))))
    return and_(*conditions)


def _flag_standing() -> ColumnElement[str]:
    return case(
        (Member.status == MemberStatus.ACTIVE, literal(Standing.OFFICIAL.value)),
        else_=literal(Standing.REMOVED.value),
    )


def _flag_in(statuses: Iterable[Standing]) -> ColumnElement[bool]:
    """The flag's standing is one of `statuses`, written on the flag itself so the planner
    estimates it from the column's statistics (a test on the CASE above it cannot)."""
    wanted = set(statuses)
    on_roster = Member.status == MemberStatus.ACTIVE
    if Standing.OFFICIAL in wanted and Standing.REMOVED in wanted:
        return true()
    if Standing.OFFICIAL in wanted:
        return on_roster
    if Standing.REMOVED in wanted:
        return ~on_roster
    return false()


def standing_at(at: date, within: str | None = None) -> Subquery:
    """One row per member: `member_id`, `branch_id`, `status` on the date `at` (see
    `_ranked`; members without history stand on their flag) and `flagged` (so they do: the
    same on every date). `within`: only members who can count under that unit path."""
    ranked = _ranked(at, within)
    history = select(
        ranked.c.member_id, ranked.c.branch_id, ranked.c.status, false().label("flagged")
    ).where(ranked.c.rank == 1)
    flagged = select(
        Member.id.label("member_id"),
        Member.branch_id.label("branch_id"),
        _flag_standing().label("status"),
        true().label("flagged"),
    ).where(_without_history(within))
    return union_all(history, flagged).subquery("standing")


def counted(figure: str, at: date, within: str | None = None) -> Subquery:
    """The members `figure` counts on `at` (its population), each with their branch then
    (`member_id`, `branch_id`, `status`): join it where a query groups by branch, so a
    member who moved counts where they were. `within`: only members who can count under
    that unit path (see `_periods`). A member temporarily transferred in somewhere takes
    part there (storage/hosted.py), not at the branch they left."""
    statuses = FIGURES[figure].counts
    own = _by_own_standing(statuses, at, within)
    if statuses == TAKING_PART:  # one flat UNION: SQLite takes no nested compound select
        return union_all(*own, hosted_taking_part(at)).subquery(f"counted_{figure}")
    return union_all(*own).subquery(f"counted_{figure}")


def _by_own_standing(
    statuses: tuple[Standing, ...], at: date, within: str | None
) -> tuple[Select[Any, Any, Any], Select[int, int, str]]:
    """Members whose own standing on `at` is one of `statuses`, with their branch then (from
    the history, and from the flag for members without one: to be joined by UNION ALL).

    The history is ranked once; members without history are filtered on their flag
    directly, so the planner knows how many rows come out and joins them by hash."""
    ranked = _ranked(at, within)
    history = select(ranked.c.member_id, ranked.c.branch_id, ranked.c.status).where(
        ranked.c.rank == 1, ranked.c.status.in_([s.value for s in statuses])
    )
    flagged = select(
        Member.id.label("member_id"),
        Member.branch_id.label("branch_id"),
        _flag_standing().label("status"),
    ).where(_without_history(within), _flag_in(statuses))
    return history, flagged


def history_counted(
    figure: str, at: date, within: str | None, members: Select[Any] | None = None
) -> Select[Any]:
    """`counted` of the members with a history only (`member_id`, `branch_id`, `status`):
    those without one stand on their flag, the same on every date, so a report that has
    them already (storage/counted.py `Snapshot`) adds only these. `members` (a select of
    member ids): only theirs, ranked alone."""
    if members is None:
        return _by_own_standing(FIGURES[figure].counts, at, within)[0]
    ranked = _ranked(at, within, members)
    statuses = [s.value for s in FIGURES[figure].counts]
    return select(ranked.c.member_id, ranked.c.branch_id, ranked.c.status).where(
        ranked.c.rank == 1, ranked.c.status.in_(statuses)
    )


def changed_between(first: date, last: date) -> Select[Any]:
    """Ids of the members whose periods in force differ between the two dates: a period of
    theirs starts or ends after the earlier and by the later one. Everyone else stands the
    same on both (the same periods are in force, so the same one wins)."""
    h = MemberStanding
    low, high = min(first, last), max(first, last)
    return select(h.member_id).where(
        or_(
            and_(h.valid_from > low, h.valid_from <= high),
            and_(h.valid_to > low, h.valid_to <= high),
        )
    )


def counted_ids(figure: str, at: date) -> Select[tuple[int]]:
    """Ids of the members in `figure`'s population by their own standing, wherever they
    are: a member away on a temporary transfer is not among those taking part (their
    receiving branch adds them: storage/hosted.py)."""
    own = union_all(*_by_own_standing(FIGURES[figure].counts, at, None)).subquery(f"own_{figure}")
    return select(own.c.member_id)


def is_counted(
    figure: str, at: date, member_id: ColumnElement[int] | None = None
) -> ColumnElement[bool]:
    """A filter: the member (default `Member.id`) is in the figure's population on `at`."""
    column = Member.id if member_id is None else member_id
    return column.in_(counted_ids(figure, at))


async def status_of(session: AsyncSession, member_id: int, at: date) -> Standing | None:
    """The member's standing on `at` (None: not yet a member then)."""
    st = standing_at(at)
    value = await session.scalar(select(st.c.status).where(st.c.member_id == member_id))
    return None if value is None else Standing(value)


async def history(session: AsyncSession, member_id: int) -> list[MemberStanding]:
    """The member's periods, oldest first (an unrecorded start first of all)."""
    h = MemberStanding
    query = (
        select(h)
        .where(h.member_id == member_id)
        .order_by(func.coalesce(h.valid_from, _FIRST_DAY), h.id)
    )
    return list(await session.scalars(query))


@dataclass(frozen=True)
class Change:
    """A change of standing as recorded: from a date, with its decision and who recorded it."""

    status: Standing
    valid_from: date | None
    valid_to: date | None = None
    detail: str | None = None
    note: str | None = None
    decision_no: str | None = None
    by_member_id: int | None = None
    by_label: str | None = None
    branch_id: int | None = None  # default: the member's branch


async def record_change(
    session: AsyncSession, member: Member, change: Change, today: date
) -> MemberStanding:
    """Adds a period to the member's history, closing what it replaces, and writes the
    audit row. A base standing closes the open base period before it (and an end closes
    every open period); an overlay leaves the base as it is."""
    _check(change)
    if change.status in OVERLAYS + ENDS:
        await keep_flag_as_base(session, member)
    if change.status in BASE and change.valid_from is not None:
        kinds = BASE + OVERLAYS if change.status in ENDS else BASE
        await _close_open(session, member.id, kinds, change.valid_from)
    row = MemberStanding(
        member_id=member.id,
        branch_id=change.branch_id or member.branch_id,
        status=change.status,
        detail=change.detail,
        note=change.note,
        valid_from=change.valid_from,
        valid_to=change.valid_to,
        decision_no=change.decision_no,
        recorded_by_member_id=change.by_member_id,
        recorded_by_label=change.by_label,
    )
    session.add(row)
    await session.flush()
    await _audit(session, member, row, "member_standing")
    await sync_flag(session, member, today)
    return row


async def end_period(
    session: AsyncSession,
    member: Member,
    row: MemberStanding,
    on: date,
    today: date,
    *,
    by_member_id: int | None = None,
    by_label: str | None = None,
) -> None:
    """Ends an overlay (an exemption, a temporary transfer) on `on`; the base shows again."""
    if row.status not in OVERLAYS or row.member_id != member.id:
        raise StandingError("not_an_overlay")
    if row.valid_from is not None and on < row.valid_from:
        raise StandingError("ends_before_start")
    row.valid_to = on
    await session.flush()
    await audit.record(
        session,
        "member_standing_end",
        actor_member_id=by_member_id,
        actor_label=by_label,
        unit_id=row.branch_id,
        object_type="member",
        object_id=member.id,
        details={"status": row.status.value, "period": row.id, "valid_to": on.isoformat()},
    )
    await sync_flag(session, member, today)


async def keep_flag_as_base(session: AsyncSession, member: Member) -> None:
    """A member without history stands on their flag (see `_without_history`); an overlay or
    an end would hide that (official until then), so the flag is written down first as an
    undated base period. An admission or recognition starts the history by itself."""
    h = MemberStanding
    if await session.scalar(select(h.id).where(h.member_id == member.id).limit(1)) is not None:
        return
    on_roster = member.status == MemberStatus.ACTIVE
    status = Standing.OFFICIAL if on_roster else Standing.REMOVED
    session.add(
        h(member_id=member.id, branch_id=member.branch_id, status=status, recorded_by_label="flag")
    )
    await session.flush()


def _check(change: Change) -> None:
    kinds = DETAILS.get(change.status)
    if kinds is not None and change.detail not in kinds:
        raise StandingError("detail_unknown")
    if kinds is None and change.detail is not None:
        raise StandingError("detail_unknown")
    if (
        change.valid_to is not None
        and change.valid_from is not None
        and change.valid_to <= change.valid_from
    ):
        raise StandingError("ends_before_start")


async def _close_open(
    session: AsyncSession, member_id: int, kinds: Iterable[Standing], on: date
) -> None:
    h = MemberStanding
    query = select(h).where(
        h.member_id == member_id,
        h.status.in_(list(kinds)),
        or_(h.valid_to.is_(None), h.valid_to > on),
        or_(h.valid_from.is_(None), h.valid_from <= on),
    )
    for row in await session.scalars(query):
        row.valid_to = on


async def _audit(session: AsyncSession, member: Member, row: MemberStanding, action: str) -> None:
    await audit.record(
        session,
        action,
        actor_member_id=row.recorded_by_member_id,
        actor_label=row.recorded_by_label,
        unit_id=row.branch_id,
        object_type="member",
        object_id=member.id,
        details={
            "status": row.status.value,
            "detail": row.detail,
            "valid_from": row.valid_from.isoformat() if row.valid_from else None,
            "valid_to": row.valid_to.isoformat() if row.valid_to else None,
            "decision_no": row.decision_no,
        },
    )


async def sync_flag(session: AsyncSession, member: Member, today: date) -> None:
    """Keeps `Member.status` (on the roster today or not) in step with the history."""
    await session.flush()
    now = await status_of(session, member.id, today)
    on_roster = now is None or now in ON_ROSTER  # admitted from a later date: on it already
    member.status = MemberStatus.ACTIVE if on_roster else MemberStatus.INACTIVE
    await session.flush()


async def open_overlay(
    session: AsyncSession, member_id: int, status: Standing, at: date
) -> MemberStanding | None:
    """The member's exemption (or temporary transfer) in force on `at`, if any."""
    h = MemberStanding
    query = (
        select(h)
        .where(
            h.member_id == member_id,
            h.status == status,
            or_(h.valid_from.is_(None), h.valid_from <= at),
            or_(h.valid_to.is_(None), h.valid_to > at),
        )
        .order_by(h.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def members_counted(
    session: AsyncSession,
    figure: str,
    member_ids: Iterable[int],
    at: date,
    hosted_under: str | None = None,
) -> set[int]:
    """Those of `member_ids` the figure counts on `at` by their own standing (e.g. who may
    be warned or reminded); with `hosted_under` (a unit path), also the members
    temporarily transferred in to a branch there (storage/hosted.py): a meeting of the
    receiving branch reminds them, one of the branch they left does not.

    The ids go in chunks: a meeting of a whole committee reminds more members than
    PostgreSQL takes bound parameters (32,767)."""
    ids = list(member_ids)
    statuses = FIGURES[figure].counts
    population = union_all(*_by_own_standing(statuses, at, None)).subquery(f"own_{figure}")
    found: set[int] = set()
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        query = select(population.c.member_id).where(population.c.member_id.in_(chunk))
        found.update(await session.scalars(query))
    if hosted_under is not None and statuses == TAKING_PART:
        found.update(await hosted_among(session, ids, at, hosted_under))
    return found


def year_date(year: int, on: date | None) -> date:
    """The date a figure of `year` is counted on: `on` (today, or a past date asked for),
    never after the year's last day; without one, the year's last day."""
    last = date(year, 12, 31)
    return last if on is None else min(on, last)
