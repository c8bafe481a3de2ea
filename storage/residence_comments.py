"""The residence branch's yearly comment on each member, and the workplace committee's view:
per branch, who is registered, confirmed, exempt or missing, and whose comment is in.

"Working members" are the active members of branches not marked residential
(`chibo unit add --residential`): members of a residential branch already live there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import (
    Member,
    MemberStatus,
    ResidenceActivity,
    ResidenceComment,
    ResidenceExemption,
    ResidenceTie,
    TelegramAccount,
    TieStatus,
    Unit,
)
from storage.residence import ResidenceError, branch_hosts
from storage.standing import is_counted, year_date

REGISTERED = (TieStatus.PENDING, TieStatus.CONFIRMED, TieStatus.UNLISTED)


@dataclass(frozen=True)
class CommentForm:
    """The short structured comment of Hướng dẫn 33: three yes/no points and free text."""

    takes_part: bool
    sets_example: bool
    keeps_contact: bool
    comment: str


@dataclass(frozen=True)
class MemberResidence:
    """One working member's residence situation for a year."""

    member: Member
    tie: ResidenceTie | None
    exemption: ResidenceExemption | None
    comment: ResidenceComment | None
    activities: int = 0  # confirmed residence activities in the year

    def below(self, minimum: int) -> bool:
        """Tied, not exempt, and fewer confirmed activities this year than expected."""
        return self.registered and self.exemption is None and self.activities < minimum

    @property
    def registered(self) -> bool:
        return self.tie is not None and self.tie.status in REGISTERED

    @property
    def confirmed(self) -> bool:
        return self.tie is not None and self.tie.status == TieStatus.CONFIRMED

    @property
    def missing(self) -> bool:
        """Neither registered nor exempt: the member is asked to register."""
        return self.exemption is None and not self.registered

    @property
    def comment_missing(self) -> bool:
        """No comment for the year, and one is expected (exempt members get none)."""
        return self.exemption is None and self.comment is None


@dataclass
class BranchResidence:
    """The committee's figures for one workplace branch."""

    branch: Unit
    members: list[MemberResidence] = field(default_factory=list)

    def count(self, what: str) -> int:
        return sum(1 for m in self.members if getattr(m, what))

    @property
    def exempt(self) -> int:
        return sum(1 for m in self.members if m.exemption is not None)

    @property
    def comments_received(self) -> int:
        return sum(1 for m in self.members if m.comment is not None)


async def comment_of(session: AsyncSession, member_id: int, year: int) -> ResidenceComment | None:
    """The residence branch's comment on the member for `year` (part of the year record)."""
    query = select(ResidenceComment).where(
        ResidenceComment.member_id == member_id, ResidenceComment.year == year
    )
    return await session.scalar(query)


async def save_comment(
    session: AsyncSession,
    tie: ResidenceTie,
    year: int,
    form: CommentForm,
    by_member_id: int | None,
    now: datetime,
) -> ResidenceComment:
    """Stores the comment, once: a sent comment is final."""
    if tie.status != TieStatus.CONFIRMED or tie.ended_at is not None:
        raise ResidenceError("tie_not_confirmed")
    if tie.residence_branch_id is None:
        raise ResidenceError("tie_not_confirmed")
    if await comment_of(session, tie.member_id, year) is not None:
        raise ResidenceError("comment_sent")
    comment = ResidenceComment(
        member_id=tie.member_id,
        year=year,
        tie_id=tie.id,
        residence_branch_id=tie.residence_branch_id,
        takes_part=form.takes_part,
        sets_example=form.sets_example,
        keeps_contact=form.keeps_contact,
        comment=form.comment,
        written_by_member_id=by_member_id,
        sent_at=now,
    )
    session.add(comment)
    await session.flush()
    return comment


async def comments_to_write(
    session: AsyncSession, residence_branch_ids: Sequence[int], year: int, on: date | None = None
) -> list[ResidenceTie]:
    """Confirmed current ties to these branches of members taking part (not exempt from
    activity) and not residence-exempt, still without a comment for `year`, by name."""
    if not residence_branch_ids:
        return []
    commented = select(ResidenceComment.member_id).where(ResidenceComment.year == year)
    exempt = select(ResidenceExemption.member_id).where(ResidenceExemption.ended_at.is_(None))
    query = (
        select(ResidenceTie)
        .join(Member, Member.id == ResidenceTie.member_id)
        .where(
            ResidenceTie.residence_branch_id.in_(residence_branch_ids),
            ResidenceTie.status == TieStatus.CONFIRMED,
            ResidenceTie.ended_at.is_(None),
            Member.status == MemberStatus.ACTIVE,
            is_counted("residence_commented", year_date(year, on)),
            ResidenceTie.member_id.not_in(commented),
            ResidenceTie.member_id.not_in(exempt),
        )
        .options(joinedload(ResidenceTie.member).joinedload(Member.branch))
        .order_by(Member.name_folded, Member.id)
    )
    return list(await session.scalars(query))


