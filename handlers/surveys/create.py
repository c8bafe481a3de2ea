"""Creating a survey in chat (a short wizard) or from a YAML file, then sending it.

Every button re-checks that the person may still manage surveys of the draft's unit.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can_anywhere
from bot.delivery.sender import wake_sender_after_commit
from bot.scheduler import wake_scheduler_after_commit
from handlers.common import (
    Context,
    ack,
    callback_args,
    drop_buttons,
    edit_text,
    refuse,
    refuse_draft_gone,
)
from handlers.surveys.common import NEW_FLOW, audience_text, may_manage
from handlers.surveys.create_steps import (
    TEXT_STEPS,
    WIZARD_KINDS,
    Draft,
    ask_next,
    finish_question,
    managed_units,
    set_who,
    typed_input,
)
from handlers.surveys.file_text import file_problems_text, read_document
from handlers.surveys.jobs import CLOSE_JOB, OPEN_JOB, job_key, send_invitations
from storage import audit
from storage.flows import clear_flow, get_flow, lock_flow, save_flow
from storage.models import FlowState, Survey, Unit
from storage.schedule import schedule
from storage.survey_questions import questions_of
from storage.surveys import NewSurvey, add_survey, audience_counts

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLE_FILES = (DOCS / "survey-example.yaml", DOCS / "survey-example.xlsx")


async def _start(update: Update, context: Context, from_file: bool) -> Draft | None:
    """A new draft (or the open one), with the unit already chosen if there is only one."""
    query = update.callback_query
    if query is None or not can_anywhere(context.actor, Action.MANAGE_SURVEYS):
        await refuse(update, context, "survey_new")
        return None
    await ack(query)
    draft = await get_flow(context.db, context.actor.telegram_id, NEW_FLOW)
    if draft is not None and not from_file and draft.step != "file":
        return dict(draft.data)
    data: Draft = {}
    units = await managed_units(context)
    if len(units) == 1:
        data["unit_id"] = units[0].id
    return data


async def on_new(update: Update, context: Context) -> None:
    """The secretary starts a survey in chat (or continues the draft where it was)."""
    data = await _start(update, context, from_file=False)
    if data is not None:
        await ask_next(update, context, data)


async def on_from_file(update: Update, context: Context) -> None:
    """The secretary is asked for a survey file, and gets the example to start from."""
    _ = context._
    data = await _start(update, context, from_file=True)
    chat = update.effective_chat
    if data is None or chat is None:
        return
    await save_flow(context.db, context.actor.telegram_id, NEW_FLOW, "file", data, context.now())
    text = _(
        "Send me the survey file: YAML or an Excel workbook (.xlsx). Start from one of the "
        "examples below: change the title, the settings and the questions, keep the layout."
    )
    cancel = InlineKeyboardButton(_("❌ Cancel"), callback_data="swx")
    await chat.send_message(text, reply_markup=InlineKeyboardMarkup([[cancel]]))
    for example in EXAMPLE_FILES:
        if example.exists():
            await chat.send_document(example.read_bytes(), filename=example.name)


async def _draft_at(
    update: Update, context: Context, step: str, lock: bool = False
) -> Draft | None:
    """The draft's data, if this button belongs to its current step; otherwise refused.

    `lock` for the step that uses the draft up: a second press at once waits, then finds
    the draft gone and is told so (the survey goes out once)."""
    user_id = context.actor.telegram_id
    draft = await (lock_flow if lock else get_flow)(context.db, user_id, NEW_FLOW)
    query = update.callback_query
    allowed = can_anywhere(context.actor, Action.MANAGE_SURVEYS)
    if lock and draft is None and query is not None and allowed:
        await refuse_draft_gone(update, context, f"survey_{step}_gone")
        return None
    if query is None or draft is None or draft.step != step or not allowed:
        await refuse(update, context, f"survey_{step}")
        return None
    unit = (
        await context.db.get(Unit, int(draft.data["unit_id"])) if "unit_id" in draft.data else None
    )
    if "unit_id" in draft.data and not may_manage(context.actor, unit):
        await clear_flow(context.db, draft.user_id, draft.flow)  # the role is gone: so is the draft
        await refuse(update, context, "survey_draft_forbidden")
        return None
    await ack(query)
    await drop_buttons(query)
    return copy.deepcopy(draft.data)


async def on_audience(update: Update, context: Context) -> None:
    """The unit whose members answer is chosen."""
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    unit = await context.db.get(Unit, args[0]) if args else None
    if not may_manage(context.actor, unit):
        await refuse(update, context, "survey_audience")
        return
    data = await _draft_at(update, context, "audience")
    if data is not None and unit is not None:
        await ask_next(update, context, {**data, "unit_id": unit.id})


async def on_button_step(update: Update, context: Context) -> None:
    """Who answers, the kind of a question, no labels, required or not, no more questions,
    anonymous or named, no closing time: each fills its step and the next is asked."""
    query = update.callback_query
    prefix = (query.data or "").split(":", 1)[0] if query else ""
    step, count = BUTTON_STEPS.get(prefix, ("", 0))
    args = callback_args(query, count) if query and count else []
    data = await _draft_at(update, context, step) if step and args is not None else None
    if data is None:
        if not step or args is None:
            await refuse(update, context, "survey_step")
        return
    problem = _apply_button(prefix, args or [], data)
    if problem:
        await refuse(update, context, problem)
        return
    await ask_next(update, context, data)


BUTTON_STEPS = {
    "swr": ("who", 1),
    "swk": ("kind", 1),
    "swl": ("labels", 0),
    "swq": ("required", 1),
    "swd": ("question", 0),
    "swn": ("anonymous", 1),
    "swo": ("closes", 0),
}


def _apply_button(prefix: str, args: list[int], data: Draft) -> str | None:
    """Changes the draft for the button; a reason to refuse forged values, else None."""
    value = args[0] if args else 0
    if prefix == "swk":
        if value >= len(WIZARD_KINDS):
            return "survey_bad_kind"
        kind, scale = WIZARD_KINDS[value]
        data["current"] = {**data["current"], "kind": kind.value, "scale": scale or 5}
    elif prefix == "swl":
        data["current"] = {**data["current"], "labels": None}
    elif prefix == "swd":
        if not data.get("questions"):
            return "survey_no_questions"
        data["questions_done"] = True
        data.pop("current", None)
    elif prefix in ("swr", "swq", "swn") and value > 1:
        return "survey_bad_value"
    elif prefix == "swr":
        set_who(data, bool(value))
    elif prefix == "swq":
        finish_question(data, required=bool(value))
    elif prefix == "swn":
        data["anonymous"] = bool(value)
    elif prefix == "swo":
        data["closes_at"] = None
    return None


async def on_new_input(update: Update, context: Context, draft: FlowState) -> None:
    """The secretary's typed answer to the current step, or the survey file."""
    message = update.effective_message
    if message is None:
        return
    if not can_anywhere(context.actor, Action.MANAGE_SURVEYS):
        await clear_flow(context.db, draft.user_id, draft.flow)
        await refuse(update, context, "survey_draft_forbidden")
        return
    # A deep copy: the draft's nested question is changed in place, and the JSON column only
    # sees a value that differs from the one it loaded.
    data = copy.deepcopy(draft.data)
    if draft.step == "file":
        await _on_file(update, context, message, data)
        return
    if draft.step not in TEXT_STEPS:  # the question again, its buttons below
        await message.reply_text(context._("Please answer with the buttons below."))
        await ask_next(update, context, data)
        return
    problem = typed_input(draft.step, data, message.text or "", context)
    if problem:
        await message.reply_text(problem + "\n" + context._("Your draft is kept."))
        return
    await ask_next(update, context, data)


