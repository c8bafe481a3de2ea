"""What the survey handlers share: names of kinds and audiences, answers as a person reads
them, problems as sentences, long texts in pieces, the survey a button names."""

from __future__ import annotations

from telegram import Update

from bot.i18n import N_, Translator
from handlers.shared.common import Context, refuse
from handlers.shared.readers import audience_name
from handlers.shared.typed_input import too_long_text
from handlers.surveys import actions
from handlers.surveys.buttons import SurveyRef
from storage.models import Survey, Unit
from storage.survey_questions import Answer, Kind, Problem, Question, format_number
from storage.surveys import ANSWER_FLOW as SUBMITTED_FLOW
from storage.surveys import LEADERS

ANSWER_FLOW = SUBMITTED_FLOW  # submitting clears this draft in storage

KIND_NAMES = {
    Kind.SINGLE: N_("One choice"),
    Kind.MULTIPLE: N_("Several choices"),
    Kind.RATING: N_("Rating"),
    Kind.YESNO: N_("Yes / no"),
    Kind.TEXT: N_("Short text"),
    Kind.LONGTEXT: N_("Long text"),
    Kind.NUMBER: N_("Number"),
    Kind.DATE: N_("Date"),
}

ANSWER_PROBLEMS = {
    "empty": N_("Please type an answer."),
    "not_a_number": N_("Please send a number, for example 12 or 3,5."),
    "number_too_small": N_("The number must be at least {min}."),
    "number_too_large": N_("The number must be at most {max}."),
    "not_a_date": N_("Please send a date as day/month/year, for example 05/11/2026."),
    "use_buttons": N_("Please answer with the buttons below."),
    "choose_at_least": N_("Please choose at least {count}."),
    "choose_at_most": N_("Please choose at most {count}."),
}


def problem_text(problem: Problem, _: Translator) -> str:
    if problem.code == "too_long":
        length, limit = problem.values["length"], problem.values["limit"]
        return too_long_text(_, N_("The answer"), int(length), int(limit))
    return _(ANSWER_PROBLEMS[problem.code], **problem.values)


def audience_text(unit: Unit, audience_role: str | None, _: Translator) -> str:
    """ "Chi bộ Khu phố 1", "all branches of ...", or their committee members only."""
    name = audience_name(unit, _)
    if audience_role == LEADERS:
        return _("committee members of {audience}", audience=name)
    return name


def answer_text(question: Question, value: Answer | None, _: Translator) -> str:
    """An answer as the member or the committee reads it; a dash when skipped."""
    if value is None or value == []:
        return _("— (skipped)")
    if question.kind == Kind.SINGLE and isinstance(value, int):
        return question.options[value]
    if question.kind == Kind.MULTIPLE and isinstance(value, list):
        return "; ".join(question.options[i] for i in value)
    if question.kind == Kind.YESNO:
        return _("Yes") if value is True else _("No")
    if question.kind == Kind.DATE and isinstance(value, str):
        year, month, day = value.split("-")
        return f"{day}/{month}/{year}"
    if question.kind == Kind.NUMBER and isinstance(value, int | float):
        return format_number(value)
    return str(value)


def question_hint(question: Question, _: Translator) -> str:
    """How to answer: what the buttons or the typed answer should be."""
    if question.kind == Kind.MULTIPLE:
        return _("Choose one or more, then press Next.")
    if question.kind == Kind.RATING:
        if question.labels:
            return _(
                "1 = {low}, {scale} = {high}",
                low=question.labels[0],
                scale=question.scale,
                high=question.labels[1],
            )
        return _("From 1 to {scale}.", scale=question.scale)
    hints = {
        Kind.TEXT: _("Type your answer (a few words)."),
        Kind.LONGTEXT: _("Type your answer."),
        Kind.NUMBER: _("Type a number."),
        Kind.DATE: _("Type a date as day/month/year, for example 05/11/2026."),
    }
    return hints.get(question.kind, "")


MESSAGE_LIMIT = 4000  # under Telegram's 4096, leaving room for HTML entities' expansion


def chunks(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The text split at line ends into pieces Telegram accepts (a long line is cut)."""
    pieces: list[str] = [""]
    for line in text.split("\n"):
        line = line[:limit]
        if pieces[-1] and len(pieces[-1]) + len(line) + 1 > limit:
            pieces.append("")
        pieces[-1] = f"{pieces[-1]}\n{line}" if pieces[-1] else line
    return pieces


async def managed_survey(
    update: Update, context: Context, pressed: SurveyRef, reason: str
) -> Survey | None:
    """The survey named by the button, if the presser may manage surveys of its unit."""
    survey = await actions.managed_survey(context.db, context.actor, pressed.survey_id)
    if survey is None:
        await refuse(update, context, reason)
    return survey
