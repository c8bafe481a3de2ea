"""The yearly plans' buttons, each declared once (shared/buttons.py). The data on the wire is
what the handlers wrote by hand before: `plfill`, `pledit:<section>`, `plr:<plan>`,
`plok:<plan>:<version read>`, `plro:<member>:<year>`, `plrec` or `plrec:<member>`...

A section, a goal's result and a grade travel as their index in `SECTIONS`, `RESULTS` and
`GRADES`, bounded by them: a forged index is refused before the handler runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from handlers.shared.buttons import Bounded, ButtonKind
from storage.models import Grade
from storage.plans import SECTIONS, GoalResult

SECTION = Bounded(0, len(SECTIONS) - 1)
RESULT = Bounded(0, len(GoalResult) - 1)
GRADE = Bounded(0, len(Grade) - 1)
YEAR = Bounded(2000, 2100)


@dataclass(frozen=True)
class SectionRef:
    section: Annotated[int, SECTION]  # index in SECTIONS


@dataclass(frozen=True)
class GoalMark:
    section: Annotated[int, SECTION]  # index in SECTIONS
    result: Annotated[int, RESULT]  # index in RESULTS (handlers.plans.assess)


@dataclass(frozen=True)
class GradeRef:
    grade: Annotated[int, GRADE]  # index in GRADES (handlers.plans.common)


@dataclass(frozen=True)
class PlanRef:
    plan_id: int


@dataclass(frozen=True)
class PlanRead:
    plan_id: int
    version: int  # the last revision the reader was shown (0: none yet)


@dataclass(frozen=True)
class PlanGrade:
    plan_id: int
    grade: Annotated[int, GRADE]  # index in GRADES


@dataclass(frozen=True)
class RecordOf:
    member_id: int | None = None  # None: the presser's own record


@dataclass(frozen=True)
class MemberYear:
    member_id: int
    year: Annotated[int, YEAR]


# The member's own plan (handlers.plans.menu, member, reopen).
MENU = ButtonKind("plmenu")  # 📝 My plan, under the messages members get
ASK_REOPEN = ButtonKind("plask")  # 🙋 Ask to reopen my plan
FILL = ButtonKind("plfill")  # ✍️ Write / Continue my plan
SKIP = ButtonKind("plskip")  # ⏭ Nothing to add (an optional section)
COMMIT = ButtonKind("plcommit")  # ✅ I accept the commitment
VIEW = ButtonKind("plview")  # 👁 My plan / ↩️ Back to my plan
EDIT = ButtonKind("pledit", SectionRef)  # ✏️ one section again
SUBMIT = ButtonKind("plsubmit")  # 📤 Submit to the committee
# The member's self-assessment (handlers.plans.assess).
ASSESS = ButtonKind("plsa")  # 📋 Self-assessment / ↩️ Choose again
RESULT_OF = ButtonKind("plres", GoalMark)  # ✅ Done / ◐ Partly done / ❌ Not done
NO_NOTE = ButtonKind("plnonote")  # ⏭ No note
PROPOSE = ButtonKind("plprop", GradeRef)  # the grade the member proposes
PROPOSE_SEND = ButtonKind("plpropy", GradeRef)  # 📤 Send to the committee
# The committee's review (handlers.plans.review).
REVIEW_LIST = ButtonKind("plq")  # 📥 Plans to review
READ = ButtonKind("plr", PlanRef)  # a plan in the list / 📖 Read the plan
ACCEPT = ButtonKind("plok", PlanRead)  # ✅ Accept
RETURN = ButtonKind("plret", PlanRead)  # ↩️ Return with a comment
RETURN_CANCEL = ButtonKind("plretx")  # ❌ Cancel the comment
# The year record and the grade (handlers.plans.record).
RECORD = ButtonKind("plrec", RecordOf)  # 📄 My year record / Year record of a member
GRADE_LIST = ButtonKind("plga")  # 🏅 Self-assessments to grade
GRADE_READ = ButtonKind("plgr", PlanRef)  # a self-assessment in the list / 🏅 Grade
GRADE_PICK = ButtonKind("plgd", PlanGrade)  # a grade picked
GRADE_RECORD = ButtonKind("plgdy", PlanGrade)  # ✅ Record the grade
GRADE_AGAIN = ButtonKind("plgb", PlanRef)  # ↩️ Choose again
# The committee's overview and reopening (handlers.plans.overview, reopen).
OVERVIEW = ButtonKind("plov")  # 📊 Plan overview
REOPEN = ButtonKind("plro", MemberYear)  # 🔓 Reopen the plan
