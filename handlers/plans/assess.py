"""The member's year-end self-assessment: each goal of their own plan marked done, partly
done or not done with a note, then a proposed grade; every answer is stored at once."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can
from bot.delivery.sender import wake_sender_after_commit
from bot.i18n import N_
from handlers.common import Context, ack, callback_args, edit_text, refuse
from handlers.drafts import saved_echo, with_cancel
from handlers.plans.common import (
    GRADE_NAMES,
    GRADES,
    NOTE_FLOW,
    SECTION_NAMES,
    own_season,
    refusal_text,
    tell,
    today,
)
from handlers.plans.notify import tell_committee
from handlers.plans.record import assessment_paragraphs
from handlers.typed_input import too_long_text
from storage.flows import clear_flow, save_flow
from storage.models import FlowState, YearlyPlan
from storage.plans import (
    SECTIONS,
    GoalResult,
    PlanError,
    assessment_refusal,
    get_plan,
    goals,
    next_unassessed_goal,
    set_goal_result,
    submit_assessment,
)
from storage.text import TextTooLong, clean_text

Button, Markup = InlineKeyboardButton, InlineKeyboardMarkup
RESULTS = tuple(GoalResult)  # a button carries the result's index
RESULT_NAMES = {
    GoalResult.DONE: N_("✅ Done"),
    GoalResult.PARTLY: N_("◐ Partly done"),
    GoalResult.NOT_DONE: N_("❌ Not done"),
}


async def _own_assessable_plan(update: Update, context: Context) -> YearlyPlan | None:
    """The actor's own accepted plan while the self-assessment is open; else why not."""
    if not can(context.actor, Action.USE_MENU) or context.actor.member_id is None:
        await refuse(update, context, "plan_assess_not_member")
        return None
    season = await own_season(context)
    plan = await get_plan(context.db, context.actor.member_id, season.year)
    refusal = assessment_refusal(plan, season, today(context))
    if refusal is not None:
        await tell(update, context, refusal_text(refusal, season, context._))
        return None
    return plan


async def on_start(update: Update, context: Context) -> None:
    """The member continues their self-assessment where they were."""
    plan = await _own_assessable_plan(update, context)
    if plan is None or update.callback_query is None:
        return
    await ack(update.callback_query)
    await _continue(update, context, plan)


async def _continue(update: Update, context: Context, plan: YearlyPlan) -> None:
    _ = context._
    chat = update.effective_chat
    if chat is None:
        return
    key = next_unassessed_goal(plan)
    if key is not None:
        await _ask_result(update, context, plan, key)
        return
    rows = [
        [Button(_(GRADE_NAMES[grade]), callback_data=f"plprop:{i}")]
        for i, grade in enumerate(GRADES)
    ]
    await chat.send_message(
        _("Which grade do you propose for yourself for {year}?", year=plan.year),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def _ask_result(update: Update, context: Context, plan: YearlyPlan, key: str) -> None:
    _ = context._
    chat = update.effective_chat
    if chat is None:
        return
    keys = goals(plan)
    text = _(
        "<b>Goal {number}/{total}: {name}</b>\n{goal}\n\nHow far did you carry it out?",
        number=keys.index(key) + 1,
        total=len(keys),
        name=escape(_(SECTION_NAMES[key])),
        goal=escape(plan.sections[key]),
    )
    index = SECTIONS.index(key)
    # One to a row: three side by side are cut on a phone.
    rows = [
        [Button(_(RESULT_NAMES[result]), callback_data=f"plres:{index}:{i}")]
        for i, result in enumerate(RESULTS)
    ]
    await chat.send_message(
        text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows)
    )


async def on_result(update: Update, context: Context) -> None:
    """The member's mark on one goal is stored; they are asked for a note on it."""
    _ = context._
    query, chat = update.callback_query, update.effective_chat
    args = callback_args(query, 2, len(SECTIONS) - 1) if query else None
    if query is None or chat is None or args is None or args[1] >= len(RESULTS):
        await refuse(update, context, "plan_result")
        return
    plan = await _own_assessable_plan(update, context)
    if plan is None:
        return
    key = SECTIONS[args[0]]
    try:
        set_goal_result(plan, key, RESULTS[args[1]])
    except PlanError:
        await refuse(update, context, "plan_result_section")
        return
    await ack(query)
    data = {"key": key}
    await save_flow(context.db, context.actor.telegram_id, NOTE_FLOW, "note", data, context.now())
    skip = Button(_("⏭ No note"), callback_data="plnonote")
    await chat.send_message(
        _(
            "Add a short note on this goal (up to {limit} characters), or press No note.",
            limit=context.settings.plan_note_limit,
        ),
        reply_markup=with_cancel(_, [[skip]]),
    )


