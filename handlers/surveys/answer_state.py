"""A member's survey in progress: the draft (a `flow_states` row), the checks every answer
passes (in the audience, not answered yet, still open), and moving between questions.

Every answer is saved in the draft as it is given, so leaving or a restart loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from telegram import Update
from telegram.constants import ParseMode

from handlers.shared.common import Context, ack, refuse
from handlers.surveys.actions import Unanswerable, answerable
from handlers.surveys.answer_draft import QUESTION, REVIEW, AnswerDraft
from handlers.surveys.answer_view import question_view, review_view
from handlers.surveys.common import ANSWER_FLOW, chunks
from storage.flows import clear_flow, get_flow, save_flow
from storage.models import FlowState, Survey
from storage.survey_questions import Kind, Question, questions_of


@dataclass
class Answering:
    """A member's open survey: the survey, its questions and the stored draft."""

    survey: Survey
    questions: list[Question]
    draft: FlowState

    @property
    def data(self) -> AnswerDraft:
        return AnswerDraft.load(self.draft.data)

    @property
    def index(self) -> int:
        return self.data.index


async def survey_for_member(update: Update, context: Context, survey_id: int) -> Survey | None:
    """The survey if it is for this member and open; otherwise the member is told why, and a
    draft of it is dropped (it would otherwise catch every message they type)."""
    _ = context._
    found = await answerable(context.db, context.actor, survey_id, context.now())
    if isinstance(found, Survey):
        return found
    await clear_flow_of(context, survey_id)
    if found == Unanswerable.ANSWERED:
        await tell(update, _("You have already answered this survey; answers cannot be changed."))
    elif found == Unanswerable.CLOSED:
        await tell(update, _("This survey is closed; answers are no longer accepted."))
    else:
        await refuse(update, context, found.value)
    return None


async def tell(update: Update, text: str) -> None:
    """An alert on a button press, a reply to a message."""
    if update.callback_query is not None:
        await ack(update.callback_query, text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def clear_flow_of(context: Context, survey_id: int) -> None:
    draft = await get_flow(context.db, context.actor.telegram_id, ANSWER_FLOW)
    if draft is not None and AnswerDraft.load(draft.data).survey_id == survey_id:
        await clear_flow(context.db, draft.user_id, draft.flow)


async def answering(update: Update, context: Context, survey_id: int) -> Answering | None:
    """The member's draft of this survey, for a button of its questions; stale ones refused."""
    survey = await survey_for_member(update, context, survey_id)
    if survey is None:
        return None
    draft = await get_flow(context.db, context.actor.telegram_id, ANSWER_FLOW)
    if draft is None or AnswerDraft.load(draft.data).survey_id != survey.id:
        await refuse(update, context, "survey_no_draft")
        return None
    return Answering(survey, questions_of(survey.questions), draft)


async def save_draft(context: Context, draft: AnswerDraft, step: str) -> FlowState:
    user_id = context.actor.telegram_id
    return await save_flow(context.db, user_id, ANSWER_FLOW, step, draft.dump(), context.now())


async def show_current(update: Update, context: Context, state: Answering) -> None:
    """Sends the current question, or the review screen after the last one."""
    chat = update.effective_chat
    if chat is None:
        return
    if state.draft.step == REVIEW:
        text, markup = review_view(state.survey, state.questions, state.data.answers, context._)
        *first, last = chunks(text)
        for piece in first:
            await chat.send_message(piece, parse_mode=ParseMode.HTML)
        await chat.send_message(last, parse_mode=ParseMode.HTML, reply_markup=markup)
        return
    text, markup = question_view(state.survey, state.questions, state.data, context._)
    await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def advance(update: Update, context: Context, state: Answering, answer: Any) -> None:
    """Stores the answer (None: skipped) and moves on: the next question, or the review
    after the last one or when the member came from the review to change one answer."""
    data = state.data
    answers = dict(data.answers)
    if answer is None:
        answers.pop(str(data.index), None)
    else:
        answers[str(data.index)] = answer
    following = data.index + 1
    review = following >= len(state.questions) or bool(data.editing)
    await move_to(update, context, state, replace(data, answers=answers), following, review)


async def move_to(
    update: Update,
    context: Context,
    state: Answering,
    data: AnswerDraft,
    index: int,
    review: bool = False,
) -> None:
    """Shows question `index` (or the review) and remembers it in the draft."""
    if review:
        data = replace(data, editing=False)
    data = replace(data, index=min(index, len(state.questions) - 1))
    data = replace(data, picked=picked_of(state.questions[data.index], data))
    state.draft = await save_draft(context, data, REVIEW if review else QUESTION)
    await show_current(update, context, state)


def picked_of(question: Question, data: AnswerDraft) -> tuple[int, ...]:
    """The options already chosen of a multiple-choice question, for its toggles."""
    if question.kind != Kind.MULTIPLE:
        return ()
    value = data.answer(data.index)
    return tuple(value) if isinstance(value, list) else ()


async def current_question(
    update: Update, context: Context, survey_id: int, index: int
) -> Answering | None:
    """The draft, if the button (of question `index`) belongs to the current question."""
    query = update.callback_query
    state = await answering(update, context, survey_id)
    if state is None or query is None:
        return None
    if state.draft.step != QUESTION or index != state.index:
        await ack(query)  # an older question's button: show where the member really is
        await show_current(update, context, state)
        return None
    return state
