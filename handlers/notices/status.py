"""After a notice is sent: the list of notices, each one's status, reminders, and the
members' "Received" button."""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can_anywhere, paths_for
from bot.early_answers import Answer, Press
from bot.fit import button_label
from bot.i18n import N_, Translator, pick_language, translator
from bot.settings import Settings
from handlers.notices import buttons
from handlers.notices.actions import acknowledge_notice, may_send, remind_missing
from handlers.notices.buttons import NoticeRef
from handlers.notices.messages import acknowledge_markup
from handlers.shared.buttons import Route
from handlers.shared.common import NOT_FOR_YOU, Context, ack, edit_buttons, edit_text, refuse
from handlers.shared.readers import audience_name, excerpt
from handlers.shared.reminder_guard import skipped_text, too_soon_text
from handlers.shared.usecase import env_of
from storage.models import Member, Notice
from storage.notices import (
    NoticeStatus,
    get_notice,
    notice_status,
    pressers_with_receipts,
    recent_notices,
)

RECORDED = N_("Thank you, your confirmation is recorded.")
MAX_NAMES = 60  # a status longer than Telegram's 4096 characters would not be sent


async def on_list(update: Update, context: Context, _pressed: object) -> None:
    """The secretary sees the latest notices to their units, each a button to its status."""
    _ = context._
    query = update.callback_query
    if query is None or not can_anywhere(context.actor, Action.SEND_NOTICES):
        await refuse(update, context, "notice_list")
        return
    await ack(query)
    paths = paths_for(context.actor, Action.SEND_NOTICES)
    notices = await recent_notices(context.db, paths)
    if not notices:
        await edit_text(query, _("No notices have been sent yet."))
        return
    rows = [[_list_button(n, _)] for n in notices]
    await edit_text(
        query, _("📋 Notices sent (latest first):"), reply_markup=InlineKeyboardMarkup(rows)
    )


def _list_button(notice: Notice, _: Translator) -> InlineKeyboardButton:
    day = _.local(notice.created_at).strftime("%d/%m")
    text = excerpt(notice.text, _)  # "(a document or photo without a caption)" when empty
    return buttons.STATUS.button(button_label(f"{day} · {text}"), NoticeRef(notice.id))


async def _managed_notice(
    update: Update, context: Context, pressed: NoticeRef, reason: str
) -> Notice | None:
    """The notice named by the button, if the presser may send notices to its unit."""
    notice = await get_notice(context.db, pressed.notice_id)
    if notice is None or not may_send(context.actor, notice.unit):
        await refuse(update, context, reason)
        return None
    return notice


async def on_status(update: Update, context: Context, pressed: NoticeRef) -> None:
    """The secretary sees who got the notice, who acknowledged it, and who did not."""
    _ = context._
    notice = await _managed_notice(update, context, pressed, "notice_status")
    query = update.callback_query
    if notice is None or query is None:
        return
    await ack(query)
    status = await notice_status(context.db, notice.id, MAX_NAMES)
    rows = []
    if status.not_acknowledged_count:
        remind = _("🔔 Remind ({count})", count=status.not_acknowledged_count)
        rows.append([buttons.REMIND.button(remind, NoticeRef(notice.id))])
    rows.append(
        [
            buttons.STATUS.button(_("🔄 Refresh"), NoticeRef(notice.id)),
            buttons.LIST.button(_("📋 Notices sent")),
        ]
    )
    text = _status_text(notice, status, _)
    markup = InlineKeyboardMarkup(rows)
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=markup)


def _status_text(notice: Notice, status: NoticeStatus, _: Translator) -> str:
    """Counts, then the names to chase; user text escaped (HTML)."""
    lines = [
        _(
            "<b>Notice of {time}</b> to {audience}",
            time=_.datetime_text(notice.created_at),
            audience=escape(audience_name(notice.unit, _)),
        ),
        f"<i>{escape(excerpt(notice.text, _, 200))}</i>",
        "",
        _("Members: {count}", count=status.total),
        _("Delivered: {count}", count=status.delivered),
        _("Acknowledged: {count}", count=status.acknowledged),
        _("Not delivered, blocked the bot: {count}", count=status.blocked_count),
        _("Not delivered, never linked: {count}", count=status.never_linked_count),
    ]
    if status.sending:
        lines.append(_("Still being sent: {count}", count=status.sending))
    if status.failed:
        lines.append(_("Failed: {count}", count=status.failed))
    lines += _names(
        _("Not acknowledged yet:"), status.not_acknowledged, status.not_acknowledged_count, _
    )
    lines += _names(_("Blocked the bot:"), status.blocked, status.blocked_count, _)
    lines += _names(
        _("Never linked to Telegram:"), status.never_linked, status.never_linked_count, _
    )
    return "\n".join(lines)


