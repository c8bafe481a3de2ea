"""The surveys menu: members see the surveys waiting for their answer; secretaries and
committee members also create surveys, follow who has answered and remind the others."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can_anywhere, paths_for
from bot.fit import button_label
from bot.i18n import Translator
from handlers.bulk_send import SURVEY_REMINDER, queue_or_schedule
from handlers.common import Context, ack, edit_text, refuse
from handlers.reminder_guard import recently_reminded, skipped_text, too_soon_text
from handlers.surveys.common import NEW_FLOW, audience_text, closes_text, managed_survey
from handlers.surveys.results import on_results
from storage import audit
from storage.flows import get_flow
from storage.models import Member, Survey
from storage.surveys import (
    AudienceCounts,
    audience_counts,
    first_non_respondents,
    is_open,
    open_surveys_for,
    participation_count,
    recent_surveys,
    reminder_targets,
)

MAX_NAMES = 60  # names listed on a status; more would pass Telegram's 4096 characters


async def show_surveys(update: Update, context: Context) -> None:
    """The member sees the surveys to answer; a manager also the buttons to create and follow."""
    _ = context._
    chat, member = update.effective_chat, context.member
    if chat is None or member is None or context.actor.branch_path is None:
        return
    waiting = await open_surveys_for(
        context.db, member.id, context.actor.branch_path, context.now()
    )
    rows = [
        [InlineKeyboardButton(button_label(f"✍️ {s.title}"), callback_data=f"sva:{s.id}")]
        for s in waiting
    ]
    text = (
        _("🗳 Surveys waiting for your answer:")
        if waiting
        else _("🗳 No survey is waiting for your answer.")
    )
    if can_anywhere(context.actor, Action.MANAGE_SURVEYS):
        draft = await get_flow(context.db, context.actor.telegram_id, NEW_FLOW)
        new = (
            _("✍️ Continue the survey draft")
            if draft and draft.step != "file"
            else _("➕ New survey")
        )
        rows.append([InlineKeyboardButton(new, callback_data="svnew")])
        rows.append([InlineKeyboardButton(_("📄 New survey from a file"), callback_data="svfile")])
        rows.append([InlineKeyboardButton(_("📋 Surveys sent"), callback_data="svlist")])
    await chat.send_message(text, reply_markup=InlineKeyboardMarkup(rows) if rows else None)


async def on_list(update: Update, context: Context) -> None:
    """The manager sees the latest surveys of their units, each a button to its status."""
    _ = context._
    query = update.callback_query
    if query is None or not can_anywhere(context.actor, Action.MANAGE_SURVEYS):
        await refuse(update, context, "survey_list")
        return
    await ack(query)
    paths = paths_for(context.actor, Action.MANAGE_SURVEYS)
    surveys = await recent_surveys(context.db, paths)
    if not surveys:
        await edit_text(query, _("No surveys have been sent yet."))
        return
    rows = [[_list_button(s, _)] for s in surveys]
    await edit_text(
        query, _("📋 Surveys sent (latest first):"), reply_markup=InlineKeyboardMarkup(rows)
    )


def _list_button(survey: Survey, _: Translator) -> InlineKeyboardButton:
    """`01/12 · title`, cut on a word to fit a phone (the card shows it all)."""
    day = _.local(survey.created_at).strftime("%d/%m")
    return InlineKeyboardButton(
        button_label(f"{day} · {survey.title}"), callback_data=f"svc:{survey.id}"
    )


async def on_card(update: Update, context: Context) -> None:
    """The manager sees how many answered and (named surveys) who has not, with buttons for
    results and reminders."""
    _ = context._
    survey = await managed_survey(update, context, "survey_card")
    query = update.callback_query
    if survey is None or query is None:
        return
    await ack(query)
    counts = await audience_counts(context.db, survey)
    names = [] if survey.anonymous else await first_non_respondents(context.db, survey, MAX_NAMES)
    answered = await participation_count(context.db, survey.id)
    rows = [[InlineKeyboardButton(_("📊 Results"), callback_data=f"svr:{survey.id}")]]
    if counts.reachable and is_open(survey, context.now()):
        remind = _("🔔 Remind ({count})", count=counts.reachable)
        rows.append([InlineKeyboardButton(remind, callback_data=f"svrm:{survey.id}")])
    rows.append(
        [
            InlineKeyboardButton(_("🔄 Refresh"), callback_data=f"svc:{survey.id}"),
            InlineKeyboardButton(_("📋 Surveys sent"), callback_data="svlist"),
        ]
    )
    text = _card_text(context, survey, answered, counts, names)
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))


def _card_text(
    context: Context, survey: Survey, answered: int, counts: AudienceCounts, names: list[Member]
) -> str:
    """The figures, then (named surveys) the first names of those who have not answered."""
    _ = context._
    state = _("open") if is_open(survey, context.now()) else _("closed")
    kind = _("anonymous") if survey.anonymous else _("named")
    lines = [
        f"<b>{escape(survey.title)}</b>",
        _("To: {audience}", audience=escape(audience_text(survey.unit, survey.audience_role, _))),
        f"{kind} · {state} · {closes_text(survey, _)}",
        _("Answered: {answered} of {total}", answered=answered, total=counts.members),
    ]
    if not survey.anonymous and counts.waiting:
        lines += ["", _("Not answered yet:")]
        lines += [f"• {escape(member.full_name)}" for member in names]
        if counts.waiting > len(names):
            lines.append(_("… and {count} more", count=counts.waiting - len(names)))
    elif counts.waiting:
        lines.append(
            _("Not answered yet: {count} (anonymous survey: no names)", count=counts.waiting)
        )
    return "\n".join(lines)


async def on_remind(update: Update, context: Context) -> None:
    """A reminder goes to each member who has not answered (through the outbox)."""
    _ = context._
    survey = await managed_survey(update, context, "survey_remind")
    query = update.callback_query
    if survey is None or query is None:
        return
    if not is_open(survey, context.now()):
        await ack(
            query, _("This survey is closed; answers are no longer accepted."), show_alert=True
        )
        return
    targets = await reminder_targets(context.db, survey)
    reminded = await recently_reminded(context, "survey_reminded", "survey", survey.id)
    fresh = [member_id for member_id in targets if member_id not in reminded.member_ids]
    if targets and not fresh:
        await ack(query, too_soon_text(context, reminded), show_alert=True)
        return
    only = fresh if len(fresh) < len(targets) else None
    await queue_or_schedule(context, SURVEY_REMINDER, survey.id, len(fresh), only)
    await audit.record(
        context.db,
        "survey_reminded",
        actor_member_id=context.actor.member_id,
        unit_id=survey.unit_id,
        object_type="survey",
        object_id=survey.id,
        details={"recipients": len(fresh), "member_ids": fresh},
    )
    text = _.plural(
        "🔔 A reminder goes to {count} member.",
        "🔔 A reminder goes to {count} members.",
        len(fresh),
    )
    if only is not None:
        text += "\n" + skipped_text(context, reminded, len(targets) - len(fresh))
    await ack(query, text, show_alert=True)


def survey_menu_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_list, pattern=r"^svlist$"),
        CallbackQueryHandler(on_card, pattern=r"^svc:"),
        CallbackQueryHandler(on_results, pattern=r"^svr:"),
        CallbackQueryHandler(on_remind, pattern=r"^svrm:"),
    ]
