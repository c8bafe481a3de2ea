"""Creating a survey in chat (a short wizard) or from a YAML file, then sending it.

Every button re-checks that the person may still manage surveys of the draft's unit.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot.access import Action, can_anywhere
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, drop_buttons, edit_text, refuse, refuse_draft_gone
from handlers.shared.usecase import env_of
from handlers.surveys import buttons
from handlers.surveys.actions import launch_survey, may_manage
from handlers.surveys.buttons import SurveyRef, UnitRef
from handlers.surveys.common import audience_text
from handlers.surveys.create_steps import ask_next, managed_units, typed_input, who_of
from handlers.surveys.draft import (
    ANONYMOUS,
    AUDIENCE,
    CLOSES,
    FILE,
    FLOW,
    KIND,
    LABELS,
    PREVIEW,
    QUESTION,
    REQUIRED,
    TEXT_STEPS,
    WHO,
    WIZARD_KINDS,
    SurveyDraft,
    save_draft,
)
from handlers.surveys.file_text import file_problems_text, read_document
from storage.flows import clear_flow, get_flow, lock_flow
from storage.models import FlowState, Unit

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLE_FILES = (DOCS / "survey-example.yaml", DOCS / "survey-example.xlsx")


async def _start(update: Update, context: Context, from_file: bool) -> SurveyDraft | None:
    """A new draft (or the open one), with the unit already chosen if there is only one."""
    query = update.callback_query
    if query is None or not can_anywhere(context.actor, Action.MANAGE_SURVEYS):
        await refuse(update, context, "survey_new")
        return None
    await ack(query)
    state = await get_flow(context.db, context.actor.telegram_id, FLOW)
    if state is not None and not from_file and state.step != FILE:
        return SurveyDraft.load(state.data)
    units = await managed_units(context)
    return SurveyDraft(unit_id=units[0].id if len(units) == 1 else None)


async def on_new(update: Update, context: Context, _pressed: object) -> None:
    """The secretary starts a survey in chat (or continues the draft where it was)."""
    draft = await _start(update, context, from_file=False)
    if draft is not None:
        await ask_next(update, context, draft)


async def on_from_file(update: Update, context: Context, _pressed: object) -> None:
    """The secretary is asked for a survey file, and gets the example to start from."""
    _ = context._
    draft = await _start(update, context, from_file=True)
    chat = update.effective_chat
    if draft is None or chat is None:
        return
    await save_draft(context.db, context.actor.telegram_id, draft, context.now(), step=FILE)
    text = _(
        "Send me the survey file: YAML or an Excel workbook (.xlsx). Start from one of the "
        "examples below: change the title, the settings and the questions, keep the layout."
    )
    cancel = buttons.CANCEL.button(_("❌ Cancel"))
    await chat.send_message(text, reply_markup=InlineKeyboardMarkup([[cancel]]))
    for example in EXAMPLE_FILES:
        if example.exists():
            await chat.send_document(example.read_bytes(), filename=example.name)


async def _draft_at(
    update: Update, context: Context, step: str, lock: bool = False
) -> SurveyDraft | None:
    """The draft, if this button belongs to its current step; otherwise refused.

    `lock` for the step that uses the draft up: a second press at once waits, then finds
    the draft gone and is told so (the survey goes out once)."""
    user_id = context.actor.telegram_id
    state = await (lock_flow if lock else get_flow)(context.db, user_id, FLOW)
    query = update.callback_query
    allowed = can_anywhere(context.actor, Action.MANAGE_SURVEYS)
    if lock and state is None and query is not None and allowed:
        await refuse_draft_gone(update, context, f"survey_{step}_gone")
        return None
    if query is None or state is None or state.step != step or not allowed:
        await refuse(update, context, f"survey_{step}")
        return None
    draft = SurveyDraft.load(state.data)
    unit = await context.db.get(Unit, draft.unit_id) if draft.unit_id is not None else None
    if draft.unit_id is not None and not may_manage(context.actor, unit):
        await clear_flow(context.db, state.user_id, state.flow)  # the role is gone: so is the draft
        await refuse(update, context, "survey_draft_forbidden")
        return None
    await ack(query)
    await drop_buttons(query)
    return draft


async def on_audience(update: Update, context: Context, chosen: UnitRef) -> None:
    """The unit whose members answer is chosen."""
    unit = await context.db.get(Unit, chosen.unit_id)
    if not may_manage(context.actor, unit):
        await refuse(update, context, "survey_audience")
        return
    draft = await _draft_at(update, context, AUDIENCE)
    if draft is not None and unit is not None:
        await ask_next(update, context, replace(draft, unit_id=unit.id))


# The step buttons: each fills its step, and the next is asked. A value the button cannot
# carry (forged) is refused after the step is checked, with the reason it always had.


async def on_who(update: Update, context: Context, chosen: buttons.Choice) -> None:
    """All members answer (0), or committee members only (1)."""
    draft = await _draft_at(update, context, WHO)
    if draft is None:
        return
    if chosen.value > 1:
        await refuse(update, context, "survey_bad_value")
        return
    await ask_next(update, context, replace(draft, who=who_of(bool(chosen.value))))


async def on_kind(update: Update, context: Context, chosen: buttons.Choice) -> None:
    """The kind of the question being added (a rating with its scale)."""
    draft = await _draft_at(update, context, KIND)
    if draft is None or draft.current is None:
        return
    if chosen.value >= len(WIZARD_KINDS):
        await refuse(update, context, "survey_bad_kind")
        return
    kind, scale = WIZARD_KINDS[chosen.value]
    current = replace(draft.current, kind=kind, scale=scale or 5)
    await ask_next(update, context, replace(draft, current=current))


async def on_no_labels(update: Update, context: Context, _pressed: object) -> None:
    """A rating without labels for its lowest and highest value."""
    draft = await _draft_at(update, context, LABELS)
    if draft is not None and draft.current is not None:
        current = replace(draft.current, labels=None)
        await ask_next(update, context, replace(draft, current=current))


async def on_required(update: Update, context: Context, chosen: buttons.Choice) -> None:
    """The question being added is required (1) or optional (0), and joins the list."""
    draft = await _draft_at(update, context, REQUIRED)
    if draft is None:
        return
    if chosen.value > 1:
        await refuse(update, context, "survey_bad_value")
        return
    await ask_next(update, context, draft.with_question(required=bool(chosen.value)))


async def on_done(update: Update, context: Context, _pressed: object) -> None:
    """No more questions."""
    draft = await _draft_at(update, context, QUESTION)
    if draft is None:
        return
    if not draft.questions:
        await refuse(update, context, "survey_no_questions")
        return
    await ask_next(update, context, replace(draft, questions_done=True, current=None))


async def on_anonymous(update: Update, context: Context, chosen: buttons.Choice) -> None:
    """Anonymous (1) or named (0)."""
    draft = await _draft_at(update, context, ANONYMOUS)
    if draft is None:
        return
    if chosen.value > 1:
        await refuse(update, context, "survey_bad_value")
        return
    await ask_next(update, context, replace(draft, anonymous=bool(chosen.value)))


async def on_no_closing(update: Update, context: Context, _pressed: object) -> None:
    """The survey stays open until it is closed by hand."""
    draft = await _draft_at(update, context, CLOSES)
    if draft is not None:
        await ask_next(update, context, replace(draft, closes_at=None))


async def on_new_input(update: Update, context: Context, state: FlowState) -> None:
    """The secretary's typed answer to the current step, or the survey file."""
    message = update.effective_message
    if message is None:
        return
    if not can_anywhere(context.actor, Action.MANAGE_SURVEYS):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "survey_draft_forbidden")
        return
    draft = SurveyDraft.load(state.data)
    if state.step == FILE:
        await _on_file(update, context, message, draft)
        return
    if draft.step not in TEXT_STEPS:  # the question again, its buttons below
        await message.reply_text(context._("Please answer with the buttons below."))
        await ask_next(update, context, draft)
        return
    found = typed_input(draft.step, draft, message.text or "", context)
    if isinstance(found, str):
        await message.reply_text(found + "\n" + context._("Your draft is kept."))
        return
    await ask_next(update, context, found)


