"""The surveys' buttons, each declared once (shared/buttons.py). The data on the wire is what
the handlers wrote by hand before, so buttons already in chats and outbox rows keep working:
`svnew`, `svc:<survey>`, `swk:<kind>`, `sa:<survey>:<question>:<value>`...

Values checked against the survey or the draft (a kind's number, 0/1 answers, an option) are
plain ints here: the handlers refuse what does not fit with the reasons they always gave."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.shared.buttons import ButtonKind


@dataclass(frozen=True)
class SurveyRef:
    survey_id: int


@dataclass(frozen=True)
class UnitRef:
    unit_id: int


@dataclass(frozen=True)
class Choice:
    """A value chosen in the wizard: 0/1 (who, required, anonymous) or a kind's number."""

    value: int


@dataclass(frozen=True)
class QuestionRef:
    """A question of a survey being answered (its index)."""

    survey_id: int
    index: int


@dataclass(frozen=True)
class Picked:
    """An answer given with a button: an option's index, a rating, or 1/0 for yes/no."""

    survey_id: int
    index: int
    value: int


# The surveys menu, and what a manager does with a survey sent.
NEW = ButtonKind("svnew")  # ➕ New survey / ✍️ Continue the survey draft
FROM_FILE = ButtonKind("svfile")  # 📄 New survey from a file
LIST = ButtonKind("svlist")  # 📋 Surveys sent
CARD = ButtonKind("svc", SurveyRef)  # a survey's status card / 🔄 Refresh
RESULTS = ButtonKind("svr", SurveyRef)  # 📊 Results
REMIND = ButtonKind("svrm", SurveyRef)  # 🔔 Remind the members who have not answered

# The wizard creating a survey: each step's buttons, then Send and Cancel.
AUDIENCE = ButtonKind("swa", UnitRef)  # the unit whose members answer
WHO = ButtonKind("swr", Choice)  # 1: committee members only, 0: all members
KIND = ButtonKind("swk", Choice)  # the question's kind (handlers.surveys.draft.WIZARD_KINDS)
NO_LABELS = ButtonKind("swl")  # a rating without labels
REQUIRED = ButtonKind("swq", Choice)  # 1: required, 0: optional
DONE = ButtonKind("swd")  # ✅ Done adding questions
ANONYMOUS = ButtonKind("swn", Choice)  # 1: anonymous, 0: named
NO_CLOSING = ButtonKind("swo")  # No closing time
LAUNCH = ButtonKind("swgo")  # 🚀 Send the survey
CANCEL = ButtonKind("swx")  # ❌ Cancel: the draft is discarded

# A member answering: the invitation's ✍️ Answer, each question's buttons, the review.
START = ButtonKind("sva", SurveyRef)  # ✍️ Answer (also in the invitations' outbox rows)
ANSWER = ButtonKind("sa", Picked)  # one choice, a rating, yes or no
TOGGLE = ButtonKind("st", Picked)  # an option of a multiple choice ticked or unticked
NEXT = ButtonKind("sn", QuestionRef)  # ➡️ Next after ticking
SKIP = ButtonKind("ss", QuestionRef)  # ⏭ Skip an optional question
BACK = ButtonKind("sb", QuestionRef)  # ⬅️ Back (from the review: index = number of questions)
EDIT = ButtonKind("se", QuestionRef)  # ✏️ n on the review
SUBMIT = ButtonKind("sok", SurveyRef)  # ✅ Submit
