"""The survey being created: a typed draft stored in `flow_states` (so a restart mid-way loses
nothing). Its next step is worked out from what it still lacks: the audience, who answers, the
title, the questions (each: text, kind, options or labels, required), anonymous or named, the
closing time; then the preview waits for Send. A survey file fills most of it at once.

The stored JSON keeps the shape it always had: unit_id, who, title, questions (JSON list),
questions_done, current (the question being added), anonymous, closes_at (ISO or None), and
from a file opens_at and min_responses. A key is there once its step is answered: `who`,
`closes_at` and the current question's `labels` may hold None as an answer ("all members",
"no closing time", "no labels"), so a missing key and None differ; `UNSET` is the missing one.
Drafts written before this module therefore load, and `dump` writes them back as they were.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from storage.flows import save_flow
from storage.models import FlowState
from storage.survey_questions import Kind, Question, questions_of

FLOW = "survey_new"
FILE = "file"  # the stored step while a survey file is awaited (not worked out: asked for)
AUDIENCE, WHO, TITLE = "audience", "who", "title"
QUESTION, KIND, OPTIONS, LABELS, REQUIRED = "question", "kind", "options", "labels", "required"
ANONYMOUS, CLOSES, PREVIEW = "anonymous", "closes", "preview"
TEXT_STEPS = frozenset({TITLE, QUESTION, OPTIONS, LABELS, CLOSES})  # answered by typing

# The kinds offered by the wizard, in button order: a rating scale is chosen with its kind.
WIZARD_KINDS: list[tuple[Kind, int]] = [
    (Kind.SINGLE, 0),
    (Kind.MULTIPLE, 0),
    (Kind.RATING, 5),
    (Kind.RATING, 10),
    (Kind.YESNO, 0),
    (Kind.TEXT, 0),
    (Kind.LONGTEXT, 0),
    (Kind.NUMBER, 0),
    (Kind.DATE, 0),
]


class _Unset(enum.Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET  # not answered yet (None is an answer for some steps)


@dataclass(frozen=True)
class NewQuestion:
    """The question being added, as far as it goes."""

    text: str
    kind: Kind | None = None
    scale: int = 5
    options: tuple[str, ...] | None = None
    labels: tuple[str, str] | _Unset | None = UNSET

    @property
    def step(self) -> str:
        if self.kind is None:
            return KIND
        if self.kind in (Kind.SINGLE, Kind.MULTIPLE) and self.options is None:
            return OPTIONS
        if self.kind == Kind.RATING and self.labels is UNSET:
            return LABELS
        return REQUIRED

    def finished(self, required: bool) -> Question:
        assert self.kind is not None
        labels = None if self.labels is UNSET else self.labels
        return Question(
            text=self.text,
            kind=self.kind,
            required=required,
            options=self.options or (),
            scale=self.scale,
            labels=labels,
        )

    @classmethod
    def load(cls, data: dict[str, Any]) -> NewQuestion:
        labels = data.get("labels", UNSET)
        options = data.get("options")
        return cls(
            text=str(data.get("text", "")),
            kind=Kind(data["kind"]) if "kind" in data else None,
            scale=int(data.get("scale") or 5),
            options=tuple(str(o) for o in options) if options is not None else None,
            labels=(str(labels[0]), str(labels[1])) if isinstance(labels, list) else labels,
        )

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text}
        if self.kind is not None:
            data["kind"], data["scale"] = self.kind.value, self.scale
        if self.options is not None:
            data["options"] = list(self.options)
        if self.labels is not UNSET:
            data["labels"] = list(self.labels) if self.labels is not None else None
        return data


@dataclass(frozen=True)
class SurveyDraft:
    unit_id: int | None = None
    who: str | _Unset | None = UNSET  # storage.surveys.LEADERS, or None: all members
    title: str | None = None
    questions: tuple[Question, ...] = ()
    questions_done: bool = False
    current: NewQuestion | None = None
    anonymous: bool | None = None
    closes_at: datetime | _Unset | None = UNSET  # None: no closing time
    opens_at: datetime | _Unset | None = UNSET  # a file's; else: when sent
    min_responses: int | _Unset | None = UNSET  # a file's; else the settings'

    @property
    def step(self) -> str:
        """The first thing the draft still lacks."""
        if self.unit_id is None:
            return AUDIENCE
        if self.who is UNSET:
            return WHO
        if self.title is None:
            return TITLE
        if not self.questions_done:
            return QUESTION if self.current is None else self.current.step
        if self.anonymous is None:
            return ANONYMOUS
        return CLOSES if self.closes_at is UNSET else PREVIEW

    def with_question(self, required: bool) -> SurveyDraft:
        """The question being added joins the list."""
        assert self.current is not None
        question = self.current.finished(required)
        return replace(self, questions=(*self.questions, question), current=None)

    @classmethod
    def load(cls, data: dict[str, Any]) -> SurveyDraft:
        """Every shape stored so far (by the wizard, by a survey file)."""
        current = data.get("current")
        return cls(
            unit_id=int(data["unit_id"]) if "unit_id" in data else None,
            who=data.get("who", UNSET),
            title=str(data["title"]) if "title" in data else None,
            questions=tuple(questions_of(data.get("questions") or [])),
            questions_done=bool(data.get("questions_done")),
            current=NewQuestion.load(current) if isinstance(current, dict) else None,
            anonymous=bool(data["anonymous"]) if "anonymous" in data else None,
            closes_at=_time(data.get("closes_at", UNSET)),
            opens_at=_time(data.get("opens_at", UNSET)),
            min_responses=data.get("min_responses", UNSET),
        )

    def dump(self) -> dict[str, Any]:
        """The stored JSON: the keys of the steps answered, as the wizard always wrote them."""
        data: dict[str, Any] = {}
        if self.unit_id is not None:
            data["unit_id"] = self.unit_id
        if self.who is not UNSET:
            data["who"] = self.who
        if self.title is not None:
            data["title"] = self.title
        if self.questions:
            data["questions"] = [q.to_json() for q in self.questions]
        if self.questions_done:
            data["questions_done"] = True
        if self.current is not None:
            data["current"] = self.current.dump()
        if self.anonymous is not None:
            data["anonymous"] = self.anonymous
        for key, moment in (("closes_at", self.closes_at), ("opens_at", self.opens_at)):
            if moment is not UNSET:
                data[key] = moment.isoformat() if moment is not None else None
        if self.min_responses is not UNSET:
            data["min_responses"] = self.min_responses
        return data


def _time(value: Any) -> datetime | _Unset | None:
    if value is UNSET or value is None:
        return value
    return datetime.fromisoformat(str(value))


def load(state: FlowState) -> SurveyDraft:
    return SurveyDraft.load(state.data)


async def save_draft(
    session: AsyncSession, user_id: int, draft: SurveyDraft, now: datetime, step: str | None = None
) -> FlowState:
    """Stores the draft; its `step` column is the step worked out (or FILE while a file is
    awaited), which the shared draft machinery reads."""
    return await save_flow(session, user_id, FLOW, step or draft.step, draft.dump(), now)