async def on_note_input(update: Update, context: Context, state: FlowState) -> None:
    """The member's note on the goal they just marked, then the next goal."""
    _ = context._
    message = update.effective_message
    if message is None:
        return
    plan = await _own_assessable_plan(update, context)
    if plan is None:
        await clear_flow(context.db, state.user_id, state.flow)
        return
    key = str(state.data.get("key"))
    try:
        note = clean_text(message.text or "", context.settings.plan_note_limit)
    except TextTooLong as error:
        await message.reply_text(too_long_text(_, N_("The note"), error.length, error.limit))
        return
    mark = plan.assessment.get(key)
    if mark is None:
        await clear_flow(context.db, state.user_id, state.flow)
        await _continue(update, context, plan)
        return
    set_goal_result(plan, key, GoalResult(mark["result"]), note)
    await clear_flow(context.db, state.user_id, state.flow)
    if note:
        await message.reply_text(saved_echo(_, _("the note"), note), parse_mode=ParseMode.HTML)
    await _continue(update, context, plan)


async def on_no_note(update: Update, context: Context) -> None:
    """No note on this goal: the next one."""
    plan = await _own_assessable_plan(update, context)
    if plan is None or update.callback_query is None:
        return
    await ack(update.callback_query)
    await clear_flow(context.db, context.actor.telegram_id, NOTE_FLOW)
    await _continue(update, context, plan)


async def on_propose(update: Update, context: Context) -> None:
    """The member picked a grade: they see their whole self-assessment with it, to send or
    to choose again (sending is final)."""
    _ = context._
    query = update.callback_query
    args = callback_args(query, 1, len(GRADES) - 1) if query else None
    if query is None or args is None:
        await refuse(update, context, "plan_propose")
        return
    plan = await _own_assessable_plan(update, context)
    if plan is None:
        return
    await ack(query)
    grade = _(GRADE_NAMES[GRADES[args[0]]])
    lines = [
        *assessment_paragraphs(plan, _),
        _("Proposed grade: {grade}", grade=grade),
        _("Send this self-assessment to the committee? It cannot be changed afterwards."),
    ]
    buttons = [
        [Button(_("📤 Send to the committee"), callback_data=f"plpropy:{args[0]}")],
        [Button(_("↩️ Choose again"), callback_data="plsa")],
    ]
    await edit_text(
        query, "\n\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=Markup(buttons)
    )


async def on_propose_confirmed(update: Update, context: Context) -> None:
    """The member confirms the grade: the self-assessment goes to the committee."""
    _ = context._
    query, chat = update.callback_query, update.effective_chat
    args = callback_args(query, 1, len(GRADES) - 1) if query else None
    if query is None or chat is None or args is None:
        await refuse(update, context, "plan_propose")
        return
    plan = await _own_assessable_plan(update, context)
    if plan is None:
        return
    try:
        await submit_assessment(context.db, plan, GRADES[args[0]], context.now())
    except PlanError as error:
        await tell(update, context, refusal_text(error.code, None, _))
        return
    await ack(query)
    await tell_committee(context, plan, "assessed")
    wake_sender_after_commit(context.bot_data)
    await chat.send_message(
        _(
            "📋 Your self-assessment was submitted with the proposed grade: {grade}. The "
            "committee will record the final grade.",
            grade=_(GRADE_NAMES[GRADES[args[0]]]),
        )
    )


def plan_assess_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_start, pattern=r"^plsa$"),
        CallbackQueryHandler(on_result, pattern=r"^plres:"),
        CallbackQueryHandler(on_no_note, pattern=r"^plnonote$"),
        CallbackQueryHandler(on_propose, pattern=r"^plprop:"),
        CallbackQueryHandler(on_propose_confirmed, pattern=r"^plpropy:"),
    ]
