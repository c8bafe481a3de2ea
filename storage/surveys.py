"""Surveys: creating one, its audience, who may still answer, submitting, reminders and the
rows of answers.

Anonymity: a submission writes a participation row (member, time: to refuse a second answer
and to remind the others) and a response row with no member, no time and a random id, then
deletes the member's draft and blanks the raw updates (button presses, typed answers) the
inbox kept of the answering, all in the caller's one transaction. Nothing in the response
(id, order, time) lets anyone join it back to the participation.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage import inbox
from storage.bulk_outbox import enqueue_to_all, id_chunks, recipients_of
from storage.flows import clear_flow
from storage.models import (
    Broadcast,
    Member,
    MemberStatus,
    RoleAssignment,
    Survey,
    SurveyParticipation,
    SurveyResponse,
    TelegramAccount,
    Unit,
)
from storage.survey_questions import Answer, Kind, Question, questions_of

LEADERS = "leaders"
RECENT_SURVEYS = 10
NAMED_COLUMNS = ("member_name", "branch_name")
# A typed answer can reach the inbox shortly before its draft was started.
INBOX_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True)
class NewSurvey:
    unit_id: int
    title: str
    questions: list[Question]
    anonymous: bool
    min_responses: int
    opens_at: datetime
    closes_at: datetime | None = None
    audience_role: str | None = None
    created_by_member_id: int | None = None


def utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes (stored as UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def is_open(survey: Survey, now: datetime) -> bool:
    """Open for answers: opened, not closed early, closing time not reached."""
    if survey.closed_at is not None or utc(survey.opens_at) > now:
        return False
    return survey.closes_at is None or now < utc(survey.closes_at)


def results_visible(survey: Survey, answered: int) -> bool:
    """Whether a survey's results (and exports of its answers) may be shown: an anonymous
    survey's only once enough members answered that nobody can be picked out."""
    return not survey.anonymous or answered >= survey.min_responses


async def add_survey(session: AsyncSession, new: NewSurvey) -> Survey:
    """The survey row, flushed, with its unit loaded (the audience is found through it)."""
    survey = Survey(
        unit_id=new.unit_id,
        audience_role=new.audience_role,
        title=new.title,
        questions=[q.to_json() for q in new.questions],
        anonymous=new.anonymous,
        min_responses=new.min_responses,
        # In UTC: SQLite keeps the clock time and drops the zone.
        opens_at=new.opens_at.astimezone(UTC),
        closes_at=new.closes_at.astimezone(UTC) if new.closes_at else None,
        created_by_member_id=new.created_by_member_id,
    )
    unit = await session.get(Unit, new.unit_id)
    if unit is None:
        raise LookupError(new.unit_id)
    survey.unit = unit
    session.add(survey)
    await session.flush()
    return survey


async def get_survey(session: AsyncSession, survey_id: int) -> Survey | None:
    query = select(Survey).where(Survey.id == survey_id).options(joinedload(Survey.unit))
    return await session.scalar(query)


def _audience_query(survey: Survey, *columns: Any, linked: bool = False) -> Any:
    """Active members of the branches under the survey's unit (and their accounts); with
    `leaders`, only those holding a role at or under that unit. `linked`: only those linked
    to Telegram. (The scorecard's survey response counts the audience as the roster stood
    on its date: storage/scorecard.py, over `counted_members`.)"""
    on_account = TelegramAccount.user_id == Member.telegram_user_id
    query = (
        select(*(columns or (Member, TelegramAccount)))
        .select_from(Member)
        .join(Unit, Unit.id == Member.branch_id)
        .join(TelegramAccount, on_account, isouter=not linked)
        .where(Unit.path.startswith(survey.unit.path), Member.status == MemberStatus.ACTIVE)
    )
    if survey.audience_role == LEADERS:
        role_units = (
            select(RoleAssignment.member_id)
            .join(Unit, Unit.id == RoleAssignment.unit_id)
            .where(Unit.path.startswith(survey.unit.path))
        )
        query = query.where(Member.id.in_(role_units))
    return query


async def in_audience(session: AsyncSession, survey: Survey, member_id: int) -> bool:
    query = _audience_query(survey).where(Member.id == member_id)
    return (await session.execute(query.limit(1))).first() is not None


async def has_answered(session: AsyncSession, survey_id: int, member_id: int) -> bool:
    query = select(SurveyParticipation.id).where(
        SurveyParticipation.survey_id == survey_id, SurveyParticipation.member_id == member_id
    )
    return await session.scalar(query) is not None


