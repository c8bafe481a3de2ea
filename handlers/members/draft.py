"""The branch members' drafts waiting for typed text, typed and stored in `flow_states` (a
restart mid-way loses nothing): an exemption from activity being recorded, an admission
being recorded (or the date a probationary member was recognised), a transfer of party
activity being started. Each draft's next step is worked out from what it still lacks.

The stored JSON keeps the shape the handlers always wrote, so drafts written before this
module load, and the `step` column still says where each stands (written from `draft.step`):

- `standing`: `{"member_id", "reason"}`, then `note` (reason "other"), `from` (ISO date);
- `probation`: `{"branch_id"}`, then `full_name`, `phone`, `admitted_on` (ISO date); or
  `{"member_id"}` for the date of recognition;
- `transfer`: `{"member_id", "kind"}`, then `typed`, `to_branch_id` with `to_name`, `letter_no`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.flows import save_flow
from storage.models import TransferKind

STATUS_FLOW = "standing"  # an exemption from activity
PROBATION_FLOW = "probation"  # an admission, or the date of recognition
TRANSFER_FLOW = "transfer"  # a transfer of party activity

NOTE, FROM, UNTIL = "note", "from", "until"  # the exemption's steps
OTHER = "other"  # the reason given in words (the note)
NAME, PHONE, DATE, DECISION = "name", "phone", "date", "decision"  # the admission's steps
ADMISSION_STEPS = (NAME, PHONE, DATE, DECISION)
RECOGNISED = "recognised"  # the recognition's one step
WHERE, LETTER_NO, LETTER_DATE = "where", "letter_no", "letter_date"  # the transfer's steps


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


@dataclass(frozen=True)
class ExemptionDraft:
    """The member being exempted, the reason, its words (reason "other") and the first day;
    the last day is typed (or "No end date" pressed) at the end and not stored."""

    member_id: int
    reason: str
    note: str | None = None
    start: date | None = None

    @classmethod
    def load(cls, data: dict[str, Any]) -> ExemptionDraft:
        note = data.get("note")
        return cls(
            int(data.get("member_id") or 0),
            str(data.get("reason") or ""),
            str(note) if note is not None else None,
            _day(data.get("from")),
        )

    @property
    def step(self) -> str:
        """What the draft waits for: the first thing it lacks."""
        if self.reason == OTHER and self.note is None:
            return NOTE
        return FROM if self.start is None else UNTIL

    def with_note(self, note: str) -> ExemptionDraft:
        return replace(self, note=note)

    def with_start(self, start: date) -> ExemptionDraft:
        return replace(self, start=start)

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {"member_id": self.member_id, "reason": self.reason}
        if self.note is not None:
            data["note"] = self.note
        if self.start is not None:
            data["from"] = self.start.isoformat()
        return data


@dataclass(frozen=True)
class AdmissionDraft:
    """The branch admitting, and what has been typed so far: the full name, the phone, the
    admission date (the decision number is typed last and not stored)."""

    branch_id: int
    full_name: str | None = None
    phone: str | None = None
    admitted_on: date | None = None

    @classmethod
    def load(cls, data: dict[str, Any], step: str | None = None) -> AdmissionDraft:
        """A stored draft. The stored `step` names what the draft waits for: that and what
        follows count as not given yet (a refused phone or date at the end sent the draft
        back to that step with everything still in it)."""
        name, phone = data.get("full_name"), data.get("phone")
        draft = cls(
            int(data.get("branch_id") or 0),
            str(name) if name is not None else None,
            str(phone) if phone is not None else None,
            _day(data.get("admitted_on")),
        )
        return draft.back_to(step) if step in ADMISSION_STEPS else draft

    @property
    def step(self) -> str:
        """What the draft waits for: the first thing it lacks."""
        values = (self.full_name, self.phone, self.admitted_on)
        return next(
            (s for s, v in zip(ADMISSION_STEPS, values, strict=False) if v is None), DECISION
        )

    def back_to(self, step: str) -> AdmissionDraft:
        """The draft asking `step` again, and every step after it."""
        at = ADMISSION_STEPS.index(step)
        return AdmissionDraft(
            self.branch_id,
            self.full_name if at > 0 else None,
            self.phone if at > 1 else None,
            self.admitted_on if at > 2 else None,
        )

    def with_name(self, full_name: str) -> AdmissionDraft:
        return replace(self, full_name=full_name)

    def with_phone(self, phone: str) -> AdmissionDraft:
        return replace(self, phone=phone)

    def with_date(self, admitted_on: date) -> AdmissionDraft:
        return replace(self, admitted_on=admitted_on)

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {"branch_id": self.branch_id}
        if self.full_name is not None:
            data["full_name"] = self.full_name
        if self.phone is not None:
            data["phone"] = self.phone
        if self.admitted_on is not None:
            data["admitted_on"] = self.admitted_on.isoformat()
        return data


@dataclass(frozen=True)
class RecognitionDraft:
    """The probationary member whose date of recognition is asked."""

    member_id: int

    @classmethod
    def load(cls, data: dict[str, Any]) -> RecognitionDraft:
        return cls(int(data.get("member_id") or 0))

    @property
    def step(self) -> str:
        return RECOGNISED

    def dump(self) -> dict[str, Any]:
        return {"member_id": self.member_id}


def probation_draft(
    data: dict[str, Any], step: str | None = None
) -> AdmissionDraft | RecognitionDraft:
    """The `probation` flow's draft: a recognition names its member, an admission its branch."""
    if step == RECOGNISED or ("member_id" in data and "branch_id" not in data):
        return RecognitionDraft.load(data)
    return AdmissionDraft.load(data, step)


