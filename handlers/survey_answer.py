"""Answering a survey: one question at a time, buttons where possible, back and skip, a
review, then submit. Every answer is saved in the member's draft as it is given, so leaving
or a restart loses nothing; after submitting the answers are locked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from handlers.common import Context, ack, callback_args, drop_buttons, edit_text, refuse
from handlers.survey_answer_view import answered_view, question_view, review_view
from handlers.survey_common import ANSWER_FLOW, chunks, problem_text
from storage.flows import clear_flow, get_flow, save_flow
from storage.models import FlowState, Survey
from storage.survey_questions import (
    Kind,
    Question,
    choice_problem,
    missing_required,
    parse_typed,
    questions_of,
    valid_button_answer,
)
from storage.surveys import get_survey, has_answered, in_audience, is_open, submit


@dataclass
class Answering:
    """A member's open survey: the survey, its questions and the stored draft."""

    survey: Survey
    questions: list[Question]
    draft: FlowState

    @property
    def data(self) -> dict[str, Any]:
        return self.draft.data

    @property
    def index(self) -> int:
        return int(self.data["index"])


async def _survey_for_member(update: Update, context: Context, survey_id: int) -> Survey | None:
    """The survey if it is for this member and open; otherwise the member is told why."""
    _ = context._
    survey = await get_survey(context.db, survey_id)
    member_id = context.actor.member_id
    if survey is None or member_id is None or not context.actor.is_member:
        await refuse(update, context, "survey_not_found")
        return None
    if not await in_audience(context.db, survey, member_id):
        await refuse(update, context, "survey_not_audience")
        return None
    if await has_answered(context.db, survey.id, member_id):
        await _tell(update, _("You have already answered this survey; answers cannot be changed."))
        return None
    if not is_open(survey, context.now()):
        await clear_flow_of(context, survey.id)
        await _tell(update, _("This survey is closed; answers are no longer accepted."))
        return None
    return survey