async def open_surveys_for(
    session: AsyncSession, member_id: int, branch_path: str, now: datetime
) -> list[Survey]:
    """Open surveys the member is asked to answer and has not answered yet, newest first."""
    answered = select(SurveyParticipation.survey_id).where(
        SurveyParticipation.member_id == member_id
    )
    query = (
        select(Survey)
        .join(Unit, Unit.id == Survey.unit_id)
        .where(literal(branch_path).startswith(Unit.path))
        .where(Survey.closed_at.is_(None), Survey.id.not_in(answered))
        .options(joinedload(Survey.unit))
        .order_by(Survey.id.desc())
    )
    found = [s for s in await session.scalars(query) if is_open(s, now)]
    return [s for s in found if s.audience_role is None or await in_audience(session, s, member_id)]


ANSWER_FLOW = "survey_answer"  # the draft of a member answering a survey


async def submit(
    session: AsyncSession,
    survey: Survey,
    member_id: int,
    answers: dict[str, Any],
    now: datetime,
    started_at: datetime | None = None,
) -> None:
    """Records the answers and the participation, and deletes the member's draft; for an
    anonymous survey also the raw updates that carried the answers (since `started_at`).

    The caller checks first that the member has not answered; the unique participation
    constraint stops a concurrent second submission.
    """
    session.add(SurveyParticipation(survey_id=survey.id, member_id=member_id, submitted_at=now))
    session.add(
        SurveyResponse(
            id=secrets.token_hex(16),
            survey_id=survey.id,
            member_id=None if survey.anonymous else member_id,
            answers=dict(answers),
        )
    )
    account = await session.scalar(select(Member.telegram_user_id).where(Member.id == member_id))
    if account is not None:
        await clear_flow(session, account, ANSWER_FLOW)  # the member's other drafts stay
    if account is not None and survey.anonymous:
        since = (started_at or now) - INBOX_MARGIN
        await inbox.redact_from_user(session, account, since.astimezone(UTC))
    await session.flush()


async def participation_count(session: AsyncSession, survey_id: int) -> int:
    query = select(func.count()).where(SurveyParticipation.survey_id == survey_id)
    return int(await session.scalar(query) or 0)


def _not_answered(survey: Survey) -> Any:
    # NOT EXISTS, not NOT IN: PostgreSQL hashes a NOT IN list only while it fits work_mem
    # (about 150,000 answers by default), then scans the whole list again for every member:
    # the status of a survey most of a province had answered ran for ten minutes.
    return ~exists().where(
        SurveyParticipation.survey_id == survey.id, SurveyParticipation.member_id == Member.id
    )


@dataclass(frozen=True)
class AudienceCounts:
    members: int  # the survey is for
    waiting: int  # have not answered
    reachable: int  # of those waiting, linked to Telegram: a reminder reaches them


async def audience_counts(session: AsyncSession, survey: Survey) -> AudienceCounts:
    """The survey card's figures, counted in SQL: the audience joined to the answers once
    (a subquery per member in the sums cost a lookup per member)."""
    answer = and_(
        SurveyParticipation.survey_id == survey.id, SurveyParticipation.member_id == Member.id
    )
    waiting = SurveyParticipation.id.is_(None)
    linked = TelegramAccount.user_id.is_not(None)
    query = _audience_query(
        survey,
        func.count(),
        func.coalesce(func.sum(case((waiting, 1), else_=0)), 0),
        func.coalesce(func.sum(case((and_(waiting, linked), 1), else_=0)), 0),
    ).outerjoin(SurveyParticipation, answer)
    members, waiting_count, reachable = (await session.execute(query)).one()
    return AudienceCounts(int(members), int(waiting_count), int(reachable))


async def first_non_respondents(session: AsyncSession, survey: Survey, limit: int) -> list[Member]:
    """The first `limit` audience members (by name) who have not answered."""
    query = (
        _audience_query(survey, Member)
        .where(_not_answered(survey))
        .order_by(Member.name_folded, Member.id)
        .limit(limit)
    )
    return list(await session.scalars(query))


def _linked(survey: Survey) -> Any:
    columns = (Member.id.label("member_id"), Member.telegram_user_id.label("chat_id"))
    return recipients_of(_audience_query(survey, *columns, linked=True))


