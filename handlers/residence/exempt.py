"""Exemptions, recorded by the workplace committee (Hướng dẫn 33-HD/BTCTW): introduced but
exempt from residence activity (armed forces in barracks, working away or on the move,
full-time study, other with a reason) or exempt from the introduction altogether. Exempt
members are not asked for a yearly comment."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can
from bot.fit import button_label
from bot.i18n import N_
from handlers.common import Context, ack, callback_args, edit_text, refuse, send
from handlers.drafts import saved_echo
from handlers.residence.common import (
    EXEMPT_FLOW,
    EXEMPTION_BUTTONS,
    cancel_markup,
    may_manage,
)
from handlers.shared.residence_words import EXEMPTION_LABELS
from handlers.typed_input import typed_text
from storage import audit
from storage.flows import clear_flow, save_flow
from storage.members import branch_members, get_member
from storage.models import ExemptionKind, FlowState, Member, MemberStatus, Unit
from storage.residence import current_exemption, lift_exemption, record_exemption

KINDS = tuple(ExemptionKind)
MAX_LISTED = 60


async def on_exemptions(update: Update, context: Context) -> None:
    """The committee picks the member whose exemption to record or lift."""
    _ = context._
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    unit = await context.db.get(Unit, args[0]) if args else None
    allowed = unit is not None and can(context.actor, Action.MANAGE_RESIDENCE, unit.path)
    if query is None or unit is None or not allowed or not unit.is_branch:
        await refuse(update, context, "residence_exemptions")
        return
    await ack(query)
    members = [
        m for m in await branch_members(context.db, unit.id) if m.status == MemberStatus.ACTIVE
    ]
    rows = [
        [InlineKeyboardButton(button_label(m.full_name), callback_data=f"rexm:{m.id}")]
        for m in members[:MAX_LISTED]
    ]
    rows.append([InlineKeyboardButton(_("⬅️ Back"), callback_data=f"rovb:{unit.id}")])
    text = _("🛡 Whose exemption do you want to record or lift?")
    await edit_text(query, text, reply_markup=InlineKeyboardMarkup(rows))


async def _managed_member(update: Update, context: Context, count: int) -> Member | None:
    """The member named first in the button, if the presser's committee covers them."""
    query = update.callback_query
    args = callback_args(query, count) if query else None
    member = await get_member(context.db, args[0]) if args else None
    if not may_manage(context.actor, member) or member is None:
        await refuse(update, context, "residence_exemption")
        return None
    return member


async def on_exemption_member(update: Update, context: Context) -> None:
    """The member's current exemption, the categories to record, and Lift."""
    _ = context._
    query = update.callback_query
    member = await _managed_member(update, context, 1)
    if member is None or query is None:
        return
    await ack(query)
    current = await current_exemption(context.db, member.id)
    state = _(EXEMPTION_LABELS[current.kind]) if current else _("not exempt")
    rows = [
        [InlineKeyboardButton(_(EXEMPTION_BUTTONS[k]), callback_data=f"rexk:{member.id}:{i}")]
        for i, k in enumerate(KINDS)
    ]
    if current is not None:
        rows.append(
            [InlineKeyboardButton(_("Lift the exemption"), callback_data=f"rexl:{member.id}")]
        )
    text = _(
        "<b>{name}</b>: {state}. Choose the category to record:",
        name=escape(member.full_name),
        state=state,
    )
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))


async def on_exemption_kind(update: Update, context: Context) -> None:
    """The category is recorded at once; 'other' first asks for the reason."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    member = await _managed_member(update, context, 2)
    args = callback_args(query, 2) if query else None
    if member is None or query is None or user is None or args is None:
        return
    if args[1] >= len(KINDS):
        await refuse(update, context, "residence_exemption_kind")
        return
    await ack(query)
    kind = KINDS[args[1]]
    if kind == ExemptionKind.OTHER:
        data = {"member_id": member.id}
        await save_flow(context.db, user.id, EXEMPT_FLOW, "reason", data, context.now())
        prompt = _(
            "Send the reason for the exemption of {name} (up to {limit} characters).",
            name=escape(member.full_name),
            limit=context.settings.residence_note_limit,
        )
        await send(update, prompt, cancel_markup(_))
        return
    await _record(context, member, kind, None)
    await edit_text(query, _recorded_text(context, member, kind), parse_mode=ParseMode.HTML)


def _recorded_text(context: Context, member: Member, kind: ExemptionKind) -> str:
    _ = context._
    return _(
        "🛡 Recorded: {name} is exempt ({category}).",
        name=f"<b>{escape(member.full_name)}</b>",
        category=_(EXEMPTION_LABELS[kind]),
    )


async def _record(
    context: Context, member: Member, kind: ExemptionKind, reason: str | None
) -> None:
    await record_exemption(
        context.db, member.id, kind, reason, context.actor.member_id, context.now()
    )
    await audit.record(
        context.db,
        "residence_exempted",
        actor_member_id=context.actor.member_id,
        unit_id=member.branch_id,
        object_type="member",
        object_id=member.id,
        details={"kind": kind.value},
    )


async def on_exemption_reason(update: Update, context: Context, state: FlowState) -> None:
    """The typed reason of an 'other' exemption: recorded."""
    member = await get_member(context.db, int(state.data.get("member_id", 0)))
    if member is None or not may_manage(context.actor, member):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "residence_exemption_draft")
        return
    reason = await typed_text(
        update, context, context.settings.residence_note_limit, N_("The reason")
    )
    if reason is None:
        return
    await clear_flow(context.db, state.user_id, state.flow)
    await _record(context, member, ExemptionKind.OTHER, reason)
    echo = saved_echo(context._, context._("the reason"), reason)
    await send(update, _recorded_text(context, member, ExemptionKind.OTHER) + "\n" + echo)


async def on_exemption_lift(update: Update, context: Context) -> None:
    """The exemption ends (kept as history); the member is expected to register again."""
    _ = context._
    query = update.callback_query
    member = await _managed_member(update, context, 1)
    if member is None or query is None:
        return
    await ack(query)
    if await lift_exemption(context.db, member.id, context.now()):
        await audit.record(
            context.db,
            "residence_exemption_lifted",
            actor_member_id=context.actor.member_id,
            unit_id=member.branch_id,
            object_type="member",
            object_id=member.id,
        )
    text = _("The exemption of {name} is lifted.", name=f"<b>{escape(member.full_name)}</b>")
    await edit_text(query, text, parse_mode=ParseMode.HTML)


def exemption_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_exemptions, pattern=r"^rex:"),
        CallbackQueryHandler(on_exemption_member, pattern=r"^rexm:"),
        CallbackQueryHandler(on_exemption_kind, pattern=r"^rexk:"),
        CallbackQueryHandler(on_exemption_lift, pattern=r"^rexl:"),
    ]
