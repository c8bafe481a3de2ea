"""Messages to many people (a notice, its reminder, a survey's reminders): queued at once for
a few people, by a stored job for many, so one secretary's broadcast to a province never
holds up the members' own updates. The job tells the requester when everything is queued.

Both ways run the same function, one `INSERT ... SELECT` per language (storage/bulk_outbox).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import JobContext
from bot.settings import Settings
from handlers.common import Context
from handlers.notices.messages import notice_messages, reminder_messages
from handlers.readers import reader_default, reader_translator
from handlers.surveys.common import invitation_messages
from handlers.usecase import Env, env_of
from storage import outbox, schedule
from storage.models import Member, TelegramAccount
from storage.notices import get_notice, queue_notice, queue_reminder
from storage.outbox import NewMessage, text_payload
from storage.surveys import get_survey, queue_reminders

KIND = "bulk_send"
NOTICE = "notice"
NOTICE_REMINDER = "notice_reminder"
SURVEY_REMINDER = "survey_reminder"

# (session, object id, settings, now, only these members or None for all): rows queued.
Queue = Callable[[AsyncSession, int, Settings, datetime, Collection[int] | None], Awaitable[int]]


async def _notice(
    session: AsyncSession,
    notice_id: int,
    settings: Settings,
    now: datetime,
    only: Collection[int] | None,
) -> int:
    notice = await get_notice(session, notice_id)
    if notice is None or notice.broadcast_id is not None:
        return 0  # gone, or queued already
    messages = notice_messages(notice, settings)
    default = reader_default(settings)
    return await queue_notice(session, notice, notice.unit, messages, default=default, now=now)


async def _notice_reminder(
    session: AsyncSession,
    notice_id: int,
    settings: Settings,
    now: datetime,
    only: Collection[int] | None,
) -> int:
    notice = await get_notice(session, notice_id)
    if notice is None:
        return 0
    messages = reminder_messages(notice, settings)
    default = reader_default(settings)
    return await queue_reminder(session, notice, messages, default=default, now=now, only=only)


async def _survey_reminder(
    session: AsyncSession,
    survey_id: int,
    settings: Settings,
    now: datetime,
    only: Collection[int] | None,
) -> int:
    survey = await get_survey(session, survey_id)
    if survey is None:
        return 0
    messages = invitation_messages(survey, settings, reminder=True)
    default = reader_default(settings)
    return await queue_reminders(session, survey, messages, default=default, now=now, only=only)


QUEUES: dict[str, Queue] = {
    NOTICE: _notice,
    NOTICE_REMINDER: _notice_reminder,
    SURVEY_REMINDER: _survey_reminder,
}


async def queue_or_schedule(
    context: Context,
    what: str,
    object_id: int,
    people: int,
    only: Collection[int] | None = None,
) -> None:
    """`queue_or_book` from a handler."""
    await queue_or_book(
        context.db, env_of(context), context.actor.member_id, what, object_id, people, only
    )


async def queue_or_book(
    session: AsyncSession,
    env: Env,
    by: int | None,
    what: str,
    object_id: int,
    people: int,
    only: Collection[int] | None = None,
) -> None:
    """Queues the messages now, or (for more than `bulk_job_threshold` people) books the job
    that queues them, due at once; `by` is told when it is done; `only`: to these members
    alone (a reminder's)."""
    now = env.now
    if people <= env.settings.bulk_job_threshold:
        await QUEUES[what](session, object_id, env.settings, now, only)
        env.wake_sender()
        return
    payload: dict[str, object] = {"what": what, "id": object_id, "by": by}
    if only is not None:
        payload["only"] = sorted(only)
    key = f"bulk:{what}:{object_id}:{now.timestamp()}"
    await schedule.schedule(session, KIND, key, now, payload)
    env.wake_scheduler()


async def run_bulk_send(job: JobContext) -> None:
    """The stored job: queues the messages, then tells the requester how many are on their
    way (the scheduler wakes the sender after it)."""
    what, object_id = str(job.payload["what"]), int(job.payload["id"])
    only = job.payload.get("only")
    members = [int(m) for m in only] if isinstance(only, list) else None
    queued = await QUEUES[what](job.session, object_id, job.settings, job.now, members)
    by = job.payload.get("by")
    requester = await job.session.get(Member, int(by)) if by is not None else None
    if requester is None or requester.telegram_user_id is None:
        return
    account = await job.session.get(TelegramAccount, requester.telegram_user_id)
    _ = reader_translator(account, job.settings)
    text = _.plural(
        "📤 Done: {count} message is queued and on its way.",
        "📤 Done: {count} messages are queued and on their way.",
        queued,
    )
    message = NewMessage(requester.telegram_user_id, text_payload(text), member_id=requester.id)
    await outbox.enqueue(job.session, message, job.now)