async def _on_file(update: Update, context: Context, message: Message, data: Draft) -> None:
    """A good file fills the draft; a bad one is answered with every problem, by line."""
    result = await read_document(message, context)
    if isinstance(result, str):
        await message.reply_text(result, parse_mode=ParseMode.HTML)
        return
    if not isinstance(result, list):
        data.update(result)
        await ask_next(update, context, data)
        return
    await message.reply_text(file_problems_text(result, context._), parse_mode=ParseMode.HTML)


async def on_launch(update: Update, context: Context) -> None:
    """The survey is stored and its invitations go out (now, or at its opening time)."""
    _ = context._
    data = await _draft_at(update, context, "preview", lock=True)
    query = update.callback_query
    unit = await context.db.get(Unit, int(data["unit_id"])) if data else None
    if data is None or unit is None or query is None:
        return
    survey, sent = await _launch(context, data, unit)
    await clear_flow(context.db, context.actor.telegram_id, NEW_FLOW)
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
    status = InlineKeyboardButton(_("📊 Survey status"), callback_data=f"svc:{survey.id}")
    await edit_text(
        query, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup([[status]])
    )


async def _launch(context: Context, data: Draft, unit: Unit) -> tuple[Survey, int | None]:
    """Stores the survey and its jobs; the invitations sent now (None: at its opening)."""
    now = context.now()
    opens = _utc(data.get("opens_at")) or now
    closes = _utc(data.get("closes_at"))
    survey = await add_survey(context.db, _new_survey(context, data, unit, max(opens, now), closes))
    sent = None
    if opens <= now:
        sent = (await audience_counts(context.db, survey)).reachable
    if sent is not None and sent <= context.settings.bulk_job_threshold:
        await send_invitations(context.db, survey, context.settings, now)
        wake_sender_after_commit(context.bot_data)
    else:  # later, or now by the job when many: the bot goes on answering meanwhile
        await schedule(
            context.db, OPEN_JOB, job_key(survey.id, "open"), opens, {"survey_id": survey.id}
        )
    if closes is not None:
        await schedule(
            context.db, CLOSE_JOB, job_key(survey.id, "close"), closes, {"survey_id": survey.id}
        )
    wake_scheduler_after_commit(context.bot_data)
    await audit.record(
        context.db,
        "survey_created",
        actor_member_id=context.actor.member_id,
        unit_id=unit.id,
        object_type="survey",
        object_id=survey.id,
        details={"questions": len(survey.questions), "anonymous": survey.anonymous},
    )
    return survey, sent


