"""A member's party standing in the branch's member list: the secretary or deputy sees the
history and records an exemption from activity (reason, from, until) or ends one.

Buttons (handlers/members/buttons.py): the card, exempt, the reason, no end date, end the
exemption, back from a temporary transfer. Every press asks again whether the presser manages
the member's branch.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.i18n import N_
from bot.standing_text import DETAIL_NAMES, STANDING_NAMES, period_html
from handlers.members import buttons
from handlers.members.actions import Exemption, end_today, may_manage, record_exemption
from handlers.members.buttons import MemberOption, MemberRef
from handlers.members.draft import NOTE, STATUS_FLOW, UNTIL, ExemptionDraft, save_draft
from handlers.members.messages import outcome_rows
from handlers.members.pick import chosen, managed
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse, send
from handlers.shared.typed_input import parse_day, typed_text
from handlers.shared.usecase import env_of
from storage.flows import clear_flow, get_flow
from storage.members import get_member
from storage.models import FlowState, Member, Standing
from storage.standing import DETAILS, ON_ROSTER, TAKING_PART, StandingError, history, status_of
from storage.transfers import pending_for

REASONS = DETAILS[Standing.EXEMPT]
NOTE_LIMIT = 500


async def _managed(update: Update, context: Context, member_id: int) -> Member | None:
    return await managed(update, context, member_id, "member_status")


async def status_card(context: Context, member: Member) -> tuple[str, InlineKeyboardMarkup]:
    """The member's standing today, their history, and what the secretary can do."""
    _ = context._
    today = context.today()
    now = await status_of(context.db, member.id, today)
    state = _(STANDING_NAMES[now]) if now else _("not yet a member")
    lines = [
        _("<b>{name}</b>: {status}", name=escape(member.full_name), status=state),
        *(period_html(p, _) for p in await history(context.db, member.id)),
    ]
    ref = MemberRef(member.id)
    rows = []
    if now in TAKING_PART:
        rows.append([buttons.EXEMPT.button(_("🛌 Exempt from activity"), ref)])
    if now == Standing.PROBATIONARY:  # the same buttons as the reminder's (outbox JSON)
        outcomes = {"inline_keyboard": outcome_rows(member.id, _)}
        rows += map(list, InlineKeyboardMarkup.de_json(outcomes, None).inline_keyboard)
    if now in ON_ROSTER and await pending_for(context.db, member.id) is None:
        rows.append([buttons.TRANSFER.button(_("➡️ Transfer of party activity"), ref)])
    if now == Standing.EXEMPT:
        rows.append([buttons.END_EXEMPTION.button(_("▶️ End the exemption"), ref)])
    if now == Standing.TRANSFERRED_TEMPORARY:
        rows.append([buttons.BACK.button(_("↩️ Back at the branch"), ref)])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def on_card(update: Update, context: Context, pressed: MemberRef) -> None:
    member = await _managed(update, context, pressed.member_id)
    query = update.callback_query
    if member is None or query is None:
        return
    await ack(query)
    text, markup = await status_card(context, member)
    await send(update, text, markup)


async def on_exempt(update: Update, context: Context, pressed: MemberRef) -> None:
    """The reasons to choose from."""
    _ = context._
    member = await _managed(update, context, pressed.member_id)
    query = update.callback_query
    if member is None or query is None:
        return
    await ack(query)
    rows = [
        [buttons.EXEMPT_REASON.button(_(DETAIL_NAMES[r]), MemberOption(member.id, i))]
        for i, r in enumerate(REASONS)
    ]
    text = _("Why is {name} exempt from activity?", name=f"<b>{escape(member.full_name)}</b>")
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))


async def on_reason(update: Update, context: Context, pressed: MemberOption) -> None:
    """The reason chosen: 'other' asks for it in words, then the dates are asked."""
    _ = context._
    member = await _managed(update, context, pressed.member_id)
    query, user = update.callback_query, update.effective_user
    if member is None or query is None or user is None:
        return
    reason = chosen(REASONS, pressed)
    if reason is None:
        await refuse(update, context, "member_status_reason")
        return
    await ack(query)
    draft = ExemptionDraft(member.id, reason)
    await save_draft(context.db, user.id, draft, context.now())
    if draft.step == NOTE:
        prompt = _("Send the reason in words (up to {limit} characters).", limit=NOTE_LIMIT)
    else:
        prompt = _from_prompt(context)
    await edit_text(query, prompt)


