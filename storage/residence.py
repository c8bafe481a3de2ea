"""Residence ties (Quy định 213-QĐ/TW): a working member's tie to the branch where they live,
the committee's exemptions, and the residence activities the member records.

A member has at most one current tie and one current exemption (`ended_at` is None); older
ones stay as history. Rules about states live here; handlers only ask and render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from storage.models import (
    ExemptionKind,
    Member,
    MemberStatus,
    ResidenceActivity,
    ResidenceExemption,
    ResidenceTie,
    Role,
    RoleAssignment,
    TelegramAccount,
    TieStatus,
    Unit,
)
from storage.text import fold

SEARCH_RESULTS = 8
HOST_ROLES = (Role.SECRETARY, Role.DEPUTY_SECRETARY)


class ResidenceError(ValueError):
    """An operation refused for a reason the person is told (`code` picks the text)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class TieDraft:
    """What the member typed; `branch_id` None means the branch is not in the bot."""

    address: str
    commune: str | None
    province: str | None
    branch_id: int | None
    branch_text: str | None
    letter_no: str | None
    letter_date: date | None


async def current_tie(session: AsyncSession, member_id: int) -> ResidenceTie | None:
    query = _tie_select().where(
        ResidenceTie.member_id == member_id, ResidenceTie.ended_at.is_(None)
    )
    return await session.scalar(query)


def _tie_select() -> Select[ResidenceTie]:
    return select(ResidenceTie).options(
        joinedload(ResidenceTie.residence_branch),
        joinedload(ResidenceTie.member).joinedload(Member.branch),
    )


async def get_tie(session: AsyncSession, tie_id: int) -> ResidenceTie | None:
    return await session.scalar(_tie_select().where(ResidenceTie.id == tie_id))


async def tie_history(session: AsyncSession, member_id: int) -> list[ResidenceTie]:
    """Every tie of the member, newest first."""
    query = _tie_select().where(ResidenceTie.member_id == member_id)
    return list(await session.scalars(query.order_by(ResidenceTie.id.desc())))


async def search_branches(
    session: AsyncSession, text: str, exclude_id: int | None = None
) -> list[Unit]:
    """Branches whose name holds every word typed, ignoring case and tone marks."""
    words = fold(text).split()
    if not words:
        return []
    query = select(Unit).where(Unit.is_branch)
    for word in words:
        query = query.where(Unit.name_folded.contains(word, autoescape=True))
    if exclude_id is not None:
        query = query.where(Unit.id != exclude_id)
    query = query.order_by(Unit.name_folded).limit(SEARCH_RESULTS)
    return list(await session.scalars(query))


async def register_tie(
    session: AsyncSession, member: Member, draft: TieDraft, now: datetime
) -> ResidenceTie:
    """A new current tie; the previous one (the member moved) becomes history."""
    previous = await current_tie(session, member.id)
    if previous is not None:
        previous.ended_at = now
    tie = ResidenceTie(
        member_id=member.id,
        address=draft.address,
        commune=draft.commune,
        province=draft.province,
        residence_branch_id=draft.branch_id,
        residence_branch_text=None if draft.branch_id else draft.branch_text,
        letter_no=draft.letter_no,
        letter_date=draft.letter_date,
        status=TieStatus.PENDING if draft.branch_id else TieStatus.UNLISTED,
        created_at=now,
    )
    session.add(tie)
    await session.flush()
    return await _reloaded(session, tie.id)


async def _reloaded(session: AsyncSession, tie_id: int) -> ResidenceTie:
    """The tie with its branch and member loaded, for the replies about it."""
    query = _tie_select().where(ResidenceTie.id == tie_id)
    tie = await session.scalar(query.execution_options(populate_existing=True))
    assert tie is not None
    return tie


def decide_tie(
    tie: ResidenceTie, confirmed: bool, by_member_id: int | None, now: datetime, reason: str = ""
) -> None:
    """The residence secretary's answer; only a pending, current tie can be decided."""
    if tie.ended_at is not None:
        raise ResidenceError("tie_replaced")
    if tie.status != TieStatus.PENDING:
        raise ResidenceError("tie_decided")
    tie.status = TieStatus.CONFIRMED if confirmed else TieStatus.DECLINED
    tie.decline_reason = None if confirmed else reason
    tie.decided_by_member_id, tie.decided_at = by_member_id, now


async def pending_ties(session: AsyncSession, branch_paths: set[str]) -> list[ResidenceTie]:
    """Current ties waiting for a branch at or under `branch_paths`, oldest first."""
    if not branch_paths:
        return []
    query = (
        _tie_select()
        .join(Unit, Unit.id == ResidenceTie.residence_branch_id)
        .where(
            ResidenceTie.status == TieStatus.PENDING,
            ResidenceTie.ended_at.is_(None),
            or_(*(Unit.path.startswith(p) for p in branch_paths)),
        )
        .order_by(ResidenceTie.id)
    )
    return list(await session.scalars(query))


