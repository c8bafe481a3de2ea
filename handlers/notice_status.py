"""After a notice is sent: the list of notices, each one's status, reminders, and the
members' "Received" button."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can, can_anywhere, paths_for
from bot.fit import button_label
from bot.i18n import Translator
from handlers.bulk_send import NOTICE_REMINDER, queue_or_schedule
from handlers.common import Context, ack, callback_args, edit_buttons, edit_text, refuse
from handlers.notice_common import (
    acknowledge_markup,
    audience_name,
    excerpt,
    may_send,
)
from handlers.reminder_guard import recently_reminded, skipped_text, too_soon_text
from storage import audit
from storage.models import Member, Notice
from storage.notices import (
    NoticeStatus,
    acknowledge,
    get_notice,
    notice_status,
    receipt_of,
    recent_notices,
    reminder_targets,
)

MAX_NAMES = 60  # a status longer than Telegram's 4096 characters would not be sent


async def on_list(update: Update, context: Context) -> None:
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
    return InlineKeyboardButton(button_label(f"{day} · {text}"), callback_data=f"nst:{notice.id}")


async def _managed_notice(update: Update, context: Context, reason: str) -> Notice | None:
    """The notice named by the button, if the presser may send notices to its unit."""
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    notice = await get_notice(context.db, args[0]) if args else None
    if notice is None or not may_send(context.actor, notice.unit):
        await refuse(update, context, reason)
        return None
    return notice


async def on_status(update: Update, context: Context) -> None:
    """The secretary sees who got the notice, who acknowledged it, and who did not."""
    _ = context._
    notice = await _managed_notice(update, context, "notice_status")
    query = update.callback_query
    if notice is None or query is None:
        return
    await ack(query)
    status = await notice_status(context.db, notice.id, MAX_NAMES)
    rows = []
    if status.not_acknowledged_count:
        remind = _("🔔 Remind ({count})", count=status.not_acknowledged_count)
        rows.append([InlineKeyboardButton(remind, callback_data=f"nrm:{notice.id}")])
    rows.append(
        [
            InlineKeyboardButton(_("🔄 Refresh"), callback_data=f"nst:{notice.id}"),
            InlineKeyboardButton(_("📋 Notices sent"), callback_data="nlist"),
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


async def on_remind(update: Update, context: Context) -> None:
    """Members who got the notice and have not acknowledged it get a reminder; those who got
    one within the interval are left out (and if that is everyone, nothing goes)."""
    _ = context._
    notice = await _managed_notice(update, context, "notice_remind")
    query, chat = update.callback_query, update.effective_chat
    if notice is None or query is None or chat is None:
        return
    targets = await reminder_targets(context.db, notice.id)
    if not targets:
        await ack(query, _("Everyone who got the notice has acknowledged it."), show_alert=True)
        return
    reminded = await recently_reminded(context, "notice_reminded", "notice", notice.id)
    fresh = [member_id for member_id in targets if member_id not in reminded.member_ids]
    if not fresh:
        await ack(query, too_soon_text(context, reminded), show_alert=True)
        return
    await ack(query)
    only = fresh if len(fresh) < len(targets) else None
    await queue_or_schedule(context, NOTICE_REMINDER, notice.id, len(fresh), only)
    await audit.record(
        context.db,
        "notice_reminded",
        actor_member_id=context.actor.member_id,
        unit_id=notice.unit_id,
        object_type="notice",
        object_id=notice.id,
        details={"recipients": len(fresh), "member_ids": fresh},
    )
    lines = [
        _.plural(
            "🔔 A reminder is on its way to {count} member.",
            "🔔 A reminder is on its way to {count} members.",
            len(fresh),
        )
    ]
    if only is not None:
        lines.append(skipped_text(context, reminded, len(targets) - len(fresh)))
    await chat.send_message("\n".join(lines))


async def on_acknowledge(update: Update, context: Context) -> None:
    """The member confirms they received the notice; the button then shows when."""
    _ = context._
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    member_id = context.actor.member_id
    # A member made inactive since keeps the message, but the button no longer counts.
    allowed = can(context.actor, Action.USE_MENU)
    receipt = (
        await receipt_of(context.db, args[0], member_id, lock=True)  # two presses: one ack
        if args and allowed and member_id is not None
        else None
    )
    if query is None or receipt is None:
        await refuse(update, context, "notice_not_yours")
        return
    first = acknowledge(receipt, context.now())
    when = receipt.acknowledged_at
    if first:
        await audit.record(
            context.db,
            "notice_acknowledged",
            actor_member_id=member_id,
            object_type="notice",
            object_id=receipt.notice_id,
        )
    await ack(query, _("Thank you, your confirmation is recorded."))
    label = _("✅ Received {when}", when=_.datetime_text(when))
    markup = InlineKeyboardMarkup.de_json(acknowledge_markup(receipt.notice_id, label), None)
    await edit_buttons(query, markup)  # pressed again: it already shows the time


def notice_status_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_list, pattern=r"^nlist$"),
        CallbackQueryHandler(on_status, pattern=r"^nst:"),
        CallbackQueryHandler(on_remind, pattern=r"^nrm:"),
        CallbackQueryHandler(on_acknowledge, pattern=r"^nack:"),
    ]
