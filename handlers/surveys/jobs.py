"""Survey messages to many people (invitations, reminders) through the outbox, and the stored
jobs that open a survey later and close it on time (`survey_open`, `survey_close`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import JobContext
from bot.settings import Settings
from handlers.readers import reader_default, reader_translator
from handlers.surveys.common import invitation_messages
from storage import outbox
from storage.models import Member, Survey, TelegramAccount
from storage.outbox import NewMessage, text_payload
from storage.surveys import (
    audience_counts,
    close_survey,
    get_survey,
    participation_count,
    queue_invitations,
)

OPEN_JOB = "survey_open"
CLOSE_JOB = "survey_close"


def job_key(survey_id: int, what: str) -> str:
    return f"survey:{survey_id}:{what}"


async def send_invitations(
    session: AsyncSession, survey: Survey, settings: Settings, now: datetime
) -> int:
    """One invitation per linked audience member, as a broadcast; how many go out."""
    messages = invitation_messages(survey, settings)
    default = reader_default(settings)
    return await queue_invitations(session, survey, messages, default=default, now=now)


async def run_open(job: JobContext) -> None:
    """At its opening time, the survey's invitations go out."""
    survey = await get_survey(job.session, int(job.payload["survey_id"]))
    if survey is not None and survey.closed_at is None and survey.broadcast_id is None:
        await send_invitations(job.session, survey, job.settings, job.now)


async def run_close(job: JobContext) -> None:
    """At its closing time the survey closes, and its creator is told how many answered."""
    survey = await close_survey(job.session, int(job.payload["survey_id"]), job.now)
    if survey is None or survey.created_by_member_id is None:
        return
    creator = await job.session.get(Member, survey.created_by_member_id)
    if creator is None or creator.telegram_user_id is None:
        return
    counts = await audience_counts(job.session, survey)
    account = await job.session.get(TelegramAccount, creator.telegram_user_id)
    _ = reader_translator(account, job.settings)
    text = _.plural(
        "🔒 The survey “{title}” has closed: {answered} of {total} member answered. Open 🗳 Surveys "
        "for the results.",
        "🔒 The survey “{title}” has closed: {answered} of {total} members answered. Open 🗳 "
        "Surveys for the results.",
        counts.members,
        title=survey.title,
        answered=await participation_count(job.session, survey.id),
        total=counts.members,
    )
    message = NewMessage(creator.telegram_user_id, text_payload(text), member_id=creator.id)
    await outbox.enqueue(job.session, message, job.now)
