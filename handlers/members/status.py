"""A member's party standing in the branch's member list: the secretary or deputy sees the
history and records an exemption from activity (reason, from, until) or ends one.

Buttons: `sts:<member>` the card, `stx:<member>` exempt, `stxr:<member>:<reason>` the
reason, `stxn:<member>` no end date, `stxe:<member>` end the exemption, `stxb:<member>` back from a
temporary transfer. Every press asks
again whether the presser manages the member's branch.
"""

from __future__ import annotations

from datetime import date
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can_on_member
from bot.i18n import N_
from bot.standing_text import DETAIL_NAMES, STANDING_NAMES, period_html
from handlers.common import Context, ack, callback_args, edit_text, managed_member, refuse, send
from handlers.probation import outcome_buttons
from handlers.transfers import transfer_button
from handlers.typed_input import parse_day, typed_text
from storage.flows import clear_flow, get_flow, save_flow
from storage.members import get_member
from storage.models import FlowState, Member, Standing
from storage.standing import (
    DETAILS,
    ON_ROSTER,
    TAKING_PART,
    Change,
    StandingError,
    end_period,
    history,
    open_overlay,
    record_change,
    status_of,
)
from storage.transfers import pending_for

STATUS_FLOW = "standing"
REASONS = DETAILS[Standing.EXEMPT]
NOTE_LIMIT = 500


def local_today(context: Context) -> date:
    return context.today()


async def _managed(update: Update, context: Context, count: int = 1) -> Member | None:
    return await managed_member(update, context, "member_status", count)


async def status_card(context: Context, member: Member) -> tuple[str, InlineKeyboardMarkup]:
    """The member's standing today, their history, and what the secretary can do."""
    _ = context._
    today = local_today(context)
    now = await status_of(context.db, member.id, today)
    state = _(STANDING_NAMES[now]) if now else _("not yet a member")
    lines = [
        _("<b>{name}</b>: {status}", name=escape(member.full_name), status=state),
        *(period_html(p, _) for p in await history(context.db, member.id)),
    ]
    rows = []
    if now in TAKING_PART:
        rows.append(
            [InlineKeyboardButton(_("🛌 Exempt from activity"), callback_data=f"stx:{member.id}")]
        )
    if now == Standing.PROBATIONARY:
        rows += outcome_buttons(member.id, _)
    if now in ON_ROSTER and await pending_for(context.db, member.id) is None:
        rows.append(transfer_button(member.id, _))
    if now == Standing.EXEMPT:
        rows.append(
            [InlineKeyboardButton(_("▶️ End the exemption"), callback_data=f"stxe:{member.id}")]
        )
    if now == Standing.TRANSFERRED_TEMPORARY:
        rows.append(
            [InlineKeyboardButton(_("↩️ Back at the branch"), callback_data=f"stxb:{member.id}")]
        )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def on_card(update: Update, context: Context) -> None:
    member = await _managed(update, context)
    query = update.callback_query
    if member is None or query is None:
        return
    await ack(query)
    text, markup = await status_card(context, member)
    await send(update, text, markup)


async def on_exempt(update: Update, context: Context) -> None:
    """The reasons to choose from."""
    _ = context._
    member = await _managed(update, context)
    query = update.callback_query
    if member is None or query is None:
        return
    await ack(query)
    rows = [
        [InlineKeyboardButton(_(DETAIL_NAMES[r]), callback_data=f"stxr:{member.id}:{i}")]
        for i, r in enumerate(REASONS)
    ]
    text = _("Why is {name} exempt from activity?", name=f"<b>{escape(member.full_name)}</b>")
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))


async def on_reason(update: Update, context: Context) -> None:
    """The reason chosen: 'other' asks for it in words, then the dates are asked."""
    _ = context._
    member = await _managed(update, context, 2)
    query, user = update.callback_query, update.effective_user
    args = callback_args(query, 2) if query else None
    if member is None or query is None or user is None or args is None:
        return
    if args[1] >= len(REASONS):
        await refuse(update, context, "member_status_reason")
        return
    await ack(query)
    reason = REASONS[args[1]]
    step = "note" if reason == "other" else "from"
    data = {"member_id": member.id, "reason": reason}
    await save_flow(context.db, user.id, STATUS_FLOW, step, data, context.now())
    if step == "note":
        prompt = _("Send the reason in words (up to {limit} characters).", limit=NOTE_LIMIT)
    else:
        prompt = _from_prompt(context)
    await edit_text(query, prompt)


