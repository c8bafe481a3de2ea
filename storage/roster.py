"""Importing a checked roster into a branch: all rows or none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, clock
from storage.models import Member, MemberStanding, Role, Standing, Unit
from storage.roles import grant_role
from storage.roster_file import Problem, Roster, RosterRow
from storage.standing import Change, history, record_change, status_of, sync_flag
from storage.text import fold


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    # (member's name, role) for each role the file's role column granted now.
    roles_granted: list[tuple[str, Role]] = field(default_factory=list)


@dataclass
class _Stored:
    """Members as stored before the import: every row is matched against this, not a mix."""

    by_phone: dict[str, Member]
    by_card: dict[str, Member]


async def import_roster(
    session: AsyncSession,
    branch: Unit,
    roster: Roster,
    progress: Callable[[int], None] = lambda _n: None,
    today: date | None = None,
) -> ImportSummary:
    """Adds or updates the members of `roster` in `branch`.

    Every row is first matched to a stored member (party card number, else phone) before
    anything changes, so one row cannot redirect another's match. Conflicts with stored members
    are reported with the file's own problems, all in one round; the caller rolls back when any
    problem is reported, and nothing is applied here then.
    """
    stored = await _stored_members(session)
    matches, conflicts = _resolve(branch, roster.rows, stored)
    summary = ImportSummary(problems=[*roster.problems, *conflicts])
    if summary.problems:
        return summary
    day = today or clock.today(ZoneInfo(clock.DEFAULT_ZONE))
    for row in roster.rows:
        await _apply_row(session, branch, row, matches.get(row.line), summary, day)
        progress(1)
    await session.flush()
    return summary


async def _stored_members(session: AsyncSession) -> _Stored:
    members = list(await session.scalars(select(Member)))
    return _Stored(
        by_phone={m.phone: m for m in members},
        by_card={m.party_card_no: m for m in members if m.party_card_no},
    )


def _resolve(
    branch: Unit, rows: list[RosterRow], stored: _Stored
) -> tuple[dict[int, Member], list[Problem]]:
    """The stored member of each row (by line), and the rows that cannot be applied safely."""
    matches: dict[int, Member] = {}
    claimed: dict[int, RosterRow] = {}  # member id -> the first row that matched it
    problems: list[Problem] = []
    for row in rows:
        member = _match(row, stored)
        if member is None:
            continue  # a new member; duplicates inside the file are found by check_table
        problems += _conflicts(branch, row, member, stored)
        first = claimed.setdefault(member.id, row)
        if first is not row and not _same_keys(first, row):
            problems.append(Problem(row.line, "same_member", str(first.line)))
        matches[row.line] = member
    return matches, problems


def _match(row: RosterRow, stored: _Stored) -> Member | None:
    by_card = stored.by_card.get(row.party_card_no) if row.party_card_no else None
    return by_card or stored.by_phone.get(row.phone)


def _conflicts(branch: Unit, row: RosterRow, member: Member, stored: _Stored) -> list[Problem]:
    problems = []
    if member.branch_id != branch.id:
        problems.append(Problem(row.line, "other_branch"))
    phone_owner = stored.by_phone.get(row.phone)
    if phone_owner is not None and phone_owner is not member:
        problems.append(Problem(row.line, "phone_taken"))
    if row.party_card_no and member.party_card_no not in (None, row.party_card_no):
        # Matched by phone only (a card match has this card): the phone moved to someone else,
        # or the card number is mistyped; either way the row is not this member as stored.
        problems.append(Problem(row.line, "card_mismatch"))  # the stored card is not shown
    return problems


def _same_keys(first: RosterRow, row: RosterRow) -> bool:
    """Rows sharing a phone or card are already reported by check_table as duplicates."""
    same_card = row.party_card_no is not None and first.party_card_no == row.party_card_no
    return first.phone == row.phone or same_card


async def _apply_row(
    session: AsyncSession,
    branch: Unit,
    row: RosterRow,
    member: Member | None,
    summary: ImportSummary,
    today: date,
) -> None:
    status = "unchanged"
    if member is None:
        member = _new_member(branch, row)
        session.add(member)
        await session.flush()
        status = "added"
    elif _update(member, row):
        status = "updated"
    if await _apply_standing(session, member, row, today) and status == "unchanged":
        status = "updated"
    if row.role and await grant_role(session, member, row.role, branch):
        summary.roles_granted.append((member.full_name, row.role))
        status = "updated" if status == "unchanged" else status
    setattr(summary, status, getattr(summary, status) + 1)


def _new_member(branch: Unit, row: RosterRow) -> Member:
    return Member(
        full_name=row.full_name,
        name_folded=fold(row.full_name),
        phone=row.phone,
        party_card_no=row.party_card_no,
        date_of_birth=row.date_of_birth,
        branch_id=branch.id,
    )


def _update(member: Member, row: RosterRow) -> bool:
    """Copies the row onto the member; True when anything changed."""
    wanted = {
        "full_name": row.full_name,
        "phone": row.phone,
        "party_card_no": row.party_card_no or member.party_card_no,
        "date_of_birth": row.date_of_birth or member.date_of_birth,
    }
    changed = {key: value for key, value in wanted.items() if getattr(member, key) != value}
    for key, value in changed.items():
        setattr(member, key, value)
    if "full_name" in changed:
        member.name_folded = fold(row.full_name)
    return bool(changed)


_BY_IMPORT = "import"


async def _apply_standing(
    session: AsyncSession, member: Member, row: RosterRow, today: date
) -> bool:
    """Brings the member's history in line with what the row says, and only that: an empty
    cell leaves history alone, a date that differs moves the period it names, a status
    that is not the member's today starts today. True when anything changed."""
    periods = await history(session, member.id)
    changed = False
    if not periods and not (row.admitted_on or row.official_on or row.standing):
        # Nothing said: official since a date nobody recorded (the flag, written down; not
        # a change the secretary made).
        await _add(session, member, Standing.OFFICIAL, None, today)
        return False
    if row.official_on is not None:
        changed |= await _set_start(
            session, member, periods, Standing.OFFICIAL, row.official_on, today
        )
    if row.admitted_on is not None:
        periods = await history(session, member.id)
        changed |= await _set_admission(session, member, periods, row.admitted_on, today)
    if row.standing is not None:
        wanted, detail = row.standing
        if await status_of(session, member.id, today) != wanted:
            start = None if wanted == Standing.OFFICIAL and not periods else today
            await _add(session, member, wanted, start, today, detail)
            changed = True
    if not changed and not periods:
        await _add(session, member, Standing.OFFICIAL, None, today)
    return changed