async def working_branches(session: AsyncSession, paths: set[str]) -> list[Unit]:
    """Workplace (not residential) branches at or under `paths`, by name."""
    if not paths:
        return []
    query = select(Unit).where(Unit.is_branch, Unit.is_residential.is_(False))
    units = await session.scalars(query.order_by(Unit.name_folded))
    return [u for u in units if any(u.path.startswith(p) for p in paths)]


async def branch_residence(
    session: AsyncSession, branches: Sequence[Unit], year: int, on: date | None = None
) -> list[BranchResidence]:
    """Every member of `branches` taking part on `on` (docs/populations.md,
    "residence_registered") with their current tie, exemption and comment."""
    result = {b.id: BranchResidence(b) for b in branches}
    if not result:
        return []
    members = list(
        await session.scalars(
            select(Member)
            .where(
                Member.branch_id.in_(result),
                is_counted("residence_registered", year_date(year, on)),
            )
            .options(joinedload(Member.account))
            .order_by(Member.name_folded, Member.id)
        )
    )
    ids = [m.id for m in members]
    ties = await _current_ties(session, ids)
    exemptions = await _current_exemptions(session, ids)
    comments = {
        c.member_id: c
        for c in await session.scalars(
            select(ResidenceComment).where(
                ResidenceComment.member_id.in_(ids), ResidenceComment.year == year
            )
        )
    }
    activities = await _confirmed_activities(session, ids, year)
    for m in members:
        entry = MemberResidence(
            m, ties.get(m.id), exemptions.get(m.id), comments.get(m.id), activities.get(m.id, 0)
        )
        result[m.branch_id].members.append(entry)
    return list(result.values())


async def _confirmed_activities(session: AsyncSession, ids: list[int], year: int) -> dict[int, int]:
    query = (
        select(ResidenceActivity.member_id, func.count())
        .where(
            ResidenceActivity.member_id.in_(ids),
            ResidenceActivity.confirmed_at.is_not(None),
            ResidenceActivity.held_on >= date(year, 1, 1),
            ResidenceActivity.held_on <= date(year, 12, 31),
        )
        .group_by(ResidenceActivity.member_id)
    )
    return {member_id: count for member_id, count in await session.execute(query)}


async def _current_ties(session: AsyncSession, ids: list[int]) -> dict[int, ResidenceTie]:
    query = (
        select(ResidenceTie)
        .where(ResidenceTie.member_id.in_(ids), ResidenceTie.ended_at.is_(None))
        .options(joinedload(ResidenceTie.residence_branch))
    )
    return {row.member_id: row for row in await session.scalars(query)}


async def _current_exemptions(
    session: AsyncSession, ids: list[int]
) -> dict[int, ResidenceExemption]:
    query = select(ResidenceExemption).where(
        ResidenceExemption.member_id.in_(ids), ResidenceExemption.ended_at.is_(None)
    )
    return {row.member_id: row for row in await session.scalars(query)}


async def residence_overview(
    session: AsyncSession, paths: set[str], year: int, on: date | None = None
) -> list[BranchResidence]:
    """The committee overview: every workplace branch under `paths` with its figures."""
    return await branch_residence(session, await working_branches(session, paths), year, on)


async def hosts_owing_comments(
    session: AsyncSession, entries: Sequence[MemberResidence]
) -> dict[int, tuple[Member, int]]:
    """Residence branch leaders who owe comments on these members: member id -> (host, how
    many comments they owe)."""
    ties = [e.tie for e in entries if e.comment_missing and e.confirmed and e.tie]
    return await _hosts_owing(session, ties)


async def _hosts_owing(
    session: AsyncSession, ties: Sequence[ResidenceTie]
) -> dict[int, tuple[Member, int]]:
    owed = Counter(t.residence_branch_id for t in ties if t.residence_branch_id is not None)
    hosts: dict[int, tuple[Member, int]] = {}
    for branch_id, count in owed.items():
        for host in await branch_hosts(session, branch_id):
            _, before = hosts.get(host.id, (host, 0))
            hosts[host.id] = (host, before + count)
    return hosts


def account_of(member: Member) -> TelegramAccount | None:
    """The member's Telegram account, if loaded and linked."""
    return member.account if member.telegram_user_id else None


async def hosts_to_ask(session: AsyncSession, year: int) -> dict[int, tuple[Member, int]]:
    """Every residence branch leader with comments to write for `year`: host id -> (host,
    how many), for the yearly ask when the window opens."""
    branch_ids = select(ResidenceTie.residence_branch_id).where(
        ResidenceTie.status == TieStatus.CONFIRMED, ResidenceTie.ended_at.is_(None)
    )
    ids = [i for i in await session.scalars(branch_ids.distinct()) if i is not None]
    return await _hosts_owing(session, await comments_to_write(session, ids, year))
