"""The plans' drafts waiting for typed text, typed and stored in `flow_states` (a restart
loses nothing): the member writing a section of their plan (or reading the commitment), the
member's note on one goal of the self-assessment, a committee member's comment returning a
plan. Each draft's step is worked out from what it holds.

The stored JSON keeps the shape the handlers always wrote (`{"key", "then"}` for a section,
`{}` at the commitment, `{"key"}` for a note, `{"plan_id", "version"}` for a comment), so
drafts written before this module load, and the `step` column still says where each stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from storage.flows import save_flow

FLOW = "plan"  # the member writing a section: data {"key": ..., "then": "next" | "review"}
NOTE_FLOW = "plan_note"  # the member's note on one goal of the self-assessment
RETURN_FLOW = "plan_return"  # a committee member's comment returning a plan
SECTION, COMMITMENT = "section", "commitment"  # the plan draft's steps
NOTE, COMMENT = "note", "comment"  # the note's and the comment's one step

Then = Literal["next", "review"]  # after the section: the next step, or back to the plan


@dataclass(frozen=True)
class PlanDraft:
    """The section the member is asked for (`key`, then where to go), or none: the
    commitment awaits its button."""

    key: str | None = None
    then: Then = "next"

    @classmethod
    def load(cls, data: dict[str, Any]) -> PlanDraft:
        key = data.get("key")
        then: Then = "review" if data.get("then") == "review" else "next"
        return cls(str(key), then) if key is not None else cls()

    @property
    def step(self) -> str:
        return SECTION if self.key is not None else COMMITMENT

    def dump(self) -> dict[str, Any]:
        return {"key": self.key, "then": self.then} if self.key is not None else {}


@dataclass(frozen=True)
class NoteDraft:
    """The goal (section key) whose note the member is asked for."""

    key: str

    @classmethod
    def load(cls, data: dict[str, Any]) -> NoteDraft:
        return cls(str(data.get("key")))

    @property
    def step(self) -> str:
        return NOTE

    def dump(self) -> dict[str, Any]:
        return {"key": self.key}


@dataclass(frozen=True)
class ReturnDraft:
    """The plan being returned and the version the committee member read (None: a draft
    stored without it; the plan is then returned as it stands)."""

    plan_id: int
    version: int | None = None

    @classmethod
    def load(cls, data: dict[str, Any]) -> ReturnDraft:
        version = data.get("version")
        return cls(int(data.get("plan_id", 0)), int(version) if version is not None else None)

    @property
    def step(self) -> str:
        return COMMENT

    def dump(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, "version": self.version}


FLOW_OF = {FLOW: PlanDraft, NOTE_FLOW: NoteDraft, RETURN_FLOW: ReturnDraft}


async def save_draft(
    session: AsyncSession, user_id: int, draft: PlanDraft | NoteDraft | ReturnDraft, now: datetime
) -> None:
    flow = next(name for name, kind in FLOW_OF.items() if isinstance(draft, kind))
    await save_flow(session, user_id, flow, draft.step, draft.dump(), now)
