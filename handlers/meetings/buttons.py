"""The meetings' buttons, each declared once (shared/buttons.py). The data on the wire is what
the handlers wrote by hand before: `mnew`, `mu:<unit>`, `mk:<kind index>`, `md:<meeting>`,
`mat:<meeting>`, `mra:<invite>:<page>`..."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from handlers.shared.buttons import Bounded, ButtonKind
from storage.models import MeetingAudience, MeetingKind

KINDS = list(MeetingKind)  # a kind's button carries its index in this list
AUDIENCES = list(MeetingAudience)  # and so does an audience's


@dataclass(frozen=True)
class UnitRef:
    unit_id: int


@dataclass(frozen=True)
class MeetingRef:
    meeting_id: int


@dataclass(frozen=True)
class KindChoice:
    index: Annotated[int, Bounded(0, len(KINDS) - 1)]


@dataclass(frozen=True)
class AudienceChoice:
    index: Annotated[int, Bounded(0, len(AUDIENCES) - 1)]


@dataclass(frozen=True)
class MeetingPage:
    meeting_id: int
    page: int


@dataclass(frozen=True)
class InvitePage:
    invite_id: int
    page: int  # the page of the attendance sheet the button is on


# Composing a meeting.
NEW = ButtonKind("mnew")  # ➕ New meeting / ✍️ Continue the draft
UNIT = ButtonKind("mu", UnitRef)  # the unit the meeting is for
KIND = ButtonKind("mk", KindChoice)  # the kind of meeting
AUDIENCE = ButtonKind("mau", AudienceChoice)  # who is invited
SEND = ButtonKind("msend")  # 📤 Send the invitations
DROP = ButtonKind("mdrop")  # ❌ Cancel: the draft is discarded

# The secretary's side.
DETAIL = ButtonKind("md", MeetingRef)  # a meeting of the list, 📊 Answers, 🔄 Refresh, ↩️ No
EDIT_TIME = ButtonKind("met", MeetingRef)  # ✏️ Time
EDIT_PLACE = ButtonKind("mep", MeetingRef)  # ✏️ Place
CANCEL = ButtonKind("mc", MeetingRef)  # 🚫 Cancel the meeting
CANCEL_CONFIRMED = ButtonKind("mcy", MeetingRef)  # 🚫 Yes, cancel it
UNIT_ATTENDANCE = ButtonKind("my", UnitRef)  # 📊 Attendance <year>

# The members' side.
ATTEND = ButtonKind("mat", MeetingRef)  # ✅ I will attend
ABSENT = ButtonKind("mab", MeetingRef)  # ❌ I will be absent
KEEP_ANSWER = ButtonKind("mabx", MeetingRef)  # ↩️ Keep my answer
MY_ATTENDANCE = ButtonKind("mmy")  # 📈 My attendance

# Recording attendance.
RECORD = ButtonKind("mrec", MeetingRef)  # 📝 Record attendance
PAGE = ButtonKind("mrp", MeetingPage)  # ◀️ ▶️
TOGGLE = ButtonKind("mra", InvitePage)  # a member: present → excused → unexcused
SAVE = ButtonKind("mrs", MeetingRef)  # 💾 Save attendance
