"""Every feature of the bot, in the order their handlers are tried: the one list bot/app.py
reads (see docs/architecture.md).

A converted feature declares itself in its package (`handlers/notices/feature.py`). The
others are declared here through the same object, wrapping what bot/app.py registered for
them before: their handler lists, menu entries, flows and jobs, unchanged. Converting one
means moving its entry into its package and its buttons to the codec (handlers/buttons.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.settings import Settings
from handlers import bulk_send
from handlers.drafts import REACHES_OTHERS, Draft
from handlers.feature import Feature
from handlers.help import FEATURE as HELP
from handlers.meeting_answer import meeting_answer_handlers, on_reason_input, reason_problem
from handlers.meeting_attendance import meeting_attendance_handlers
from handlers.meeting_compose import meeting_compose_handlers, on_meeting_input
from handlers.meeting_jobs import meeting_jobs
from handlers.meeting_manage import (
    edit_problem,
    meeting_manage_handlers,
    on_edit_input,
    show_meetings,
)
from handlers.members.feature import MEMBER_STATUS, MEMBERS_LIST, PROBATION, TRANSFERS
from handlers.notices.feature import FEATURE as NOTICES
from handlers.onboarding.feature import LANGUAGE, ONBOARDING
from handlers.plan_assess import on_note_input, plan_assess_handlers
from handlers.plan_member import on_plan_input, plan_member_handlers
from handlers.plan_menu import plan_menu_handlers, show_plan
from handlers.plan_overview import plan_overview_handlers
from handlers.plan_record import plan_record_handlers
from handlers.plan_reminders import remind_missing_plans
from handlers.plan_reopen import plan_reopen_handlers
from handlers.plan_review import comment_problem, on_return_input, plan_review_handlers
from handlers.profile import FEATURE as PROFILE
from handlers.reports.feature import REPORTS, SCORECARD
from handlers.residence import on_activity_input, residence_handlers, show_residence
from handlers.residence_comment import comment_handlers, on_comment_input
from handlers.residence_committee import committee_handlers
from handlers.residence_common import (
    ACTIVITY_FLOW,
    COMMENT_FLOW,
    DECLINE_FLOW,
    EXEMPT_FLOW,
    REGISTER_FLOW,
    note_problem,
)
from handlers.residence_exempt import exemption_handlers, on_exemption_reason
from handlers.residence_host import host_handlers, on_decline_reason
from handlers.residence_register import on_register_input, register_handlers
from handlers.residence_save import save_handlers
from handlers.residence_window import KIND as COMMENT_WINDOW_JOB
from handlers.residence_window import ask_for_comments, book_comment_window
from handlers.survey_answer import on_answer_input, survey_answer_handlers
from handlers.survey_create import BUTTON_STEPS, on_new_input, survey_create_handlers
from handlers.survey_jobs import CLOSE_JOB, OPEN_JOB, run_close, run_open
from handlers.survey_menu import show_surveys, survey_menu_handlers
from storage.plan_schedule import KIND as KIND_PLAN_REMINDER
from storage.plan_schedule import schedule_reminders

# The survey wizard's own buttons: its steps' prefixes and the file/start/cancel ones.
SURVEY_NEW_BUTTONS = rf"^(svfile$|svnew$|swa:|swgo$|swx$|({'|'.join(BUTTON_STEPS)})(:|$))"

MEETINGS, RESIDENCE, PLAN = N_("📅 Meetings"), N_("🏠 Residence ties"), N_("📝 Yearly plan")
SURVEYS = N_("🗳 Surveys")


async def book_plan_reminders(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """Reminder jobs for the seasons as they are now (the defaults may have changed)."""
    await schedule_reminders(
        session,
        settings.plan_season_defaults(),
        tz=settings.tz,
        hour=settings.plan_reminder_hour,
        now=now,
    )


MEETINGS_FEATURE = Feature(
    "meetings",
    lambda: [
        *meeting_compose_handlers(),
        *meeting_manage_handlers(),
        *meeting_answer_handlers(),
        *meeting_attendance_handlers(),
    ],
    menu={"meetings": show_meetings},
    flows={
        "meeting": Draft(
            on_meeting_input,
            N_("a new meeting"),
            MEETINGS,
            buttons=r"^(mau:|mdrop$|mk:|mnew$|msend$|mu:)",
        ),
        "meeting_edit": Draft(
            on_edit_input,
            N_("the meeting's new time or place"),
            MEETINGS,
            REACHES_OTHERS,
            edit_problem,
            buttons=r"^(mc:|mcy:|md:|me[tp]:|my:)",
        ),
        "meeting_absence": Draft(
            on_reason_input,
            N_("the reason for your absence"),
            MEETINGS,
            REACHES_OTHERS,
            reason_problem,
            buttons=r"^(mab:|mabx:|mat:|mmy$)",
        ),
    },
    jobs=meeting_jobs(),
)
RESIDENCE_FEATURE = Feature(
    "residence",
    lambda: [
        *residence_handlers(),
        *register_handlers(),
        *save_handlers(),
        *host_handlers(),
        *comment_handlers(),
        *committee_handlers(),
        *exemption_handlers(),
    ],
    menu={"residence": show_residence},
    flows={
        REGISTER_FLOW: Draft(
            on_register_input,
            N_("your residence registration"),
            RESIDENCE,
            buttons=r"^(rb:|rbx$|rreg$|rskip$|rsave$|rcancel$)",
        ),
        ACTIVITY_FLOW: Draft(
            on_activity_input,
            N_("a residence activity"),
            RESIDENCE,
            buttons=r"^(ract$|rcancel$|rsave$)",
        ),
        DECLINE_FLOW: Draft(
            on_decline_reason,
            N_("the reason for declining a residence tie"),
            RESIDENCE,
            REACHES_OTHERS,
            note_problem,
            buttons=r"^(rac:|rapend$|rcancel$|rno:|rnoop$|rok:|rpend$)",
        ),
        COMMENT_FLOW: Draft(
            on_comment_input,
            N_("a yearly residence comment"),
            RESIDENCE,
            buttons=r"^(rcancel$|rcl$|rcm:|rcsend$|rcy:)",
        ),
        EXEMPT_FLOW: Draft(
            on_exemption_reason, N_("an exemption reason"), RESIDENCE, buttons=r"^(rex|rcancel$)"
        ),
    },
    jobs={COMMENT_WINDOW_JOB: ask_for_comments},
    bookings=(book_comment_window,),
)
PLANS = Feature(
    "plans",
    lambda: [
        *plan_menu_handlers(),
        *plan_reopen_handlers(),
        *plan_member_handlers(),
        *plan_review_handlers(),
        *plan_assess_handlers(),
        *plan_record_handlers(),
        *plan_overview_handlers(),
    ],
    menu={"plan": show_plan},
    flows={
        "plan": Draft(
            on_plan_input,
            N_("your yearly plan"),
            PLAN,
            buttons=r"^pl(commit$|edit:|fill$|skip$|submit$|view$)",
        ),
        "plan_note": Draft(
            on_note_input,
            N_("a note on your self-assessment"),
            PLAN,
            buttons=r"^pl(nonote$|prop:|propy:|res:|sa$)",
        ),
        "plan_return": Draft(
            on_return_input,
            N_("the comment returning a plan"),
            PLAN,
            REACHES_OTHERS,
            comment_problem,
            buttons=r"^pl(ok:|q$|r:|ret:|retx$)",
        ),
    },
    jobs={KIND_PLAN_REMINDER: remind_missing_plans},
    bookings=(book_plan_reminders,),
)
SURVEYS_FEATURE = Feature(
    "surveys",
    lambda: [*survey_create_handlers(), *survey_answer_handlers(), *survey_menu_handlers()],
    menu={"surveys": show_surveys},
    flows={
        "survey_new": Draft(on_new_input, N_("a new survey"), SURVEYS, buttons=SURVEY_NEW_BUTTONS),
        "survey_answer": Draft(
            on_answer_input,
            N_("your survey answers"),
            SURVEYS,
            buttons=r"^(sa:|sb:|se:|sn:|sok:|ss:|st:|sva:)",
        ),
    },
    jobs={OPEN_JOB: run_open, CLOSE_JOB: run_close},
)
BULK_SEND = Feature("bulk_send", jobs={bulk_send.KIND: bulk_send.run_bulk_send})

FEATURES: tuple[Feature, ...] = (
    ONBOARDING,
    LANGUAGE,
    PROFILE,
    MEMBERS_LIST,
    MEMBER_STATUS,
    PROBATION,
    TRANSFERS,
    NOTICES,
    MEETINGS_FEATURE,
    RESIDENCE_FEATURE,
    PLANS,
    REPORTS,
    SCORECARD,
    SURVEYS_FEATURE,
    BULK_SEND,
    HELP,
)
