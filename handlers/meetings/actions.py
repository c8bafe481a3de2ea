"""What a secretary and a member do with meetings, without Telegram: call a meeting (the
invitations go out, the reminders are booked), change its time or place, cancel it (everyone
invited is told), answer an invitation, take attendance, and the reminder jobs. A handler, a
job, the command line or a test calls these with a session, the actor and typed arguments;
the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Action, Actor, can
from handlers.meetings.draft import REASON_LIMIT, REASON_MIN, MeetingDraft
from handlers.meetings.messages import (
    MessageText,
    attachment_messages,
    cancel_text,
    change_text_of,
    invitation_text,
    messages_to,
    reminder_text,
)
from handlers.shared.usecase import Env, NotAllowed
from storage import audit, outbox, schedule
from storage.meetings import (
    NEXT_ATTENDANCE,
    Invitee,
    add_meeting,
    audience,
    aware,
    get_invite,
    get_meeting,
    has_started,
    invite_of,
    invitees,
    prefill_attendance,
    reachable,
    record_answer,
    to_remind,
    unexcused_months,
)
from storage.models import Attendance, Meeting, MeetingAnswer, MeetingInvite, Unit
from storage.outbox import NewMessage
from storage.standing import members_counted

REMINDER_JOB = "meeting_reminder"


class Closed(Exception):
    """The meeting was cancelled, or has started: it can no longer be changed or answered."""

    def __init__(self, cancelled: bool) -> None:
        super().__init__("cancelled" if cancelled else "started")
        self.cancelled = cancelled


class NotStarted(Exception):
    """Attendance is recorded once the meeting has started (and if it was not cancelled)."""


class TimePassed(ValueError):
    """The draft's time passed while it waited: nobody could answer such an invitation."""


class BadReason(ValueError):
    """An absence needs a reason of REASON_MIN to REASON_LIMIT characters."""


def may_manage(actor: Actor, unit: Unit | None) -> bool:
    return unit is not None and can(actor, Action.MANAGE_MEETINGS, unit.path)


def reminder_key(meeting_id: int, hours: float) -> str:
    return f"meeting:{meeting_id}:remind:{int(hours * 3600)}"


async def schedule_reminders(session: AsyncSession, meeting: Meeting, env: Env) -> None:
    """One job per reminder time still ahead; a time already passed (the meeting moved
    closer) gets no reminder rather than one at once."""
    for hours in env.settings.meeting_reminder_hours:
        key = reminder_key(meeting.id, hours)
        due = aware(meeting.starts_at) - timedelta(hours=hours)
        if due > env.now:
            await schedule.schedule(session, REMINDER_JOB, key, due, {"meeting_id": meeting.id})
        else:
            await schedule.cancel(session, key)


async def broadcast(
    session: AsyncSession,
    kind: str,
    messages: Sequence[NewMessage],
    meeting: Meeting,
    env: Env,
    creator_id: int | None,
    subject: str | None = None,
) -> None:
    """The messages as one outbox broadcast; its creator (if any) gets a delivery report."""
    await outbox.enqueue_broadcast(
        session,
        kind,
        messages,
        created_by_member_id=creator_id,
        unit_id=meeting.unit_id,
        now=env.now,
        subject=subject,
    )
    env.wake_sender()


@dataclass(frozen=True)
class Created:
    meeting: Meeting
    reached: int  # the invited members with Telegram linked, who get the invitation


async def create_meeting(
    session: AsyncSession, actor: Actor, draft: MeetingDraft, subject: str, env: Env
) -> Created:
    """Stores the meeting of a complete draft, invites its audience through the outbox (the
    creator's delivery report is about `subject`), books the reminders and audits it."""
    unit = await session.get(Unit, draft.unit_id) if draft.unit_id is not None else None
    if unit is None or not may_manage(actor, unit):
        raise NotAllowed(f"call a meeting of unit {draft.unit_id}")
    new = draft.new_meeting(actor.member_id)
    if new.starts_at <= env.now:
        raise TimePassed(new.starts_at)
    day = new.starts_at.astimezone(env.settings.tz).date()
    people = await audience(session, unit, new.audience, day)
    meeting = await add_meeting(session, new, [p.member.id for p in people])
    linked = reachable(await invitees(session, meeting.id))
    messages = messages_to(linked, meeting, unit.name, env.settings, invitation_text)
    messages += attachment_messages(linked, meeting, env.settings)
    await broadcast(session, "meeting", messages, meeting, env, actor.member_id, subject)
    await schedule_reminders(session, meeting, env)
    env.wake_scheduler()
    await audit.record(
        session,
        "meeting_created",
        actor_member_id=actor.member_id,
        unit_id=unit.id,
        object_type="meeting",
        object_id=meeting.id,
        details={"invited": len(people), "reached": len(linked)},
    )
    return Created(meeting, len(linked))


