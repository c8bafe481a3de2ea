"""What the residence-tie handlers share: flow names, who may act on a tie,
how a tie reads, and messages to other people through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.access import Action, Actor, can
from bot.delivery.sender import wake_sender_after_commit
from bot.i18n import N_, Translator
from handlers.common import Context
from handlers.readers import reader_translator
from handlers.shared.residence_words import tie_text
from handlers.typed_input import text_problem
from storage import outbox
from storage.models import (
    ExemptionKind,
    FlowState,
    Member,
    ResidenceActivity,
    ResidenceTie,
    TelegramAccount,
    Unit,
)
from storage.outbox import NewMessage, text_payload

REGISTER_FLOW = "residence"
ACTIVITY_FLOW = "ractivity"
DECLINE_FLOW = "rdecline"
COMMENT_FLOW = "rcomment"
EXEMPT_FLOW = "rexempt"
FLOWS = (REGISTER_FLOW, ACTIVITY_FLOW, DECLINE_FLOW, COMMENT_FLOW, EXEMPT_FLOW)

# The same categories as buttons: short, and starting with a capital as every button does.
EXEMPTION_BUTTONS = {
    ExemptionKind.ARMED_FORCES: N_("Armed forces in barracks"),
    ExemptionKind.AWAY_OR_MOBILE: N_("Working away or mobile"),
    ExemptionKind.FULL_TIME_STUDY: N_("Full-time study"),
    ExemptionKind.OTHER: N_("Other reason"),
    ExemptionKind.NOT_INTRODUCED: N_("Exempt from introduction"),
}

Markup = dict[str, Any]  # the Bot API JSON of an inline keyboard, for outbox rows
Builder = Callable[[Translator], tuple[str, Markup | None]]  # a message in a reader's language


def cancel_markup(_: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(_("❌ Cancel"), callback_data="rcancel")]])


def local_today(context: Context) -> date:
    return context.today()


def comment_year(context: Context) -> int | None:
    """The year whose residence comments can be written today, or None outside the window."""
    return context.settings.residence_comment_year(local_today(context))


def may_host(actor: Actor, tie: ResidenceTie | None) -> bool:
    """Is the actor a leader of the tie's residence branch (in the bot)?"""
    branch = tie.residence_branch if tie else None
    return branch is not None and can(actor, Action.HOST_RESIDENCE, branch.path)


def may_manage(actor: Actor, member: Member | None) -> bool:
    """Is the actor on the committee of the member's workplace branch?"""
    return member is not None and can(actor, Action.MANAGE_RESIDENCE, member.branch.path)


def note_problem(context: Context, _state: FlowState, text: str) -> str | None:
    """Why a typed reason or note (sent to someone) cannot be taken, or None."""
    return text_problem(context._, text, context.settings.residence_note_limit, N_("The text"))


def activity_ask(
    name: str, branch: str, activity: ResidenceActivity, _: Translator
) -> tuple[str, Markup]:
    """A member's residence activity as its leaders read it (HTML, user text escaped), with
    the confirm button: sent as the ask, and again in the leaders' list."""
    text = _(
        "🏠 <b>{name}</b> ({branch}) took part in a residence activity on {date}:\n{what}",
        name=escape(name),
        branch=escape(branch),
        date=_.date_text(activity.held_on),
        what=escape(activity.what),
    )
    keyboard = [[button(_("✅ Confirm participation"), f"rac:{activity.id}")]]
    return text, {"inline_keyboard": keyboard}


def button(text: str, data: str) -> dict[str, str]:
    return {"text": text, "callback_data": data}


def tie_request(tie: ResidenceTie, member: Member) -> Builder:
    """The ask to a residence branch leader: confirm or decline the member's tie."""

    def build(_: Translator) -> tuple[str, Markup | None]:
        text = _(
            "🏠 <b>{name}</b> ({branch}) has registered a residence tie with your branch:",
            name=escape(member.full_name),
            branch=escape(member.branch.name),
        )
        row = [button(_("✅ Confirm"), f"rok:{tie.id}"), button(_("❌ Decline"), f"rno:{tie.id}")]
        return f"{text}\n\n{tie_text(tie, _)}", {"inline_keyboard": [row]}

    return build


async def notify(
    context: Context,
    member: Member,
    build: Builder,
) -> bool:
    """One message to `member` through the outbox, in their language; False if unlinked."""
    if member.telegram_user_id is None:
        return False
    account = await context.db.get(TelegramAccount, member.telegram_user_id)
    text, markup = build(reader_translator(account, context.settings))
    payload = text_payload(text, "HTML", markup)
    message = NewMessage(member.telegram_user_id, payload, member_id=member.id)
    await outbox.enqueue(context.db, message, context.now())
    wake_sender_after_commit(context.bot_data)
    return True


def unit_name(unit: Unit | None) -> str:
    return escape(unit.name) if unit else "—"
