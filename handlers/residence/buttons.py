"""The residence ties' buttons, each declared once (shared/buttons.py). The data on the wire
is what the handlers wrote by hand before (`rreg`, `rok:<tie>`, `rexk:<member>:<category>`...),
so buttons already in members' chats and in outbox rows keep working."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from handlers.shared.buttons import Bounded, ButtonKind


@dataclass(frozen=True)
class TieRef:
    tie_id: int


@dataclass(frozen=True)
class ActivityRef:
    activity_id: int


@dataclass(frozen=True)
class UnitRef:
    unit_id: int


@dataclass(frozen=True)
class MemberRef:
    member_id: int


@dataclass(frozen=True)
class CategoryChoice:
    member_id: int
    index: int  # into exempt.KINDS; one beyond it is refused by the handler, with its reason


@dataclass(frozen=True)
class PointAnswer:
    answer: Annotated[int, Bounded(0, 1)]  # 1 yes, 0 no


# The member's own part (the menu entry) and the residence form.
REGISTER = ButtonKind("rreg")  # 📝 Register my residence / Register again / 🚚 I moved
HISTORY = ButtonKind("rhist")  # 📜 History
ACTIVITY = ButtonKind("ract")  # ➕ Record an activity
CANCEL = ButtonKind("rcancel")  # ❌ Cancel under every residence question
BRANCH = ButtonKind("rb", UnitRef)  # a residence branch found by the search
OUTSIDE = ButtonKind("rbx")  # Not in the bot: the branch name is typed
SKIP = ButtonKind("rskip")  # ⏭ Skip an optional answer
SAVE = ButtonKind("rsave")  # 💾 Save under the preview

# The residence branch's leaders.
PENDING = ButtonKind("rpend")  # ⏳ Ties to confirm
PENDING_ACTIVITIES = ButtonKind("rapend")  # 🤝 Activities to confirm
CONFIRM = ButtonKind("rok", TieRef)  # ✅ Confirm a tie
DECLINE = ButtonKind("rno", TieRef)  # ❌ Decline a tie (the reason is asked)
CONFIRM_ACTIVITY = ButtonKind("rac", ActivityRef)  # ✅ Confirm participation
DONE = ButtonKind("rnoop")  # ✅ Confirmed on ...: shows a state, does nothing
COMMENTS = ButtonKind("rcl")  # ✍️ Comments to write / Write the comments / Next member
COMMENT = ButtonKind("rcm", TieRef)  # the member to comment on
POINT = ButtonKind("rcy", PointAnswer)  # Yes / No to a point of the comment
SEND_COMMENT = ButtonKind("rcsend")  # 📤 Send the comment

# The workplace committee.
OVERVIEW = ButtonKind("rov")  # 📊 Residence overview / All branches
BRANCH_DETAIL = ButtonKind("rovb", UnitRef)  # one workplace branch / ⬅️ Back
REMIND = ButtonKind("rrm", UnitRef)  # 🔔 Remind everyone missing
READ_COMMENTS = ButtonKind("rcv", UnitRef)  # 📄 Read the comments
EXEMPTIONS = ButtonKind("rex", UnitRef)  # 🛡 Exemptions of a branch
EXEMPT_MEMBER = ButtonKind("rexm", MemberRef)  # the member whose exemption changes
EXEMPT_CATEGORY = ButtonKind("rexk", CategoryChoice)  # the category recorded
LIFT = ButtonKind("rexl", MemberRef)  # Lift the exemption