@dataclass(frozen=True)
class MemberTransferDraft:
    """The member being transferred and how; what was last typed as the destination; the
    destination chosen (a branch in the bot, or None with the organisation's name); the
    introduction letter's number (its date is typed last and not stored)."""

    member_id: int
    kind: TransferKind
    typed: str | None = None
    to_name: str | None = None
    to_branch_id: int | None = None
    letter_no: str | None = None

    @classmethod
    def load(cls, data: dict[str, Any]) -> MemberTransferDraft:
        def text(key: str) -> str | None:
            value = data.get(key)
            return str(value) if value is not None else None

        to_branch_id = data.get("to_branch_id")
        to_name = text("to_name")
        return cls(
            int(data.get("member_id") or 0),
            TransferKind(data["kind"]),
            text("typed"),
            to_name,
            int(to_branch_id) if to_branch_id and to_name is not None else None,
            text("letter_no") if to_name is not None else None,
        )

    @property
    def step(self) -> str:
        """What the draft waits for: the first thing it lacks."""
        if self.to_name is None:
            return WHERE
        return LETTER_NO if self.letter_no is None else LETTER_DATE

    def with_typed(self, typed: str) -> MemberTransferDraft:
        return replace(self, typed=typed)

    def to(self, branch_id: int | None, name: str) -> MemberTransferDraft:
        """The destination: a branch in the bot, or (None) an organisation outside it."""
        return replace(self, to_branch_id=branch_id, to_name=name)

    def with_letter_no(self, letter_no: str) -> MemberTransferDraft:
        return replace(self, letter_no=letter_no)

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {"member_id": self.member_id, "kind": self.kind.value}
        if self.typed is not None:
            data["typed"] = self.typed
        if self.to_name is not None:
            data |= {"to_branch_id": self.to_branch_id, "to_name": self.to_name}
            if self.letter_no is not None:
                data["letter_no"] = self.letter_no
        return data


MembersDraft = ExemptionDraft | AdmissionDraft | RecognitionDraft | MemberTransferDraft
FLOW_OF: dict[type[Any], str] = {
    ExemptionDraft: STATUS_FLOW,
    AdmissionDraft: PROBATION_FLOW,
    RecognitionDraft: PROBATION_FLOW,
    MemberTransferDraft: TRANSFER_FLOW,
}


async def save_draft(
    session: AsyncSession, user_id: int, draft: MembersDraft, now: datetime
) -> None:
    await save_flow(session, user_id, FLOW_OF[type(draft)], draft.step, draft.dump(), now)
