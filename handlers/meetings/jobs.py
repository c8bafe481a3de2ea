"""Stored jobs of meetings: the reminders before a meeting (see bot/scheduler.py)."""

from __future__ import annotations

from bot.scheduler import JobContext, JobFn
from handlers.meetings.messages import REMINDER_JOB, broadcast, messages_to, reminder_text
from storage.meetings import aware, get_meeting, has_started, invitees, to_remind
from storage.standing import members_counted


async def send_reminders(job: JobContext) -> None:
    """Those attending and those who have not answered get a reminder, unless the meeting
    was cancelled or has started meanwhile."""
    meeting = await get_meeting(job.session, int(job.payload["meeting_id"]))
    if meeting is None or meeting.cancelled_at is not None or has_started(meeting, job.now):
        return
    people = to_remind(await invitees(job.session, meeting.id))
    # Exempted (or transferred away) since the invitation: no reminder; temporarily
    # transferred in to the meeting's branch: reminded there (docs/populations.md).
    day = aware(meeting.starts_at).astimezone(job.settings.tz).date()
    ids = [p.member.id for p in people]
    taking_part = await members_counted(job.session, "invitations", ids, day, meeting.unit.path)
    people = [p for p in people if p.member.id in taking_part]
    messages = messages_to(people, meeting, meeting.unit.name, job.settings, reminder_text)
    await broadcast(job.session, "meeting_reminder", messages, meeting, job.now, None)


def meeting_jobs() -> dict[str, JobFn]:
    return {REMINDER_JOB: send_reminders}
