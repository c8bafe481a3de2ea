"""The yearly comment window as a stored job: when it opens, every residence branch leader
with members to comment on is asked through the outbox; the job then books next year's.

The job is booked at start-up when missing (`book_comment_window`), so a deployment never
needs a command for it; a job that has run is never booked again for the same year.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import JobContext
from bot.settings import Settings
from handlers.readers import reader_translator
from handlers.residence.common import button
from storage import outbox, schedule
from storage.models import Member
from storage.outbox import NewMessage, text_payload
from storage.residence_comments import hosts_to_ask

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


async def ask_for_comments(job: JobContext) -> None:
    """Each residence branch leader with comments to write gets one message."""
    year = int(job.payload["year"])
    hosts = await hosts_to_ask(job.session, year)
    messages = [_ask(host, count, year, job.settings) for host, count in hosts.values()]
    if messages:
        await outbox.enqueue_broadcast(
            job.session, "residence_comment_window", messages, now=job.now
        )
    following = year + 1
    due = opening_time(job.settings, following)
    await schedule.schedule(job.session, KIND, job_key(following), due, {"year": following})


def _ask(host: Member, count: int, year: int, settings: Settings) -> NewMessage:
    _ = reader_translator(host.account, settings)
    _opens, closes = settings.residence_comment_window(year)
    text = _.plural(
        "✍️ The yearly residence comments for {year} are open until {closes}: {count} member tied "
        "to your branch is waiting for your comment.",
        "✍️ The yearly residence comments for {year} are open until {closes}: {count} members "
        "tied to your branch are waiting for your comment.",
        count,
        year=year,
        closes=_.date_text(closes),
    )
    markup = {"inline_keyboard": [[button(_("✍️ Write the comments"), "rcl")]]}
    return NewMessage(
        host.telegram_user_id or 0, text_payload(text, reply_markup=markup), member_id=host.id
    )
