"""Members temporarily transferred in (chuyển sinh hoạt tạm thời) to a branch in the bot.

While the sending branch's "transferred temporarily" period lasts, the member is on the
sending roster but away from its duties (storage/standing.py), and takes part at the
receiving branch: invited to its meetings, reminded, and in the denominators of its duty
figures (docs/populations.md, "Temporary transfers"). The confirmed transfer names that
period (`MemberTransfer.period_id`), so its end (the member is back) ends the hosting too,
and a figure for a past date finds the branch the member took part in then.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import MemberStanding, MemberTransfer, Standing, TransferKind, Unit

_CHUNK = 10_000  # ids bound in one query
_ENDS = (Standing.TRANSFERRED_OUT, Standing.REMOVED)  # off every roster: hosted nowhere


def _in_force(period: Any, at: date) -> ColumnElement[bool]:
    return and_(
        or_(period.valid_from.is_(None), period.valid_from <= at),
        or_(period.valid_to.is_(None), period.valid_to > at),
    )


def hosted_at(at: date) -> Select[Any]:
    """`member_id`, `branch_id` (the receiving branch) of everyone temporarily transferred
    in somewhere on `at`: a confirmed temporary transfer whose period is in force then, of a
    member not removed or transferred out by then."""
    away, end = aliased(MemberStanding), aliased(MemberStanding)
    t = MemberTransfer
    ended = (
        select(end.id)
        .where(end.member_id == t.member_id, end.status.in_(_ENDS), _in_force(end, at))
        .exists()
    )
    query = (
        select(t.member_id.label("member_id"), t.to_branch_id.label("branch_id"))
        .join(away, away.id == t.period_id)
        .where(
            t.kind == TransferKind.TEMPORARY,
            t.to_branch_id.is_not(None),
            away.status == Standing.TRANSFERRED_TEMPORARY,
            _in_force(away, at),
            ~ended,
        )
    )
    return query  # type: ignore[return-value]


def hosted_taking_part(at: date) -> Select[Any]:
    """`hosted_at` with the `status` column of the populations in storage/standing.py, for
    the figures of members taking part. The figures read a member's status only to tell
    the exempt apart, so the hosted (taking part, by definition) stand as official."""
    hosted = hosted_at(at).subquery("hosted_members")
    return select(
        hosted.c.member_id,
        hosted.c.branch_id,
        literal(Standing.OFFICIAL.value).label("status"),
    )


def hosted_under(unit_path: str, at: date) -> Select[tuple[int]]:
    """Ids of the members temporarily transferred in to branches at or under the unit."""
    hosted = hosted_at(at).subquery("hosted")
    return (
        select(hosted.c.member_id)
        .join(Unit, Unit.id == hosted.c.branch_id)
        .where(Unit.path.startswith(unit_path))
    )


async def hosted_among(
    session: AsyncSession, member_ids: list[int], at: date, unit_path: str
) -> set[int]:
    """Those of `member_ids` temporarily transferred in to a branch at or under the unit on
    `at` (chunked: a whole committee's meeting has more invitees than PostgreSQL takes
    parameters)."""
    hosted = hosted_under(unit_path, at).subquery("hosted")
    found: set[int] = set()
    for start in range(0, len(member_ids), _CHUNK):
        chunk = member_ids[start : start + _CHUNK]
        query = select(hosted.c.member_id).where(hosted.c.member_id.in_(chunk))
        found.update(await session.scalars(query))
    return found


def hosted_in(branch_id: int, at: date) -> Select[tuple[int]]:
    """Ids of the members temporarily transferred in to this branch on `at`."""
    hosted = hosted_at(at).subquery("hosted")
    return select(hosted.c.member_id).where(hosted.c.branch_id == branch_id)
