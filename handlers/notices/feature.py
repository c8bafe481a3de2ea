"""The notices' surface, declared once: bot/app.py registers what is listed here."""

from __future__ import annotations

from bot.i18n import N_
from handlers.notices import buttons, compose, status
from handlers.notices.draft import FLOW
from handlers.notices.messages import BULK
from handlers.shared.buttons import any_of
from handlers.shared.drafts import Draft
from handlers.shared.feature import Feature

# The buttons of the notice being written: any other press leaves its question.
DRAFT_BUTTONS = (buttons.AUDIENCE, buttons.CANCEL, buttons.NEW, buttons.SEND)

FEATURE = Feature(
    "notices",
    buttons=(*compose.ROUTES, *status.ROUTES),
    menu={"notices": compose.show_notices},
    early_answers={buttons.ACKNOWLEDGE.prefix: status.answer_acknowledgements},
    flows={
        FLOW: Draft(
            compose.on_notice_input,
            N_("a notice"),
            N_("📣 Send a notice"),
            buttons=any_of(*DRAFT_BUTTONS),
        )
    },
)

__all__ = ["BULK", "FEATURE"]  # BULK: its sends to many, for the shared bulk job
