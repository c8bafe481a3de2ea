"""Cell values for both file formats, made in one place: translation and formula escaping."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from storage.exports.dataset import N_, Column, Gettext, Kind

# A spreadsheet (or whatever a CSV is opened in) runs a text starting with one of these as a
# formula; prefixing an apostrophe shows it as the plain text it is (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
YES, NO = N_("Yes"), N_("No")

Convert = Callable[[Any], Any]


def escape_formula(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def as_text(value: Any) -> str:
    return escape_formula(value if isinstance(value, str) else str(value))


def local_naive(value: datetime, tz: tzinfo) -> datetime:
    """Stored times are UTC (SQLite drops the zone); spreadsheets hold local, zone-less ones."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(tz).replace(tzinfo=None)


def _number(value: Any) -> Any:
    return value if isinstance(value, int | float) else as_text(value)


def converter(column: Column, gettext: Gettext, tz: tzinfo) -> Convert:
    """How one column's non-empty values become cells: every text goes through escaping."""
    if column.labels is not None:
        labels = {code: escape_formula(gettext(msgid)) for code, msgid in column.labels.items()}
        return lambda value: labels.get(str(value)) or as_text(value)
    if column.kind is Kind.YES_NO:
        yes_no = (gettext(NO), gettext(YES))
        return lambda value: yes_no[bool(value)]
    if column.kind is Kind.DATETIME:
        return lambda value: local_naive(value, tz) if isinstance(value, datetime) else value
    if column.kind is Kind.NUMBER:
        return _number
    if column.kind is Kind.DATE:
        return lambda value: value
    return as_text


class CellMaker:
    """Turns a dataset's plain values into what a writer stores, column by column."""

    def __init__(self, columns: Sequence[Column], gettext: Gettext, tz: tzinfo) -> None:
        self.columns = tuple(columns)
        self.headers = [escape_formula(gettext(c.header)) for c in self.columns]
        self.converters = [converter(c, gettext, tz) for c in self.columns]

    def row(self, values: tuple[Any, ...]) -> list[Any]:
        return [
            None if value is None else convert(value)
            for convert, value in zip(self.converters, values, strict=True)
        ]
