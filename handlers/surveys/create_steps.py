"""Creating a survey, step by step: the draft (a `flow_states` row) says what is still
missing, and each step asks for it. A survey file fills most steps at once.

The draft's data: unit_id, who, title, questions (JSON list), questions_done, current (the
question being added), anonymous, closes_at (ISO or None), and from a file opens_at and
min_responses.
"""

from __future__ import annotations

from datetime import datetime, time
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action
from bot.i18n import N_, Translator
from handlers.common import Context, units_for
from handlers.surveys.common import KIND_NAMES, NEW_FLOW, audience_text, chunks
from handlers.typed_input import too_long_text
from storage.flows import save_flow
from storage.models import Unit
from storage.survey_file import END_OF_DAY
from storage.survey_questions import (
    MAX_OPTIONS,
    MAX_QUESTIONS,
    OPTION_LIMIT,
    QUESTION_LIMIT,
    Kind,
    Question,
    parse_date,
    questions_of,
)
from storage.surveys import LEADERS

Draft = dict[str, Any]
TITLE_LIMIT = 255
# The kinds offered by the wizard, in button order: a rating scale is chosen with its kind.
WIZARD_KINDS: list[tuple[Kind, int]] = [
    (Kind.SINGLE, 0),
    (Kind.MULTIPLE, 0),
    (Kind.RATING, 5),
    (Kind.RATING, 10),
    (Kind.YESNO, 0),
    (Kind.TEXT, 0),
    (Kind.LONGTEXT, 0),
    (Kind.NUMBER, 0),
    (Kind.DATE, 0),
]


def next_step(data: Draft) -> str:
    """The first thing the draft still lacks."""
    for key, step in (("unit_id", "audience"), ("who", "who"), ("title", "title")):
        if key not in data:
            return step
    if not data.get("questions_done"):
        return _question_step(data.get("current"))
    if "anonymous" not in data:
        return "anonymous"
    return "closes" if "closes_at" not in data else "preview"


def _question_step(current: Draft | None) -> str:
    if current is None:
        return "question"
    if "kind" not in current:
        return "kind"
    if current["kind"] in (Kind.SINGLE, Kind.MULTIPLE) and "options" not in current:
        return "options"
    if current["kind"] == Kind.RATING and "labels" not in current:
        return "labels"
    return "required"


async def managed_units(context: Context) -> list[Unit]:
    """Units the actor may survey: their committees (all branches below) first, then branches."""
    return await units_for(context, Action.MANAGE_SURVEYS)


