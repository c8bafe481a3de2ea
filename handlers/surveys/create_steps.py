"""Creating a survey, step by step: the draft (handlers/surveys/draft.py) says what is still
missing, and each step asks for it. A survey file fills most steps at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action
from bot.i18n import N_, Translator
from handlers.shared.audience import audience_rows
from handlers.shared.common import Context, units_for
from handlers.shared.typed_input import too_long_text
from handlers.surveys import buttons
from handlers.surveys.buttons import Choice, UnitRef
from handlers.surveys.common import KIND_NAMES, audience_text, chunks
from handlers.surveys.draft import (
    ANONYMOUS,
    AUDIENCE,
    CLOSES,
    KIND,
    LABELS,
    OPTIONS,
    QUESTION,
    REQUIRED,
    TITLE,
    UNSET,
    WHO,
    WIZARD_KINDS,
    NewQuestion,
    SurveyDraft,
    save_draft,
)
from storage.models import Unit
from storage.survey_file import END_OF_DAY
from storage.survey_questions import (
    MAX_OPTIONS,
    MAX_QUESTIONS,
    OPTION_LIMIT,
    QUESTION_LIMIT,
    Kind,
    parse_date,
)
from storage.surveys import LEADERS

TITLE_LIMIT = 255
Rows = list[list[InlineKeyboardButton]]


async def managed_units(context: Context) -> list[Unit]:
    """Units the actor may survey: their committees (all branches below) first, then branches."""
    return await units_for(context, Action.MANAGE_SURVEYS)


def _cancel(_: Translator) -> list[InlineKeyboardButton]:
    return [buttons.CANCEL.button(_("❌ Cancel"))]


async def ask_next(update: Update, context: Context, draft: SurveyDraft) -> None:
    """Saves the draft at its next step and asks for it."""
    await save_draft(context.db, context.actor.telegram_id, draft, context.now())
    text, rows = await _prompt(context, draft.step, draft)
    chat = update.effective_chat
    if chat is None:
        return
    *first, last = chunks(text)  # a long preview
    for piece in first:
        await chat.send_message(piece, parse_mode=ParseMode.HTML)
    await chat.send_message(
        last, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows)
    )


async def _prompt(context: Context, step: str, draft: SurveyDraft) -> tuple[str, Rows]:
    _ = context._
    if step == AUDIENCE:
        units = await managed_units(context)
        rows = audience_rows(units, buttons.AUDIENCE, UnitRef, _)
        return _("Who should answer the survey?"), [*rows, _cancel(_)]
    if step == WHO:
        rows = [
            [buttons.WHO.button(_("👥 All members"), Choice(0))],
            [buttons.WHO.button(_("🎖 Committee members only"), Choice(1))],
        ]
        return _("Should all members answer, or only committee members?"), [*rows, _cancel(_)]
    if step == TITLE:
        return _("Send the title of the survey."), [_cancel(_)]
    if step in (QUESTION, KIND, OPTIONS, LABELS, REQUIRED):
        return _question_prompt(step, draft, _)
    if step == ANONYMOUS:
        rows = [
            [
                buttons.ANONYMOUS.button(_("🕶 Anonymous"), Choice(1)),
                buttons.ANONYMOUS.button(_("👤 Named"), Choice(0)),
            ],
            _cancel(_),
        ]
        return _anonymity_prompt(context), rows
    if step == CLOSES:
        text = _(
            "Until when may members answer? Send a date and time as dd/mm/yyyy HH:MM, or only "
            "a date (it then closes at 23:59 that day)."
        )
        return text, [[buttons.NO_CLOSING.button(_("No closing time"))], _cancel(_)]
    unit = await context.db.get(Unit, draft.unit_id) if draft.unit_id is not None else None
    who = draft.who if draft.who is not UNSET else None
    audience = audience_text(unit, who, _) if unit else ""
    text = preview_text(context, draft, audience)
    return text, [[buttons.LAUNCH.button(_("🚀 Send the survey"))], _cancel(_)]


def _anonymity_prompt(context: Context) -> str:
    _ = context._
    return _.plural(
        "Anonymous or named? Anonymous answers are stored without any link to the member, and "
        "results are shown only once at least {count} member has answered.",
        "Anonymous or named? Anonymous answers are stored without any link to the member, and "
        "results are shown only once at least {count} members have answered.",
        context.settings.survey_min_responses,
    )


def _question_prompt(step: str, draft: SurveyDraft, _: Translator) -> tuple[str, Rows]:
    number = len(draft.questions) + 1
    question = escape(draft.current.text if draft.current is not None else "")
    if step == QUESTION:
        rows = [[buttons.DONE.button(_("✅ Done adding questions"))]] if number > 1 else []
        text = _("Question {number}: send the text of the question.", number=number)
        return text, [*rows, _cancel(_)]
    if step == KIND:
        labels = [_kind_label(kind, scale, _) for kind, scale in WIZARD_KINDS]
        kinds = [buttons.KIND.button(label, Choice(i)) for i, label in enumerate(labels)]
        rows = [kinds[i : i + 2] for i in range(0, len(kinds), 2)]
        return _("How is “{question}” answered?", question=question), [*rows, _cancel(_)]
    if step == OPTIONS:
        text = _("Send the options, one per line (2 to {limit}).", limit=MAX_OPTIONS)
        return text, [_cancel(_)]
    if step == LABELS:
        text = _(
            "Send what the lowest and the highest rating mean, on two lines (for example "
            "“Very poor” and “Very good”), or press No labels."
        )
        return text, [[buttons.NO_LABELS.button(_("No labels"))], _cancel(_)]
    rows = [
        [
            buttons.REQUIRED.button(_("Required"), Choice(1)),
            buttons.REQUIRED.button(_("Optional"), Choice(0)),
        ],
        _cancel(_),
    ]
    return _("Must “{question}” be answered?", question=question), rows


def _kind_label(kind: Kind, scale: int, _: Translator) -> str:
    if kind == Kind.RATING:
        return _("Rating 1-{scale}", scale=scale)
    return _(KIND_NAMES[kind])


def preview_text(context: Context, draft: SurveyDraft, audience: str) -> str:
    """The survey as it will be sent: settings, then every question."""
    _ = context._
    closes, opens = draft.closes_at, draft.opens_at
    lines = [
        f"<b>{escape(draft.title or '')}</b>",
        _("To: {audience}", audience=escape(audience)),
        _anonymity_line(context, draft),
        _(
            "Opens: {time}",
            time=_.datetime_text(opens) if isinstance(opens, datetime) else _("when sent"),
        ),
        _(
            "Closes: {time}",
            time=_.datetime_text(closes) if isinstance(closes, datetime) else _("never"),
        ),
        "",
    ]
    for i, question in enumerate(draft.questions):
        kind = _kind_label(question.kind, question.scale, _)
        flag = _("required") if question.required else _("optional")
        lines.append(f"{i + 1}. {escape(question.text)} <i>({escape(kind)}, {flag})</i>")
        lines += [f"   • {escape(option)}" for option in question.options]
    return "\n".join(lines)


def _anonymity_line(context: Context, draft: SurveyDraft) -> str:
    _ = context._
    if not draft.anonymous:
        return _("Named: you will see who answered what.")
    given = draft.min_responses if draft.min_responses is not UNSET else None
    count = given or context.settings.survey_min_responses
    return _.plural(
        "Anonymous: results are shown once {count} member has answered.",
        "Anonymous: results are shown once {count} members have answered.",
        count,
    )


def typed_input(step: str, draft: SurveyDraft, text: str, context: Context) -> SurveyDraft | str:
    """The draft with a typed answer to its step; or the problem to tell the person."""
    _ = context._
    text = text.strip()
    if step == TITLE:
        title, problem = _text(text, TITLE_LIMIT, N_("The title"), _)
        return problem or replace(draft, title=title)
    if step == QUESTION:
        if len(draft.questions) >= MAX_QUESTIONS:
            return _("A survey has at most {limit} questions.", limit=MAX_QUESTIONS)
        question, problem = _text(text, QUESTION_LIMIT, N_("The question"), _)
        return problem or replace(draft, current=NewQuestion(question))
    current = draft.current
    if step == OPTIONS and current is not None:
        options = _options(text, _)
        if isinstance(options, str):
            return options
        return replace(draft, current=replace(current, options=options))
    if step == LABELS and current is not None:
        labels = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        if len(labels) != 2 or any(len(label) > OPTION_LIMIT for label in labels):
            return _("Please send exactly two lines: the lowest, then the highest.")
        return replace(draft, current=replace(current, labels=(labels[0], labels[1])))
    if step == CLOSES:
        closes = _closes(text, context)
        return replace(draft, closes_at=closes) if isinstance(closes, datetime) else closes
    return _("Please answer with the buttons below.")


def _text(text: str, limit: int, field: str, _: Translator) -> tuple[str, str | None]:
    """The text with its whitespace collapsed, and the problem with it (None: accepted)."""
    value = " ".join(text.split())
    if not value:
        return value, _("Please send a text.")
    if len(value) > limit:
        return value, too_long_text(_, field, len(value), limit)
    return value, None


def _options(text: str, _: Translator) -> tuple[str, ...] | str:
    options = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    if not 2 <= len(options) <= MAX_OPTIONS:
        return _("Please send 2 to {limit} options, one per line.", limit=MAX_OPTIONS)
    if longest := max((len(option) for option in options if len(option) > OPTION_LIMIT), default=0):
        return too_long_text(_, N_("An option"), longest, OPTION_LIMIT)
    return tuple(options)


def _closes(text: str, context: Context) -> datetime | str:
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
    return closes


def who_of(leaders: bool) -> str | None:
    return LEADERS if leaders else None
