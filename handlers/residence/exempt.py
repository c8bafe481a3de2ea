"""Exemptions, recorded by the workplace committee (Hướng dẫn 33-HD/BTCTW): introduced but
exempt from residence activity (armed forces in barracks, working away or on the move,
full-time study, other with a reason) or exempt from the introduction altogether. Exempt
members are not asked for a yearly comment."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can
from bot.fit import button_label
from bot.i18n import N_
from handlers.residence import buttons
from handlers.residence.actions import exempt, lift, may_manage
from handlers.residence.buttons import CategoryChoice, MemberRef, UnitRef
from handlers.residence.common import EXEMPTION_BUTTONS, cancel_markup
from handlers.residence.draft import ExemptDraft, save_draft
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse, send
from handlers.shared.drafts import saved_echo
from handlers.shared.residence_words import EXEMPTION_LABELS
from handlers.shared.typed_input import typed_text
from handlers.shared.usecase import env_of
from storage.flows import clear_flow
from storage.members import branch_members, get_member
from storage.models import ExemptionKind, FlowState, Member, MemberStatus, Unit
from storage.residence import current_exemption

KINDS = tuple(ExemptionKind)
MAX_LISTED = 60


async def on_exemptions(update: Update, context: Context, pressed: UnitRef) -> None:
    """The committee picks the member whose exemption to record or lift."""
    _ = context._
    query = update.callback_query
    unit = await context.db.get(Unit, pressed.unit_id)
    allowed = unit is not None and can(context.actor, Action.MANAGE_RESIDENCE, unit.path)
    if query is None or unit is None or not allowed or not unit.is_branch:
        await refuse(update, context, "residence_exemptions")
        return
    await ack(query)
    members = [
        m for m in await branch_members(context.db, unit.id) if m.status == MemberStatus.ACTIVE
    ]
    rows = [
        [buttons.EXEMPT_MEMBER.button(button_label(m.full_name), MemberRef(m.id))]
        for m in members[:MAX_LISTED]
    ]
    rows.append([buttons.BRANCH_DETAIL.button(_("⬅️ Back"), UnitRef(unit.id))])
    text = _("🛡 Whose exemption do you want to record or lift?")
    await edit_text(query, text, reply_markup=InlineKeyboardMarkup(rows))


async def _managed_member(update: Update, context: Context, member_id: int) -> Member | None:
    """The member named by the button, if the presser's committee covers them."""
    member = await get_member(context.db, member_id)
    if not may_manage(context.actor, member) or member is None:
        await refuse(update, context, "residence_exemption")
        return None
    return member


async def on_exemption_member(update: Update, context: Context, pressed: MemberRef) -> None:
    """The member's current exemption, the categories to record, and Lift."""
    _ = context._
    query = update.callback_query
    member = await _managed_member(update, context, pressed.member_id)
    if member is None or query is None:
        return
    await ack(query)
    current = await current_exemption(context.db, member.id)
    state = _(EXEMPTION_LABELS[current.kind]) if current else _("not exempt")
    rows = [
        [buttons.EXEMPT_CATEGORY.button(_(EXEMPTION_BUTTONS[k]), CategoryChoice(member.id, i))]
        for i, k in enumerate(KINDS)
    ]
    if current is not None:
        rows.append([buttons.LIFT.button(_("Lift the exemption"), MemberRef(member.id))])
    text = _(
        "<b>{name}</b>: {state}. Choose the category to record:",
        name=escape(member.full_name),
        state=state,
    )
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))


async def on_exemption_kind(update: Update, context: Context, chosen: CategoryChoice) -> None:
    """The category is recorded at once; 'other' first asks for the reason."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    member = await _managed_member(update, context, chosen.member_id)
    if member is None or query is None or user is None:
        return
    if chosen.index >= len(KINDS):
        await refuse(update, context, "residence_exemption_kind")
        return
    await ack(query)
    kind = KINDS[chosen.index]
    if kind == ExemptionKind.OTHER:
        await save_draft(context.db, user.id, ExemptDraft(member.id), context.now())
        prompt = _(
            "Send the reason for the exemption of {name} (up to {limit} characters).",
            name=escape(member.full_name),
            limit=context.settings.residence_note_limit,
        )
        await send(update, prompt, cancel_markup(_))
        return
    await exempt(context.db, context.actor, member, kind, None, env_of(context))
    await edit_text(query, _recorded_text(context, member, kind), parse_mode=ParseMode.HTML)


def _recorded_text(context: Context, member: Member, kind: ExemptionKind) -> str:
    _ = context._
    return _(
        "🛡 Recorded: {name} is exempt ({category}).",
        name=f"<b>{escape(member.full_name)}</b>",
        category=_(EXEMPTION_LABELS[kind]),
    )


async def on_exemption_reason(update: Update, context: Context, state: FlowState) -> None:
    """The typed reason of an 'other' exemption: recorded."""
    member = await get_member(context.db, ExemptDraft.load(state.data).member_id)
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
    await exempt(context.db, context.actor, member, ExemptionKind.OTHER, reason, env_of(context))
    echo = saved_echo(context._, context._("the reason"), reason)
    await send(update, _recorded_text(context, member, ExemptionKind.OTHER) + "\n" + echo)


async def on_exemption_lift(update: Update, context: Context, pressed: MemberRef) -> None:
    """The exemption ends (kept as history); the member is expected to register again."""
    _ = context._
    query = update.callback_query
    member = await _managed_member(update, context, pressed.member_id)
    if member is None or query is None:
        return
    await ack(query)
    await lift(context.db, context.actor, member, env_of(context))
    text = _("The exemption of {name} is lifted.", name=f"<b>{escape(member.full_name)}</b>")
    await edit_text(query, text, parse_mode=ParseMode.HTML)


# The exemptions' buttons, and what a press of each does (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.EXEMPTIONS.route(on_exemptions, "residence_exemptions"),
    buttons.EXEMPT_MEMBER.route(on_exemption_member, "residence_exemption"),
    buttons.EXEMPT_CATEGORY.route(on_exemption_kind, "residence_exemption"),
    buttons.LIFT.route(on_exemption_lift, "residence_exemption"),
)
