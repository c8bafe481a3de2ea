"""The yearly plan's menu entry: where the member's plan stands, what they can do next, and
the committee's entries (plans to review, self-assessments to grade, the overview)."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can, can_anywhere
from bot.i18n import Translator
from handlers.plans import buttons
from handlers.plans.actions import missed_deadline
from handlers.plans.buttons import RecordOf
from handlers.plans.common import plan_complete, refusal_text
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, refuse
from handlers.shared.plan_seasons import own_plan_season, own_season, today
from handlers.shared.plan_words import GRADE_NAMES, STATUS_NAMES
from storage.models import PlanStatus, YearlyPlan
from storage.plan_seasons import Season
from storage.plans import SECTIONS, assessment_refusal, edit_refusal, get_plan

Markup = InlineKeyboardMarkup
Button = InlineKeyboardButton


async def show_plan(update: Update, context: Context) -> None:
    """The member sees where their plan of the year stands and what they can do next."""
    _ = context._
    chat = update.effective_chat
    if chat is None or context.actor.member_id is None:
        return
    season = await own_plan_season(context)
    plan = await get_plan(context.db, context.actor.member_id, season.year)
    lines = [
        _("<b>📝 Yearly plan {year}</b>", year=season.year),
        _("Status: {status}", status=_(STATUS_NAMES[plan.status if plan else None])),
        _("Deadline: {date}", date=_.date_text(season.deadline)),
    ]
    if plan is not None and plan.status == PlanStatus.RETURNED and plan.review_comment:
        lines.append(_("Committee's comment: {comment}", comment=escape(plan.review_comment)))
    if plan is not None and plan.final_grade is not None:
        lines.append(_("Final grade: {grade}", grade=_(GRADE_NAMES[plan.final_grade])))
    refusal = edit_refusal(plan, season, today(context))
    if missed_deadline(plan, refusal):
        lines.append(_missed_text(season, _))
    elif refusal not in (None, "accepted"):
        lines.append(refusal_text(refusal, season, _))
    rows = await _menu_rows(context, plan, season, refusal)
    markup = Markup(rows)
    await chat.send_message("\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=markup)


def _missed_text(season: Season, _: Translator) -> str:
    return _(
        "The deadline for plans of {year} was {date} and your plan was not handed in. Ask "
        "the branch committee to reopen it with the button below; once they do, you can "
        "write and submit it.",
        year=season.year,
        date=_.date_text(season.deadline),
    )


async def _menu_rows(
    context: Context, plan: YearlyPlan | None, season: Season, refusal: str | None
) -> list[list[Button]]:
    _ = context._
    rows = []
    editable = refusal is None
    if missed_deadline(plan, refusal):
        rows.append([buttons.ASK_REOPEN.button(_("🙋 Ask to reopen my plan"))])
    elif editable and (plan is None or not plan_complete(plan)):
        written = len([k for k in SECTIONS if plan and k in plan.sections])
        label = (
            _("✍️ Continue my plan ({done}/{total})", done=written, total=len(SECTIONS))
            if written
            else _("✍️ Write my plan")
        )
        rows.append([buttons.FILL.button(label)])
    elif plan is not None:
        rows.append([buttons.VIEW.button(_("👁 My plan"))])
    # The self-assessment is of the current year's plan, also while next year's is written.
    assessed = await own_season(context)
    assessed_plan = (
        plan
        if assessed.year == season.year
        else await get_plan(context.db, context.actor.member_id or 0, assessed.year)
    )
    if assessment_refusal(assessed_plan, assessed, today(context)) is None:
        rows.append([buttons.ASSESS.button(_("📋 Self-assessment"))])
    if plan is not None:
        rows.append([buttons.RECORD.button(_("📄 My year record"), RecordOf())])
    rows += _committee_rows(context)
    return rows


def _committee_rows(context: Context) -> list[list[Button]]:
    _ = context._
    rows = []
    if can_anywhere(context.actor, Action.REVIEW_PLANS):
        rows.append([buttons.REVIEW_LIST.button(_("📥 Plans to review"))])
    if can_anywhere(context.actor, Action.GRADE_MEMBERS):
        rows.append([buttons.GRADE_LIST.button(_("🏅 Self-assessments to grade"))])
    if can_anywhere(context.actor, Action.VIEW_REPORTS):
        rows.append([buttons.OVERVIEW.button(_("📊 Plan overview"))])
    return rows


async def on_menu(update: Update, context: Context, _pressed: object) -> None:
    """The "My plan" button under a message from the committee: the same as the menu entry."""
    query = update.callback_query
    if query is None or not can(context.actor, Action.USE_MENU):
        await refuse(update, context, "plan_menu")
        return
    await ack(query)
    await show_plan(update, context)


ROUTES: tuple[Route[None], ...] = (buttons.MENU.route(on_menu, "plan_menu"),)
