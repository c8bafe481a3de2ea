"""Cell values for both file formats, made in one place: translation and formula escaping."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from storage.exports.dataset import N_, Column, Gettext, Kind

# A spreadsheet (or whatever a CSV is opened in) runs a text starting with one of these as a
# formula; prefixing an apostrophe shows it as the plain text it is (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A CSV opened with another separator than ours (Excel uses ";" in many locales) is split
# inside our cells, so a trigger after any separator (spaces between) starts a cell too.
_TRIGGER_INSIDE = re.compile(r"([,;|\t\r\n]\s*)(?=[=+\-@\t\r])")
YES, NO = N_("Yes"), N_("No")

Convert = Callable[[Any], Any]


def escape_formula(text: str) -> str:
    """An apostrophe before each trigger that starts the cell or a part of it."""
    text = _TRIGGER_INSIDE.sub(r"\1'", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def as_text(value: Any) -> str:
    # Runs for most cells of every export: one call, no checks escape_formula does not need.
    return escape_formula(value if value.__class__ is str else str(value))


def _number(value: Any) -> Any:
    return value if isinstance(value, int | float) else as_text(value)


def _local_time(tz: tzinfo) -> Convert:
    def local(value: Any) -> Any:
        if not isinstance(value, datetime):
            return as_text(value)
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(tz).replace(tzinfo=None)

    return local


def converter(column: Column, gettext: Gettext, tz: tzinfo) -> Convert | None:
    """How one column's non-empty values become cells (None: as they are); every text goes
    through escaping. Called for most cells of every export, hence the few calls."""
    if column.labels is not None:
        labels = {code: escape_formula(gettext(msgid)) for code, msgid in column.labels.items()}
        return lambda value: labels.get(str(value)) or as_text(value)
    if column.kind is Kind.YES_NO:
        yes_no = (gettext(NO), gettext(YES))
        return lambda value: yes_no[bool(value)]
    if column.kind is Kind.DATETIME:
        return _local_time(tz)
    if column.kind is Kind.NUMBER:
        return _number
    if column.kind is Kind.DATE:
        return None
    return as_text


class CellMaker:
    """Turns a dataset's plain values into what a writer stores, column by column."""

    def __init__(self, columns: Sequence[Column], gettext: Gettext, tz: tzinfo) -> None:
        self.columns = tuple(columns)
        self.headers = [escape_formula(gettext(c.header)) for c in self.columns]
        self.converters = [converter(c, gettext, tz) for c in self.columns]

    def row(self, values: tuple[Any, ...]) -> list[Any]:
        return [
            value if value is None or convert is None else convert(value)
            for convert, value in zip(self.converters, values, strict=True)
        ]