async def _tell(update: Update, text: str) -> None:
    """An alert on a button press, a reply to a message."""
    if update.callback_query is not None:
        await ack(update.callback_query, text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def clear_flow_of(context: Context, survey_id: int) -> None:
    draft = await get_flow(context.db, context.actor.telegram_id, ANSWER_FLOW)
    if draft is not None and draft.data.get("survey_id") == survey_id:
        await clear_flow(context.db, draft.user_id)


async def _answering(update: Update, context: Context, survey_id: int) -> Answering | None:
    """The member's draft of this survey, for a button of its questions; stale ones refused."""
    survey = await _survey_for_member(update, context, survey_id)
    if survey is None:
        return None
    draft = await get_flow(context.db, context.actor.telegram_id, ANSWER_FLOW)
    if draft is None or draft.data.get("survey_id") != survey.id:
        await refuse(update, context, "survey_no_draft")
        return None
    return Answering(survey, questions_of(survey.questions), draft)


async def on_start(update: Update, context: Context) -> None:
    """The member starts the survey, or continues at the question where they left it."""
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    if query is None or args is None:
        await refuse(update, context, "survey_start")
        return
    survey = await _survey_for_member(update, context, args[0])
    if survey is None:
        return
    await ack(query)
    draft = await get_flow(context.db, context.actor.telegram_id, ANSWER_FLOW)
    if draft is None or draft.data.get("survey_id") != survey.id:
        data = {"survey_id": survey.id, "index": 0, "answers": {}, "picked": []}
        draft = await _save(context, data, "question")
    await show_current(update, context, Answering(survey, questions_of(survey.questions), draft))


async def _save(context: Context, data: dict[str, Any], step: str) -> FlowState:
    user_id = context.actor.telegram_id
    return await save_flow(context.db, user_id, ANSWER_FLOW, step, data, context.now())


async def show_current(update: Update, context: Context, state: Answering) -> None:
    """Sends the current question, or the review screen after the last one."""
    chat = update.effective_chat
    if chat is None:
        return
    if state.draft.step == "review":
        text, markup = review_view(state.survey, state.questions, state.data["answers"], context._)
        *first, last = chunks(text)
        for piece in first:
            await chat.send_message(piece, parse_mode=ParseMode.HTML)
        await chat.send_message(last, parse_mode=ParseMode.HTML, reply_markup=markup)
        return
    text, markup = question_view(state.survey, state.questions, state.data, context._)
    await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _advance(update: Update, context: Context, state: Answering, answer: Any) -> None:
    """Stores the answer (None: skipped) and moves on: the next question, or the review
    after the last one or when the member came from the review to change one answer."""
    data = dict(state.data)
    answers = dict(data["answers"])
    if answer is None:
        answers.pop(str(state.index), None)
    else:
        answers[str(state.index)] = answer
    data["answers"] = answers
    following = state.index + 1
    review = following >= len(state.questions) or bool(data.get("editing"))
    await _move_to(update, context, state, data, following, review)


async def _move_to(
    update: Update,
    context: Context,
    state: Answering,
    data: dict[str, Any],
    index: int,
    review: bool = False,
) -> None:
    """Shows question `index` (or the review) and remembers it in the draft."""
    if review:
        data["editing"] = False
    data["index"] = min(index, len(state.questions) - 1)
    data["picked"] = _picked(state.questions[data["index"]], data)
    state.draft = await _save(context, data, "review" if review else "question")
    await show_current(update, context, state)


def _picked(question: Question, data: dict[str, Any]) -> list[int]:
    """The options already chosen of a multiple-choice question, for its toggles."""
    if question.kind != Kind.MULTIPLE:
        return []
    value = data["answers"].get(str(data["index"]))
    return list(value) if isinstance(value, list) else []


async def _current_question(
    update: Update, context: Context, count: int
) -> tuple[Answering, list[int]] | None:
    """The draft and the button's arguments, if the button belongs to the current question."""
    query = update.callback_query
    args = callback_args(query, count) if query else None
    state = await _answering(update, context, args[0]) if args else None
    if state is None or args is None or query is None:
        if args is None:
            await refuse(update, context, "survey_button")
        return None
    if state.draft.step != "question" or args[1] != state.index:
        await ack(query)  # an older question's button: show where the member really is
        await show_current(update, context, state)
        return None
    return state, args


async def on_button_answer(update: Update, context: Context) -> None:
    """A choice, rating or yes/no is saved; the next question appears."""
    found = await _current_question(update, context, 3)
    query = update.callback_query
    if found is None or query is None:
        return
    state, (_sid, index, value) = found
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
    await _advance(update, context, state, answer)


async def on_toggle(update: Update, context: Context) -> None:
    """A multiple-choice option is ticked or unticked (saved at once)."""
    found = await _current_question(update, context, 3)
    query = update.callback_query
    if found is None or query is None:
        return
    state, (_sid, index, value) = found
    question = state.questions[index]
    if question.kind != Kind.MULTIPLE or not valid_button_answer(question, value):
        await refuse(update, context, "survey_bad_value")
        return
    await ack(query)
    picked = set(state.data.get("picked", [])) ^ {value}
    data = {**state.data, "picked": sorted(picked)}
    state.draft = await _save(context, data, "question")
    text, markup = question_view(state.survey, state.questions, data, context._)
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def on_next(update: Update, context: Context) -> None:
    """The ticked options are the answer, if their number is allowed."""
    found = await _current_question(update, context, 2)
    query = update.callback_query
    if found is None or query is None:
        return
    state, (_sid, index) = found
    question = state.questions[index]
    picked = sorted(set(state.data.get("picked", [])))
    problem = choice_problem(question, picked) if question.kind == Kind.MULTIPLE else None
    if question.kind != Kind.MULTIPLE or problem is not None:
        await ack(query, problem_text(problem, context._) if problem else None, show_alert=True)
        return
    await ack(query)
    total = len(state.questions)
    await edit_text(
        query,
        answered_view(state.survey, question, picked or None, index, total, context._),
        parse_mode=ParseMode.HTML,
    )
    await _advance(update, context, state, picked or None)


async def on_skip(update: Update, context: Context) -> None:
    """An optional question is left unanswered."""
    found = await _current_question(update, context, 2)
    query = update.callback_query
    if found is None or query is None:
        return
    state, (_sid, index) = found
    if state.questions[index].required:
        await refuse(update, context, "survey_skip_required")
        return
    await ack(query)
    await drop_buttons(query)
    await _advance(update, context, state, None)


async def on_back(update: Update, context: Context) -> None:
    """The previous question again (from the review: the last one); its answer is kept."""
    query = update.callback_query
    args = callback_args(query, 2) if query else None
    state = await _answering(update, context, args[0]) if args else None
    if state is None or query is None or args is None:
        if args is None:
            await refuse(update, context, "survey_back")
        return
    current = len(state.questions) if state.draft.step == "review" else state.index
    await ack(query)
    if args[1] != current or current == 0:
        await show_current(update, context, state)
        return
    await drop_buttons(query)
    await _move_to(update, context, state, {**state.data, "editing": False}, current - 1)


async def on_edit(update: Update, context: Context) -> None:
    """From the review, one answer is changed; then the review comes back."""
    query = update.callback_query
    args = callback_args(query, 2) if query else None
    state = await _answering(update, context, args[0]) if args else None
    if state is None or query is None or args is None:
        if args is None:
            await refuse(update, context, "survey_edit")
        return
    if state.draft.step != "review" or args[1] >= len(state.questions):
        await ack(query)
        await show_current(update, context, state)
        return
    await ack(query)
    await drop_buttons(query)
    await _move_to(update, context, state, {**state.data, "editing": True}, args[1])


async def on_submit(update: Update, context: Context) -> None:
    """The answers are stored for good (anonymous: without the member) and locked."""
    _ = context._
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    state = await _answering(update, context, args[0]) if args else None
    if state is None or query is None or context.actor.member_id is None:
        if args is None:
            await refuse(update, context, "survey_submit")
        return
    if state.draft.step != "review":
        await ack(query)
        await show_current(update, context, state)
        return
    missing = missing_required(state.questions, state.data["answers"])
    if missing:
        numbers = ", ".join(str(i + 1) for i in missing)
        await ack(
            query,
            _("Please answer the required questions: {numbers}.", numbers=numbers),
            show_alert=True,
        )
        return
    await ack(query)
    await submit(
        context.db, state.survey, context.actor.member_id, state.data["answers"], context.now()
    )
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
    survey_id = int(draft.data.get("survey_id", 0))
    state = await _answering(update, context, survey_id) if message else None
    if state is None or message is None:
        return
    question = state.questions[state.index]
    if state.draft.step == "review" or question.kind not in (
        Kind.TEXT,
        Kind.LONGTEXT,
        Kind.NUMBER,
        Kind.DATE,
    ):
        await message.reply_text(context._("Please answer with the buttons above."))
        return
    value = parse_typed(question, message.text or "")
    if not isinstance(value, int | float | str | bool | list):
        await message.reply_text(problem_text(value, context._))
        return
    await _advance(update, context, state, value)


def survey_answer_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_start, pattern=r"^sva:"),
        CallbackQueryHandler(on_button_answer, pattern=r"^sa:"),
        CallbackQueryHandler(on_toggle, pattern=r"^st:"),
        CallbackQueryHandler(on_next, pattern=r"^sn:"),
        CallbackQueryHandler(on_skip, pattern=r"^ss:"),
        CallbackQueryHandler(on_back, pattern=r"^sb:"),
        CallbackQueryHandler(on_edit, pattern=r"^se:"),
        CallbackQueryHandler(on_submit, pattern=r"^sok:"),
    ]
