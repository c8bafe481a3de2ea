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
from handlers.typed_input import text_problem
from storage import outbox
from storage.models import (
    ExemptionKind,
    FlowState,
    Member,
    ResidenceActivity,
    ResidenceComment,
    ResidenceTie,
    TelegramAccount,
    TieStatus,
    Unit,
)
from storage.outbox import NewMessage, text_payload
from storage.residence_comments import CommentForm

REGISTER_FLOW = "residence"
ACTIVITY_FLOW = "ractivity"
DECLINE_FLOW = "rdecline"
COMMENT_FLOW = "rcomment"
EXEMPT_FLOW = "rexempt"
FLOWS = (REGISTER_FLOW, ACTIVITY_FLOW, DECLINE_FLOW, COMMENT_FLOW, EXEMPT_FLOW)

STATUS_LABELS = {
    TieStatus.PENDING: N_("⏳ waiting for the residence branch to confirm"),
    TieStatus.CONFIRMED: N_("✅ confirmed by the residence branch"),
    TieStatus.DECLINED: N_("❌ declined by the residence branch"),
    TieStatus.UNLISTED: N_("📄 registered (the residence branch is not in the bot)"),
}
EXEMPTION_LABELS = {
    ExemptionKind.ARMED_FORCES: N_("armed forces living in barracks"),
    ExemptionKind.AWAY_OR_MOBILE: N_("working far away or on the move"),
    ExemptionKind.FULL_TIME_STUDY: N_("full-time study"),
    ExemptionKind.OTHER: N_("other reason"),
    ExemptionKind.NOT_INTRODUCED: N_("exempt from the introduction"),
}
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


def branch_label(tie: ResidenceTie, _: Translator) -> str:
    if tie.residence_branch is not None:
        return tie.residence_branch.name
    return _("{name} (not in the bot)", name=tie.residence_branch_text or "—")


def tie_text(tie: ResidenceTie, _: Translator) -> str:
    """The tie as the member and the secretaries read it (HTML, user text escaped)."""
    area = ", ".join(part for part in (tie.commune, tie.province) if part)
    lines = [
        _("Status: {status}", status=_(STATUS_LABELS[tie.status])),
        _("Address: {address}", address=escape(tie.address)),
    ]
    if area:
        lines.append(_("Commune and province: {area}", area=escape(area)))
    lines += [
        _("Residence branch: {branch}", branch=escape(branch_label(tie, _))),
        _(
            "Introduction letter: No. {number} of {date}",
            number=escape(tie.letter_no or "—"),
            date=_.date_text(tie.letter_date),
        ),
    ]
    if tie.status == TieStatus.DECLINED and tie.decline_reason:
        lines.append(_("Reason given: {reason}", reason=escape(tie.decline_reason)))
    return "\n".join(lines)


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


def comment_text(name: str, year: int, form: CommentForm | ResidenceComment, _: Translator) -> str:
    """A yearly comment as the residence leader previews it and the committee reads it."""
    answer = {True: _("yes"), False: _("no")}
    return "\n".join(
        [
            _("<b>Residence comment {year}: {name}</b>", year=year, name=escape(name)),
            _("Takes part in the branch meetings: {answer}", answer=answer[form.takes_part]),
            _("Sets an example where they live: {answer}", answer=answer[form.sets_example]),
            _("Keeps contact with the people: {answer}", answer=answer[form.keeps_contact]),
            _("Comment: {comment}", comment=escape(form.comment)),
        ]
    )
