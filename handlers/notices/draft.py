"""The notice being written: a typed draft stored in `flow_states` (so a restart mid-way
loses nothing). Its next step is worked out from what it still lacks: the audience, then the
content, then the preview waits for Send.

The stored JSON keeps the shape it always had (`{}`, `{"unit_id"}`, then `text`, `file_id`,
`kind`), so drafts written before this module load, and the `step` column still says where
the draft stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.flows import save_flow
from storage.models import AttachmentKind

FLOW = "notice"
TEXT_LIMIT = 4096  # Telegram's limit for a message text
CAPTION_LIMIT = 1024  # and for a document's or photo's caption
AUDIENCE, TEXT, PREVIEW = "audience", "text", "preview"  # the steps, in order


@dataclass(frozen=True)
class NoticeContent:
    """A text, or a photo or document (Telegram's file id) with its caption."""

    text: str
    file_id: str | None = None
    kind: AttachmentKind | None = None

    @classmethod
    def of(cls, data: dict[str, Any]) -> NoticeContent:
        kind = AttachmentKind(data["kind"]) if data.get("kind") else None
        file_id = str(data["file_id"]) if kind is not None else None
        return cls(str(data.get("text") or ""), file_id, kind)

    @property
    def limit(self) -> int:
        """Telegram's limit for this content: a text's, or a caption's."""
        return TEXT_LIMIT if self.kind is None else CAPTION_LIMIT


@dataclass(frozen=True)
class NoticeDraft:
    unit_id: int | None = None
    content: NoticeContent | None = None

    @classmethod
    def load(cls, data: dict[str, Any]) -> NoticeDraft:
        """A stored draft, whatever step it was saved at."""
        unit_id = int(data["unit_id"]) if data.get("unit_id") else None
        content = NoticeContent.of(data) if unit_id is not None and "text" in data else None
        return cls(unit_id, content)

    @property
    def step(self) -> str:
        """What the draft waits for: the first thing it lacks."""
        if self.unit_id is None:
            return AUDIENCE
        return TEXT if self.content is None else PREVIEW

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {} if self.unit_id is None else {"unit_id": self.unit_id}
        if self.content is not None:
            kind = self.content.kind
            data |= {
                "text": self.content.text,
                "file_id": self.content.file_id,
                "kind": kind.value if kind else None,
            }
        return data


async def save_draft(
    session: AsyncSession, user_id: int, draft: NoticeDraft, now: datetime
) -> None:
    await save_flow(session, user_id, FLOW, draft.step, draft.dump(), now)
