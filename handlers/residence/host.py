"""The residence branch leaders' side: ties waiting for them, confirm or decline with one
tap (a decline asks for the reason the member will read), and members' activities."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can, can_anywhere, paths_for
from bot.i18n import N_, Translator
from handlers.residence import buttons
from handlers.residence.actions import (
    confirm_participation,
    confirm_tie,
    decline_tie,
    may_confirm_activity,
    may_host,
)
from handlers.residence.buttons import ActivityRef, TieRef
from handlers.residence.common import cancel_markup
from handlers.residence.draft import DeclineDraft, save_draft
from handlers.residence.messages import activity_ask, decide_markup, tie_request_text
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_buttons, edit_text, refuse, send
from handlers.shared.residence_words import STATUS_LABELS
from handlers.shared.typed_input import typed_text
from handlers.shared.usecase import env_of
from storage.flows import clear_flow
from storage.models import FlowState, ResidenceTie, TieStatus
from storage.residence import (
    ResidenceError,
    activities_to_confirm,
    get_activity,
    get_tie,
    pending_ties,
)

MAX_LISTED = 10  # ties shown at once, each its own message with its buttons

REFUSALS = {
    "tie_replaced": N_(
        "The member has registered a newer residence tie since; this one is closed."
    ),
    "tie_decided": N_("This residence tie was already answered: {status}."),
}


async def on_pending(update: Update, context: Context, _pressed: object) -> None:
    """The residence branch leader sees each tie waiting for them, with Confirm and Decline."""
    _ = context._
    query = update.callback_query
    if query is None or not can_anywhere(context.actor, Action.HOST_RESIDENCE):
        await refuse(update, context, "residence_pending")
        return
    await ack(query)
    ties = await pending_ties(context.db, paths_for(context.actor, Action.HOST_RESIDENCE))
    if not ties:
        await send(update, _("No residence ties are waiting for your confirmation."))
        return
    await _send_first([(_request_text(t, _), _decide_markup(t, _)) for t in ties], update, _)


async def on_pending_activities(update: Update, context: Context, _pressed: object) -> None:
    """The residence branch leader sees each activity still to confirm, with its button: the
    ask sent when it was recorded may be far up the chat, or gone."""
    _ = context._
    query = update.callback_query
    if query is None or not can_anywhere(context.actor, Action.HOST_RESIDENCE):
        await refuse(update, context, "residence_pending_activities")
        return
    await ack(query)
    paths = paths_for(context.actor, Action.HOST_RESIDENCE)
    waiting = await activities_to_confirm(context.db, paths, context.actor.member_id)
    if not waiting:
        await send(update, _("No residence activities are waiting for your confirmation."))
        return
    asks = [activity_ask(w.member_name, w.member_branch, w.activity, _) for w in waiting]
    listed = [(text, InlineKeyboardMarkup.de_json(markup, None)) for text, markup in asks]
    await _send_first(listed, update, _)


async def _send_first(
    messages: list[tuple[str, InlineKeyboardMarkup]], update: Update, _: Translator
) -> None:
    """The first MAX_LISTED messages, each with its buttons, then how many wait behind them."""
    for text, markup in messages[:MAX_LISTED]:
        await send(update, text, markup)
    if len(messages) > MAX_LISTED:
        more = _("… and {count} more: answer these first.", count=len(messages) - MAX_LISTED)
        await send(update, more)


def _request_text(tie: ResidenceTie, _: Translator) -> str:
    return tie_request_text(tie, tie.member, _)


def _decide_markup(tie: ResidenceTie, _: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup.de_json(decide_markup(tie, _), None)


async def _hosted_tie(
    update: Update, context: Context, pressed: TieRef, reason: str
) -> ResidenceTie | None:
    """The tie named by the button, if the presser leads its residence branch."""
    tie = await get_tie(context.db, pressed.tie_id)
    if tie is None or not may_host(context.actor, tie):
        await refuse(update, context, reason)
        return None
    return tie


def _refusal(tie: ResidenceTie, error: ResidenceError, _: Translator) -> str:
    """Why the tie cannot be answered any more (answered before, or replaced)."""
    return _(REFUSALS[error.code], status=_(STATUS_LABELS[tie.status]))


async def on_confirm(update: Update, context: Context, pressed: TieRef) -> None:
    """The tie is confirmed; the member is told."""
    _ = context._
    query = update.callback_query
    tie = await _hosted_tie(update, context, pressed, "residence_confirm")
    if tie is None or query is None:
        return
    try:
        await confirm_tie(context.db, context.actor, tie, env_of(context))
    except ResidenceError as error:
        await ack(query, _refusal(tie, error, _), show_alert=True)
        return
    await ack(query, _("Confirmed. The member is told."))
    await edit_text(query, _request_text(tie, _), parse_mode=ParseMode.HTML)


async def on_decline(update: Update, context: Context, pressed: TieRef) -> None:
    """The leader is asked for the reason of the decline; the member will read it."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    tie = await _hosted_tie(update, context, pressed, "residence_decline")
    if tie is None or query is None or user is None:
        return
    if tie.ended_at is not None or tie.status != TieStatus.PENDING:
        code = "tie_replaced" if tie.ended_at is not None else "tie_decided"
        await ack(query, _refusal(tie, ResidenceError(code), _), show_alert=True)
        return
    await ack(query)
    await save_draft(context.db, user.id, DeclineDraft(tie.id), context.now())
    await send(
        update,
        _(
            "Why do you decline the residence tie of {name}? Send the reason (up to {limit} "
            "characters); the member will read it.",
            name=escape(tie.member.full_name),
            limit=context.settings.residence_note_limit,
        ),
        cancel_markup(_),
    )


