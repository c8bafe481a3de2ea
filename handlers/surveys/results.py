"""A survey's results for the committee: counts and percentages per question, free-text
answers listed, and a bar chart image. An anonymous survey shows nothing until enough
members have answered that nobody can be picked out."""

from __future__ import annotations

import asyncio
from html import escape

from telegram import Update
from telegram.constants import ParseMode

from bot.i18n import Translator
from handlers.shared.common import Context, ack
from handlers.surveys.actions import survey_results
from handlers.surveys.buttons import SurveyRef
from handlers.surveys.common import answer_text, chunks, managed_survey
from storage.models import Survey
from storage.survey_questions import Kind, format_number
from storage.survey_results import QuestionResult, average, percent

TEXT_EXCERPT = 500  # characters of each free-text answer in the chat listing


async def on_results(update: Update, context: Context, pressed: SurveyRef) -> None:
    """The manager gets the results message(s) and the chart; or, for an anonymous survey
    with too few answers, how many more are needed."""
    _ = context._
    survey = await managed_survey(update, context, pressed, "survey_results")
    query, chat = update.callback_query, update.effective_chat
    if survey is None or query is None or chat is None:
        return
    found = await survey_results(context.db, context.actor, survey)
    if found.results is None:
        text = _(
            "This survey is anonymous: its results are shown once at least {minimum} members "
            "have answered, so that nobody can be identified. So far {count} have.",
            minimum=survey.min_responses,
            count=found.answered,
        )
        await ack(query, text, show_alert=True)
        return
    await ack(query)
    for piece in chunks(results_text(survey, found.answered, found.results, _)):
        await chat.send_message(piece, parse_mode=ParseMode.HTML)
    for image in await _charts(survey, found.results, _):
        await chat.send_photo(image, caption=survey.title[:1000])


def results_text(
    survey: Survey, answered: int, results: list[QuestionResult], _: Translator
) -> str:
    lines = [
        _("📊 <b>Results: {title}</b>", title=escape(survey.title)),
        _("Answered: {count}", count=answered),
    ]
    for number, result in enumerate(results, start=1):
        lines += ["", f"<b>{number}. {escape(result.question.text)}</b>"]
        lines.append(_("({count} answered)", count=result.answered))
        lines += _question_lines(result, _)
    return "\n".join(lines)


def _question_lines(result: QuestionResult, _: Translator) -> list[str]:
    if result.texts:
        return [f"— {escape(_excerpt(text))}" for text in result.texts]
    if result.question.kind == Kind.NUMBER:
        mean = average(result.numbers)
        if mean is None:
            return []
        return [
            _(
                "Average {average}, lowest {low}, highest {high}",
                average=f"{mean:.2f}".rstrip("0").rstrip("."),
                low=format_number(result.numbers[0]),
                high=format_number(result.numbers[-1]),
            )
        ]
    return [
        f"• {escape(bar_label(result, key, _))}: {count} ({percent(count, result.answered)}%)"
        for key, count in result.counts
    ]


def _excerpt(text: str) -> str:
    return text if len(text) <= TEXT_EXCERPT else text[: TEXT_EXCERPT - 1] + "…"


def bar_label(result: QuestionResult, key: str, _: Translator) -> str:
    """The label of a counted value, in the reader's language."""
    kind = result.question.kind
    if kind == Kind.YESNO:
        return _("Yes") if key == "yes" else _("No")
    if kind == Kind.DATE:
        return answer_text(result.question, key, _)
    return key


async def _charts(survey: Survey, results: list[QuestionResult], _: Translator) -> list[bytes]:
    """The chart images of the choice-like questions (none if there are none)."""
    # Imported here: matplotlib takes a second to load, and only results need it.
    from bot.exports.survey_chart import ChartQuestion, render_charts

    charted = [
        ChartQuestion(
            title=f"{number}. {result.question.text}",
            bars=[(bar_label(result, key, _), count) for key, count in result.counts],
            answered=result.answered,
        )
        for number, result in enumerate(results, start=1)
        if result.charted
    ]
    if not charted:
        return []
    # Rendering takes a fraction of a second of CPU: off the event loop.
    return await asyncio.to_thread(render_charts, charted, _("{count} ({percent}%)"))