async def _add(
    session: AsyncSession,
    member: Member,
    status: Standing,
    start: date | None,
    today: date,
    detail: str | None = None,
    end: date | None = None,
) -> None:
    change = Change(status, start, end, detail=detail, by_label=_BY_IMPORT)
    await record_change(session, member, change, today)


async def _set_start(
    session: AsyncSession,
    member: Member,
    periods: list[MemberStanding],
    status: Standing,
    start: date,
    today: date,
) -> bool:
    """The first period of `status` starts on `start`: moved if it exists, added if not."""
    period = next((p for p in periods if p.status == status), None)
    if period is None:
        await _add(session, member, status, start, today)
        return True
    if period.valid_from == start:
        return False
    period.valid_from = start
    await _close_before(periods, period, start)
    await _audit_move(session, member, period, today)
    return True


async def _set_admission(
    session: AsyncSession, member: Member, periods: list[MemberStanding], start: date, today: date
) -> bool:
    """Probation runs from the admission date to recognition (or on, if not recognised)."""
    period = next((p for p in periods if p.status == Standing.PROBATIONARY), None)
    official = next((p for p in periods if p.status == Standing.OFFICIAL), None)
    if period is None:
        end = official.valid_from if official is not None else None
        await _add(session, member, Standing.PROBATIONARY, start, today, end=end)
        return True
    if period.valid_from == start:
        return False
    period.valid_from = start
    await _audit_move(session, member, period, today)
    return True


async def _close_before(periods: list[MemberStanding], moved: MemberStanding, start: date) -> None:
    """A moved official start ends the probation that came before it on that day."""
    for p in periods:
        if p.status == Standing.PROBATIONARY and moved.status == Standing.OFFICIAL:
            p.valid_to = start


async def _audit_move(
    session: AsyncSession, member: Member, period: MemberStanding, today: date
) -> None:
    await audit.record(
        session,
        "member_standing_moved",
        actor_label=_BY_IMPORT,
        unit_id=period.branch_id,
        object_type="member",
        object_id=member.id,
        details={
            "status": period.status.value,
            "period": period.id,
            "valid_from": period.valid_from.isoformat() if period.valid_from else None,
        },
    )
    await sync_flag(session, member, today)
