"""The committee reads submitted plans, accepts them or returns them with a comment; the
member hears of it. Every button names a plan, so each press checks the role again."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can_anywhere, paths_for
from bot.fit import button_label
from bot.i18n import N_, Translator
from handlers.plans import actions, buttons
from handlers.plans.actions import Refused, may_review
from handlers.plans.buttons import PlanRead, PlanRef, RecordOf
from handlers.plans.common import (
    commitment_status,
    plan_body,
    plan_heading,
    refusal_text,
    refused_text,
    tell,
)
from handlers.plans.draft import RETURN_FLOW, ReturnDraft, save_draft
from handlers.shared.buttons import ButtonKind, Route
from handlers.shared.common import Context, ack, edit_text, refuse
from handlers.shared.drafts import draft_text
from handlers.shared.plan_seasons import plan_season_at
from handlers.shared.readers import split_message
from handlers.shared.typed_input import too_long_text
from handlers.shared.usecase import NotAllowed, env_of
from storage.flows import clear_flow
from storage.models import FlowState, PlanRevision, PlanStatus, YearlyPlan
from storage.plans import get_plan_with_member, plan_version, plans_in, revisions
from storage.text import TextTooLong, clean_text


async def on_review_list(update: Update, context: Context, _pressed: object) -> None:
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
        buttons.READ,
        _("📥 Plans awaiting review ({count}):", count=len(plans)),
        _("No plans are awaiting review."),
    )


async def send_plan_list(
    update: Update, plans: list[YearlyPlan], kind: ButtonKind[PlanRef], heading: str, empty: str
) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    if not plans:
        await chat.send_message(empty)
        return
    rows = [
        [kind.button(button_label(f"{p.member.full_name} · {p.member.branch.name}"), PlanRef(p.id))]
        for p in plans[:90]  # Telegram allows 100 buttons a message
    ]
    await chat.send_message(heading, reply_markup=InlineKeyboardMarkup(rows))


def refused_for(action: Action) -> str:
    """The refusal's reason when the presser may not act on the plan the button names."""
    return f"plan_{action.value}"


REVIEW_REFUSED = refused_for(Action.REVIEW_PLANS)


async def reviewable_plan(
    update: Update, context: Context, action: Action, plan_id: int
) -> YearlyPlan | None:
    """The plan the button names, if the presser holds a committee role over its member."""
    try:
        return await actions.plan_to_review(context.db, context.actor, plan_id, action)
    except NotAllowed:
        await refuse(update, context, refused_for(action))
        return None


async def on_read(update: Update, context: Context, pressed: PlanRef) -> None:
    """The committee member reads the plan and its history, with Accept and Return."""
    _ = context._
    plan = await reviewable_plan(update, context, Action.REVIEW_PLANS, pressed.plan_id)
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
    rows = [[buttons.RECORD.button(_("📄 Year record"), RecordOf(plan.member_id))]]
    if plan.status == PlanStatus.SUBMITTED:
        read = PlanRead(plan.id, rows_read[-1].id if rows_read else 0)  # the version shown above
        rows.insert(
            0,
            [
                buttons.ACCEPT.button(_("✅ Accept"), read),
                buttons.RETURN.button(_("↩️ Return with a comment"), read),
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


async def on_accept(update: Update, context: Context, pressed: PlanRead) -> None:
    """The committee member accepts the plan as they read it; the member is told."""
    _ = context._
    query = update.callback_query
    if query is None:
        return
    accept = actions.accept_plan(
        context.db, context.actor, pressed.plan_id, pressed.version, env_of(context)
    )
    try:
        plan = await accept
    except NotAllowed:
        await refuse(update, context, REVIEW_REFUSED)
        return
    except Refused as refused:
        await tell(update, context, refused_text(refused, _))
        return
    await ack(query)
    await edit_text(
        query,
        _("✅ You accepted the plan of {name}.", name=escape(plan.member.full_name)),
        parse_mode=ParseMode.HTML,
    )


async def on_return(update: Update, context: Context, pressed: PlanRead) -> None:
    """The committee member is asked for the comment that goes back with the plan."""
    _ = context._
    plan = await reviewable_plan(update, context, Action.REVIEW_PLANS, pressed.plan_id)
    query, chat = update.callback_query, update.effective_chat
    if plan is None or query is None or chat is None:
        return
    read = pressed.version
    if plan.status != PlanStatus.SUBMITTED or read != await plan_version(context.db, plan.id):
        code = "not_submitted" if plan.status != PlanStatus.SUBMITTED else "changed_since_read"
        await tell(update, context, refusal_text(code, None, _))
        return
    await ack(query)
    draft = ReturnDraft(plan.id, read)
    await save_draft(context.db, context.actor.telegram_id, draft, context.now())
    cancel = buttons.RETURN_CANCEL.button(_("❌ Cancel"))
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
    draft = ReturnDraft.load(state.data)
    plan = await get_plan_with_member(context.db, draft.plan_id)
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
    await _return_with(update, context, plan, comment, draft.version)


async def _return_with(
    update: Update, context: Context, plan: YearlyPlan, comment: str, read: int | None
) -> None:
    _ = context._
    message = update.effective_message
    assert message is not None
    await clear_flow(context.db, context.actor.telegram_id, RETURN_FLOW)
    send = actions.return_plan(context.db, context.actor, plan.id, comment, read, env_of(context))
    try:
        await send
    except NotAllowed:  # checked when the comment came: the role went meanwhile
        await refuse(update, context, "plan_return_forbidden")
        return
    except Refused as refused:
        await message.reply_text(refused_text(refused, _))
        return
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


async def on_cancel_return(update: Update, context: Context, _pressed: object) -> None:
    """The comment is dropped; the plan stays awaiting review."""
    _ = context._
    query = update.callback_query
    if query is None:
        return
    await ack(query)
    await clear_flow(context.db, context.actor.telegram_id, RETURN_FLOW)
    await edit_text(query, _("Cancelled: the plan is still awaiting review."))


ROUTES: tuple[Route[Any], ...] = (
    buttons.REVIEW_LIST.route(on_review_list, "plan_review_list"),
    buttons.READ.route(on_read, REVIEW_REFUSED),
    buttons.ACCEPT.route(on_accept, REVIEW_REFUSED),
    buttons.RETURN.route(on_return, REVIEW_REFUSED),
    buttons.RETURN_CANCEL.route(on_cancel_return, "plan_return_cancel"),
)