async def managed_meeting(session: AsyncSession, actor: Actor, meeting_id: int) -> Meeting:
    """The meeting, if the actor manages its unit."""
    meeting = await get_meeting(session, meeting_id)
    if meeting is None or not may_manage(actor, meeting.unit):
        raise NotAllowed(f"manage meeting {meeting_id}")
    return meeting


def check_changeable(meeting: Meeting, env: Env) -> None:
    """Raises Closed if the meeting was cancelled or has started."""
    if meeting.cancelled_at is not None or has_started(meeting, env.now):
        raise Closed(meeting.cancelled_at is not None)


async def tell_everyone(
    session: AsyncSession,
    actor: Actor,
    meeting: Meeting,
    action: str,
    env: Env,
    text: MessageText = cancel_text,
) -> int:
    """A change or cancel message to every reachable invitee, and an audit row."""
    people = reachable(await invitees(session, meeting.id))
    cancelled = meeting.cancelled_at is not None
    messages = messages_to(people, meeting, meeting.unit.name, env.settings, text, not cancelled)
    await broadcast(session, action, messages, meeting, env, None)
    await audit.record(
        session,
        action,
        actor_member_id=actor.member_id,
        unit_id=meeting.unit_id,
        object_type="meeting",
        object_id=meeting.id,
        details={"told": len(messages)},
    )
    return len(messages)


@dataclass(frozen=True)
class Change:
    """The meeting's new time, or its new place."""

    starts_at: datetime | None = None
    place: str | None = None


async def change_meeting(
    session: AsyncSession, actor: Actor, meeting_id: int, change: Change, env: Env
) -> int:
    """Sets the new time or place, tells everyone invited (old → new) and moves the
    reminders with the time; how many were told."""
    meeting = await managed_meeting(session, actor, meeting_id)
    check_changeable(meeting, env)
    old_when, old_place = meeting.starts_at, meeting.place
    if change.starts_at is not None:
        meeting.starts_at = change.starts_at
    if change.place is not None:
        meeting.place = change.place
    told = await tell_everyone(
        session, actor, meeting, "meeting_changed", env, change_text_of(old_when, old_place)
    )
    await schedule_reminders(session, meeting, env)
    env.wake_scheduler()
    return told


async def cancel_meeting(session: AsyncSession, actor: Actor, meeting_id: int, env: Env) -> int:
    """The meeting is cancelled, its reminders dropped, everyone invited told; how many."""
    meeting = await managed_meeting(session, actor, meeting_id)
    check_changeable(meeting, env)
    meeting.cancelled_at = env.now
    await schedule.cancel_prefix(session, f"meeting:{meeting.id}:")
    return await tell_everyone(session, actor, meeting, "meeting_cancelled", env)


async def open_invite(
    session: AsyncSession, actor: Actor, meeting_id: int, env: Env
) -> tuple[Meeting, MeetingInvite]:
    """The meeting and the actor's own invite, if they may still answer it. Locked: two
    answers at once (two phones) are taken one after the other."""
    meeting = await get_meeting(session, meeting_id)
    member_id = actor.member_id
    invite = (
        await invite_of(session, meeting.id, member_id, lock=True)
        if meeting and member_id
        else None
    )
    if meeting is None or invite is None or not can(actor, Action.USE_MENU):
        raise NotAllowed(f"answer meeting {meeting_id}")
    check_changeable(meeting, env)
    return meeting, invite


async def attend(
    session: AsyncSession, actor: Actor, meeting_id: int, env: Env
) -> tuple[Meeting, MeetingInvite]:
    """The member will attend (they may still change it until the meeting starts)."""
    meeting, invite = await open_invite(session, actor, meeting_id, env)
    record_answer(invite, MeetingAnswer.ATTENDING, None, env.now)
    return meeting, invite


def reason_fits(reason: str) -> bool:
    return REASON_MIN <= len(reason) <= REASON_LIMIT


