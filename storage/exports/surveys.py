"""The survey answers dataset: one row per response to the chosen survey.

Named surveys start with the member and branch; anonymous ones have no member column at all,
come in the random order of their ids, and are offered only once enough members answered
that nobody can be picked out (the same rule as the results in chat).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.exports.dataset import (
    N_,
    Choice,
    Column,
    Dataset,
    ExportScope,
    Kind,
    Row,
    stream_batches,
)
from storage.models import Member, Survey, SurveyParticipation, SurveyResponse, Unit
from storage.survey_questions import Kind as QuestionKind
from storage.survey_questions import Question, questions_of
from storage.surveys import export_value, get_survey, results_visible

RECENT_SURVEYS = 20
COLUMN_KINDS = {
    QuestionKind.RATING: Kind.NUMBER,
    QuestionKind.NUMBER: Kind.NUMBER,
    QuestionKind.YESNO: Kind.YES_NO,
    QuestionKind.DATE: Kind.DATE,
}
MEMBER_COLUMNS = (Column(N_("Full name"), width=28), Column(N_("Branch"), width=28))


async def survey_choices(session: AsyncSession, unit: Unit) -> list[Choice]:
    """The unit's latest surveys (to it or to units under it) whose answers may be shown."""
    answered = (
        select(func.count())
        .where(SurveyParticipation.survey_id == Survey.id)
        .correlate(Survey)
        .scalar_subquery()
    )
    query = (
        select(Survey, answered)
        .join(Unit, Unit.id == Survey.unit_id)
        .where(Unit.path.startswith(unit.path))
        .order_by(Survey.id.desc())
        .limit(RECENT_SURVEYS)
    )
    rows = await session.execute(query)
    return [Choice(s.id, s.title) for s, count in rows if results_visible(s, int(count))]


def _column(question: Question) -> Column:
    # A question's own text is its header: user text, never a msgid with placeholders.
    return Column(question.text, COLUMN_KINDS.get(question.kind, Kind.TEXT), width=24)


def _cell(question: Question, value: Any) -> Any:
    exported = export_value(question, value)
    if question.kind == QuestionKind.DATE and isinstance(exported, str):
        return date.fromisoformat(exported)
    return exported


async def survey_answers_dataset(session: AsyncSession, scope: ExportScope) -> Dataset:
    """The chosen survey's responses (the choice was checked against `survey_choices`)."""
    survey = await get_survey(session, scope.choice or 0)
    assert survey is not None
    questions = questions_of(survey.questions)
    query = select(SurveyResponse.answers).where(SurveyResponse.survey_id == survey.id)
    if survey.anonymous:
        query = query.order_by(SurveyResponse.id)
    else:
        query = (
            query.add_columns(Member.full_name, Unit.name)
            .join(Member, Member.id == SurveyResponse.member_id)
            .join(Unit, Unit.id == Member.branch_id)
            .order_by(Member.name_folded, Member.id)
        )

    def convert(row: Any) -> Row:
        answers = row[0]
        values = tuple(_cell(q, answers.get(str(i))) for i, q in enumerate(questions))
        return values if survey.anonymous else (row[1], row[2], *values)

    columns = [_column(q) for q in questions]
    if not survey.anonymous:
        columns = [*MEMBER_COLUMNS, *columns]
    return Dataset(N_("Survey answers"), columns, stream_batches(session, query, convert))
