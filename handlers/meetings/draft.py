"""The meetings' drafts, typed, as stored in `flow_states` (a restart mid-way loses nothing):
the meeting being composed, whose next step is worked out from what it still lacks (unit,
kind, time, place, agenda, audience, then the preview waits for Send); the new time or place
of a meeting; the reason for an absence.

The stored JSON keeps the shape the handlers always wrote (`{"unit_id"}`, then `kind`,
`starts_at`, `place`, `agenda` with `file_id` and `attach_kind`, `audience`), so drafts
written before this module load; the flow names are the stored `flow_states.flow`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from storage.flows import save_flow
from storage.meetings import NewMeeting
from storage.models import AttachmentKind, MeetingAudience, MeetingKind

FLOW = "meeting"  # composing a new meeting
EDIT_FLOW = "meeting_edit"  # changing the time or the place
ABSENCE_FLOW = "meeting_absence"  # the reason for an absence
PLACE_LIMIT = 500
AGENDA_LIMIT = 3000  # the card must fit Telegram's 4096 characters
REASON_LIMIT = 500
REASON_MIN = 2  # "Ốm" (ill) is a reason

# The steps of composing, in order; the preview waits for Send once nothing is missing.
UNIT, KIND, TIME, PLACE, AGENDA, AUDIENCE, PREVIEW = (
    "unit",
    "kind",
    "time",
    "place",
    "agenda",
    "audience",
    "preview",
)
STEPS = (UNIT, KIND, TIME, PLACE, AGENDA, AUDIENCE, PREVIEW)
TYPED_STEPS = (TIME, PLACE, AGENDA)  # answered with text; the others with buttons
REASON = "reason"  # the absence draft's one step


@dataclass(frozen=True)
class Agenda:
    """The agenda's text, and the document or photo (Telegram's file id) it came with."""

    text: str
    file_id: str | None = None
    kind: AttachmentKind | None = None


@dataclass(frozen=True)
class MeetingDraft:
    unit_id: int | None = None
    kind: MeetingKind | None = None
    starts_at: datetime | None = None
    place: str | None = None
    agenda: Agenda | None = None
    audience: MeetingAudience | None = None

    @classmethod
    def load(cls, data: dict[str, Any], step: str | None = None) -> MeetingDraft:
        """A stored draft, whatever step it was saved at. The stored `step` names what the
        draft waits for: that and what follows count as not given yet (a draft whose time
        had passed was sent back to the time with everything else still in it)."""
        agenda = None
        if data.get("agenda") is not None:
            kind = AttachmentKind(data["attach_kind"]) if data.get("attach_kind") else None
            file_id = str(data["file_id"]) if kind is not None else None
            agenda = Agenda(str(data["agenda"]), file_id, kind)
        draft = cls(
            unit_id=int(data["unit_id"]) if data.get("unit_id") is not None else None,
            kind=MeetingKind(data["kind"]) if data.get("kind") else None,
            starts_at=datetime.fromisoformat(data["starts_at"]) if data.get("starts_at") else None,
            place=str(data["place"]) if data.get("place") is not None else None,
            agenda=agenda,
            audience=MeetingAudience(data["audience"]) if data.get("audience") else None,
        )
        return draft.back_to(step) if step in STEPS else draft

    @property
    def step(self) -> str:
        """What the draft waits for: the first thing it lacks."""
        values = (self.unit_id, self.kind, self.starts_at, self.place, self.agenda, self.audience)
        return next((s for s, v in zip(STEPS, values, strict=False) if v is None), PREVIEW)

    def back_to(self, step: str) -> MeetingDraft:
        """The draft asking `step` again, and every step after it."""
        fields = ("unit_id", "kind", "starts_at", "place", "agenda", "audience")
        later = fields[STEPS.index(step) :] if step != PREVIEW else ()
        return replace(self, **dict.fromkeys(later))

    def with_kind(self, kind: MeetingKind) -> MeetingDraft:
        return replace(self, kind=kind)

    def with_time(self, starts_at: datetime) -> MeetingDraft:
        return replace(self, starts_at=starts_at)

    def with_place(self, place: str) -> MeetingDraft:
        return replace(self, place=place)

    def with_agenda(self, agenda: Agenda) -> MeetingDraft:
        return replace(self, agenda=agenda)

    def with_audience(self, audience: MeetingAudience) -> MeetingDraft:
        return replace(self, audience=audience)

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.unit_id is not None:
            data["unit_id"] = self.unit_id
        if self.kind is not None:
            data["kind"] = self.kind.value
        if self.starts_at is not None:
            data["starts_at"] = self.starts_at.isoformat()
        if self.place is not None:
            data["place"] = self.place
        if self.agenda is not None:
            kind = self.agenda.kind
            data |= {
                "agenda": self.agenda.text,
                "file_id": self.agenda.file_id,
                "attach_kind": kind.value if kind else None,
            }
        if self.audience is not None:
            data["audience"] = self.audience.value
        return data

    def new_meeting(self, created_by: int | None) -> NewMeeting:
        """The meeting the complete draft describes (its step is the preview)."""
        assert self.unit_id is not None and self.kind is not None and self.audience is not None
        assert self.starts_at is not None and self.place is not None and self.agenda is not None
        kind = self.agenda.kind
        return NewMeeting(
            unit_id=self.unit_id,
            kind=self.kind,
            audience=self.audience,
            starts_at=self.starts_at,
            place=self.place,
            agenda=self.agenda.text,
            created_by_member_id=created_by,
            attachment=(str(self.agenda.file_id), kind) if kind else None,
        )


async def save_draft(
    session: AsyncSession, user_id: int, draft: MeetingDraft, now: datetime
) -> None:
    await save_flow(session, user_id, FLOW, draft.step, draft.dump(), now)


Field = Literal["time", "place"]


@dataclass(frozen=True)
class EditDraft:
    """The meeting whose time or place the secretary is typing anew; the step is the field."""

    meeting_id: int
    field: Field

    @classmethod
    def load(cls, data: dict[str, Any], step: str) -> EditDraft:
        return cls(int(data.get("meeting_id", 0)), "time" if step == TIME else "place")

    @property
    def step(self) -> str:
        return self.field

    def dump(self) -> dict[str, Any]:
        return {"meeting_id": self.meeting_id}


@dataclass(frozen=True)
class AbsenceDraft:
    """The meeting a member is writing the reason for their absence from."""

    meeting_id: int

    @classmethod
    def load(cls, data: dict[str, Any]) -> AbsenceDraft:
        return cls(int(data.get("meeting_id", 0)))

    @property
    def step(self) -> str:
        return REASON

    def dump(self) -> dict[str, Any]:
        return {"meeting_id": self.meeting_id}


# 25/12/2026 19:30, 25-12 19h30, 25.12.2026 7:05 ...
_WHEN = re.compile(
    r"^\s*(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?\s*(?:,|lúc|at)?\s*"
    r"(\d{1,2})\s*[:hHgG]\s*(\d{2})?\s*$"
)


def parse_when(text: str, tz: tzinfo, now: datetime) -> datetime | None:
    """A local date and time typed by a person, as a UTC moment; None if unreadable.
    Without a year: this year, or next year if that date has passed."""
    match = _WHEN.match(text)
    if match is None:
        return None
    day, month, year, hour, minute = match.groups()
    local_now = now.astimezone(tz)
    full_year = int(year) + (2000 if year and len(year) == 2 else 0) if year else local_now.year
    try:
        moment = datetime(full_year, int(month), int(day), int(hour), int(minute or 0), tzinfo=tz)
    except ValueError:
        return None
    if year is None and moment < local_now:
        moment = moment.replace(year=full_year + 1)
    return moment.astimezone(UTC)
