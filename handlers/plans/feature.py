"""The yearly plans' surface, declared once: bot/app.py registers what is listed here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.settings import Settings
from handlers.plans import assess, buttons, member, menu, overview, record, reopen, review
from handlers.plans.draft import FLOW, NOTE_FLOW, RETURN_FLOW
from handlers.plans.reminders import run_reminder
from handlers.shared.buttons import any_of
from handlers.shared.drafts import REACHES_OTHERS, Draft
from handlers.shared.feature import Feature
from storage.plan_schedule import KIND as REMINDER_JOB
from storage.plan_schedule import schedule_reminders

PLAN = N_("📝 Yearly plan")

# Each draft's own buttons: any other press leaves its question (handlers/shared/drafts.py).
PLAN_BUTTONS = (
    buttons.COMMIT,
    buttons.EDIT,
    buttons.FILL,
    buttons.SKIP,
    buttons.SUBMIT,
    buttons.VIEW,
)
NOTE_BUTTONS = (
    buttons.NO_NOTE,
    buttons.PROPOSE,
    buttons.PROPOSE_SEND,
    buttons.RESULT_OF,
    buttons.ASSESS,
)
RETURN_BUTTONS = (
    buttons.ACCEPT,
    buttons.REVIEW_LIST,
    buttons.READ,
    buttons.RETURN,
    buttons.RETURN_CANCEL,
)


async def book_plan_reminders(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """Reminder jobs for the seasons as they are now (the defaults may have changed)."""
    await schedule_reminders(
        session,
        settings.plan_season_defaults(),
        tz=settings.tz,
        hour=settings.plan_reminder_hour,
        now=now,
    )


FEATURE = Feature(
    "plans",
    buttons=(
        *menu.ROUTES,
        *reopen.ROUTES,
        *member.ROUTES,
        *review.ROUTES,
        *assess.ROUTES,
        *record.ROUTES,
        *overview.ROUTES,
    ),
    menu={"plan": menu.show_plan},
    flows={
        FLOW: Draft(
            member.on_plan_input, N_("your yearly plan"), PLAN, buttons=any_of(*PLAN_BUTTONS)
        ),
        NOTE_FLOW: Draft(
            assess.on_note_input,
            N_("a note on your self-assessment"),
            PLAN,
            buttons=any_of(*NOTE_BUTTONS),
        ),
        RETURN_FLOW: Draft(
            review.on_return_input,
            N_("the comment returning a plan"),
            PLAN,
            REACHES_OTHERS,
            review.comment_problem,
            buttons=any_of(*RETURN_BUTTONS),
        ),
    },
    jobs={REMINDER_JOB: run_reminder},
    bookings=(book_plan_reminders,),
)