async def _on_file(update: Update, context: Context, message: Message, draft: SurveyDraft) -> None:
    """A good file fills the draft; a bad one is answered with every problem, by line."""
    result = await read_document(message, context)
    if isinstance(result, str):
        await message.reply_text(result, parse_mode=ParseMode.HTML)
        return
    if not isinstance(result, list):
        await ask_next(update, context, SurveyDraft.load({**draft.dump(), **result}))
        return
    await message.reply_text(file_problems_text(result, context._), parse_mode=ParseMode.HTML)


async def on_launch(update: Update, context: Context, _pressed: object) -> None:
    """The survey is stored and its invitations go out (now, or at its opening time)."""
    _ = context._
    draft = await _draft_at(update, context, PREVIEW, lock=True)
    query = update.callback_query
    unit = await context.db.get(Unit, draft.unit_id) if draft and draft.unit_id else None
    if draft is None or unit is None or query is None:
        return
    launched = await launch_survey(context.db, context.actor, unit, draft, env_of(context))
    survey, sent = launched.survey, launched.sent
    await clear_flow(context.db, context.actor.telegram_id, FLOW)
    audience = escape(audience_text(unit, survey.audience_role, _))
    if sent is None:
        text = _(
            "🗳 The survey is saved. Invitations go to {audience} when it opens, {time}.",
            audience=audience,
            time=_.datetime_text(survey.opens_at),
        )
    else:
        text = _.plural(
            "🗳 The survey is on its way to {count} member of {audience}.",
            "🗳 The survey is on its way to {count} members of {audience}.",
            sent,
            audience=audience,
        )
    status = buttons.CARD.button(_("📊 Survey status"), SurveyRef(survey.id))
    await edit_text(
        query, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup([[status]])
    )


async def on_cancel(update: Update, context: Context, _pressed: object) -> None:
    """The survey draft is discarded."""
    query = update.callback_query
    if query is None:
        return
    await ack(query)
    if await get_flow(context.db, context.actor.telegram_id, FLOW) is not None:
        await clear_flow(context.db, context.actor.telegram_id, FLOW)
    await edit_text(query, context._("The survey draft was discarded."))


# The wizard's buttons, and what a press of each does (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.NEW.route(on_new, "survey_new"),
    buttons.FROM_FILE.route(on_from_file, "survey_new"),
    buttons.AUDIENCE.route(on_audience, "survey_audience"),
    buttons.WHO.route(on_who, "survey_step"),
    buttons.KIND.route(on_kind, "survey_step"),
    buttons.NO_LABELS.route(on_no_labels, "survey_step"),
    buttons.REQUIRED.route(on_required, "survey_step"),
    buttons.DONE.route(on_done, "survey_step"),
    buttons.ANONYMOUS.route(on_anonymous, "survey_step"),
    buttons.NO_CLOSING.route(on_no_closing, "survey_step"),
    buttons.LAUNCH.route(on_launch, "survey_preview"),
    buttons.CANCEL.route(on_cancel, "survey_cancel"),
)
