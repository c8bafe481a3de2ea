"""The year record of a member: plan, commitment, residence comment, self-assessment and
grade together; the committee grades from it."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can, can_anywhere, paths_for
from bot.delivery.sender import wake_sender_after_commit
from bot.i18n import N_, Translator
from handlers.common import Context, ack, callback_args, edit_text, refuse
from handlers.plan_common import (
    GRADE_NAMES,
    GRADES,
    SECTION_NAMES,
    commitment_status,
    plan_body,
    plan_heading,
    refusal_text,
    season_at,
    tell,
)
from handlers.plan_notify import graded_text, tell_member
from handlers.plan_review import reviewable_plan, send_plan_list
from handlers.readers import split_message
from handlers.residence_common import comment_text
from storage.members import get_member
from storage.models import Member, ResidenceComment, YearlyPlan
from storage.plans import GoalResult, PlanError, get_plan, goals, plans_in, record_grade
from storage.residence_comments import comment_of

RESULT_TEXT = {
    GoalResult.DONE: N_("done"),
    GoalResult.PARTLY: N_("partly done"),
    GoalResult.NOT_DONE: N_("not done"),
}


def residence_comment_paragraph(
    comment: ResidenceComment | None, member: Member, year: int, _: Translator
) -> str:
    """The residence branch's yearly comment on the member, or a line saying there is none."""
    if comment is None:
        return _("<b>Residence branch comment</b>\nNone recorded yet.")
    return comment_text(member.full_name, year, comment, _)


def assessment_paragraphs(plan: YearlyPlan, _: Translator) -> list[str]:
    """The self-assessment goal by goal, the proposed and the final grade."""
    if plan.assessed_at is None and not plan.assessment:
        return [_("<b>Self-assessment</b>\nNot written yet.")]
    lines = [_("<b>Self-assessment</b>")]
    for key in goals(plan):
        mark = plan.assessment.get(key)
        result = _(RESULT_TEXT[GoalResult(mark["result"])]) if mark else _("not marked yet")
        line = f"• {escape(_(SECTION_NAMES[key]))}: {result}"
        if mark and mark.get("note"):
            line += f" — <i>{escape(mark['note'])}</i>"
        lines.append(line)
    if plan.proposed_grade is not None:
        grade = _(GRADE_NAMES[plan.proposed_grade])
        lines.append(_("Proposed grade: {grade}", grade=grade))
    return ["\n".join(lines)]


def grade_paragraph(plan: YearlyPlan, _: Translator) -> str:
    if plan.final_grade is None:
        return _("<b>Final grade</b>: not recorded yet.")
    return _(
        "<b>Final grade</b>: {grade} ({date})",
        grade=_(GRADE_NAMES[plan.final_grade]),
        date=_.date_text(plan.graded_at),
    )


def year_record(
    plan: YearlyPlan, member: Member, residence: ResidenceComment | None, _: Translator
) -> list[str]:
    """Everything about the member's year, as HTML paragraphs."""
    return [
        plan_heading(plan, member, _),
        *plan_body(plan, _),
        commitment_status(plan, _),
        residence_comment_paragraph(residence, member, plan.year, _),
        *assessment_paragraphs(plan, _),
        grade_paragraph(plan, _),
    ]


async def _record_target(update: Update, context: Context) -> Member | None:
    """Whose record: the actor's own (no argument), or a member the actor's committee role
    covers."""
    query = update.callback_query
    if query is None or not context.actor.is_member:
        return None
    if query.data == "plrec":
        return context.member
    args = callback_args(query, 1)
    member = await get_member(context.db, args[0]) if args else None
    if member is None or not can(context.actor, Action.REVIEW_PLANS, member.branch.path):
        return None
    return member


async def on_record(update: Update, context: Context) -> None:
    """The member (or their committee) reads the member's year record."""
    _ = context._
    member = await _record_target(update, context)
    chat = update.effective_chat
    if member is None or chat is None or update.callback_query is None:
        await refuse(update, context, "plan_record")
        return
    await ack(update.callback_query)
    own = update.callback_query.data == "plrec"
    path = context.actor.branch_path if own else member.branch.path
    plan = await get_plan(context.db, member.id, (await season_at(context, path)).year)
    if plan is None:
        await chat.send_message(_("No plan has been written for this year yet."))
        return
    residence = await comment_of(context.db, member.id, plan.year)
    for text in split_message(year_record(plan, member, residence, _)):
        await chat.send_message(text, parse_mode=ParseMode.HTML)


async def on_grade_list(update: Update, context: Context) -> None:
    """The committee member sees the self-assessments awaiting a grade in their units."""
    _ = context._
    query = update.callback_query
    if query is None or not can_anywhere(context.actor, Action.GRADE_MEMBERS):
        await refuse(update, context, "plan_grade_list")
        return
    await ack(query)
    paths = paths_for(context.actor, Action.GRADE_MEMBERS)
    # Any year: a December self-assessment is often graded in January.
    plans = await plans_in(
        context.db, paths, None, awaiting="grade", reviewer_id=context.actor.member_id
    )
    heading = _("🏅 Self-assessments awaiting a grade ({count}):", count=len(plans))
    await send_plan_list(update, plans, "plgr", heading, _("No self-assessments await a grade."))


