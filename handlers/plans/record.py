"""The year record of a member: plan, commitment, residence comment, self-assessment and
grade together; the committee grades from it."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can, can_anywhere, paths_for
from bot.i18n import N_, Translator
from handlers.plans import actions, buttons
from handlers.plans.actions import Refused
from handlers.plans.buttons import PlanGrade, PlanRef, RecordOf
from handlers.plans.common import (
    GRADES,
    SECTION_NAMES,
    commitment_status,
    plan_body,
    plan_heading,
    refusal_text,
    refused_text,
    tell,
)
from handlers.plans.review import refused_for, reviewable_plan, send_plan_list
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse
from handlers.shared.plan_seasons import season_at
from handlers.shared.plan_words import GRADE_NAMES
from handlers.shared.readers import split_message
from handlers.shared.residence_words import comment_text
from handlers.shared.usecase import NotAllowed, env_of
from storage.members import get_member
from storage.models import Member, ResidenceComment, YearlyPlan
from storage.plans import GoalResult, get_plan, goals, plans_in
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


async def _record_target(update: Update, context: Context, pressed: RecordOf) -> Member | None:
    """Whose record: the actor's own (no argument), or a member the actor's committee role
    covers."""
    query = update.callback_query
    if query is None or not context.actor.is_member:
        return None
    if pressed.member_id is None:
        return context.member
    member = await get_member(context.db, pressed.member_id)
    if member is None or not can(context.actor, Action.REVIEW_PLANS, member.branch.path):
        return None
    return member


async def on_record(update: Update, context: Context, pressed: RecordOf) -> None:
    """The member (or their committee) reads the member's year record."""
    _ = context._
    member = await _record_target(update, context, pressed)
    chat = update.effective_chat
    if member is None or chat is None or update.callback_query is None:
        await refuse(update, context, "plan_record")
        return
    await ack(update.callback_query)
    own = pressed.member_id is None
    path = context.actor.branch_path if own else member.branch.path
    plan = await get_plan(context.db, member.id, (await season_at(context, path)).year)
    if plan is None:
        await chat.send_message(_("No plan has been written for this year yet."))
        return
    residence = await comment_of(context.db, member.id, plan.year)
    for text in split_message(year_record(plan, member, residence, _)):
        await chat.send_message(text, parse_mode=ParseMode.HTML)


async def on_grade_list(update: Update, context: Context, _pressed: object) -> None:
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
    await send_plan_list(
        update, plans, buttons.GRADE_READ, heading, _("No self-assessments await a grade.")
    )


async def on_grade_read(update: Update, context: Context, pressed: PlanRef) -> None:
    """The committee member reads the year record and picks the final grade."""
    _ = context._
    plan = await reviewable_plan(update, context, Action.GRADE_MEMBERS, pressed.plan_id)
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
        [buttons.GRADE_PICK.button(_(GRADE_NAMES[g]), PlanGrade(plan.id, i))]
        for i, g in enumerate(GRADES)
    ]
    return InlineKeyboardMarkup(rows)


async def on_grade(update: Update, context: Context, pressed: PlanGrade) -> None:
    """The committee member picked a grade: they see it next to the member's proposal, to
    record or to choose again (recording is final and tells the member)."""
    _ = context._
    query = update.callback_query
    if query is None:
        await refuse(update, context, "plan_grade")
        return
    plan = await reviewable_plan(update, context, Action.GRADE_MEMBERS, pressed.plan_id)
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
        grade=_(GRADE_NAMES[GRADES[pressed.grade]]),
        proposed=proposed,
    )
    rows = [
        [buttons.GRADE_RECORD.button(_("✅ Record the grade"), PlanGrade(plan.id, pressed.grade))],
        [buttons.GRADE_AGAIN.button(_("↩️ Choose again"), PlanRef(plan.id))],
    ]
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))


async def on_grade_again(update: Update, context: Context, pressed: PlanRef) -> None:
    """Back to the grade choice, nothing recorded."""
    _ = context._
    plan = await reviewable_plan(update, context, Action.GRADE_MEMBERS, pressed.plan_id)
    if plan is None or update.callback_query is None:
        return
    await ack(update.callback_query)
    text = _("Record the final grade of {name}:", name=plan.member.full_name)
    await edit_text(update.callback_query, text, reply_markup=_grade_choice(plan, _))


async def on_grade_confirmed(update: Update, context: Context, pressed: PlanGrade) -> None:
    """The committee's final grade is recorded; the member is told."""
    _ = context._
    query = update.callback_query
    if query is None:
        await refuse(update, context, "plan_grade")
        return
    grade = GRADES[pressed.grade]
    record = actions.record_final_grade(
        context.db, context.actor, pressed.plan_id, grade, env_of(context)
    )
    try:
        plan = await record
    except NotAllowed:
        await refuse(update, context, refused_for(Action.GRADE_MEMBERS))
        return
    except Refused as refused:
        await tell(update, context, refused_text(refused, _))
        return
    await ack(query)
    text = _(
        "🏅 Grade recorded for {name}: {grade}.",
        name=escape(plan.member.full_name),
        grade=_(GRADE_NAMES[grade]),
    )
    await edit_text(query, text, parse_mode=ParseMode.HTML)


GRADE_REFUSED = refused_for(Action.GRADE_MEMBERS)
ROUTES: tuple[Route[Any], ...] = (
    buttons.RECORD.route(on_record, "plan_record"),
    buttons.GRADE_LIST.route(on_grade_list, "plan_grade_list"),
    buttons.GRADE_READ.route(on_grade_read, GRADE_REFUSED),
    buttons.GRADE_PICK.route(on_grade, "plan_grade"),
    buttons.GRADE_RECORD.route(on_grade_confirmed, "plan_grade"),
    buttons.GRADE_AGAIN.route(on_grade_again, GRADE_REFUSED),
)
