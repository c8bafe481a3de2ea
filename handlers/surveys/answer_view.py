"""What a member sees while answering: one question at a time with its buttons and progress,
and the review screen before submitting."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from handlers.shared.drafts import cancel_button
from handlers.surveys import buttons
from handlers.surveys.answer_draft import AnswerDraft
from handlers.surveys.buttons import Picked, QuestionRef, SurveyRef
from handlers.surveys.common import answer_text, question_hint
from storage.models import Survey
from storage.survey_questions import TYPED_KINDS, Kind, Question

Buttons = list[list[InlineKeyboardButton]]
REVIEW_QUESTION = 120  # characters of each question and answer on the review screen
REVIEW_ANSWER = 200


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def question_view(
    survey: Survey, questions: list[Question], data: AnswerDraft, _: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    """The current question: title, "3/10", the question, how to answer; and its buttons."""
    index = data.index
    question = questions[index]
    progress = _("Question {number}/{total}", number=index + 1, total=len(questions))
    if not question.required:
        progress += " · " + _("optional")
    lines = [f"<b>{escape(survey.title)}</b>", progress, "", escape(question.text)]
    hint = question_hint(question, _)
    if hint:
        lines.append(f"<i>{escape(hint)}</i>")
    current = data.answer(index)
    if current is not None and question.kind not in (Kind.SINGLE, Kind.MULTIPLE):
        lines.append(_("Your answer: {answer}", answer=escape(answer_text(question, current, _))))
    rows = _answer_buttons(survey.id, index, question, data, _)
    rows.append(_nav_row(survey.id, index, question, _))
    return "\n".join(lines), InlineKeyboardMarkup([r for r in rows if r])


def _answer_buttons(
    survey_id: int, index: int, question: Question, data: AnswerDraft, _: Translator
) -> Buttons:
    current = data.answer(index)
    if question.kind == Kind.SINGLE:
        return [
            [buttons.ANSWER.button(_mark(option, current == i), Picked(survey_id, index, i))]
            for i, option in enumerate(question.options)
        ]
    if question.kind == Kind.MULTIPLE:
        picked = set(data.picked)
        rows = [
            [buttons.TOGGLE.button(_mark(option, i in picked), Picked(survey_id, index, i))]
            for i, option in enumerate(question.options)
        ]
        return [*rows, [buttons.NEXT.button(_("➡️ Next"), QuestionRef(survey_id, index))]]
    if question.kind == Kind.RATING:
        values = [
            buttons.ANSWER.button(str(n), Picked(survey_id, index, n))
            for n in range(1, question.scale + 1)
        ]
        return [values[i : i + 5] for i in range(0, len(values), 5)]
    if question.kind == Kind.YESNO:
        return [
            [
                buttons.ANSWER.button(_("Yes"), Picked(survey_id, index, 1)),
                buttons.ANSWER.button(_("No"), Picked(survey_id, index, 0)),
            ]
        ]
    return []


def _mark(label: str, chosen: bool) -> str:
    return f"✅ {label}" if chosen else label


def _nav_row(
    survey_id: int, index: int, question: Question, _: Translator
) -> list[InlineKeyboardButton]:
    row = []
    if index > 0:
        row.append(buttons.BACK.button(_("⬅️ Back"), QuestionRef(survey_id, index)))
    if not question.required:
        row.append(buttons.SKIP.button(_("⏭ Skip"), QuestionRef(survey_id, index)))
    if question.kind in TYPED_KINDS:  # waits for typing: a way out that keeps the answers
        row.append(cancel_button(_))
    return row


def review_view(
    survey: Survey, questions: list[Question], answers: dict[str, Any], _: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    """Every answer, then Submit, a button to change each answer, and Back."""
    lines = [f"<b>{escape(survey.title)}</b>", _("Please check your answers:"), ""]
    for i, question in enumerate(questions):
        value = shorten(answer_text(question, answers.get(str(i)), _), REVIEW_ANSWER)
        text = shorten(question.text, REVIEW_QUESTION)
        lines.append(f"{i + 1}. {escape(text)}\n   → <b>{escape(value)}</b>")
    lines += ["", _("After you submit, the answers can no longer be changed.")]
    edits = [
        buttons.EDIT.button(_("✏️ {number}", number=i + 1), QuestionRef(survey.id, i))
        for i in range(len(questions))
    ]
    rows = [[buttons.SUBMIT.button(_("✅ Submit"), SurveyRef(survey.id))]]
    rows += [edits[i : i + 5] for i in range(0, len(edits), 5)]
    back = buttons.BACK.button(_("⬅️ Back"), QuestionRef(survey.id, len(questions)))
    rows.append([back])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def answered_view(
    survey: Survey, question: Question, value: Any, index: int, total: int, _: Translator
) -> str:
    """The question message once answered: its buttons go, the answer stays visible."""
    return "\n".join(
        [
            f"<b>{escape(survey.title)}</b>",
            _("Question {number}/{total}", number=index + 1, total=total),
            "",
            escape(question.text),
            f"→ <b>{escape(answer_text(question, value, _))}</b>",
        ]
    )
