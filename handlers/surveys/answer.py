"""Answering a survey: one question at a time, buttons where possible, back and skip, a
review, then submit; after submitting the answers are locked."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.constants import ParseMode

from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse
from handlers.shared.usecase import env_of
from handlers.surveys import buttons
from handlers.surveys.actions import submit_answers
from handlers.surveys.answer_draft import QUESTION, REVIEW, AnswerDraft
from handlers.surveys.answer_moves import on_back, on_edit, on_next, on_skip, on_toggle
from handlers.surveys.answer_state import (
    Answering,
    advance,
    answering,
    current_question,
    save_draft,
    show_current,
    survey_for_member,
)
from handlers.surveys.answer_view import answered_view
from handlers.surveys.buttons import Picked, SurveyRef
from handlers.surveys.common import ANSWER_FLOW, problem_text
from storage.flows import get_flow, lock_flow, touch_flow
from storage.models import FlowState
from storage.survey_questions import (
    TYPED_KINDS,
    Kind,
    Problem,
    parse_typed,
    questions_of,
    valid_button_answer,
)


async def on_start(update: Update, context: Context, pressed: SurveyRef) -> None:
    """The member starts the survey, or continues at the question where they left it."""
    query = update.callback_query
    if query is None:
        await refuse(update, context, "survey_start")
        return
    survey = await survey_for_member(update, context, pressed.survey_id)
    if survey is None:
        return
    await ack(query)
    draft = await get_flow(context.db, context.actor.telegram_id, ANSWER_FLOW)
    if draft is None or AnswerDraft.load(draft.data).survey_id != survey.id:
        started = AnswerDraft(survey.id, started_at=context.now())
        draft = await save_draft(context, started, QUESTION)
    else:
        await touch_flow(context.db, draft, context.now())  # typed answers go here again
    await show_current(update, context, Answering(survey, questions_of(survey.questions), draft))


async def on_button_answer(update: Update, context: Context, pressed: Picked) -> None:
    """A choice, rating or yes/no is saved; the next question appears."""
    state = await current_question(update, context, pressed.survey_id, pressed.index)
    query = update.callback_query
    if state is None or query is None:
        return
    index, value = pressed.index, pressed.value
    question = state.questions[index]
    if question.kind == Kind.MULTIPLE or not valid_button_answer(question, value):
        await refuse(update, context, "survey_bad_value")
        return
    await ack(query)
    answer: Any = bool(value) if question.kind == Kind.YESNO else value
    total = len(state.questions)
    await edit_text(
        query,
        answered_view(state.survey, question, answer, index, total, context._),
        parse_mode=ParseMode.HTML,
    )
    await advance(update, context, state, answer)


async def on_submit(update: Update, context: Context, pressed: SurveyRef) -> None:
    """The answers are stored for good (anonymous: without the member) and locked."""
    _ = context._
    query = update.callback_query
    # Locked first: a second submit at once (another phone) waits, then is told the
    # answers are already recorded, instead of failing on the unique participation.
    await lock_flow(context.db, context.actor.telegram_id, ANSWER_FLOW)
    state = await answering(update, context, pressed.survey_id)
    if state is None or query is None or context.actor.member_id is None:
        return
    if state.draft.step != REVIEW:
        await ack(query)
        await show_current(update, context, state)
        return
    data = state.data
    missing = await submit_answers(
        context.db, context.actor, state.survey, data.answers, data.started_at, env_of(context)
    )
    numbers = ", ".join(str(i + 1) for i in missing)
    alert = _("Please answer the required questions: {numbers}.", numbers=numbers)
    await ack(query, alert if missing else None, show_alert=bool(missing))
    if missing:
        return
    await edit_text(
        query,
        _(
            "✅ Thank you! Your answers to “{title}” are recorded and can no longer be changed.",
            title=state.survey.title,
        ),
    )


async def on_answer_input(update: Update, context: Context, draft: FlowState) -> None:
    """A typed answer (text, number, date) to the current question, checked, then saved."""
    message = update.effective_message
    survey_id = AnswerDraft.load(draft.data).survey_id
    state = await answering(update, context, survey_id) if message else None
    if state is None or message is None:
        return
    question = state.questions[state.index]
    if state.draft.step == REVIEW or question.kind not in TYPED_KINDS:
        # The buttons may be far up the chat by now: the question comes again with them.
        await message.reply_text(context._("Please answer with the buttons, here they are again:"))
        await show_current(update, context, state)
        return
    today = context.today()
    value = parse_typed(question, message.text or "", today)
    if isinstance(value, Problem):
        await message.reply_text(problem_text(value, context._))
        return
    await advance(update, context, state, value)


# A member's buttons while answering, and what a press of each does (refused: audited with the
# reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.START.route(on_start, "survey_start"),
    buttons.ANSWER.route(on_button_answer, "survey_button"),
    buttons.TOGGLE.route(on_toggle, "survey_button"),
    buttons.NEXT.route(on_next, "survey_button"),
    buttons.SKIP.route(on_skip, "survey_button"),
    buttons.BACK.route(on_back, "survey_back"),
    buttons.EDIT.route(on_edit, "survey_edit"),
    buttons.SUBMIT.route(on_submit, "survey_submit"),
)
