"""Counting a survey's answers per question: what the results message and the chart show."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from storage.survey_questions import FREE_TEXT_KINDS, Kind, Question


@dataclass
class QuestionResult:
    """One question's tally. `counts` pairs a label key with a count, in the question's order:
    option texts, rating values ("1".."10"), "yes"/"no", or dates; `texts` holds free text."""

    question: Question
    answered: int = 0
    counts: list[tuple[str, int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    numbers: list[float] = field(default_factory=list)

    @property
    def charted(self) -> bool:
        """Choice-like questions become a bar in the chart."""
        return self.question.kind in (Kind.SINGLE, Kind.MULTIPLE, Kind.RATING, Kind.YESNO)


def tally(questions: list[Question], responses: list[dict[str, Any]]) -> list[QuestionResult]:
    return [_tally_one(i, q, responses) for i, q in enumerate(questions)]


def _tally_one(
    position: int, question: Question, responses: list[dict[str, Any]]
) -> QuestionResult:
    values = [r[str(position)] for r in responses if r.get(str(position)) not in (None, [])]
    result = QuestionResult(question, answered=len(values))
    if question.kind in FREE_TEXT_KINDS:
        result.texts = [str(v) for v in values]
    elif question.kind == Kind.NUMBER:
        result.numbers = sorted(float(v) for v in values)
    elif question.kind == Kind.DATE:
        result.counts = sorted(Counter(str(v) for v in values).items())
    else:
        result.counts = _choice_counts(question, values)
    return result


def _choice_counts(question: Question, values: list[Any]) -> list[tuple[str, int]]:
    if question.kind == Kind.YESNO:
        return [("yes", sum(v is True for v in values)), ("no", sum(v is False for v in values))]
    if question.kind == Kind.RATING:
        counter = Counter(int(v) for v in values)
        return [(str(n), counter[n]) for n in range(1, question.scale + 1)]
    chosen = Counter(i for v in values for i in (v if isinstance(v, list) else [v]))
    return [(option, chosen[i]) for i, option in enumerate(question.options)]


def percent(count: int, total: int) -> int:
    """Whole percent of those who answered the question (0 when none did)."""
    return round(100 * count / total) if total else 0


def average(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
