"""The residence drafts: typed structures stored in `flow_states` (a restart mid-way loses
nothing), each with its next step worked out from what it still lacks.

The stored JSON keeps the shape the handlers always wrote (`{"tie_id": 3, "date":
"05/11/2026"}`, `{"address": ..., "commune": ..., "letter_no": null, ...}`), so drafts open
when a new version starts keep loading; the `step` column is still written (from `step`)
because the shared draft machinery (handlers/shared/drafts.py) reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.flows import save_flow
from storage.residence import TieDraft
from storage.residence_comments import CommentForm

# The flow names: what `flow_states.flow` holds for each residence draft.
REGISTER_FLOW = "residence"
ACTIVITY_FLOW = "ractivity"
DECLINE_FLOW = "rdecline"
COMMENT_FLOW = "rcomment"
EXEMPT_FLOW = "rexempt"
FLOWS = (REGISTER_FLOW, ACTIVITY_FLOW, DECLINE_FLOW, COMMENT_FLOW, EXEMPT_FLOW)

# The residence form's steps, in order.
ADDRESS, AREA, BRANCH, BRANCH_TEXT = "address", "area", "branch", "branch_text"
LETTER_NO, LETTER_DATE, PREVIEW = "letter_no", "letter_date", "preview"
SKIPPABLE = (AREA, LETTER_NO, LETTER_DATE)
# An activity: its date, then what it was. A decline and an 'other' exemption: the reason.
DATE, WHAT, REASON = "date", "what", "reason"
# The yearly comment: three yes/no points, the text, then the preview waiting for Send.
POINTS = ("takes_part", "sets_example", "keeps_contact")
TEXT = "text"
DAY_FORMAT = "%d/%m/%Y"  # how an activity's date is stored


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Area:
    commune: str | None = None
    province: str | None = None


@dataclass(frozen=True)
class Letter:
    """The introduction letter: no number means none yet (its date is skipped with it)."""

    number: str | None = None
    day: date | None = None
    dated: bool = False  # its date was answered or skipped

    @property
    def complete(self) -> bool:
        return self.number is None or self.dated


@dataclass(frozen=True)
class RegisterDraft:
    """The residence form: each part is None until answered (or skipped)."""

    address: str | None = None
    area: Area | None = None
    branch_id: int | None = None  # a branch in the bot, chosen from the search
    branch_text: str | None = None  # or its name, typed
    outside: bool = False  # "Not in the bot" was pressed: the name is to be typed
    letter: Letter | None = None

    @classmethod
    def load(cls, data: dict[str, Any], stored_step: str | None = None) -> RegisterDraft:
        """A stored draft, whatever step it was saved at. Before this module the step of a
        name to type was only in the `step` column (`stored_step`), not in the data."""
        area = None
        if "commune" in data or "province" in data:
            area = Area(_text(data.get("commune")), _text(data.get("province")))
        letter = None
        if "letter_no" in data:
            day = _text(data.get("letter_date"))
            dated = "letter_date" in data
            letter = Letter(
                _text(data["letter_no"]), date.fromisoformat(day) if day else None, dated
            )
        outside = bool(data.get("outside")) or stored_step == BRANCH_TEXT
        return cls(
            _text(data.get("address")),
            area,
            _int(data.get("branch_id")),
            _text(data.get("branch_text")),
            outside,
            letter,
        )

    @property
    def has_branch(self) -> bool:
        return self.branch_id is not None or self.branch_text is not None

    @property
    def step(self) -> str:
        """What the form waits for: the first thing it lacks."""
        if self.address is None:
            return ADDRESS
        if self.area is None:
            return AREA
        if not self.has_branch:
            return BRANCH_TEXT if self.outside else BRANCH
        if self.letter is None:
            return LETTER_NO
        return PREVIEW if self.letter.complete else LETTER_DATE

    def previewed(self) -> RegisterDraft:
        """Straight to the preview: what is still unanswered of the letter is skipped."""
        letter = self.letter or Letter()
        return replace(self, letter=replace(letter, dated=True))

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.address is not None:
            data["address"] = self.address
        if self.area is not None:
            data |= {"commune": self.area.commune, "province": self.area.province}
        if self.has_branch:
            data |= {"branch_id": self.branch_id, "branch_text": self.branch_text}
        elif self.outside:
            data["outside"] = True
        if self.letter is not None:
            data["letter_no"] = self.letter.number
            if self.letter.dated or self.letter.number is None:
                day = self.letter.day
                data["letter_date"] = day.isoformat() if day else None
        return data

    def tie(self) -> TieDraft:
        """The tie to store, once the form is complete."""
        assert self.address is not None and self.step == PREVIEW
        area, letter = self.area or Area(), self.letter or Letter()
        return TieDraft(
            address=self.address,
            commune=area.commune,
            province=area.province,
            branch_id=self.branch_id,
            branch_text=self.branch_text,
            letter_no=letter.number,
            letter_date=letter.day,
        )


@dataclass(frozen=True)
class ActivityDraft:
    tie_id: int
    held_on: date | None = None

    @classmethod
    def load(cls, data: dict[str, Any]) -> ActivityDraft:
        day = _text(data.get("date"))
        held_on = datetime.strptime(day, DAY_FORMAT).date() if day else None
        return cls(_int(data.get("tie_id")) or 0, held_on)

    @property
    def step(self) -> str:
        return DATE if self.held_on is None else WHAT

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tie_id": self.tie_id}
        if self.held_on is not None:
            data["date"] = self.held_on.strftime(DAY_FORMAT)
        return data


@dataclass(frozen=True)
class DeclineDraft:
    """A residence branch leader declining a tie: the reason the member will read."""

    tie_id: int
    step = REASON

    @classmethod
    def load(cls, data: dict[str, Any]) -> DeclineDraft:
        return cls(_int(data.get("tie_id")) or 0)

    def dump(self) -> dict[str, Any]:
        return {"tie_id": self.tie_id}


@dataclass(frozen=True)
class ExemptDraft:
    """The committee recording an 'other' exemption: its reason."""

    member_id: int
    step = REASON

    @classmethod
    def load(cls, data: dict[str, Any]) -> ExemptDraft:
        return cls(_int(data.get("member_id")) or 0)

    def dump(self) -> dict[str, Any]:
        return {"member_id": self.member_id}


@dataclass(frozen=True)
class CommentDraft:
    """A yearly comment being written: the points answered so far, then the text."""

    tie_id: int
    year: int
    answers: tuple[bool, ...] = ()  # in the order of POINTS
    comment: str | None = None

    @classmethod
    def load(cls, data: dict[str, Any]) -> CommentDraft:
        answers: list[bool] = []
        for point in POINTS:
            if not isinstance(data.get(point), bool):
                break
            answers.append(bool(data[point]))
        comment = _text(data.get("comment")) if len(answers) == len(POINTS) else None
        return cls(
            _int(data.get("tie_id")) or 0, _int(data.get("year")) or 0, tuple(answers), comment
        )

    @property
    def step(self) -> str:
        if len(self.answers) < len(POINTS):
            return POINTS[len(self.answers)]
        return TEXT if self.comment is None else PREVIEW

    def answered(self, yes: bool) -> CommentDraft:
        return replace(self, answers=(*self.answers, yes))

    def form(self) -> CommentForm:
        takes_part, sets_example, keeps_contact = (*self.answers, False, False, False)[:3]
        return CommentForm(takes_part, sets_example, keeps_contact, self.comment or "")

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tie_id": self.tie_id, "year": self.year}
        data |= dict(zip(POINTS, self.answers, strict=False))
        if self.comment is not None:
            data["comment"] = self.comment
        return data


Draft = RegisterDraft | ActivityDraft | DeclineDraft | ExemptDraft | CommentDraft
FLOW_OF: dict[type[Any], str] = {
    RegisterDraft: REGISTER_FLOW,
    ActivityDraft: ACTIVITY_FLOW,
    DeclineDraft: DECLINE_FLOW,
    ExemptDraft: EXEMPT_FLOW,
    CommentDraft: COMMENT_FLOW,
}


async def save_draft(session: AsyncSession, user_id: int, draft: Draft, now: datetime) -> None:
    """Stores the draft under its flow, at the step it waits for."""
    await save_flow(session, user_id, FLOW_OF[type(draft)], draft.step, draft.dump(), now)