def _from_prompt(context: Context) -> str:
    return context._("From which date is the member exempt? Send it as dd/mm/yyyy.")


async def on_status_input(update: Update, context: Context, state: FlowState) -> None:
    """A typed reason or date of the exemption being recorded."""
    _ = context._
    draft = ExemptionDraft.load(state.data)
    member = await get_member(context.db, draft.member_id)
    if member is None or not may_manage(context.actor, member):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "member_status_draft")
        return
    if draft.step == NOTE:
        note = await typed_text(update, context, NOTE_LIMIT, N_("The note"))
        if note is None:
            return
        await save_draft(context.db, state.user_id, draft.with_note(note), context.now())
        await send(update, _from_prompt(context))
        return
    message = update.effective_message
    day = parse_day(message.text or "", context.today()) if message else None
    if day is None:
        await send(update, _("Please send a date as dd/mm/yyyy, for example 01/06/2026."))
        return
    if draft.step != UNTIL:
        await save_draft(context.db, state.user_id, draft.with_start(day), context.now())
        button = buttons.NO_END.button(_("No end date"), MemberRef(member.id))
        prompt = _("Until which date? Send it as dd/mm/yyyy, or press “No end date”.")
        await send(update, prompt, InlineKeyboardMarkup([[button]]))
        return
    await _record(update, context, member, state.user_id, draft, day)


async def on_no_end(update: Update, context: Context, pressed: MemberRef) -> None:
    member = await _managed(update, context, pressed.member_id)
    query, user = update.callback_query, update.effective_user
    if member is None or query is None or user is None:
        return
    state = await get_flow(context.db, user.id, STATUS_FLOW)
    draft = ExemptionDraft.load(state.data) if state is not None else None
    if draft is None or draft.step != UNTIL or draft.member_id != member.id:
        await refuse(update, context, "member_status_stale")
        return
    await ack(query)
    await _record(update, context, member, user.id, draft, None)


async def _record(
    update: Update,
    context: Context,
    member: Member,
    user_id: int,
    draft: ExemptionDraft,
    until: date | None,
) -> None:
    """The complete draft (its step is the last day) recorded, ending on `until`."""
    _ = context._
    start = draft.start
    assert start is not None
    exemption = Exemption(draft.reason, start, until, draft.note)
    try:
        await record_exemption(context.db, context.actor, member, exemption, env_of(context))
    except StandingError:
        await send(update, _("The end date must come after the start date."))
        return
    await clear_flow(context.db, user_id, STATUS_FLOW)
    text = _(
        "🛌 Recorded: {name} is exempt from activity from {start}. They get no meeting "
        "invitations or reminders and are left out of the figures' denominators.",
        name=f"<b>{escape(member.full_name)}</b>",
        start=_.date_text(start),
    )
    await send(update, text)


async def on_end(update: Update, context: Context, pressed: MemberRef) -> None:
    """The exemption ends today; the member takes part again."""
    done = N_("{name} takes part in activity again from {date}.")
    await _end_today(update, context, pressed, Standing.EXEMPT, done)


async def on_back(update: Update, context: Context, pressed: MemberRef) -> None:
    """A temporary transfer ends today: the member takes part at their own branch again,
    and no longer at the branch they were away at (storage/hosted.py)."""
    back = N_(
        "{name} is back from the temporary transfer and takes part at the branch again from {date}."
    )
    await _end_today(update, context, pressed, Standing.TRANSFERRED_TEMPORARY, back)


async def _end_today(
    update: Update, context: Context, pressed: MemberRef, standing: Standing, done: str
) -> None:
    """Ends the member's open `standing` period today, and says so (`done`, an N_ text)."""
    _ = context._
    member = await _managed(update, context, pressed.member_id)
    query = update.callback_query
    if member is None or query is None:
        return
    await ack(query)
    today = await end_today(context.db, context.actor, member, standing, env_of(context))
    text = _(done, name=f"<b>{escape(member.full_name)}</b>", date=_.date_text(today))
    await edit_text(query, text, parse_mode=ParseMode.HTML)


ROUTES: tuple[Route[Any], ...] = (
    buttons.CARD.route(on_card, "member_status"),
    buttons.EXEMPT.route(on_exempt, "member_status"),
    buttons.EXEMPT_REASON.route(on_reason, "member_status"),
    buttons.NO_END.route(on_no_end, "member_status"),
    buttons.END_EXEMPTION.route(on_end, "member_status"),
    buttons.BACK.route(on_back, "member_status"),
)
