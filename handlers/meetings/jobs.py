"""Stored jobs of meetings: the reminders before a meeting (see bot/scheduler.py)."""

from __future__ import annotations

from bot.scheduler import JobContext, JobFn
from handlers.meetings.actions import REMINDER_JOB
from handlers.meetings.actions import send_reminders as remind
from handlers.shared.usecase import Env


async def send_reminders(job: JobContext) -> None:
    """Those attending and those who have not answered get a reminder, unless the meeting
    was cancelled or has started meanwhile (the scheduler wakes the sender after a job)."""
    await remind(job.session, int(job.payload["meeting_id"]), Env(job.settings, job.now))


def meeting_jobs() -> dict[str, JobFn]:
    return {REMINDER_JOB: send_reminders}
