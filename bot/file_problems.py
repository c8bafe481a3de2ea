"""What a user reads when a file passes a limit (storage/file_limits.py), by bot or CLI."""

from __future__ import annotations

from bot.i18n import N_, Translator
from storage.file_limits import FileTooLarge

LIMIT_PROBLEMS = {
    "unpacked_too_large": N_(
        "The file unpacks to more than {limit} MB, more than can be read safely. Remove what "
        "is not needed (other sheets, pictures) or split it, and try again."
    ),
    "too_many_rows": N_("The file has more than {limit} rows."),
    "too_many_columns": N_("The file has a row with more than {limit} columns."),
    "cell_too_long": N_("The file has a cell or line longer than {limit} characters."),
    "too_deep": N_("The file is nested more than {limit} levels deep."),
}


def limit_text(error: FileTooLarge, _: Translator) -> str:
    return _(LIMIT_PROBLEMS[error.code], **error.values())
