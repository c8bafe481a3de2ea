"""What a branch secretary (or deputy) does with the branch's members, without Telegram: reset
a member's Telegram link or make them an invite link, record or end an exemption, end a
temporary transfer, admit someone, record the probation's outcome, start a transfer and
confirm receiving one. A handler, a job, the command line or a test calls
these with a session, the actor and typed arguments; the caller commits.

Each re-checks that the actor manages the branch (raising NotAllowed: nothing was written);
the storage functions they call write the audit rows. A rule of the standing that is broken
raises storage.standing.StandingError, whose code the handler words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Action, Actor, can, can_on_member
from handlers.members.messages import ask_confirm, receipt_confirmed, to_secretaries
from handlers.shared.usecase import Env, NotAllowed
from storage import audit, outbox
from storage.invites import create_invite
from storage.members import unbind_member
from storage.models import InviteCode, Member, MemberTransfer, Standing, Unit
from storage.probation import Admission, admit, record_outcome, schedule_reminders
from storage.standing import Change, end_period, open_overlay, record_change
from storage.transfers import (
    OVERDUE_KIND,
    TransferDraft,
    confirm_transfer,
    get_transfer,
    start_transfer,
)


def may_manage(actor: Actor, member: Member) -> bool:
    return can_on_member(actor, Action.MANAGE_MEMBERS, member)


def _check(actor: Actor, member: Member) -> None:
    if not may_manage(actor, member):
        raise NotAllowed(f"manage member {member.id}")


def today(env: Env) -> date:
    """The action's day where the organisation is."""
    return env.now.astimezone(env.settings.tz).date()


async def reset_link(session: AsyncSession, actor: Actor, member: Member, env: Env) -> int | None:
    """The member's Telegram link is reset (they link again with /start); the old account,
    or None when they were not linked (nothing is audited then)."""
    _check(actor, member)
    old_account = await unbind_member(session, member, env.now)
    if old_account is not None:
        await audit.record(
            session,
            "unbind",
            actor_member_id=actor.member_id,
            actor_telegram_id=actor.telegram_id,
            unit_id=member.branch_id,
            object_type="member",
            object_id=member.id,
        )
    return old_account


async def make_invite(session: AsyncSession, actor: Actor, member: Member, env: Env) -> InviteCode:
    """A one-time link for the member, valid `invite_valid_days`; their older ones stop."""
    _check(actor, member)
    valid = timedelta(days=env.settings.invite_valid_days)
    invite = await create_invite(session, member, env.now, valid)
    await audit.record(
        session,
        "invite_created",
        actor_member_id=actor.member_id,
        unit_id=member.branch_id,
        object_type="member",
        object_id=member.id,
    )
    return invite


@dataclass(frozen=True)
class Exemption:
    reason: str  # one of storage.standing.DETAILS[Standing.EXEMPT]
    start: date
    until: date | None  # None: no end date
    note: str | None = None  # the reason in words, for "other"


async def record_exemption(
    session: AsyncSession, actor: Actor, member: Member, exemption: Exemption, env: Env
) -> None:
    """The member is exempt from activity over the dates (StandingError: they do not fit)."""
    _check(actor, member)
    change = Change(
        Standing.EXEMPT,
        exemption.start,
        exemption.until,
        detail=exemption.reason,
        note=exemption.note,
        by_member_id=actor.member_id,
    )
    await record_change(session, member, change, today(env))


async def end_today(
    session: AsyncSession, actor: Actor, member: Member, standing: Standing, env: Env
) -> date:
    """The member's open `standing` period (an exemption, a temporary transfer) ends today;
    nothing to end is fine (a second press). Returns the day."""
    _check(actor, member)
    day = today(env)
    period = await open_overlay(session, member.id, standing, day)
    if period is not None:
        await end_period(session, member, period, day, day, by_member_id=actor.member_id)
    return day


async def admit_member(
    session: AsyncSession, actor: Actor, branch: Unit, admission: Admission, env: Env
) -> Member:
    """Admission to the branch (a readmission for a former member), and the reminders before
    the probation ends booked."""
    if not can(actor, Action.MANAGE_MEMBERS, branch.path):
        raise NotAllowed(f"admit to unit {branch.id}")
    member = await admit(session, branch, admission, by_member_id=actor.member_id, today=today(env))
    settings = env.settings
    await schedule_reminders(
        session, member.id, admission.admitted_on, settings.tz, settings.probation_reminder_hour
    )
    env.wake_scheduler()
    return member


async def record_probation_outcome(
    session: AsyncSession, actor: Actor, member: Member, recognised: bool, on: date, env: Env
) -> None:
    """Recognised as a full member on `on`, or not (struck off the roster on `on`)."""
    _check(actor, member)
    await record_outcome(
        session, member, recognised, on, by_member_id=actor.member_id, today=today(env)
    )


async def start_member_transfer(
    session: AsyncSession, actor: Actor, member: Member, draft: TransferDraft, env: Env
) -> MemberTransfer:
    """The transfer starts. To a branch in the bot, its secretaries are asked to confirm
    receipt (and the overdue job is booked); outside the bot, the member moves at once."""
    _check(actor, member)
    transfer = await start_transfer(
        session, member, draft, by_member_id=actor.member_id, now=env.now, today=today(env),
        confirm_days=env.settings.transfer_confirm_days,
    )  # fmt: skip
    if transfer.to_branch_id is None:
        return transfer
    full = await get_transfer(session, transfer.id)
    assert full is not None and full.to_branch is not None
    messages = await to_secretaries(
        session, full.to_branch, env.settings, lambda t: ask_confirm(full, t)
    )
    await outbox.enqueue_broadcast(
        session, OVERDUE_KIND, messages, unit_id=full.to_branch_id, now=env.now
    )
    env.wake_sender()
    env.wake_scheduler()
    return full


def may_confirm(actor: Actor, transfer: MemberTransfer) -> bool:
    """A secretary of the receiving branch, of a transfer not yet confirmed."""
    to_branch = transfer.to_branch
    return (
        to_branch is not None
        and can(actor, Action.MANAGE_MEMBERS, to_branch.path)
        and transfer.confirmed_at is None
    )


async def confirm_receipt(
    session: AsyncSession, actor: Actor, transfer: MemberTransfer, env: Env
) -> None:
    """The receiving branch confirms: the member moves (official) or is away (temporary);
    the sending branch's secretaries are told."""
    to_branch = transfer.to_branch
    if to_branch is None or not may_confirm(actor, transfer):
        raise NotAllowed(f"confirm transfer {transfer.id}")
    await confirm_transfer(
        session, transfer, by_member_id=actor.member_id, now=env.now, today=today(env)
    )
    told = receipt_confirmed(transfer, to_branch)
    messages = await to_secretaries(session, transfer.from_branch, env.settings, told)
    await outbox.enqueue_broadcast(
        session, OVERDUE_KIND, messages, unit_id=transfer.from_branch_id, now=env.now
    )
    env.wake_sender()
