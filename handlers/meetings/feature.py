"""The meetings' surface, declared once: bot/app.py registers what is listed here."""

from __future__ import annotations

from bot.i18n import N_
from handlers.meetings import answer, attendance, buttons, compose, manage
from handlers.meetings.draft import ABSENCE_FLOW, EDIT_FLOW, FLOW
from handlers.meetings.jobs import meeting_jobs
from handlers.shared.buttons import any_of
from handlers.shared.drafts import REACHES_OTHERS, Draft
from handlers.shared.feature import Feature

MENU = N_("📅 Meetings")

# The buttons near each question: any other press leaves it (the draft is kept).
EDIT_BUTTONS = (
    buttons.CANCEL,
    buttons.CANCEL_CONFIRMED,
    buttons.DETAIL,
    buttons.EDIT_TIME,
    buttons.EDIT_PLACE,
    buttons.UNIT_ATTENDANCE,
)
ABSENCE_BUTTONS = (buttons.ABSENT, buttons.KEEP_ANSWER, buttons.ATTEND, buttons.MY_ATTENDANCE)


FEATURE = Feature(
    "meetings",
    buttons=(*compose.ROUTES, *manage.ROUTES, *answer.ROUTES, *attendance.ROUTES),
    menu={"meetings": manage.show_meetings},
    flows={
        FLOW: Draft(
            compose.on_meeting_input,
            N_("a new meeting"),
            MENU,
            buttons=any_of(*compose.DRAFT_BUTTONS),
        ),
        EDIT_FLOW: Draft(
            manage.on_edit_input,
            N_("the meeting's new time or place"),
            MENU,
            REACHES_OTHERS,
            manage.edit_problem,
            buttons=any_of(*EDIT_BUTTONS),
        ),
        ABSENCE_FLOW: Draft(
            answer.on_reason_input,
            N_("the reason for your absence"),
            MENU,
            REACHES_OTHERS,
            answer.reason_problem,
            buttons=any_of(*ABSENCE_BUTTONS),
        ),
    },
    jobs=meeting_jobs(),
)
