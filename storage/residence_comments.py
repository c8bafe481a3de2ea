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

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from storage.as_of import (
    comment_sent_by,
    day_end,
    exemption_current_at,
    tie_confirmed_at,
    tie_current_at,
    tie_registered_at,
)
from storage.counted import Snapshot, counted_members
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
class ResidenceFigures:
    """The committee's counts for one workplace branch (or several, added up)."""

    members: int = 0  # working members
    registered: int = 0
    confirmed: int = 0
    exempt: int = 0
    registered_or_exempt: int = 0
    missing: int = 0  # neither registered nor exempt
    comments_received: int = 0
    comments_missing: int = 0  # of members not exempt
    below_minimum: int = 0  # tied, not exempt, fewer confirmed activities than expected


@dataclass
class BranchResidence:
    """One workplace branch, member by member (the branch detail)."""

    branch: Unit
    members: list[MemberResidence] = field(default_factory=list)

    def figures(self, minimum: int) -> ResidenceFigures:
        """The same counts as `residence_figures`, from the loaded members."""
        return ResidenceFigures(
            members=len(self.members),
            registered=self.count("registered"),
            confirmed=self.count("confirmed"),
            exempt=self.exempt,
            registered_or_exempt=sum(
                1 for m in self.members if m.registered or m.exemption is not None
            ),
            missing=self.count("missing"),
            comments_received=self.comments_received,
            comments_missing=self.count("comment_missing"),
            below_minimum=sum(1 for m in self.members if m.below(minimum)),
        )

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
    # NOT EXISTS, not NOT IN: see storage/surveys.py `_not_answered`.
    commented = exists().where(
        ResidenceComment.member_id == ResidenceTie.member_id, ResidenceComment.year == year
    )
    exempt = exists().where(
        ResidenceExemption.member_id == ResidenceTie.member_id,
        ResidenceExemption.ended_at.is_(None),
    )
    query = (
        select(ResidenceTie)
        .join(Member, Member.id == ResidenceTie.member_id)
        .where(
            ResidenceTie.residence_branch_id.in_(residence_branch_ids),
            ResidenceTie.status == TieStatus.CONFIRMED,
            ResidenceTie.ended_at.is_(None),
            Member.status == MemberStatus.ACTIVE,
            is_counted("residence_commented", year_date(year, on)),
            ~commented,
            ~exempt,
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
    session: AsyncSession, paths: set[str], year: int, minimum: int, on: date | None = None
) -> list[tuple[Unit, ResidenceFigures]]:
    """The committee overview: every workplace branch under `paths` with its figures, of
    the members counted on `on` (default: the year's last day)."""
    figures: dict[int, ResidenceFigures] = {}
    for path in paths:
        figures.update(await residence_figures(session, path, year, minimum, on))
    branches = await working_branches(session, paths)
    return [(b, figures.get(b.id, ResidenceFigures())) for b in branches]


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def residence_figures(
    session: AsyncSession,
    unit_path: str,
    year: int,
    minimum: int | None = None,
    on: date | None = None,
    snapshot: Snapshot | None = None,
) -> dict[int, ResidenceFigures]:
    """Per workplace branch at or under `unit_path` (branch id -> figures), counted in SQL
    over the members taking part on `on` (docs/populations.md, "residence_registered";
    "residence_commented" is the same population less the residence-exempt). A member has
    at most one current tie and one current exemption (storage/residence.py), so the joins
    add no rows. Without `minimum`, activities are not counted (faster)."""
    at = year_date(year, on)
    end = day_end(at)  # ties, exemptions and comments as they stood then (storage/as_of.py)
    counted = counted_members(
        unit_path, "residence_registered", at, working_only=True, snapshot=snapshot
    )
    member = counted.c.member_id
    tie, exemption = aliased(ResidenceTie), aliased(ResidenceExemption)
    comment = aliased(ResidenceComment)
    registered = tie_registered_at(tie, end)
    exempt = exemption.id.is_not(None)
    columns = [
        func.count(),
        _count(registered),
        _count(tie_confirmed_at(tie, end)),
        _count(exempt),
        _count(or_(registered, exempt)),
        _count(and_(not_(exempt), not_(registered))),
        _count(comment.id.is_not(None)),
        _count(and_(not_(exempt), comment.id.is_(None))),
        _below(member, registered, exempt, year, minimum, end),
    ]
    query = (
        select(counted.c.branch_id, *columns)
        .select_from(counted)
        .outerjoin(tie, and_(tie.member_id == member, tie_current_at(tie, end)))
        .outerjoin(
            exemption, and_(exemption.member_id == member, exemption_current_at(exemption, end))
        )
        .outerjoin(
            comment,
            and_(comment.member_id == member, comment.year == year, comment_sent_by(comment, end)),
        )
        .group_by(counted.c.branch_id)
    )
    return {
        branch_id: ResidenceFigures(*(int(n) for n in counts))
        for branch_id, *counts in await session.execute(query)
    }


def _below(
    member: ColumnElement[int],
    registered: ColumnElement[bool],
    exempt: ColumnElement[bool],
    year: int,
    minimum: int | None,
    end: datetime,
) -> ColumnElement[int]:
    """Tied, not exempt members with fewer confirmed activities in `year` than `minimum`:
    the activities are counted only for those (CASE evaluates lazily)."""
    if minimum is None:
        return literal(0)
    activities = (
        select(func.count())
        .where(
            ResidenceActivity.member_id == member,
            ResidenceActivity.confirmed_at.is_not(None),
            ResidenceActivity.confirmed_at < end,
            ResidenceActivity.confirmed_at < end,
            ResidenceActivity.held_on >= date(year, 1, 1),
            ResidenceActivity.held_on <= date(year, 12, 31),
        )
        .scalar_subquery()
    )
    below = case((activities < minimum, 1), else_=0)
    return func.coalesce(func.sum(case((and_(registered, not_(exempt)), below), else_=0)), 0)


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
