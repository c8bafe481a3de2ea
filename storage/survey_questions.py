"""Survey questions and the answers they accept: pure rules, shared by the file reader, the
wizard, answering and the results.

A question is stored as a JSON dict (`Question.to_json`); an answer as a JSON value:
an option index (single), a list of indexes (multiple), an int (rating), a bool (yes/no),
a string (text, long text), a number, or an ISO date string. A skipped optional question
has no entry.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from storage.dates import parse_typed_date

SHORT_TEXT_LIMIT = 300
LONG_TEXT_LIMIT = 3000
QUESTION_LIMIT = 500  # a question, shown above its buttons
OPTION_LIMIT = 100  # an option is a button label
MAX_OPTIONS = 12
MAX_QUESTIONS = 50
RATING_SCALES = (5, 10)
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")

Answer = int | float | bool | str | list[int]


class Kind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    RATING = "rating"
    YESNO = "yesno"
    TEXT = "text"
    LONGTEXT = "longtext"
    NUMBER = "number"
    DATE = "date"


BUTTON_KINDS = frozenset({Kind.SINGLE, Kind.MULTIPLE, Kind.RATING, Kind.YESNO})
TYPED_KINDS = frozenset(Kind) - BUTTON_KINDS
FREE_TEXT_KINDS = frozenset({Kind.TEXT, Kind.LONGTEXT})


@dataclass(frozen=True)
class Problem:
    """Why an answer or a question is not accepted; `code` is translated by the caller."""

    code: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Question:
    text: str
    kind: Kind
    required: bool = True
    options: tuple[str, ...] = ()
    # multiple: how many options may be chosen; number: the allowed values.
    min: float | None = None
    max: float | None = None
    scale: int = 5  # rating: 1..scale
    labels: tuple[str, str] | None = None  # rating: what the lowest and highest mean

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "kind": self.kind.value,
            "required": self.required,
            "options": list(self.options),
            "min": self.min,
            "max": self.max,
            "scale": self.scale,
            "labels": list(self.labels) if self.labels else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Question:
        labels = data.get("labels")
        return cls(
            text=str(data["text"]),
            kind=Kind(data["kind"]),
            required=bool(data.get("required", True)),
            options=tuple(data.get("options") or ()),
            min=data.get("min"),
            max=data.get("max"),
            scale=int(data.get("scale") or 5),
            labels=(str(labels[0]), str(labels[1])) if labels else None,
        )


def questions_of(data: list[dict[str, Any]]) -> list[Question]:
    return [Question.from_json(q) for q in data]


def parse_typed(question: Question, text: str, today: date | None = None) -> Answer | Problem:
    """A typed answer (text, long text, number, date) checked against the question; with
    `today`, a date may also be typed as `5/11`, `hôm qua`, `ngày 5 tháng 11`."""
    text = text.strip()
    if not text:
        return Problem("empty")
    if question.kind in FREE_TEXT_KINDS:
        limit = SHORT_TEXT_LIMIT if question.kind == Kind.TEXT else LONG_TEXT_LIMIT
        return (
            text
            if len(text) <= limit
            else Problem("too_long", {"length": len(text), "limit": limit})
        )
    if question.kind == Kind.NUMBER:
        return _number(question, text)
    if question.kind == Kind.DATE:
        parsed = parse_typed_date(text, today) if today else parse_date(text)
        return parsed.isoformat() if parsed else Problem("not_a_date")
    return Problem("use_buttons")


def _number(question: Question, text: str) -> float | int | Problem:
    compact = text.replace(" ", "")
    if not NUMBER.fullmatch(compact):
        return Problem("not_a_number")
    value = float(compact.replace(",", "."))
    if question.min is not None and value < question.min:
        return Problem("number_too_small", {"min": format_number(question.min)})
    if question.max is not None and value > question.max:
        return Problem("number_too_large", {"max": format_number(question.max)})
    return int(value) if value.is_integer() else value


def parse_date(text: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def choice_problem(question: Question, chosen: list[int]) -> Problem | None:
    """Whether a multiple-choice selection respects the question's min and max."""
    low = int(question.min) if question.min is not None else (1 if question.required else 0)
    if (chosen and len(chosen) < low) or (question.required and not chosen):
        return Problem("choose_at_least", {"count": max(low, 1)})
    if question.max is not None and len(chosen) > question.max:
        return Problem("choose_at_most", {"count": int(question.max)})
    return None


def valid_button_answer(question: Question, value: int) -> bool:
    """An index or rating from a button press (callback data can be forged)."""
    if question.kind in (Kind.SINGLE, Kind.MULTIPLE):
        return 0 <= value < len(question.options)
    if question.kind == Kind.RATING:
        return 1 <= value <= question.scale
    return question.kind == Kind.YESNO and value in (0, 1)


def missing_required(questions: list[Question], answers: dict[str, Any]) -> list[int]:
    """Positions (0-based) of required questions without an answer."""
    return [i for i, q in enumerate(questions) if q.required and answers.get(str(i)) in (None, [])]
