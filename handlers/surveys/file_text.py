"""A survey file sent to the bot: downloaded, read, and its problems put in sentences."""

from __future__ import annotations

import asyncio
from datetime import tzinfo
from html import escape
from typing import Any

from telegram import Document, Message

from bot.context import current_scope
from bot.file_problems import LIMIT_PROBLEMS
from bot.i18n import N_, Translator
from handlers.shared.common import Context
from storage.survey_file import MAX_FILE_BYTES, FileProblem, SurveySpec, read_survey_file
from storage.survey_xlsx import MAX_XLSX_BYTES, read_survey_xlsx

MAX_LISTED = 30  # problems listed in one message; the rest are counted

FILE_PROBLEMS = {
    "file_too_large": N_("The file is too large (at most {limit} KB)."),
    "not_utf8": N_("The file is not UTF-8 text. Save it as UTF-8 and send it again."),
    "not_xlsx": N_("The file is not an Excel workbook (.xlsx) that can be read."),
    "not_yaml": N_("The file is not valid YAML here (check the indentation, colons and dashes)."),
    "not_a_mapping": N_("Expected “key: value” lines here."),
    "unknown_key": N_("Unknown key “{key}”."),
    "missing_key": N_("“{key}” is missing."),
    "not_text": N_("“{key}” must be a text."),
    "empty": N_("“{key}” is empty."),
    "too_long": N_("“{key}” is too long (at most {limit} characters)."),
    "not_yes_no": N_("“{key}” must be yes or no."),
    "not_a_whole_number": N_("“{key}” must be a whole number."),
    "not_a_number": N_("“{key}” must be a number."),
    "at_least_one": N_("“{key}” must be at least 1."),
    "bad_datetime": N_("“{key}” must be a date as dd/mm/yyyy, optionally with a time HH:MM."),
    "closes_before_opens": N_("The survey closes before it opens."),
    "bad_audience": N_("“audience” must be all or leaders."),
    "no_questions": N_("“questions” must be a list of at least one question."),
    "too_many_questions": N_("A survey has at most {limit} questions."),
    "bad_type": N_(
        "Unknown question type “{value}”; use single, multiple, rating, yesno, text, "
        "longtext, number or date."
    ),
    "key_not_for_type": N_("“{key}” does not apply to a question of type {type}."),
    "min_above_max": N_("“min” is greater than “max”."),
    "options_needed": N_("A choice question needs a list of at least 2 options."),
    "too_many_options": N_("At most {limit} options."),
    "bad_scale": N_("“scale” must be 5 or 10."),
    "bad_labels": N_("“labels” must list two texts: the lowest and the highest."),
    "closes_in_past": N_("The closing time has already passed."),
    **LIMIT_PROBLEMS,
}


async def read_document(
    message: Message, context: Context
) -> dict[str, Any] | list[FileProblem] | str:
    """The draft data from the file in the message, its problems, or why it was not read."""
    _ = context._
    document = message.document
    if document is None:
        return _("Please send the survey as a file (a document), not as a message.")
    limit = MAX_XLSX_BYTES if _is_xlsx(document.file_name, b"") else MAX_FILE_BYTES
    if document.file_size and document.file_size > limit:
        too_large = FILE_PROBLEMS["file_too_large"]
        return _(too_large, limit=limit // 1000)
    content = await _content(document)
    # Off the event loop: a sheet within the limits can still take most of a second.
    spec = await asyncio.to_thread(_read, document.file_name, content, context.settings.tz)
    if isinstance(spec, list):
        return spec
    if spec.closes_at is not None and spec.closes_at <= context.now():
        return [FileProblem(0, "closes_in_past")]
    return {
        "title": spec.title,
        "questions": [q.to_json() for q in spec.questions],
        "questions_done": True,
        "anonymous": spec.anonymous,
        "min_responses": spec.min_responses,
        "who": spec.audience_role,
        "opens_at": spec.opens_at.isoformat() if spec.opens_at else None,
        "closes_at": spec.closes_at.isoformat() if spec.closes_at else None,
    }


async def _content(document: Document) -> bytes:
    """The file's bytes: the runner downloads it before the transaction (bot/lanes.py)."""
    scope = current_scope.get(None)
    if scope is not None and document.file_id in scope.files:
        return scope.files[document.file_id]
    file = await document.get_file()
    return bytes(await file.download_as_bytearray())


def _is_xlsx(file_name: str | None, content: bytes) -> bool:
    return (file_name or "").lower().endswith(".xlsx") or content.startswith(b"PK\x03\x04")


def _read(file_name: str | None, content: bytes, tz: tzinfo) -> SurveySpec | list[FileProblem]:
    if _is_xlsx(file_name, content):
        return read_survey_xlsx(content, tz)
    return read_survey_file(content, tz)


def file_problems_text(problems: list[FileProblem], _: Translator) -> str:
    """Every problem with its line; the file must be fixed and sent again."""
    lines = [_("❌ The survey file has problems; nothing was created:"), ""]
    for problem in problems[:MAX_LISTED]:
        text = escape(_(FILE_PROBLEMS[problem.code], **problem.values))
        if problem.line:
            text = _("Line {line}: {problem}", line=problem.line, problem=text)
        lines.append("• " + text)
    if len(problems) > MAX_LISTED:
        lines.append(_("… and {count} more", count=len(problems) - MAX_LISTED))
    lines += ["", _("Please correct the file and send it again.")]
    return "\n".join(lines)
