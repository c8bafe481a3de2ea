"""The surveys menu: members see the surveys waiting for their answer; secretaries and
committee members also create surveys, follow who has answered and remind the others."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can_anywhere, paths_for
from bot.fit import button_label
from bot.i18n import Translator
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse
from handlers.shared.reminder_guard import skipped_text, too_soon_text
from handlers.shared.usecase import env_of
from handlers.surveys import buttons
from handlers.surveys.actions import Status, remind_non_respondents, survey_status
from handlers.surveys.buttons import SurveyRef
from handlers.surveys.common import audience_text, managed_survey
from handlers.surveys.draft import FILE, FLOW
from handlers.surveys.messages import closes_text
from handlers.surveys.results import on_results
from storage.flows import get_flow
from storage.models import Survey
from storage.surveys import open_surveys_for, recent_surveys

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
    rows = [[buttons.START.button(button_label(f"✍️ {s.title}"), SurveyRef(s.id))] for s in waiting]
    text = (
        _("🗳 Surveys waiting for your answer:")
        if waiting
        else _("🗳 No survey is waiting for your answer.")
    )
    if can_anywhere(context.actor, Action.MANAGE_SURVEYS):
        draft = await get_flow(context.db, context.actor.telegram_id, FLOW)
        new = (
            _("✍️ Continue the survey draft") if draft and draft.step != FILE else _("➕ New survey")
        )
        rows.append([buttons.NEW.button(new)])
        rows.append([buttons.FROM_FILE.button(_("📄 New survey from a file"))])
        rows.append([buttons.LIST.button(_("📋 Surveys sent"))])
    await chat.send_message(text, reply_markup=InlineKeyboardMarkup(rows) if rows else None)


async def on_list(update: Update, context: Context, _pressed: object) -> None:
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
    return buttons.CARD.button(button_label(f"{day} · {survey.title}"), SurveyRef(survey.id))


async def on_card(update: Update, context: Context, pressed: SurveyRef) -> None:
    """The manager sees how many answered and (named surveys) who has not, with buttons for
    results and reminders."""
    _ = context._
    survey = await managed_survey(update, context, pressed, "survey_card")
    query = update.callback_query
    if survey is None or query is None:
        return
    await ack(query)
    status = await survey_status(context.db, context.actor, survey, MAX_NAMES, env_of(context))
    ref = SurveyRef(survey.id)
    rows = [[buttons.RESULTS.button(_("📊 Results"), ref)]]
    if status.counts.reachable and status.open:
        remind = _("🔔 Remind ({count})", count=status.counts.reachable)
        rows.append([buttons.REMIND.button(remind, ref)])
    rows.append(
        [
            buttons.CARD.button(_("🔄 Refresh"), ref),
            buttons.LIST.button(_("📋 Surveys sent")),
        ]
    )
    text = _card_text(context, survey, status)
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))


def _card_text(context: Context, survey: Survey, status: Status) -> str:
    """The figures, then (named surveys) the first names of those who have not answered."""
    _ = context._
    counts, names = status.counts, status.not_answered
    state = _("open") if status.open else _("closed")
    kind = _("anonymous") if survey.anonymous else _("named")
    lines = [
        f"<b>{escape(survey.title)}</b>",
        _("To: {audience}", audience=escape(audience_text(survey.unit, survey.audience_role, _))),
        f"{kind} · {state} · {closes_text(survey, _)}",
        _("Answered: {answered} of {total}", answered=status.answered, total=counts.members),
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


async def on_remind(update: Update, context: Context, pressed: SurveyRef) -> None:
    """A reminder goes to each member who has not answered (through the outbox)."""
    _ = context._
    survey = await managed_survey(update, context, pressed, "survey_remind")
    query = update.callback_query
    if survey is None or query is None:
        return
    reminder = await remind_non_respondents(context.db, context.actor, survey, env_of(context))
    if reminder.closed:
        await ack(
            query, _("This survey is closed; answers are no longer accepted."), show_alert=True
        )
        return
    if reminder.targets and not reminder.sent:
        assert reminder.reminded is not None
        await ack(query, too_soon_text(context, reminder.reminded), show_alert=True)
        return
    text = _.plural(
        "🔔 A reminder goes to {count} member.",
        "🔔 A reminder goes to {count} members.",
        reminder.sent,
    )
    if reminder.skipped and reminder.reminded is not None:
        text += "\n" + skipped_text(context, reminder.reminded, reminder.skipped)
    await ack(query, text, show_alert=True)


# The buttons of the surveys sent, and what a press of each does (refused: audited with the
# reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.LIST.route(on_list, "survey_list"),
    buttons.CARD.route(on_card, "survey_card"),
    buttons.RESULTS.route(on_results, "survey_results"),
    buttons.REMIND.route(on_remind, "survey_remind"),
)
