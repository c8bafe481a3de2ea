"""Importing a checked roster into a branch: all rows or none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, Unit
from storage.roles import grant_role
from storage.roster_file import Problem, Roster, RosterRow
from storage.text import fold


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Known:
    by_phone: dict[str, Member]
    by_card: dict[str, Member]


async def import_roster(
    session: AsyncSession,
    branch: Unit,
    roster: Roster,
    progress: Callable[[int], None] = lambda _n: None,
) -> ImportSummary:
    """Adds or updates the members of `roster` in `branch`.

    Rows that conflict with stored members (another branch, a phone taken by someone else)
    are reported like file problems; the caller rolls back when any problem is reported.
    """
    summary = ImportSummary(problems=list(roster.problems))
    if summary.problems:
        return summary
    known = await _known_members(session)
    for row in roster.rows:
        await _apply_row(session, branch, row, known, summary)
        progress(1)
    await session.flush()
    return summary


async def _known_members(session: AsyncSession) -> _Known:
    members = list(await session.scalars(select(Member)))
    return _Known(
        by_phone={m.phone: m for m in members},
        by_card={m.party_card_no: m for m in members if m.party_card_no},
    )


async def _apply_row(
    session: AsyncSession, branch: Unit, row: RosterRow, known: _Known, summary: ImportSummary
) -> None:
    by_card = known.by_card.get(row.party_card_no) if row.party_card_no else None
    member = by_card or known.by_phone.get(row.phone)
    problem = _conflict(branch, row, member, known)
    if problem:
        summary.problems.append(problem)
        return
    status = "unchanged"
    if member is None:
        member = _new_member(branch, row)
        session.add(member)
        await session.flush()
        status = "added"
    elif _update(member, row):
        status = "updated"
    known.by_phone[member.phone] = member
    if row.role and await grant_role(session, member, row.role, branch) and status == "unchanged":
        status = "updated"
    setattr(summary, status, getattr(summary, status) + 1)


def _conflict(branch: Unit, row: RosterRow, member: Member | None, known: _Known) -> Problem | None:
    if member is None:
        return None
    if member.branch_id != branch.id:
        return Problem(row.line, "other_branch")
    phone_owner = known.by_phone.get(row.phone)
    if phone_owner is not None and phone_owner is not member:
        return Problem(row.line, "phone_taken")
    return None


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