async def on_decline_reason(update: Update, context: Context, state: FlowState) -> None:
    """The typed reason: the tie is declined and the member told why."""
    _ = context._
    tie = await get_tie(context.db, DeclineDraft.load(state.data).tie_id)
    if tie is None or not may_host(context.actor, tie):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "residence_decline_draft")
        return
    reason = await typed_text(
        update, context, context.settings.residence_note_limit, N_("The reason")
    )
    if reason is None:
        return
    await clear_flow(context.db, state.user_id, state.flow)
    try:
        await decline_tie(context.db, context.actor, tie, reason, env_of(context))
    except ResidenceError as error:
        await send(update, _refusal(tie, error, _))
        return
    await send(update, _("Declined. The member is told your reason."))


async def on_confirm_activity(update: Update, context: Context, pressed: ActivityRef) -> None:
    """The leader confirms that the member took part; the button then says so."""
    _ = context._
    query = update.callback_query
    activity = await get_activity(context.db, pressed.activity_id)
    tie = await may_confirm_activity(context.db, context.actor, activity)
    if query is None or activity is None or tie is None:
        await refuse(update, context, "residence_activity_confirm")
        return
    try:
        await confirm_participation(context.db, context.actor, activity, env_of(context))
    except ResidenceError:
        # An old button: the member has moved, or the tie was declined meanwhile.
        await ack(query, _("This residence tie is no longer current."), show_alert=True)
        return
    await ack(query, _("Participation confirmed."))
    when = _.date_text(activity.confirmed_at)
    done = buttons.DONE.button(_("✅ Confirmed on {date}", date=when))
    await edit_buttons(query, InlineKeyboardMarkup([[done]]))


async def on_noop(update: Update, context: Context, _pressed: object) -> None:
    """A button that only shows a state (already confirmed)."""
    if update.callback_query is not None and can(context.actor, Action.USE_MENU):
        await ack(update.callback_query)
    else:
        await refuse(update, context, "residence_noop")


# The leaders' buttons, and what a press of each does (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.PENDING.route(on_pending, "residence_pending"),
    buttons.PENDING_ACTIVITIES.route(on_pending_activities, "residence_pending_activities"),
    buttons.CONFIRM.route(on_confirm, "residence_confirm"),
    buttons.DECLINE.route(on_decline, "residence_decline"),
    buttons.CONFIRM_ACTIVITY.route(on_confirm_activity, "residence_activity_confirm"),
    buttons.DONE.route(on_noop, "residence_noop"),
)
