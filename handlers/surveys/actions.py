"""What secretaries, committees and members do with surveys, without Telegram: launch a survey,
remind those who have not answered, follow it, read its results, answer it; and what the stored
jobs do at its opening and closing time. A handler, a job, the command line or a test calls
these with a session, the actor and typed arguments; the caller commits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Action, Actor, can
from handlers.shared.audience import queue_or_book
from handlers.shared.readers import reader_translator
from handlers.shared.usecase import Env, NotAllowed
from handlers.surveys.draft import UNSET, SurveyDraft
from handlers.surveys.messages import SURVEY_REMINDER, send_invitations
from storage import audit, outbox
from storage.models import Member, Survey, TelegramAccount, Unit
from storage.outbox import NewMessage, text_payload
from storage.reminders import Reminded, reminded_since
from storage.schedule import schedule
from storage.survey_questions import missing_required, questions_of
from storage.survey_results import QuestionResult, tally
from storage.surveys import (
    AudienceCounts,
    NewSurvey,
    add_survey,
    all_answers,
    audience_counts,
    close_survey,
    first_non_respondents,
    get_survey,
    has_answered,
    in_audience,
    is_open,
    participation_count,
    reminder_targets,
    results_visible,
    submit,
)

OPEN_JOB = "survey_open"
CLOSE_JOB = "survey_close"


def may_manage(actor: Actor, unit: Unit | None) -> bool:
    return unit is not None and can(actor, Action.MANAGE_SURVEYS, unit.path)


def job_key(survey_id: int, what: str) -> str:
    return f"survey:{survey_id}:{what}"


# --- creating ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Launched:
    survey: Survey
    sent: int | None  # invitations going out now; None: at its opening time


async def launch_survey(
    session: AsyncSession, actor: Actor, unit: Unit, draft: SurveyDraft, env: Env
) -> Launched:
    """Stores the survey of the finished draft and its jobs, sends the invitations now (for
    many, or later: the job does) and audits it."""
    if not may_manage(actor, unit) or draft.title is None or not draft.questions:
        raise NotAllowed(f"launch a survey to unit {unit.id}")
    now = env.now
    opens = _utc(draft.opens_at) or now
    closes = _utc(draft.closes_at)
    min_responses = draft.min_responses if draft.min_responses is not UNSET else None
    new = NewSurvey(
        unit_id=unit.id,
        title=draft.title,
        questions=list(draft.questions),
        anonymous=bool(draft.anonymous),
        min_responses=int(min_responses or env.settings.survey_min_responses),
        opens_at=max(opens, now),
        closes_at=closes,
        audience_role=draft.who if draft.who is not UNSET else None,
        created_by_member_id=actor.member_id,
    )
    survey = await add_survey(session, new)
    sent = None
    if opens <= now:
        sent = (await audience_counts(session, survey)).reachable
    if sent is not None and sent <= env.settings.bulk_job_threshold:
        await send_invitations(session, survey, env.settings, now)
        env.wake_sender()
    else:  # later, or now by the job when many: the bot goes on answering meanwhile
        await schedule(session, OPEN_JOB, job_key(survey.id, "open"), opens, _job(survey))
    if closes is not None:
        await schedule(session, CLOSE_JOB, job_key(survey.id, "close"), closes, _job(survey))
    env.wake_scheduler()
    await audit.record(
        session,
        "survey_created",
        actor_member_id=actor.member_id,
        unit_id=unit.id,
        object_type="survey",
        object_id=survey.id,
        details={"questions": len(survey.questions), "anonymous": survey.anonymous},
    )
    return Launched(survey, sent)


def _utc(moment: datetime | Any | None) -> datetime | None:
    """A draft's time, in UTC (SQLite keeps the clock time and drops the zone)."""
    return moment.astimezone(UTC) if isinstance(moment, datetime) else None


def _job(survey: Survey) -> dict[str, object]:
    return {"survey_id": survey.id}


async def open_survey(session: AsyncSession, survey_id: int, env: Env) -> int:
    """At its opening time (the stored job), the survey's invitations go out; how many."""
    survey = await get_survey(session, survey_id)
    if survey is None or survey.closed_at is not None or survey.broadcast_id is not None:
        return 0
    sent = await send_invitations(session, survey, env.settings, env.now)
    env.wake_sender()
    return sent


async def close_survey_on_time(session: AsyncSession, survey_id: int, env: Env) -> None:
    """At its closing time (the stored job) the survey closes, and its creator is told how
    many answered."""
    survey = await close_survey(session, survey_id, env.now)
    if survey is None or survey.created_by_member_id is None:
        return
    creator = await session.get(Member, survey.created_by_member_id)
    if creator is None or creator.telegram_user_id is None:
        return
    counts = await audience_counts(session, survey)
    account = await session.get(TelegramAccount, creator.telegram_user_id)
    _ = reader_translator(account, env.settings)
    text = _.plural(
        "🔒 The survey “{title}” has closed: {answered} of {total} member answered. Open 🗳 Surveys "
        "for the results.",
        "🔒 The survey “{title}” has closed: {answered} of {total} members answered. Open 🗳 "
        "Surveys for the results.",
        counts.members,
        title=survey.title,
        answered=await participation_count(session, survey.id),
        total=counts.members,
    )
    message = NewMessage(creator.telegram_user_id, text_payload(text), member_id=creator.id)
    await outbox.enqueue(session, message, env.now)
    env.wake_sender()


