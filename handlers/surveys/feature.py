"""The surveys' surface, declared once: bot/app.py registers what is listed here."""

from __future__ import annotations

from bot.i18n import N_
from handlers.shared.buttons import any_of
from handlers.shared.drafts import Draft
from handlers.shared.feature import Feature
from handlers.surveys import answer, create, menu
from handlers.surveys.actions import CLOSE_JOB, OPEN_JOB
from handlers.surveys.common import ANSWER_FLOW
from handlers.surveys.draft import FLOW
from handlers.surveys.jobs import run_close, run_open
from handlers.surveys.messages import BULK

SURVEYS = N_("🗳 Surveys")

FEATURE = Feature(
    "surveys",
    buttons=(*create.ROUTES, *answer.ROUTES, *menu.ROUTES),
    menu={"surveys": menu.show_surveys},
    flows={
        # Presses of the draft's own buttons keep its question; any other press leaves it.
        FLOW: Draft(
            create.on_new_input,
            N_("a new survey"),
            SURVEYS,
            buttons=any_of(*(route.kind for route in create.ROUTES)),
        ),
        ANSWER_FLOW: Draft(
            answer.on_answer_input,
            N_("your survey answers"),
            SURVEYS,
            buttons=any_of(*(route.kind for route in answer.ROUTES)),
        ),
    },
    jobs={OPEN_JOB: run_open, CLOSE_JOB: run_close},
)

__all__ = ["BULK", "FEATURE"]  # BULK: its sends to many, for the shared bulk job