async def on_grade_read(update: Update, context: Context) -> None:
    """The committee member reads the year record and picks the final grade."""
    _ = context._
    plan = await reviewable_plan(update, context, Action.GRADE_MEMBERS)
    chat = update.effective_chat
    if plan is None or chat is None or update.callback_query is None:
        return
    await ack(update.callback_query)
    residence = await comment_of(context.db, plan.member.id, plan.year)
    for text in split_message(year_record(plan, plan.member, residence, _)):
        await chat.send_message(text, parse_mode=ParseMode.HTML)
    await chat.send_message(
        _("Record the final grade of {name}:", name=plan.member.full_name),
        reply_markup=_grade_choice(plan, _),
    )


def _grade_choice(plan: YearlyPlan, _: Translator) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(_(GRADE_NAMES[g]), callback_data=f"plgd:{plan.id}:{i}")]
        for i, g in enumerate(GRADES)
    ]
    return InlineKeyboardMarkup(rows)


async def on_grade(update: Update, context: Context) -> None:
    """The committee member picked a grade: they see it next to the member's proposal, to
    record or to choose again (recording is final and tells the member)."""
    _ = context._
    query = update.callback_query
    args = callback_args(query, 2) if query else None
    if query is None or args is None or args[1] >= len(GRADES):
        await refuse(update, context, "plan_grade")
        return
    plan = await reviewable_plan(update, context, Action.GRADE_MEMBERS, count=2)
    if plan is None:
        return
    if plan.final_grade is not None or plan.assessed_at is None:  # a stale or early button
        code = "already_graded" if plan.final_grade is not None else "not_assessed"
        given = {"grade": _(GRADE_NAMES[plan.final_grade])} if plan.final_grade else {}
        await tell(update, context, refusal_text(code, None, _, **given))
        return
    await ack(query)
    proposed = _(GRADE_NAMES[plan.proposed_grade]) if plan.proposed_grade else "—"
    text = _(
        "Final grade of {name}: <b>{grade}</b> (proposed by the member: {proposed}).\n"
        "Record it? The member is told, and it cannot be changed afterwards.",
        name=escape(plan.member.full_name),
        grade=_(GRADE_NAMES[GRADES[args[1]]]),
        proposed=proposed,
    )
    buttons = [
        [
            InlineKeyboardButton(
                _("✅ Record the grade"), callback_data=f"plgdy:{plan.id}:{args[1]}"
            )
        ],
        [InlineKeyboardButton(_("↩️ Choose again"), callback_data=f"plgb:{plan.id}")],
    ]
    await edit_text(
        query, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(buttons)
    )


async def on_grade_again(update: Update, context: Context) -> None:
    """Back to the grade choice, nothing recorded."""
    _ = context._
    plan = await reviewable_plan(update, context, Action.GRADE_MEMBERS)
    if plan is None or update.callback_query is None:
        return
    await ack(update.callback_query)
    text = _("Record the final grade of {name}:", name=plan.member.full_name)
    await edit_text(update.callback_query, text, reply_markup=_grade_choice(plan, _))


async def on_grade_confirmed(update: Update, context: Context) -> None:
    """The committee's final grade is recorded; the member is told."""
    _ = context._
    query = update.callback_query
    args = callback_args(query, 2) if query else None
    if query is None or args is None or args[1] >= len(GRADES):
        await refuse(update, context, "plan_grade")
        return
    plan = await reviewable_plan(update, context, Action.GRADE_MEMBERS, count=2)
    if plan is None:
        return
    try:
        await record_grade(
            context.db, plan, GRADES[args[1]], context.actor.member_id, context.now()
        )
    except PlanError as error:
        given = {"grade": _(GRADE_NAMES[plan.final_grade])} if plan.final_grade else {}
        await tell(update, context, refusal_text(error.code, None, _, **given))
        return
    await ack(query)
    await tell_member(context, plan.member, graded_text(plan))
    wake_sender_after_commit(context.bot_data)
    text = _(
        "🏅 Grade recorded for {name}: {grade}.",
        name=escape(plan.member.full_name),
        grade=_(GRADE_NAMES[GRADES[args[1]]]),
    )
    await edit_text(query, text, parse_mode=ParseMode.HTML)


def plan_record_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_record, pattern=r"^plrec(:\d+)?$"),
        CallbackQueryHandler(on_grade_list, pattern=r"^plga$"),
        CallbackQueryHandler(on_grade_read, pattern=r"^plgr:"),
        CallbackQueryHandler(on_grade, pattern=r"^plgd:"),
        CallbackQueryHandler(on_grade_confirmed, pattern=r"^plgdy:"),
        CallbackQueryHandler(on_grade_again, pattern=r"^plgb:"),
    ]
