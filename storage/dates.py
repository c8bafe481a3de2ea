"""The one parser for a date a person types: `05/11/2026`, `5/11` (this year), `hôm nay`,
`hôm qua`, `ngày 5 tháng 11` (optionally `năm 2026`), with or without tone marks."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

_NUMERIC = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}))?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_WORDS = re.compile(r"(?:ngay\s+)?(\d{1,2})\s+thang\s+(\d{1,2})(?:\s*(?:nam|,|/)\s*(\d{4}))?")
_RELATIVE = {"hom nay": 0, "today": 0, "hom qua": -1, "yesterday": -1, "hom kia": -2}


def _folded(text: str) -> str:
    """Lower case, without tone marks (people type `hom nay` on a keyboard without them)."""
    text = text.strip().lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.rstrip(".").split())


def parse_typed_date(text: str, today: date) -> date | None:
    """The date `text` names, `today` being the local date; None when it names none."""
    folded = _folded(text)
    if folded in _RELATIVE:
        return today + timedelta(days=_RELATIVE[folded])
    if match := _ISO.fullmatch(folded):
        year, month, day = (int(part) for part in match.groups())
        return _date(year, month, day)
    match = _NUMERIC.fullmatch(folded) or _WORDS.fullmatch(folded)
    if match is None:
        return None
    day_text, month_text, year_text = match.groups()
    return _date(int(year_text) if year_text else today.year, int(month_text), int(day_text))


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
