"""What the residence-tie handlers share: the ❌ Cancel under their questions, today's date
and comment year for a handler, the check of a typed note, the exemption buttons."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardMarkup

from bot.i18n import N_, Translator
from handlers.residence import buttons
from handlers.shared.common import Context
from handlers.shared.typed_input import text_problem
from storage.models import ExemptionKind, FlowState

# The exemption categories as buttons: short, and starting with a capital as every button does.
EXEMPTION_BUTTONS = {
    ExemptionKind.ARMED_FORCES: N_("Armed forces in barracks"),
    ExemptionKind.AWAY_OR_MOBILE: N_("Working away or mobile"),
    ExemptionKind.FULL_TIME_STUDY: N_("Full-time study"),
    ExemptionKind.OTHER: N_("Other reason"),
    ExemptionKind.NOT_INTRODUCED: N_("Exempt from introduction"),
}


def cancel_markup(_: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[buttons.CANCEL.button(_("❌ Cancel"))]])


def local_today(context: Context) -> date:
    return context.today()


def comment_year(context: Context) -> int | None:
    """The year whose residence comments can be written today, or None outside the window."""
    return context.settings.residence_comment_year(local_today(context))


def note_problem(context: Context, _state: FlowState, text: str) -> str | None:
    """Why a typed reason or note (sent to someone) cannot be taken, or None."""
    return text_problem(context._, text, context.settings.residence_note_limit, N_("The text"))