def _names(title: str, members: list[Member], count: int, _: Translator) -> list[str]:
    """The first names of a list (all the status fetched), then how many more there are."""
    if not members:
        return []
    lines = ["", f"<b>{title}</b>"] + [f"• {escape(m.full_name)}" for m in members]
    if count > len(members):
        lines.append(_("… and {count} more", count=count - len(members)))
    return lines


async def on_remind(update: Update, context: Context, pressed: NoticeRef) -> None:
    """Members who got the notice and have not acknowledged it get a reminder; those who got
    one within the interval are left out (and if that is everyone, nothing goes)."""
    _ = context._
    notice = await _managed_notice(update, context, pressed, "notice_remind")
    query, chat = update.callback_query, update.effective_chat
    if notice is None or query is None or chat is None:
        return
    reminder = await remind_missing(context.db, context.actor, notice, env_of(context))
    if not reminder.targets:
        await ack(query, _("Everyone who got the notice has acknowledged it."), show_alert=True)
        return
    if not reminder.sent:
        assert reminder.reminded is not None
        await ack(query, too_soon_text(context, reminder.reminded), show_alert=True)
        return
    await ack(query)
    lines = [
        _.plural(
            "🔔 A reminder is on its way to {count} member.",
            "🔔 A reminder is on its way to {count} members.",
            reminder.sent,
        )
    ]
    if reminder.skipped and reminder.reminded is not None:
        lines.append(skipped_text(context, reminder.reminded, reminder.skipped))
    await chat.send_message("\n".join(lines))


async def on_acknowledge(update: Update, context: Context, pressed: NoticeRef) -> None:
    """The member confirms they received the notice; the button then shows when."""
    _ = context._
    query = update.callback_query
    when = await acknowledge_notice(context.db, context.actor, pressed.notice_id, context.now())
    if query is None or when is None:
        await refuse(update, context, "notice_not_yours")
        return
    await ack(query, _(RECORDED))
    label = _("✅ Received {when}", when=_.datetime_text(when))
    markup = InlineKeyboardMarkup.de_json(acknowledge_markup(pressed.notice_id, label), None)
    await edit_buttons(query, markup)  # pressed again: it already shows the time


async def answer_acknowledgements(
    session: AsyncSession, presses: list[Press], settings: Settings
) -> dict[str, Answer]:
    """The answers `on_acknowledge` will give, for presses answered as they arrive
    (bot/early_answers.py): recorded if the presser is an active member with a receipt of
    the notice, else the same refusal. The handler still records the receipt."""
    wanted: dict[str, tuple[int, int]] = {}
    for press in presses:
        pressed = buttons.ACKNOWLEDGE.parse(press.data)
        if pressed is not None:
            wanted[press.query_id] = (press.user_id, pressed.notice_id)
    found = await pressers_with_receipts(session, list(set(wanted.values())))
    answers: dict[str, Answer] = {}
    for press in presses:
        key = wanted.get(press.query_id)
        mine = key is not None and key in found
        stored = found.get(key) if key is not None else None
        language = pick_language(stored, press.language_code, settings.default_locale)
        _ = translator(language, settings.tz)
        answers[press.query_id] = Answer(_(RECORDED)) if mine else Answer(_(NOT_FOR_YOU), True)
    return answers


# The buttons after sending, and what a press of each does (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.LIST.route(on_list, "notice_list"),
    buttons.STATUS.route(on_status, "notice_status"),
    buttons.REMIND.route(on_remind, "notice_remind"),
    buttons.ACKNOWLEDGE.route(on_acknowledge, "notice_not_yours"),
)