def _utc(iso: str | None) -> datetime | None:
    """A stored draft time, in UTC (SQLite keeps the clock time and drops the zone)."""
    return datetime.fromisoformat(iso).astimezone(UTC) if iso else None


def _new_survey(
    context: Context, data: Draft, unit: Unit, opens: datetime, closes: datetime | None
) -> NewSurvey:
    return NewSurvey(
        unit_id=unit.id,
        title=str(data["title"]),
        questions=questions_of(data["questions"]),
        anonymous=bool(data.get("anonymous")),
        min_responses=int(data.get("min_responses") or context.settings.survey_min_responses),
        opens_at=opens,
        closes_at=closes,
        audience_role=data.get("who"),
        created_by_member_id=context.actor.member_id,
    )


async def on_cancel(update: Update, context: Context) -> None:
    """The survey draft is discarded."""
    query = update.callback_query
    if query is None:
        return
    await ack(query)
    if await get_flow(context.db, context.actor.telegram_id, NEW_FLOW) is not None:
        await clear_flow(context.db, context.actor.telegram_id, NEW_FLOW)
    await edit_text(query, context._("The survey draft was discarded."))


def survey_create_handlers() -> list[BaseHandler[Update, Context, None]]:
    steps = "|".join(BUTTON_STEPS)
    return [
        CallbackQueryHandler(on_new, pattern=r"^svnew$"),
        CallbackQueryHandler(on_from_file, pattern=r"^svfile$"),
        CallbackQueryHandler(on_audience, pattern=r"^swa:"),
        CallbackQueryHandler(on_button_step, pattern=rf"^({steps})(:|$)"),
        CallbackQueryHandler(on_launch, pattern=r"^swgo$"),
        CallbackQueryHandler(on_cancel, pattern=r"^swx$"),
    ]
