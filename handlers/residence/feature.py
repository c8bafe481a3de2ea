"""The residence ties' surface, declared once: bot/app.py registers what is listed here."""

from __future__ import annotations

from bot.i18n import N_
from handlers.residence import (
    buttons,
    comment,
    committee,
    exempt,
    host,
    member,
    register,
    save,
)
from handlers.residence.actions import run_comment_window
from handlers.residence.common import note_problem
from handlers.residence.draft import (
    ACTIVITY_FLOW,
    COMMENT_FLOW,
    DECLINE_FLOW,
    EXEMPT_FLOW,
    REGISTER_FLOW,
)
from handlers.residence.window import KIND as COMMENT_WINDOW_JOB
from handlers.residence.window import book_comment_window
from handlers.shared.buttons import any_of
from handlers.shared.drafts import REACHES_OTHERS, Draft
from handlers.shared.feature import Feature

RESIDENCE = N_("🏠 Residence ties")


FEATURE = Feature(
    "residence",
    buttons=(
        *member.ROUTES,
        *register.ROUTES,
        *save.ROUTES,
        *host.ROUTES,
        *comment.ROUTES,
        *committee.ROUTES,
        *exempt.ROUTES,
    ),
    menu={"residence": member.show_residence},
    flows={
        REGISTER_FLOW: Draft(
            register.on_register_input,
            N_("your residence registration"),
            RESIDENCE,
            buttons=any_of(
                buttons.BRANCH,
                buttons.OUTSIDE,
                buttons.REGISTER,
                buttons.SKIP,
                buttons.SAVE,
                buttons.CANCEL,
            ),
        ),
        ACTIVITY_FLOW: Draft(
            member.on_activity_input,
            N_("a residence activity"),
            RESIDENCE,
            buttons=any_of(buttons.ACTIVITY, buttons.CANCEL, buttons.SAVE),
        ),
        DECLINE_FLOW: Draft(
            host.on_decline_reason,
            N_("the reason for declining a residence tie"),
            RESIDENCE,
            REACHES_OTHERS,
            note_problem,
            buttons=any_of(
                buttons.CONFIRM_ACTIVITY,
                buttons.PENDING_ACTIVITIES,
                buttons.CANCEL,
                buttons.DECLINE,
                buttons.DONE,
                buttons.CONFIRM,
                buttons.PENDING,
            ),
        ),
        COMMENT_FLOW: Draft(
            comment.on_comment_input,
            N_("a yearly residence comment"),
            RESIDENCE,
            buttons=any_of(
                buttons.CANCEL,
                buttons.COMMENTS,
                buttons.COMMENT,
                buttons.SEND_COMMENT,
                buttons.POINT,
            ),
        ),
        EXEMPT_FLOW: Draft(
            exempt.on_exemption_reason,
            N_("an exemption reason"),
            RESIDENCE,
            buttons=any_of(
                buttons.EXEMPTIONS,
                buttons.EXEMPT_MEMBER,
                buttons.EXEMPT_CATEGORY,
                buttons.LIFT,
                buttons.CANCEL,
            ),
        ),
    },
    jobs={COMMENT_WINDOW_JOB: run_comment_window},
    bookings=(book_comment_window,),
)
