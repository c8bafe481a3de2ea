"""What members, residence branch leaders and workplace committees do with residence ties,
without Telegram: register a tie, record an activity, confirm or decline a tie, confirm an
activity, record or lift an exemption, send the yearly comment, remind everyone missing, and
the yearly ask when the comment window opens. A handler, a stored job, the command line or a
test calls these with a session, the actor and typed arguments; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Action, Actor, can
from handlers.residence.messages import (
    Builder,
    activity_request,
    comment_reminder,
    comments_open,
    decided,
    register_reminder,
    tie_request,
)
from handlers.residence.window import KIND as WINDOW_JOB
from handlers.residence.window import job_key, opening_time
from handlers.shared.readers import reader_translator
from handlers.shared.reminder_guard import not_yet_reminded
from handlers.shared.usecase import Env, NotAllowed
from storage import audit, outbox, schedule
from storage.models import (
    ExemptionKind,
    Member,
    ResidenceActivity,
    ResidenceComment,
    ResidenceTie,
    TelegramAccount,
    TieStatus,
    Unit,
)
from storage.outbox import NewMessage, text_payload
from storage.reminders import Reminded, reminded_since
from storage.residence import (
    ResidenceError,
    TieDraft,
    add_activity,
    branch_hosts,
    confirm_activity,
    decide_tie,
    get_tie,
    lift_exemption,
    record_exemption,
    register_tie,
)

if TYPE_CHECKING:  # the job's side only: the scheduler pulls in the Telegram context
    from bot.scheduler import JobContext

from storage.residence_comments import (
    BranchResidence,
    CommentForm,
    branch_residence,
    hosts_owing_comments,
    hosts_to_ask,
    save_comment,
)

# --- who may do what, and when ------------------------------------------------------------


def today(env: Env) -> date:
    """The action's date where the organisation is."""
    return env.now.astimezone(env.settings.tz).date()


def comment_year(env: Env) -> int | None:
    """The year whose residence comments can be written today, or None outside the window."""
    return env.settings.residence_comment_year(today(env))


def report_year(env: Env) -> int:
    """The year the figures are about: the open comment window's, else this year."""
    return comment_year(env) or today(env).year


def may_register(actor: Actor, member: Member | None) -> bool:
    """An active member of a workplace branch (a residential branch needs no tie)."""
    return (
        member is not None
        and actor.member_id == member.id
        and can(actor, Action.USE_MENU)
        and not member.branch.is_residential
    )


def may_host(actor: Actor, tie: ResidenceTie | None) -> bool:
    """Is the actor a leader of the tie's residence branch (in the bot)?"""
    branch = tie.residence_branch if tie else None
    return branch is not None and can(actor, Action.HOST_RESIDENCE, branch.path)


def may_manage(actor: Actor, member: Member | None) -> bool:
    """Is the actor on the committee of the member's workplace branch?"""
    return member is not None and can(actor, Action.MANAGE_RESIDENCE, member.branch.path)


def is_current(tie: ResidenceTie) -> bool:
    """Activities are recorded and confirmed on the current tie, unless it was declined."""
    return tie.ended_at is None and tie.status != TieStatus.DECLINED


async def _tell(session: AsyncSession, member: Member, build: Builder, env: Env) -> bool:
    """One message to `member` through the outbox, in their language; False if unlinked."""
    if member.telegram_user_id is None:
        return False
    account = await session.get(TelegramAccount, member.telegram_user_id)
    text, markup = build(reader_translator(account, env.settings))
    payload = text_payload(text, "HTML", markup)
    message = NewMessage(member.telegram_user_id, payload, member_id=member.id)
    await outbox.enqueue(session, message, env.now)
    env.wake_sender()
    return True


async def _tell_hosts(session: AsyncSession, tie: ResidenceTie, build: Builder, env: Env) -> int:
    """The leaders of the tie's residence branch (if in the bot) are asked; how many."""
    asked = 0
    for host in await branch_hosts(session, tie.residence_branch_id or 0):
        asked += await _tell(session, host, build, env)
    return asked


# --- the member ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    tie: ResidenceTie
    asked: int  # residence branch leaders asked to confirm it