async def record_absence(
    session: AsyncSession, actor: Actor, meeting_id: int, reason: str, env: Env
) -> MeetingInvite:
    """The member will be absent, for `reason`. Closed (cancelled) when the meeting or the
    invite is gone; BadReason, with nothing changed, when the reason does not fit."""
    meeting = await get_meeting(session, meeting_id)
    member_id = actor.member_id
    invite = (  # locked: two answers at once (two phones) are taken one after the other
        await invite_of(session, meeting.id, member_id, lock=True)
        if meeting and member_id
        else None
    )
    if meeting is None or invite is None:
        raise Closed(cancelled=True)
    check_changeable(meeting, env)
    if not reason_fits(reason):
        raise BadReason(reason)
    record_answer(invite, MeetingAnswer.ABSENT, reason, env.now)
    return invite


async def recordable_meeting(
    session: AsyncSession, actor: Actor, meeting: Meeting | None, env: Env
) -> Meeting:
    """The meeting, if the actor manages it and its attendance can be recorded now."""
    if meeting is None or not may_manage(actor, meeting.unit):
        raise NotAllowed("record attendance")
    if meeting.cancelled_at is not None or not has_started(meeting, env.now):
        raise NotStarted(meeting.id)
    return meeting


async def open_attendance(
    session: AsyncSession, actor: Actor, meeting_id: int, env: Env
) -> tuple[Meeting, list[Invitee]]:
    """Everyone invited, their attendance pre-filled from their answers."""
    meeting = await recordable_meeting(session, actor, await get_meeting(session, meeting_id), env)
    people = await invitees(session, meeting.id)
    prefill_attendance(people, meeting)
    return meeting, people


async def toggle_attendance(
    session: AsyncSession, actor: Actor, invite_id: int, env: Env
) -> tuple[Meeting, list[Invitee]]:
    """One member's attendance moves to the next state; everyone invited, as it now stands."""
    invite = await get_invite(session, invite_id)
    meeting = await get_meeting(session, invite.meeting_id) if invite else None
    meeting = await recordable_meeting(session, actor, meeting, env)
    assert invite is not None
    invite.attendance = NEXT_ATTENDANCE[invite.attendance or Attendance.UNEXCUSED]
    return meeting, await invitees(session, meeting.id)


@dataclass(frozen=True)
class Saved:
    people: list[Invitee]
    year: int  # the meeting's local year
    warned: list[tuple[Invitee, int]]  # at the yearly threshold, with their months


async def save_attendance(session: AsyncSession, actor: Actor, meeting_id: int, env: Env) -> Saved:
    """Attendance is saved; who of the unit, absent without excuse, reached the yearly
    threshold of months (residents are their own branch's to follow)."""
    meeting = await recordable_meeting(session, actor, await get_meeting(session, meeting_id), env)
    people = await invitees(session, meeting.id)
    prefill_attendance(people, meeting)  # anyone added since the list was opened
    meeting.attendance_recorded_at = env.now
    await session.flush()
    settings = env.settings
    local = aware(meeting.starts_at).astimezone(settings.tz)
    year, day = local.year, local.date()
    absent = [
        p for p in people if p.invite.attendance == Attendance.UNEXCUSED and p.belongs_to(meeting)
    ]
    # Exempt (or temporarily transferred) members are not warned about: docs/populations.md.
    counted = await members_counted(session, "invitations", [p.member.id for p in absent], day)
    absent = [p for p in absent if p.member.id in counted]
    months = await unexcused_months(session, [p.member.id for p in absent], year, settings.tz)
    threshold = settings.meeting_absence_warning
    warned = [
        (p, months.get(p.member.id, 0)) for p in absent if months.get(p.member.id, 0) >= threshold
    ]
    await audit.record(
        session,
        "meeting_attendance",
        actor_member_id=actor.member_id,
        unit_id=meeting.unit_id,
        object_type="meeting",
        object_id=meeting.id,
    )
    return Saved(people, year, warned)


async def send_reminders(session: AsyncSession, meeting_id: int, env: Env) -> int:
    """Those attending and those who have not answered get a reminder, unless the meeting
    was cancelled or has started meanwhile; how many."""
    meeting = await get_meeting(session, meeting_id)
    if meeting is None or meeting.cancelled_at is not None or has_started(meeting, env.now):
        return 0
    people = to_remind(await invitees(session, meeting.id))
    # Exempted (or transferred away) since the invitation: no reminder; temporarily
    # transferred in to the meeting's branch: reminded there (docs/populations.md).
    day = aware(meeting.starts_at).astimezone(env.settings.tz).date()
    ids = [p.member.id for p in people]
    taking_part = await members_counted(session, "invitations", ids, day, meeting.unit.path)
    people = [p for p in people if p.member.id in taking_part]
    messages = messages_to(people, meeting, meeting.unit.name, env.settings, reminder_text)
    await broadcast(session, "meeting_reminder", messages, meeting, env, None)
    return len(messages)
