"""Moving within a survey: ticking options of a multiple-choice question, Next, Skip, Back,
and changing one answer from the review."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.constants import ParseMode

from handlers.shared.common import Context, ack, drop_buttons, edit_text, refuse
from handlers.surveys.answer_draft import QUESTION, REVIEW
from handlers.surveys.answer_state import (
    advance,
    answering,
    current_question,
    move_to,
    save_draft,
    show_current,
)
from handlers.surveys.answer_view import answered_view, question_view
from handlers.surveys.buttons import Picked, QuestionRef
from handlers.surveys.common import problem_text
from storage.survey_questions import Kind, choice_problem, valid_button_answer


async def on_toggle(update: Update, context: Context, pressed: Picked) -> None:
    """A multiple-choice option is ticked or unticked (saved at once)."""
    state = await current_question(update, context, pressed.survey_id, pressed.index)
    query = update.callback_query
    if state is None or query is None:
        return
    index, value = pressed.index, pressed.value
    question = state.questions[index]
    if question.kind != Kind.MULTIPLE or not valid_button_answer(question, value):
        await refuse(update, context, "survey_bad_value")
        return
    await ack(query)
    picked = set(state.data.picked) ^ {value}
    data = replace(state.data, picked=tuple(sorted(picked)))
    state.draft = await save_draft(context, data, QUESTION)
    text, markup = question_view(state.survey, state.questions, data, context._)
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def on_next(update: Update, context: Context, pressed: QuestionRef) -> None:
    """The ticked options are the answer, if their number is allowed."""
    state = await current_question(update, context, pressed.survey_id, pressed.index)
    query = update.callback_query
    if state is None or query is None:
        return
    index = pressed.index
    question = state.questions[index]
    if question.kind != Kind.MULTIPLE:
        await refuse(update, context, "survey_bad_value")
        return
    picked = sorted(set(state.data.picked))
    problem = choice_problem(question, picked)
    if problem is not None:
        await ack(query, problem_text(problem, context._), show_alert=True)
        return
    await ack(query)
    total = len(state.questions)
    await edit_text(
        query,
        answered_view(state.survey, question, picked or None, index, total, context._),
        parse_mode=ParseMode.HTML,
    )
    await advance(update, context, state, picked or None)


async def on_skip(update: Update, context: Context, pressed: QuestionRef) -> None:
    """An optional question is left unanswered."""
    state = await current_question(update, context, pressed.survey_id, pressed.index)
    query = update.callback_query
    if state is None or query is None:
        return
    if state.questions[pressed.index].required:
        await refuse(update, context, "survey_skip_required")
        return
    await ack(query)
    await drop_buttons(query)
    await advance(update, context, state, None)


async def on_back(update: Update, context: Context, pressed: QuestionRef) -> None:
    """The previous question again (from the review: the last one); its answer is kept."""
    query = update.callback_query
    state = await answering(update, context, pressed.survey_id)
    if state is None or query is None:
        return
    current = len(state.questions) if state.draft.step == REVIEW else state.index
    await ack(query)
    if pressed.index != current or current == 0:
        await show_current(update, context, state)
        return
    await drop_buttons(query)
    await move_to(update, context, state, replace(state.data, editing=False), current - 1)


async def on_edit(update: Update, context: Context, pressed: QuestionRef) -> None:
    """From the review, one answer is changed; then the review comes back."""
    query = update.callback_query
    state = await answering(update, context, pressed.survey_id)
    if state is None or query is None:
        return
    if state.draft.step != REVIEW or pressed.index >= len(state.questions):
        await ack(query)
        await show_current(update, context, state)
        return
    await ack(query)
    await drop_buttons(query)
    await move_to(update, context, state, replace(state.data, editing=True), pressed.index)