def _from_prompt(context: Context) -> str:
    return context._("From which date is the member exempt? Send it as dd/mm/yyyy.")


async def on_status_input(update: Update, context: Context, state: FlowState) -> None:
    """A typed reason or date of the exemption being recorded."""
    _ = context._
    member = await get_member(context.db, int(state.data.get("member_id", 0)))
    if member is None or not can_on_member(context.actor, Action.MANAGE_MEMBERS, member):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "member_status_draft")
        return
    data = dict(state.data)
    if state.step == "note":
        note = await typed_text(update, context, NOTE_LIMIT, N_("The note"))
        if note is None:
            return
        data["note"] = note
        await save_flow(context.db, state.user_id, STATUS_FLOW, "from", data, context.now())
        await send(update, _from_prompt(context))
        return
    message = update.effective_message
    day = parse_day(message.text or "", local_today(context)) if message else None
    if day is None:
        await send(update, _("Please send a date as dd/mm/yyyy, for example 01/06/2026."))
        return
    if state.step == "from":
        data["from"] = day.isoformat()
        await save_flow(context.db, state.user_id, STATUS_FLOW, "until", data, context.now())
        button = InlineKeyboardButton(_("No end date"), callback_data=f"stxn:{member.id}")
        prompt = _("Until which date? Send it as dd/mm/yyyy, or press “No end date”.")
        await send(update, prompt, InlineKeyboardMarkup([[button]]))
        return
    await _record(update, context, member, state, day)


async def on_no_end(update: Update, context: Context) -> None:
    member = await _managed(update, context)
    query, user = update.callback_query, update.effective_user
    if member is None or query is None or user is None:
        return
    state = await get_flow(context.db, user.id, STATUS_FLOW)
    if state is None or state.step != "until" or state.data.get("member_id") != member.id:
        await refuse(update, context, "member_status_stale")
        return
    await ack(query)
    await _record(update, context, member, state, None)


async def _record(
    update: Update, context: Context, member: Member, state: FlowState, until: date | None
) -> None:
    _ = context._
    start = date.fromisoformat(str(state.data["from"]))
    change = Change(
        Standing.EXEMPT,
        start,
        until,
        detail=str(state.data["reason"]),
        note=state.data.get("note"),
        by_member_id=context.actor.member_id,
    )
    try:
        await record_change(context.db, member, change, local_today(context))
    except StandingError:
        await send(update, _("The end date must come after the start date."))
        return
    await clear_flow(context.db, state.user_id, state.flow)
    text = _(
        "🛌 Recorded: {name} is exempt from activity from {start}. They get no meeting "
        "invitations or reminders and are left out of the figures' denominators.",
        name=f"<b>{escape(member.full_name)}</b>",
        start=_.date_text(start),
    )
    await send(update, text)


async def on_end(update: Update, context: Context) -> None:
    """The exemption ends today; the member takes part again."""
    await _end_today(
        update, context, Standing.EXEMPT, N_("{name} takes part in activity again from {date}.")
    )


async def on_back(update: Update, context: Context) -> None:
    """A temporary transfer ends today: the member takes part at their own branch again,
    and no longer at the branch they were away at (storage/hosted.py)."""
    back = N_(
        "{name} is back from the temporary transfer and takes part at the branch again from {date}."
    )
    await _end_today(update, context, Standing.TRANSFERRED_TEMPORARY, back)


async def _end_today(update: Update, context: Context, standing: Standing, done: str) -> None:
    """Ends the member's open `standing` period today, and says so (`done`, an N_ text)."""
    _ = context._
    member = await _managed(update, context)
    query = update.callback_query
    if member is None or query is None:
        return
    await ack(query)
    today = local_today(context)
    period = await open_overlay(context.db, member.id, standing, today)
    if period is not None:
        by = context.actor.member_id
        await end_period(context.db, member, period, today, today, by_member_id=by)
    text = _(done, name=f"<b>{escape(member.full_name)}</b>", date=_.date_text(today))
    await edit_text(query, text, parse_mode=ParseMode.HTML)


def member_status_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_card, pattern=r"^sts:"),
        CallbackQueryHandler(on_exempt, pattern=r"^stx:"),
        CallbackQueryHandler(on_reason, pattern=r"^stxr:"),
        CallbackQueryHandler(on_no_end, pattern=r"^stxn:"),
        CallbackQueryHandler(on_end, pattern=r"^stxe:"),
        CallbackQueryHandler(on_back, pattern=r"^stxb:"),
    ]