async def queue_invitations(
    session: AsyncSession,
    survey: Survey,
    messages: Mapping[str, tuple[str, dict[str, Any]]],
    *,
    default: str,
    now: datetime,
) -> int:
    """One invitation per linked audience member, as a broadcast; how many were queued."""
    broadcast = Broadcast(
        kind="survey", created_by_member_id=survey.created_by_member_id, unit_id=survey.unit_id
    )
    session.add(broadcast)
    await session.flush()
    survey.broadcast_id = broadcast.id
    return await enqueue_to_all(
        session, _linked(survey), messages, default=default, now=now, broadcast_id=broadcast.id
    )


async def reminder_targets(session: AsyncSession, survey: Survey) -> list[int]:
    """The linked audience members who have not answered: who a reminder would go to now."""
    query = _audience_query(survey, Member.id, linked=True).where(_not_answered(survey))
    return [int(member_id) for member_id in await session.scalars(query)]


async def queue_reminders(
    session: AsyncSession,
    survey: Survey,
    messages: Mapping[str, tuple[str, dict[str, Any]]],
    *,
    default: str,
    now: datetime,
    only: Collection[int] | None = None,
) -> int:
    """A reminder to each linked audience member who has not answered (of them, `only` these
    members when given; single rows, no delivery report); how many were queued."""
    recipients = _linked(survey).where(_not_answered(survey))
    queued = 0
    for chunk in id_chunks(only):  # PostgreSQL takes at most 32,767 bound parameters
        chosen = recipients if chunk is None else recipients.where(Member.id.in_(chunk))
        queued += await enqueue_to_all(session, chosen, messages, default=default, now=now)
    return queued


async def all_answers(session: AsyncSession, survey_id: int) -> list[dict[str, Any]]:
    query = select(SurveyResponse.answers).where(SurveyResponse.survey_id == survey_id)
    return [dict(a) for a in await session.scalars(query.order_by(SurveyResponse.id))]


async def recent_surveys(
    session: AsyncSession, unit_paths: set[str], limit: int = RECENT_SURVEYS
) -> list[Survey]:
    """The latest surveys to units at or under any of `unit_paths`, newest first."""
    if not unit_paths:
        return []
    query = (
        select(Survey)
        .join(Unit, Unit.id == Survey.unit_id)
        .where(or_(*(Unit.path.startswith(path) for path in unit_paths)))
        .options(joinedload(Survey.unit))
        .order_by(Survey.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(query))


async def close_survey(session: AsyncSession, survey_id: int, now: datetime) -> Survey | None:
    """Closes the survey (idempotent); the survey, or None if it is gone."""
    survey = await get_survey(session, survey_id)
    if survey is not None and survey.closed_at is None:
        survey.closed_at = now
        await session.flush()
    return survey


def answer_columns(survey: Survey) -> list[str]:
    """The columns of `answer_rows`: member and branch (named surveys only), then one per
    question, titled with the question's text."""
    texts = [q.text for q in questions_of(survey.questions)]
    return texts if survey.anonymous else [*NAMED_COLUMNS, *texts]


async def answer_rows(session: AsyncSession, survey_id: int) -> AsyncIterator[tuple[Any, ...]]:
    """A survey's answers, one tuple per response, matching `answer_columns`.

    Values: option texts (several joined with "; "), ratings and numbers as numbers, yes/no
    as bool, dates as ISO strings, texts as they were typed; None for a skipped question.
    Anonymous surveys have no member columns, and rows come in random order.
    """
    survey = await get_survey(session, survey_id)
    if survey is None:
        return
    questions = questions_of(survey.questions)
    query = (
        select(SurveyResponse, Member.full_name, Unit.name)
        .outerjoin(Member, Member.id == SurveyResponse.member_id)
        .outerjoin(Unit, Unit.id == Member.branch_id)
        .where(SurveyResponse.survey_id == survey_id)
        .order_by(Member.name_folded, SurveyResponse.id)
    )
    for response, name, branch in await session.execute(query):
        values = tuple(
            export_value(q, response.answers.get(str(i))) for i, q in enumerate(questions)
        )
        yield values if survey.anonymous else (name, branch, *values)


def export_value(question: Question, value: Answer | None) -> Any:
    if value is None:
        return None
    if question.kind == Kind.SINGLE and isinstance(value, int):
        return question.options[value]
    if question.kind == Kind.MULTIPLE and isinstance(value, list):
        return "; ".join(question.options[i] for i in value)
    return value
