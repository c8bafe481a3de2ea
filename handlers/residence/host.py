"""The residence branch leaders' side: ties waiting for them, confirm or decline with one
tap (a decline asks for the reason the member will read), and members' activities."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can, can_anywhere, paths_for
from bot.i18n import N_, Translator
from handlers.common import Context, ack, callback_args, edit_buttons, edit_text, refuse, send
from handlers.residence.common import (
    DECLINE_FLOW,
    Builder,
    activity_ask,
    cancel_markup,
    may_host,
    notify,
    unit_name,
)
from handlers.shared.residence_words import STATUS_LABELS, tie_text
from handlers.typed_input import typed_text
from storage import audit
from storage.flows import clear_flow, save_flow
from storage.models import FlowState, ResidenceTie, TieStatus
from storage.residence import (
    ResidenceError,
    activities_to_confirm,
    confirm_activity,
    decide_tie,
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


async def on_pending(update: Update, context: Context) -> None:
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


async def on_pending_activities(update: Update, context: Context) -> None:
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
    head = _(
        "🏠 <b>{name}</b> ({branch}) has registered a residence tie with your branch:",
        name=escape(tie.member.full_name),
        branch=escape(tie.member.branch.name),
    )
    return f"{head}\n\n{tie_text(tie, _)}"


def _decide_markup(tie: ResidenceTie, _: Translator) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(_("✅ Confirm"), callback_data=f"rok:{tie.id}"),
        InlineKeyboardButton(_("❌ Decline"), callback_data=f"rno:{tie.id}"),
    ]
    return InlineKeyboardMarkup([buttons])


async def _hosted_tie(update: Update, context: Context, reason: str) -> ResidenceTie | None:
    """The tie named by the button, if the presser leads its residence branch."""
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    tie = await get_tie(context.db, args[0]) if args else None
    if tie is None or not may_host(context.actor, tie):
        await refuse(update, context, reason)
        return None
    return tie


def _refusal(tie: ResidenceTie, error: ResidenceError, _: Translator) -> str:
    """Why the tie cannot be answered any more (answered before, or replaced)."""
    return _(REFUSALS[error.code], status=_(STATUS_LABELS[tie.status]))


async def on_confirm(update: Update, context: Context) -> None:
    """The tie is confirmed; the member is told."""
    _ = context._
    query = update.callback_query
    tie = await _hosted_tie(update, context, "residence_confirm")
    if tie is None or query is None:
        return
    try:
        decide_tie(tie, True, context.actor.member_id, context.now())
    except ResidenceError as error:
        await ack(query, _refusal(tie, error, _), show_alert=True)
        return
    await ack(query, _("Confirmed. The member is told."))
    await _record(context, tie, "residence_confirmed")
    await notify(context, tie.member, _decided_text(tie))
    await edit_text(query, _request_text(tie, _), parse_mode=ParseMode.HTML)


async def on_decline(update: Update, context: Context) -> None:
    """The leader is asked for the reason of the decline; the member will read it."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    tie = await _hosted_tie(update, context, "residence_decline")
    if tie is None or query is None or user is None:
        return
    if tie.ended_at is not None or tie.status != TieStatus.PENDING:
        code = "tie_replaced" if tie.ended_at is not None else "tie_decided"
        await ack(query, _refusal(tie, ResidenceError(code), _), show_alert=True)
        return
    await ack(query)
    await save_flow(context.db, user.id, DECLINE_FLOW, "reason", {"tie_id": tie.id}, context.now())
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
    tie = await get_tie(context.db, int(state.data.get("tie_id", 0)))
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
        decide_tie(tie, False, context.actor.member_id, context.now(), reason)
    except ResidenceError as error:
        await send(update, _refusal(tie, error, _))
        return
    await _record(context, tie, "residence_declined")
    await notify(context, tie.member, _decided_text(tie))
    await send(update, _("Declined. The member is told your reason."))


def _decided_text(tie: ResidenceTie) -> Builder:
    def build(_: Translator) -> tuple[str, None]:
        head = _(
            "🏠 Your residence tie has been answered by {branch}:",
            branch=unit_name(tie.residence_branch),
        )
        return f"{head}\n\n{tie_text(tie, _)}", None

    return build


async def _record(context: Context, tie: ResidenceTie, action: str) -> None:
    await audit.record(
        context.db,
        action,
        actor_member_id=context.actor.member_id,
        unit_id=tie.residence_branch_id,
        object_type="residence_tie",
        object_id=tie.id,
    )


async def on_confirm_activity(update: Update, context: Context) -> None:
    """The leader confirms that the member took part; the button then says so."""
    _ = context._
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    activity = await get_activity(context.db, args[0]) if args else None
    tie = await get_tie(context.db, activity.tie_id) if activity else None
    own = activity is not None and activity.member_id == context.actor.member_id
    if query is None or activity is None or own or not may_host(context.actor, tie):
        await refuse(update, context, "residence_activity_confirm")
        return
    assert tie is not None
    if tie.ended_at is not None or tie.status == TieStatus.DECLINED:
        # An old button: the member has moved, or the tie was declined meanwhile.
        await ack(query, _("This residence tie is no longer current."), show_alert=True)
        return
    if confirm_activity(activity, context.actor.member_id, context.now()):
        await audit.record(
            context.db,
            "residence_activity_confirmed",
            actor_member_id=context.actor.member_id,
            object_type="residence_activity",
            object_id=activity.id,
        )
    await ack(query, _("Participation confirmed."))
    when = _.date_text(activity.confirmed_at)
    done = InlineKeyboardButton(_("✅ Confirmed on {date}", date=when), callback_data="rnoop")
    await edit_buttons(query, InlineKeyboardMarkup([[done]]))


async def on_noop(update: Update, context: Context) -> None:
    """A button that only shows a state (already confirmed)."""
    if update.callback_query is not None and can(context.actor, Action.USE_MENU):
        await ack(update.callback_query)
    else:
        await refuse(update, context, "residence_noop")


def host_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_pending, pattern=r"^rpend$"),
        CallbackQueryHandler(on_pending_activities, pattern=r"^rapend$"),
        CallbackQueryHandler(on_confirm, pattern=r"^rok:"),
        CallbackQueryHandler(on_decline, pattern=r"^rno:"),
        CallbackQueryHandler(on_confirm_activity, pattern=r"^rac:"),
        CallbackQueryHandler(on_noop, pattern=r"^rnoop$"),
    ]
