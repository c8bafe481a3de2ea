"""A member's answers in progress: a typed draft stored in `flow_states` (flow
`survey_answer`), saved at every answer so leaving or a restart loses nothing.

The stored JSON keeps the shape it always had: survey_id, index (the question shown), answers
(`{"0": value}`, a skipped question has no key), picked (the options ticked so far of a
multiple choice), started_at (ISO), and editing once the member came back from the review.
Where the member stands is the `step` column ("question" or "review"): it is not worked out
from what is missing, since a member may go back, skip, or change one answer from the review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.survey_questions import Answer

QUESTION, REVIEW = "question", "review"  # the steps


@dataclass(frozen=True)
class AnswerDraft:
    survey_id: int
    index: int = 0
    answers: dict[str, Answer] = field(default_factory=dict)
    picked: tuple[int, ...] = ()
    started_at: datetime | None = None
    editing: bool | None = None  # None: never came back from the review (no key stored)

    def answer(self, index: int) -> Answer | None:
        return self.answers.get(str(index))

    @classmethod
    def load(cls, data: dict[str, Any]) -> AnswerDraft:
        started = data.get("started_at")
        editing = data.get("editing")
        return cls(
            survey_id=int(data.get("survey_id", 0)),
            index=int(data.get("index", 0)),
            answers=dict(data.get("answers") or {}),
            picked=tuple(int(i) for i in data.get("picked") or ()),
            started_at=datetime.fromisoformat(started) if started else None,
            editing=bool(editing) if editing is not None else None,
        )

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "survey_id": self.survey_id,
            "index": self.index,
            "answers": dict(self.answers),
            "picked": list(self.picked),
        }
        if self.started_at is not None:
            data["started_at"] = self.started_at.isoformat()
        if self.editing is not None:
            data["editing"] = self.editing
        return data