async def register(
    session: AsyncSession, actor: Actor, member: Member, draft: TieDraft, env: Env
) -> Registered:
    """Stores the tie (the previous one becomes history) and, when the residence branch is
    in the bot, asks its leaders to confirm it."""
    if not may_register(actor, member):
        raise NotAllowed(f"register a residence tie for member {member.id}")
    tie = await register_tie(session, member, draft, env.now)
    await audit.record(
        session,
        "residence_registered",
        actor_member_id=member.id,
        unit_id=member.branch_id,
        object_type="residence_tie",
        object_id=tie.id,
    )
    return Registered(tie, await _tell_hosts(session, tie, tie_request(tie, member), env))


async def record_activity(
    session: AsyncSession,
    actor: Actor,
    member: Member,
    tie: ResidenceTie,
    held_on: date,
    what: str,
    env: Env,
) -> ResidenceActivity:
    """A residence activity the member took part in; the residence branch leaders are asked
    to confirm it."""
    if not can(actor, Action.USE_MENU) or actor.member_id != member.id:
        raise NotAllowed(f"record an activity for member {member.id}")
    if tie.member_id != member.id or not is_current(tie):
        raise NotAllowed(f"record an activity on tie {tie.id}")
    activity = await add_activity(session, tie, held_on, what, env.now)
    await _tell_hosts(session, tie, activity_request(activity, member), env)
    return activity


# --- the residence branch's leaders -------------------------------------------------------


async def confirm_tie(session: AsyncSession, actor: Actor, tie: ResidenceTie, env: Env) -> None:
    """The tie is confirmed and the member told; ResidenceError when it was answered before
    or replaced."""
    await _decide(session, actor, tie, True, "", env)


async def decline_tie(
    session: AsyncSession, actor: Actor, tie: ResidenceTie, reason: str, env: Env
) -> None:
    """The tie is declined and the member told the reason; ResidenceError as for confirm."""
    await _decide(session, actor, tie, False, reason, env)


async def _decide(
    session: AsyncSession, actor: Actor, tie: ResidenceTie, confirmed: bool, reason: str, env: Env
) -> None:
    if not may_host(actor, tie):
        raise NotAllowed(f"answer residence tie {tie.id}")
    decide_tie(tie, confirmed, actor.member_id, env.now, reason)
    await audit.record(
        session,
        "residence_confirmed" if confirmed else "residence_declined",
        actor_member_id=actor.member_id,
        unit_id=tie.residence_branch_id,
        object_type="residence_tie",
        object_id=tie.id,
    )
    await _tell(session, tie.member, decided(tie), env)


async def may_confirm_activity(
    session: AsyncSession, actor: Actor, activity: ResidenceActivity | None
) -> ResidenceTie | None:
    """The activity's tie, if the actor leads its residence branch and is not the member."""
    if activity is None or activity.member_id == actor.member_id:
        return None
    tie = await get_tie(session, activity.tie_id)
    return tie if may_host(actor, tie) else None


async def confirm_participation(
    session: AsyncSession, actor: Actor, activity: ResidenceActivity, env: Env
) -> None:
    """The leader confirms that the member took part (pressed twice: confirmed once).
    ResidenceError('no_tie') when the member has moved or the tie was declined meanwhile."""
    tie = await may_confirm_activity(session, actor, activity)
    if tie is None:
        raise NotAllowed(f"confirm residence activity {activity.id}")
    if not is_current(tie):
        raise ResidenceError("no_tie")
    if confirm_activity(activity, actor.member_id, env.now):
        await audit.record(
            session,
            "residence_activity_confirmed",
            actor_member_id=actor.member_id,
            object_type="residence_activity",
            object_id=activity.id,
        )


async def send_comment(
    session: AsyncSession,
    actor: Actor,
    tie: ResidenceTie,
    year: int,
    form: CommentForm,
    env: Env,
) -> ResidenceComment:
    """The yearly comment, stored once for the member's year record (a sent comment is
    final: ResidenceError when there is one, or the tie is no longer confirmed)."""
    if not may_host(actor, tie):
        raise NotAllowed(f"comment on residence tie {tie.id}")
    comment = await save_comment(session, tie, year, form, actor.member_id, env.now)
    await audit.record(
        session,
        "residence_comment_sent",
        actor_member_id=actor.member_id,
        unit_id=tie.residence_branch_id,
        object_type="residence_comment",
        object_id=comment.id,
    )
    return comment


async def open_comment_window(session: AsyncSession, year: int, env: Env) -> int:
    """The yearly ask: each residence branch leader with comments to write for `year` gets
    one message; next year's ask is booked. How many were asked."""
    hosts = await hosts_to_ask(session, year)
    messages = [comments_open(host, count, year, env.settings) for host, count in hosts.values()]
    if messages:
        await outbox.enqueue_broadcast(session, "residence_comment_window", messages, now=env.now)
        env.wake_sender()
    following = year + 1
    due = opening_time(env.settings, following)
    await schedule.schedule(session, WINDOW_JOB, job_key(following), due, {"year": following})
    env.wake_scheduler()
    return len(messages)