async def branch_hosts(session: AsyncSession, branch_id: int) -> list[Member]:
    """The residence branch's secretary and deputies with a Telegram link, who get its asks."""
    query = (
        select(Member)
        .join(RoleAssignment, RoleAssignment.member_id == Member.id)
        .join(TelegramAccount, TelegramAccount.user_id == Member.telegram_user_id)
        .where(
            RoleAssignment.unit_id == branch_id,
            RoleAssignment.role.in_(HOST_ROLES),
            Member.status == MemberStatus.ACTIVE,
        )
        .options(joinedload(Member.account))
        .order_by(Member.id)
    )
    return list((await session.scalars(query)).unique())


# --- exemptions -------------------------------------------------------------------------


async def current_exemption(session: AsyncSession, member_id: int) -> ResidenceExemption | None:
    query = select(ResidenceExemption).where(
        ResidenceExemption.member_id == member_id, ResidenceExemption.ended_at.is_(None)
    )
    return await session.scalar(query)


async def record_exemption(
    session: AsyncSession,
    member_id: int,
    kind: ExemptionKind,
    reason: str | None,
    by_member_id: int | None,
    now: datetime,
) -> ResidenceExemption:
    """The committee's decision, replacing the current one (history kept)."""
    if kind == ExemptionKind.OTHER and not reason:
        raise ResidenceError("reason_required")
    await lift_exemption(session, member_id, now)
    exemption = ResidenceExemption(
        member_id=member_id,
        kind=kind,
        reason=reason,
        recorded_by_member_id=by_member_id,
        created_at=now,
    )
    session.add(exemption)
    await session.flush()
    return exemption


async def lift_exemption(session: AsyncSession, member_id: int, now: datetime) -> bool:
    current = await current_exemption(session, member_id)
    if current is None:
        return False
    current.ended_at = now
    await session.flush()
    return True


# --- activities -------------------------------------------------------------------------


async def add_activity(
    session: AsyncSession, tie: ResidenceTie, held_on: date, what: str, now: datetime
) -> ResidenceActivity:
    """A residence activity on the member's current tie (not a declined or replaced one)."""
    if tie.ended_at is not None or tie.status == TieStatus.DECLINED:
        raise ResidenceError("no_tie")
    activity = ResidenceActivity(
        tie_id=tie.id, member_id=tie.member_id, held_on=held_on, what=what, created_at=now
    )
    session.add(activity)
    await session.flush()
    return activity


async def get_activity(session: AsyncSession, activity_id: int) -> ResidenceActivity | None:
    return await session.get(ResidenceActivity, activity_id)


@dataclass(frozen=True)
class ActivityToConfirm:
    activity: ResidenceActivity
    member_name: str
    member_branch: str


async def activities_to_confirm(
    session: AsyncSession, branch_paths: set[str], leader_id: int | None
) -> list[ActivityToConfirm]:
    """Unconfirmed activities on current ties to a branch at or under `branch_paths`, oldest
    first: what the leaders were asked to confirm, for when the ask is lost in their chat.
    The leader's own activities are not theirs to confirm."""
    if not branch_paths:
        return []
    home = aliased(Unit)
    query = (
        select(ResidenceActivity, Member.full_name, home.name)
        .join(ResidenceTie, ResidenceTie.id == ResidenceActivity.tie_id)
        .join(Unit, Unit.id == ResidenceTie.residence_branch_id)
        .join(Member, Member.id == ResidenceActivity.member_id)
        .join(home, home.id == Member.branch_id)
        .where(
            ResidenceActivity.confirmed_at.is_(None),
            ResidenceActivity.member_id != (leader_id or 0),
            ResidenceTie.ended_at.is_(None),
            ResidenceTie.status != TieStatus.DECLINED,
            or_(*(Unit.path.startswith(p) for p in branch_paths)),
        )
        .order_by(ResidenceActivity.id)
    )
    rows = await session.execute(query)
    return [ActivityToConfirm(activity, name, branch) for activity, name, branch in rows]


def confirm_activity(activity: ResidenceActivity, by_member_id: int | None, now: datetime) -> bool:
    """Records the confirmation; False (no change) when it was confirmed before."""
    if activity.confirmed_at is not None:
        return False
    activity.confirmed_by_member_id, activity.confirmed_at = by_member_id, now
    return True


async def activities_of(
    session: AsyncSession, member_id: int, year: int
) -> list[ResidenceActivity]:
    query = (
        select(ResidenceActivity)
        .where(
            ResidenceActivity.member_id == member_id,
            ResidenceActivity.held_on >= date(year, 1, 1),
            ResidenceActivity.held_on <= date(year, 12, 31),
        )
        .order_by(ResidenceActivity.held_on, ResidenceActivity.id)
    )
    return list(await session.scalars(query))
