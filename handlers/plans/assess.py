"""The member's year-end self-assessment: each goal of their own plan marked done, partly
done or not done with a note, then a proposed grade; every answer is stored at once."""

from __future__ import annotations

from collections.abc import Awaitable
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.i18n import N_
from handlers.plans import actions, buttons
from handlers.plans.actions import Refused
from handlers.plans.buttons import GoalMark, GradeRef
from handlers.plans.common import GRADES, SECTION_NAMES, refused_text, tell
from handlers.plans.draft import NOTE_FLOW, NoteDraft, save_draft
from handlers.plans.record import assessment_paragraphs
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse
from handlers.shared.drafts import saved_echo, with_cancel
from handlers.shared.plan_words import GRADE_NAMES
from handlers.shared.typed_input import too_long_text
from handlers.shared.usecase import NotAllowed, env_of
from storage.flows import clear_flow
from storage.models import FlowState, YearlyPlan
from storage.plans import SECTIONS, GoalResult, goals, next_unassessed_goal
from storage.text import TextTooLong, clean_text

Markup = InlineKeyboardMarkup
RESULTS = tuple(GoalResult)  # a button carries the result's index
RESULT_NAMES = {
    GoalResult.DONE: N_("✅ Done"),
    GoalResult.PARTLY: N_("◐ Partly done"),
    GoalResult.NOT_DONE: N_("❌ Not done"),
}


REFUSED = "plan_assess_not_member"  # the presser may not assess a plan (not an active member)


async def _assessing(
    update: Update, context: Context, assess: Awaitable[YearlyPlan]
) -> YearlyPlan | None:
    """What a use case on the actor's own self-assessment gave; else they are told why not."""
    try:
        return await assess
    except NotAllowed:
        await refuse(update, context, REFUSED)
    except Refused as refused:
        await tell(update, context, refused_text(refused, context._))
    return None


async def _own_assessable_plan(update: Update, context: Context) -> YearlyPlan | None:
    """The actor's own accepted plan while the self-assessment is open; else why not."""
    find = actions.plan_to_assess(context.db, context.actor, env_of(context))
    return await _assessing(update, context, find)


async def on_start(update: Update, context: Context, _pressed: object) -> None:
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
        [buttons.PROPOSE.button(_(GRADE_NAMES[grade]), GradeRef(i))]
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
        [buttons.RESULT_OF.button(_(RESULT_NAMES[result]), GoalMark(index, i))]
        for i, result in enumerate(RESULTS)
    ]
    await chat.send_message(
        text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows)
    )


async def on_result(update: Update, context: Context, pressed: GoalMark) -> None:
    """The member's mark on one goal is stored; they are asked for a note on it."""
    _ = context._
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        await refuse(update, context, "plan_result")
        return
    if await _own_assessable_plan(update, context) is None:
        return
    key = SECTIONS[pressed.section]
    mark = actions.mark_goal(
        context.db, context.actor, key, RESULTS[pressed.result], env_of(context)
    )
    try:
        await mark
    except (NotAllowed, Refused):  # checked just above: the section is not one of its goals
        await refuse(update, context, "plan_result_section")
        return
    await ack(query)
    await save_draft(context.db, context.actor.telegram_id, NoteDraft(key), context.now())
    skip = buttons.NO_NOTE.button(_("⏭ No note"))
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
    key = NoteDraft.load(state.data).key
    try:
        note = clean_text(message.text or "", context.settings.plan_note_limit)
    except TextTooLong as error:
        await message.reply_text(too_long_text(_, N_("The note"), error.length, error.limit))
        return
    noted = actions.note_goal(context.db, context.actor, key, note, env_of(context))
    plan, stored = await noted
    if not stored:  # the goal is not marked: nothing to note, the next one
        await clear_flow(context.db, state.user_id, state.flow)
        await _continue(update, context, plan)
        return
    await clear_flow(context.db, state.user_id, state.flow)
    if note:
        await message.reply_text(saved_echo(_, _("the note"), note), parse_mode=ParseMode.HTML)
    await _continue(update, context, plan)


async def on_no_note(update: Update, context: Context, _pressed: object) -> None:
    """No note on this goal: the next one."""
    plan = await _own_assessable_plan(update, context)
    if plan is None or update.callback_query is None:
        return
    await ack(update.callback_query)
    await clear_flow(context.db, context.actor.telegram_id, NOTE_FLOW)
    await _continue(update, context, plan)


async def on_propose(update: Update, context: Context, pressed: GradeRef) -> None:
    """The member picked a grade: they see their whole self-assessment with it, to send or
    to choose again (sending is final)."""
    _ = context._
    query = update.callback_query
    if query is None:
        await refuse(update, context, "plan_propose")
        return
    plan = await _own_assessable_plan(update, context)
    if plan is None:
        return
    await ack(query)
    grade = _(GRADE_NAMES[GRADES[pressed.grade]])
    lines = [
        *assessment_paragraphs(plan, _),
        _("Proposed grade: {grade}", grade=grade),
        _("Send this self-assessment to the committee? It cannot be changed afterwards."),
    ]
    rows = [
        [buttons.PROPOSE_SEND.button(_("📤 Send to the committee"), pressed)],
        [buttons.ASSESS.button(_("↩️ Choose again"))],
    ]
    await edit_text(query, "\n\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=Markup(rows))


async def on_propose_confirmed(update: Update, context: Context, pressed: GradeRef) -> None:
    """The member confirms the grade: the self-assessment goes to the committee."""
    _ = context._
    query, chat, member = update.callback_query, update.effective_chat, context.member
    if query is None or chat is None:
        await refuse(update, context, "plan_propose")
        return
    if member is None:
        await refuse(update, context, REFUSED)
        return
    grade = GRADES[pressed.grade]
    send = actions.submit_self_assessment(context.db, context.actor, member, grade, env_of(context))
    if await _assessing(update, context, send) is None:
        return
    await ack(query)
    await chat.send_message(
        _(
            "📋 Your self-assessment was submitted with the proposed grade: {grade}. The "
            "committee will record the final grade.",
            grade=_(GRADE_NAMES[grade]),
        )
    )


ROUTES: tuple[Route[Any], ...] = (
    buttons.ASSESS.route(on_start, REFUSED),
    buttons.RESULT_OF.route(on_result, "plan_result"),
    buttons.NO_NOTE.route(on_no_note, REFUSED),
    buttons.PROPOSE.route(on_propose, "plan_propose"),
    buttons.PROPOSE_SEND.route(on_propose_confirmed, "plan_propose"),
)