async def run_comment_window(job: JobContext) -> None:
    """The stored job of the comment window (handlers/residence/window.py books it)."""
    await open_comment_window(job.session, int(job.payload["year"]), Env(job.settings, job.now))


# --- the workplace committee --------------------------------------------------------------


async def exempt(
    session: AsyncSession,
    actor: Actor,
    member: Member,
    kind: ExemptionKind,
    reason: str | None,
    env: Env,
) -> None:
    """Records the exemption, replacing the current one (history kept)."""
    if not may_manage(actor, member):
        raise NotAllowed(f"exempt member {member.id}")
    await record_exemption(session, member.id, kind, reason, actor.member_id, env.now)
    await audit.record(
        session,
        "residence_exempted",
        actor_member_id=actor.member_id,
        unit_id=member.branch_id,
        object_type="member",
        object_id=member.id,
        details={"kind": kind.value},
    )


async def lift(session: AsyncSession, actor: Actor, member: Member, env: Env) -> bool:
    """The exemption ends (kept as history); False when there was none."""
    if not may_manage(actor, member):
        raise NotAllowed(f"lift the exemption of member {member.id}")
    lifted = await lift_exemption(session, member.id, env.now)
    if lifted:
        await audit.record(
            session,
            "residence_exemption_lifted",
            actor_member_id=actor.member_id,
            unit_id=member.branch_id,
            object_type="member",
            object_id=member.id,
        )
    return lifted


async def reminder_targets(
    session: AsyncSession, branch: BranchResidence, env: Env
) -> list[NewMessage]:
    """Reminders to send now: each missing member with Telegram; and, while the comment
    window is open, each residence branch leader who owes comments on this branch."""
    messages = [register_reminder(m.member, env.settings) for m in branch.members if m.missing]
    found = [m for m in messages if m is not None]
    year = comment_year(env)
    if year is not None:
        owing = await hosts_owing_comments(session, branch.members)
        for host, count in owing.values():
            found.append(comment_reminder(host, count, year, env.settings))
    return found


@dataclass(frozen=True)
class Reminder:
    """`targets` reminders were due, `sent` of them went now (the others went within the
    interval: `reminded` says when); `unlinked` are missing without Telegram."""

    targets: int
    sent: int = 0
    reminded: Reminded | None = None
    unlinked: list[Member] = field(default_factory=list)


async def remind_missing(
    session: AsyncSession, actor: Actor, unit: Unit, subject: str, env: Env
) -> Reminder:
    """Everyone missing in the workplace branch is reminded through the outbox (those
    reminded within `reminder_min_interval_minutes` are left out); `subject` names the
    reminders in the committee's delivery report."""
    if not unit.is_branch or not can(actor, Action.MANAGE_RESIDENCE, unit.path):
        raise NotAllowed(f"remind the missing of unit {unit.id}")
    [branch] = await branch_residence(session, [unit], report_year(env), today(env))
    everyone = await reminder_targets(session, branch, env)
    unlinked = [m.member for m in branch.members if m.missing and not m.member.telegram_user_id]
    if not everyone:
        return Reminder(0, unlinked=unlinked)
    since = env.now - timedelta(minutes=env.settings.reminder_min_interval_minutes)
    reminded = await reminded_since(session, "residence_reminded", "unit", unit.id, since)
    messages = not_yet_reminded(everyone, reminded)
    if messages:
        await _send_reminders(session, actor, unit, messages, subject, env.now)
        env.wake_sender()
    return Reminder(len(everyone), len(messages), reminded, unlinked)


async def _send_reminders(
    session: AsyncSession,
    actor: Actor,
    unit: Unit,
    messages: list[NewMessage],
    subject: str,
    now: datetime,
) -> None:
    await outbox.enqueue_broadcast(
        session,
        "residence_reminder",
        messages,
        created_by_member_id=actor.member_id,
        unit_id=unit.id,
        now=now,
        subject=subject,
    )
    await audit.record(
        session,
        "residence_reminded",
        actor_member_id=actor.member_id,
        unit_id=unit.id,
        object_type="unit",
        object_id=unit.id,
        details={"recipients": len(messages), "member_ids": [m.member_id for m in messages]},
    )