# --- following ----------------------------------------------------------------------------


async def managed_survey(session: AsyncSession, actor: Actor, survey_id: int) -> Survey | None:
    """The survey, if the actor may manage surveys of its unit."""
    survey = await get_survey(session, survey_id)
    return survey if survey is not None and may_manage(actor, survey.unit) else None


@dataclass(frozen=True)
class Status:
    """How many answered and (named surveys) the first of those who have not."""

    answered: int
    counts: AudienceCounts
    not_answered: list[Member]
    open: bool


async def survey_status(
    session: AsyncSession, actor: Actor, survey: Survey, names: int, env: Env
) -> Status:
    if not may_manage(actor, survey.unit):
        raise NotAllowed(f"follow survey {survey.id}")
    counts = await audience_counts(session, survey)
    nobody = survey.anonymous or counts.waiting == 0  # then no names to look for
    waiting = [] if nobody else await first_non_respondents(session, survey, names)
    answered = await participation_count(session, survey.id)
    return Status(answered, counts, waiting, is_open(survey, env.now))


@dataclass(frozen=True)
class Reminder:
    """`targets` members have not answered; `sent` of them get a reminder now, the rest got
    one within the interval (`reminded`: when the last went). Nothing is sent to a closed
    survey, nor when every target was reminded within the interval."""

    targets: int
    sent: int = 0
    reminded: Reminded | None = None
    closed: bool = False

    @property
    def skipped(self) -> int:
        return self.targets - self.sent


async def remind_non_respondents(
    session: AsyncSession, actor: Actor, survey: Survey, env: Env
) -> Reminder:
    """A reminder to each member who has not answered (through the outbox, by the job for
    many); those reminded within `reminder_min_interval_minutes` are left out."""
    if not may_manage(actor, survey.unit):
        raise NotAllowed(f"remind survey {survey.id}")
    if not is_open(survey, env.now):
        return Reminder(0, closed=True)
    targets = await reminder_targets(session, survey)
    since = env.now - timedelta(minutes=env.settings.reminder_min_interval_minutes)
    reminded = await reminded_since(session, "survey_reminded", "survey", survey.id, since)
    fresh = [member_id for member_id in targets if member_id not in reminded.member_ids]
    if targets and not fresh:
        return Reminder(len(targets), 0, reminded)
    only = fresh if len(fresh) < len(targets) else None
    await queue_or_book(session, env, actor.member_id, SURVEY_REMINDER, survey.id, len(fresh), only)
    await audit.record(
        session,
        "survey_reminded",
        actor_member_id=actor.member_id,
        unit_id=survey.unit_id,
        object_type="survey",
        object_id=survey.id,
        details={"recipients": len(fresh), "member_ids": fresh},
    )
    return Reminder(len(targets), len(fresh), reminded)


@dataclass(frozen=True)
class Results:
    """The results, or (`results` None) an anonymous survey with too few answers yet."""

    answered: int
    results: list[QuestionResult] | None


async def survey_results(session: AsyncSession, actor: Actor, survey: Survey) -> Results:
    if not may_manage(actor, survey.unit):
        raise NotAllowed(f"results of survey {survey.id}")
    answered = await participation_count(session, survey.id)
    if not results_visible(survey, answered):
        return Results(answered, None)
    answers = await all_answers(session, survey.id)
    return Results(answered, tally(questions_of(survey.questions), answers))


# --- answering ----------------------------------------------------------------------------


class Unanswerable(enum.StrEnum):
    """Why a member may not answer a survey: the first two are refusals (audited), the last
    two are told."""

    NOT_FOUND = "survey_not_found"
    NOT_AUDIENCE = "survey_not_audience"
    ANSWERED = "answered"
    CLOSED = "closed"


async def answerable(
    session: AsyncSession, actor: Actor, survey_id: int, now: datetime
) -> Survey | Unanswerable:
    """The survey if it is for this member and open, else why not."""
    survey = await get_survey(session, survey_id)
    member_id = actor.member_id
    if survey is None or member_id is None or not actor.is_member:
        return Unanswerable.NOT_FOUND
    if not await in_audience(session, survey, member_id):
        return Unanswerable.NOT_AUDIENCE
    if await has_answered(session, survey.id, member_id):
        return Unanswerable.ANSWERED
    if not is_open(survey, now):
        return Unanswerable.CLOSED
    return survey


async def submit_answers(
    session: AsyncSession,
    actor: Actor,
    survey: Survey,
    answers: dict[str, Any],
    started_at: datetime | None,
    env: Env,
) -> list[int]:
    """Stores the member's answers for good (anonymous: without the member); the indexes of
    the required questions left unanswered instead, when there are any (nothing stored)."""
    checked = await answerable(session, actor, survey.id, env.now)
    if not isinstance(checked, Survey) or actor.member_id is None:
        raise NotAllowed(f"answer survey {survey.id}")
    missing = missing_required(questions_of(survey.questions), answers)
    if missing:
        return missing
    await submit(session, survey, actor.member_id, answers, env.now, started_at)
    return []
