"""The yearly comment window as a stored job: when it opens, every residence branch leader
with members to comment on is asked through the outbox, and the job books next year's
(`actions.open_comment_window`, run by `actions.run_comment_window`).

The job is booked at start-up when missing (`book_comment_window`), so a deployment never
needs a command for it; a job that has run is never booked again for the same year.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from storage import schedule

KIND = "residence_comment_window"
ASK_AT = time(8, 0)  # local time on the opening day: not a message at midnight


def job_key(year: int) -> str:
    return f"{KIND}:{year}"


def opening_time(settings: Settings, year: int) -> datetime:
    opens, _closes = settings.residence_comment_window(year)
    return datetime.combine(opens, ASK_AT, tzinfo=settings.tz)


async def book_comment_window(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """Books the ask of the current window (if it is open now) or of the next one."""
    today = now.astimezone(settings.tz).date()
    year = settings.residence_comment_year(today) or _next_window_year(settings, today)
    key = job_key(year)
    if any(job.key == key for job in await schedule.jobs_with_prefix(session, key)):
        return  # booked already, or run already this year: never ask twice
    due = max(opening_time(settings, year), now)
    await schedule.schedule(session, KIND, key, due, {"year": year})


def _next_window_year(settings: Settings, today: date) -> int:
    opens, _closes = settings.residence_comment_window(today.year)
    return today.year if opens > today else today.year + 1
