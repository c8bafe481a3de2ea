"""Survey messages to many people (invitations, reminders) through the outbox, and the stored
jobs that open a survey later and close it on time (`survey_open`, `survey_close`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import JobContext
from bot.settings import Settings
from handlers.notice_common import reader_translator
from handlers.survey_common import invitation_message
from storage import outbox
from storage.models import Member, Survey, TelegramAccount
from storage.outbox import NewMessage, text_payload
from storage.surveys import (
    close_survey,
    get_survey,
    non_respondents,
    participation_count,
    remaining,
    survey_audience,
)

OPEN_JOB = "survey_open"
CLOSE_JOB = "survey_close"


def job_key(survey_id: int, what: str) -> str:
    return f"survey:{survey_id}:{what}"


async def send_invitations(
    session: AsyncSession, survey: Survey, settings: Settings, now: datetime
) -> int:
    """One invitation per linked audience member, as a broadcast; how many go out."""
    recipients = remaining(await survey_audience(session, survey))
    messages = [invitation_message(survey, r, settings) for r in recipients]
    broadcast = await outbox.enqueue_broadcast(
        session,
        "survey",
        messages,
        created_by_member_id=survey.created_by_member_id,
        unit_id=survey.unit_id,
        now=now,
    )
    survey.broadcast_id = broadcast.id
    return len(messages)


async def reminder_messages(
    session: AsyncSession, survey: Survey, settings: Settings
) -> list[NewMessage]:
    """A reminder for each linked audience member who has not answered."""
    recipients = remaining(await non_respondents(session, survey))
    return [invitation_message(survey, r, settings, reminder=True) for r in recipients]


async def send_reminders(session: AsyncSession, messages: list[NewMessage], now: datetime) -> None:
    for message in messages:
        await outbox.enqueue(session, message, now)


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
    audience = await survey_audience(job.session, survey)
    account = await job.session.get(TelegramAccount, creator.telegram_user_id)
    _ = reader_translator(account, job.settings)
    text = _(
        "🔒 The survey “{title}” has closed: {answered} of {total} members answered. Open "
        "🗳 Surveys for the results.",
        title=survey.title,
        answered=await participation_count(job.session, survey.id),
        total=len(audience),
    )
    message = NewMessage(creator.telegram_user_id, text_payload(text), member_id=creator.id)
    await outbox.enqueue(job.session, message, job.now)