def _markup(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def _cancel(_: Translator) -> list[tuple[str, str]]:
    return [(_("❌ Cancel"), "swx")]


async def ask_next(update: Update, context: Context, data: Draft) -> None:
    """Saves the draft at its next step and asks for it."""
    step = next_step(data)
    await save_flow(context.db, context.actor.telegram_id, NEW_FLOW, step, data, context.now())
    text, rows = await _prompt(context, step, data)
    chat = update.effective_chat
    if chat is None:
        return
    *first, last = chunks(text)  # a long preview
    for piece in first:
        await chat.send_message(piece, parse_mode=ParseMode.HTML)
    await chat.send_message(last, parse_mode=ParseMode.HTML, reply_markup=_markup(rows))


async def _prompt(
    context: Context, step: str, data: Draft
) -> tuple[str, list[list[tuple[str, str]]]]:
    _ = context._
    if step == "audience":
        units = await managed_units(context)
        rows = [[(audience_text(u, None, _), f"swa:{u.id}")] for u in units]
        return _("Who should answer the survey?"), [*rows, _cancel(_)]
    if step == "who":
        rows = [[(_("👥 All members"), "swr:0")], [(_("🎖 Committee members only"), "swr:1")]]
        return _("Should all members answer, or only committee members?"), [*rows, _cancel(_)]
    if step == "title":
        return _("Send the title of the survey."), [_cancel(_)]
    if step in ("question", "kind", "options", "labels", "required"):
        return _question_prompt(step, data, _)
    if step == "anonymous":
        rows = [[(_("🕶 Anonymous"), "swn:1"), (_("👤 Named"), "swn:0")], _cancel(_)]
        return _anonymity_prompt(context), rows
    if step == "closes":
        text = _(
            "Until when may members answer? Send a date and time as dd/mm/yyyy HH:MM, or only "
            "a date (it then closes at 23:59 that day)."
        )
        return text, [[(_("No closing time"), "swo")], _cancel(_)]
    unit = await context.db.get(Unit, int(data["unit_id"]))
    audience = audience_text(unit, data.get("who"), _) if unit else ""
    text = preview_text(context, data, audience)
    return text, [[(_("🚀 Send the survey"), "swgo")], _cancel(_)]


def _anonymity_prompt(context: Context) -> str:
    _ = context._
    return _.plural(
        "Anonymous or named? Anonymous answers are stored without any link to the member, and "
        "results are shown only once at least {count} member has answered.",
        "Anonymous or named? Anonymous answers are stored without any link to the member, and "
        "results are shown only once at least {count} members have answered.",
        context.settings.survey_min_responses,
    )


def _question_prompt(
    step: str, data: Draft, _: Translator
) -> tuple[str, list[list[tuple[str, str]]]]:
    current = data.get("current") or {}
    number = len(data.get("questions", [])) + 1
    question = escape(str(current.get("text", "")))
    if step == "question":
        rows = [[(_("✅ Done adding questions"), "swd")]] if number > 1 else []
        text = _("Question {number}: send the text of the question.", number=number)
        return text, [*rows, _cancel(_)]
    if step == "kind":
        labels = [_kind_label(kind, scale, _) for kind, scale in WIZARD_KINDS]
        buttons = [(label, f"swk:{i}") for i, label in enumerate(labels)]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        return _("How is “{question}” answered?", question=question), [*rows, _cancel(_)]
    if step == "options":
        text = _("Send the options, one per line (2 to {limit}).", limit=MAX_OPTIONS)
        return text, [_cancel(_)]
    if step == "labels":
        text = _(
            "Send what the lowest and the highest rating mean, on two lines (for example "
            "“Very poor” and “Very good”), or press No labels."
        )
        return text, [[(_("No labels"), "swl")], _cancel(_)]
    rows = [[(_("Required"), "swq:1"), (_("Optional"), "swq:0")], _cancel(_)]
    return _("Must “{question}” be answered?", question=question), rows


def _kind_label(kind: Kind, scale: int, _: Translator) -> str:
    if kind == Kind.RATING:
        return _("Rating 1-{scale}", scale=scale)
    return _(KIND_NAMES[kind])


def preview_text(context: Context, data: Draft, audience: str) -> str:
    """The survey as it will be sent: settings, then every question."""
    _ = context._
    questions = questions_of(data.get("questions", []))
    closes = data.get("closes_at")
    opens = data.get("opens_at")
    lines = [
        f"<b>{escape(str(data.get('title', '')))}</b>",
        _("To: {audience}", audience=escape(audience)),
        _anonymity_line(context, data),
        _(
            "Opens: {time}",
            time=_.datetime_text(datetime.fromisoformat(opens)) if opens else _("when sent"),
        ),
        _(
            "Closes: {time}",
            time=_.datetime_text(datetime.fromisoformat(closes)) if closes else _("never"),
        ),
        "",
    ]
    for i, question in enumerate(questions):
        kind = _kind_label(question.kind, question.scale, _)
        flag = _("required") if question.required else _("optional")
        lines.append(f"{i + 1}. {escape(question.text)} <i>({escape(kind)}, {flag})</i>")
        lines += [f"   • {escape(option)}" for option in question.options]
    return "\n".join(lines)


def _anonymity_line(context: Context, data: Draft) -> str:
    _ = context._
    if not data.get("anonymous"):
        return _("Named: you will see who answered what.")
    count = data.get("min_responses") or context.settings.survey_min_responses
    return _.plural(
        "Anonymous: results are shown once {count} member has answered.",
        "Anonymous: results are shown once {count} members have answered.",
        count,
    )


TEXT_STEPS = frozenset({"title", "question", "options", "labels", "closes"})  # typed answers


def typed_input(step: str, data: Draft, text: str, context: Context) -> str | None:
    """Applies a typed answer to the draft; the problem to tell the person, or None."""
    _ = context._
    text = text.strip()
    if step == "title":
        return _set_text(data, "title", text, TITLE_LIMIT, N_("The title"), _)
    if step == "question":
        if len(data.get("questions", [])) >= MAX_QUESTIONS:
            return _("A survey has at most {limit} questions.", limit=MAX_QUESTIONS)
        data["current"] = {}
        return _set_text(data["current"], "text", text, QUESTION_LIMIT, N_("The question"), _)
    if step == "options":
        return _set_options(data["current"], text, _)
    if step == "labels":
        labels = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        if len(labels) != 2 or any(len(label) > OPTION_LIMIT for label in labels):
            return _("Please send exactly two lines: the lowest, then the highest.")
        data["current"]["labels"] = labels
        return None
    if step == "closes":
        return _set_closes(data, text, context)
    return _("Please answer with the buttons below.")


def _set_text(
    target: Draft, key: str, text: str, limit: int, field: str, _: Translator
) -> str | None:
    value = " ".join(text.split())
    if not value:
        return _("Please send a text.")
    if len(value) > limit:
        return too_long_text(_, field, len(value), limit)
    target[key] = value
    return None


def _set_options(current: Draft, text: str, _: Translator) -> str | None:
    options = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    if not 2 <= len(options) <= MAX_OPTIONS:
        return _("Please send 2 to {limit} options, one per line.", limit=MAX_OPTIONS)
    if longest := max((len(option) for option in options if len(option) > OPTION_LIMIT), default=0):
        return too_long_text(_, N_("An option"), longest, OPTION_LIMIT)
    current["options"] = options
    return None


def _set_closes(data: Draft, text: str, context: Context) -> str | None:
    _ = context._
    day_text, _sep, clock_text = text.partition(" ")
    day = parse_date(day_text)
    try:
        clock = time.fromisoformat(clock_text.strip()) if clock_text.strip() else None
    except ValueError:
        day = None
    if day is None:
        return _("Please send a date and time as dd/mm/yyyy HH:MM, for example 15/12/2026 17:00.")
    closes = datetime.combine(day, clock or END_OF_DAY, context.settings.tz)
    if closes <= context.now():
        return _("The closing time must be in the future.")
    data["closes_at"] = closes.isoformat()
    return None


def finish_question(data: Draft, required: bool) -> None:
    """The question being added joins the list."""
    current = data.pop("current")
    question = Question(
        text=current["text"],
        kind=Kind(current["kind"]),
        required=required,
        options=tuple(current.get("options", ())),
        scale=int(current.get("scale") or 5),
        labels=tuple(current["labels"]) if current.get("labels") else None,
    )
    data["questions"] = [*data.get("questions", []), question.to_json()]


def set_who(data: Draft, leaders: bool) -> None:
    data["who"] = LEADERS if leaders else None
