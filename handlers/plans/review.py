"""The committee reads submitted plans, accepts them or returns them with a comment; the
member hears of it. Every button names a plan, so each press checks the role again."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can_anywhere, paths_for
from bot.delivery.sender import wake_sender_after_commit
from bot.fit import button_label
from bot.i18n import N_, Translator
from handlers.common import Context, ack, callback_args, edit_text, refuse
from handlers.drafts import draft_text
from handlers.plans.common import (
    RETURN_FLOW,
    commitment_status,
    may_review,
    plan_body,
    plan_heading,
    plan_season_at,
    refusal_text,
    tell,
)
from handlers.plans.notify import accepted_text, returned_text, tell_member
from handlers.readers import split_message
from handlers.typed_input import too_long_text
from storage.flows import clear_flow, save_flow
from storage.models import FlowState, PlanRevision, PlanStatus, YearlyPlan
from storage.plans import (
    PlanError,
    get_plan_with_member,
    plan_version,
    plans_in,
    review_plan,
    revisions,
)
from storage.text import TextTooLong, clean_text

Button = InlineKeyboardButton


async def on_review_list(update: Update, context: Context) -> None:
    """The committee member sees the plans awaiting review in their units, one button each."""
    _ = context._
    query = update.callback_query
    if query is None or not can_anywhere(context.actor, Action.REVIEW_PLANS):
        await refuse(update, context, "plan_review_list")
        return
    await ack(query)
    paths = paths_for(context.actor, Action.REVIEW_PLANS)
    plans = await plans_in(
        context.db,
        paths,
        (await plan_season_at(context, context.actor.branch_path)).year,
        awaiting="review",
        reviewer_id=context.actor.member_id,
    )
    await send_plan_list(
        update,
        plans,
        "plr",
        _("📥 Plans awaiting review ({count}):", count=len(plans)),
        _("No plans are awaiting review."),
    )


async def send_plan_list(
    update: Update, plans: list[YearlyPlan], prefix: str, heading: str, empty: str
) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    if not plans:
        await chat.send_message(empty)
        return
    rows = [
        [
            Button(
                button_label(f"{p.member.full_name} · {p.member.branch.name}"),
                callback_data=f"{prefix}:{p.id}",
            )
        ]
        for p in plans[:90]  # Telegram allows 100 buttons a message
    ]
    await chat.send_message(heading, reply_markup=InlineKeyboardMarkup(rows))


async def reviewable_plan(
    update: Update, context: Context, action: Action, count: int = 1
) -> YearlyPlan | None:
    """The plan the button names first (of `count` numbers), if the presser holds a
    committee role over its member."""
    query = update.callback_query
    args = callback_args(query, count) if query else None
    plan = await get_plan_with_member(context.db, args[0]) if args else None
    if plan is None or not may_review(context.actor, plan, action):
        await refuse(update, context, f"plan_{action.value}")
        return None
    return plan


async def on_read(update: Update, context: Context) -> None:
    """The committee member reads the plan and its history, with Accept and Return."""
    _ = context._
    plan = await reviewable_plan(update, context, Action.REVIEW_PLANS)
    chat = update.effective_chat
    if plan is None or chat is None or update.callback_query is None:
        return
    await ack(update.callback_query)
    rows_read = await revisions(context.db, plan.id)
    history = _history(rows_read, _)
    paragraphs = [
        plan_heading(plan, plan.member, _),
        *plan_body(plan, _),
        commitment_status(plan, _),
        *history,
    ]
    for text in split_message(paragraphs):
        await chat.send_message(text, parse_mode=ParseMode.HTML)
    rows = [[Button(_("📄 Year record"), callback_data=f"plrec:{plan.member_id}")]]
    if plan.status == PlanStatus.SUBMITTED:
        read = f"{plan.id}:{rows_read[-1].id if rows_read else 0}"  # the version shown above
        rows.insert(
            0,
            [
                Button(_("✅ Accept"), callback_data=f"plok:{read}"),
                Button(_("↩️ Return with a comment"), callback_data=f"plret:{read}"),
            ],
        )
    await chat.send_message(
        _("What do you decide on the plan of {name}?", name=plan.member.full_name)
        if plan.status == PlanStatus.SUBMITTED
        else _("This plan is not awaiting review."),
        reply_markup=InlineKeyboardMarkup(rows),
    )


def _history(rows: list[PlanRevision], _: Translator) -> list[str]:
    if not rows:
        return []
    names = {
        "submitted": _("submitted"),
        "returned": _("returned"),
        "accepted": _("accepted"),
        "self_assessed": _("self-assessment submitted"),
        "graded": _("graded"),
    }
    lines = [_("<b>History</b>")]
    for row in rows:
        line = f"{_.datetime_text(row.at)}: {names.get(row.event, row.event)}"
        if row.event == "returned" and row.comment:
            line += f" — <i>{escape(row.comment)}</i>"
        lines.append(line)
    return ["\n".join(lines)]


async def on_accept(update: Update, context: Context) -> None:
    """The committee member accepts the plan as they read it; the member is told."""
    _ = context._
    plan = await reviewable_plan(update, context, Action.REVIEW_PLANS, count=2)
    query = update.callback_query
    args = callback_args(query, 2) if query else None
    if plan is None or query is None or args is None:
        return
    try:
        await review_plan(
            context.db, plan, context.actor.member_id, context.now(), read_version=args[1]
        )
    except PlanError as error:
        await tell(update, context, refusal_text(error.code, None, _))
        return
    await ack(query)
    await tell_member(context, plan.member, accepted_text(plan))
    wake_sender_after_commit(context.bot_data)
    await edit_text(
        query,
        _("✅ You accepted the plan of {name}.", name=escape(plan.member.full_name)),
        parse_mode=ParseMode.HTML,
    )


async def on_return(update: Update, context: Context) -> None:
    """The committee member is asked for the comment that goes back with the plan."""
    _ = context._
    plan = await reviewable_plan(update, context, Action.REVIEW_PLANS, count=2)
    query, chat = update.callback_query, update.effective_chat
    args = callback_args(query, 2) if query else None
    if plan is None or query is None or chat is None or args is None:
        return
    if plan.status != PlanStatus.SUBMITTED or args[1] != await plan_version(context.db, plan.id):
        code = "not_submitted" if plan.status != PlanStatus.SUBMITTED else "changed_since_read"
        await tell(update, context, refusal_text(code, None, _))
        return
    await ack(query)
    data = {"plan_id": plan.id, "version": args[1]}
    await save_flow(
        context.db, context.actor.telegram_id, RETURN_FLOW, "comment", data, context.now()
    )
    cancel = Button(_("❌ Cancel"), callback_data="plretx")
    await chat.send_message(
        _(
            "Send the comment for {name}: what should be revised (up to {limit} characters).",
            name=plan.member.full_name,
            limit=context.settings.plan_comment_limit,
        ),
        reply_markup=InlineKeyboardMarkup([[cancel]]),
    )


async def on_return_input(update: Update, context: Context, state: FlowState) -> None:
    """The comment: the plan goes back to its member with it; the history keeps both."""
    _ = context._
    message = update.effective_message
    plan = await get_plan_with_member(context.db, int(state.data.get("plan_id", 0)))
    if message is None:
        return
    if not may_review(context.actor, plan, Action.REVIEW_PLANS):
        await clear_flow(context.db, state.user_id, state.flow)  # the role is gone: so is the draft
        await refuse(update, context, "plan_return_forbidden")
        return
    assert plan is not None
    try:
        comment = clean_text(draft_text(message), context.settings.plan_comment_limit)
    except TextTooLong as error:
        await message.reply_text(too_long_text(_, N_("The comment"), error.length, error.limit))
        return
    if not comment:
        await message.reply_text(_("Please send the comment as a text."))
        return
    read = state.data.get("version")
    await _return_with(update, context, plan, comment, int(read) if read is not None else None)


async def _return_with(
    update: Update, context: Context, plan: YearlyPlan, comment: str, read: int | None
) -> None:
    _ = context._
    message = update.effective_message
    assert message is not None
    await clear_flow(context.db, context.actor.telegram_id, RETURN_FLOW)
    try:
        await review_plan(
            context.db, plan, context.actor.member_id, context.now(), comment, read_version=read
        )
    except PlanError as error:
        await message.reply_text(refusal_text(error.code, None, _))
        return
    await tell_member(context, plan.member, returned_text(plan, comment))
    wake_sender_after_commit(context.bot_data)
    await message.reply_text(
        _("↩️ The plan of {name} was returned with your comment.", name=plan.member.full_name)
    )


def comment_problem(context: Context, _state: FlowState, text: str) -> str | None:
    """Why the typed comment cannot be taken, or None."""
    try:
        comment = clean_text(text, context.settings.plan_comment_limit)
    except TextTooLong as error:
        return too_long_text(context._, N_("The comment"), error.length, error.limit)
    return None if comment else context._("Please send the comment as a text.")


async def on_cancel_return(update: Update, context: Context) -> None:
    """The comment is dropped; the plan stays awaiting review."""
    _ = context._
    query = update.callback_query
    if query is None:
        return
    await ack(query)
    await clear_flow(context.db, context.actor.telegram_id, RETURN_FLOW)
    await edit_text(query, _("Cancelled: the plan is still awaiting review."))


def plan_review_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_review_list, pattern=r"^plq$"),
        CallbackQueryHandler(on_read, pattern=r"^plr:"),
        CallbackQueryHandler(on_accept, pattern=r"^plok:"),
        CallbackQueryHandler(on_return, pattern=r"^plret:"),
        CallbackQueryHandler(on_cancel_return, pattern=r"^plretx$"),
    ]
