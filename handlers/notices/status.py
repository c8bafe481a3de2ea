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
from handlers.notices.buttons import NamesPage, NoticeRef
from handlers.notices.messages import acknowledge_markup
from handlers.shared.buttons import Route
from handlers.shared.common import NOT_FOR_YOU, Context, ack, edit_buttons, edit_text, refuse
from handlers.shared.readers import audience_name, excerpt
from handlers.shared.reminder_guard import skipped_text, too_soon_text
from handlers.shared.usecase import env_of
from storage.models import Member, Notice
from storage.notices import (
    NoticeList,
    NoticeStatus,
    get_notice,
    notice_list_page,
    notice_status,
    pressers_with_receipts,
    recent_notices,
)

RECORDED = N_("Thank you, your confirmation is recorded.")
MAX_NAMES = 60  # a status longer than Telegram's 4096 characters would not be sent
# The lists of names, in the order shown; a page button names one by its place here.
LISTS = tuple(NoticeList)
LIST_TITLES = {
    NoticeList.NOT_ACKNOWLEDGED: N_("Not acknowledged yet:"),
    NoticeList.BLOCKED: N_("Blocked the bot:"),
    NoticeList.NEVER_LINKED: N_("Never linked to Telegram:"),
}
LIST_NAMES = {  # on a button: short
    NoticeList.NOT_ACKNOWLEDGED: N_("Not acknowledged"),
    NoticeList.BLOCKED: N_("Blocked the bot"),
    NoticeList.NEVER_LINKED: N_("Never linked"),
}


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
    for place, which in enumerate(LISTS):
        if status.count_of(which) > len(status.names_of(which)):
            label = _("▶ {list}: page 2", list=_(LIST_NAMES[which]))
            rows.append([buttons.NAMES.button(label, NamesPage(notice.id, place, 1))])
    rows.append(
        [
            buttons.STATUS.button(_("🔄 Refresh"), NoticeRef(notice.id)),
            buttons.LIST.button(_("📋 Notices sent")),
        ]
    )
    text = _status_text(notice, status, _)
    markup = InlineKeyboardMarkup(rows)
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=markup)


def _heading(notice: Notice, _: Translator) -> list[str]:
    return [
        _(
            "<b>Notice of {time}</b> to {audience}",
            time=_.datetime_text(notice.created_at),
            audience=escape(audience_name(notice.unit, _)),
        ),
        f"<i>{escape(excerpt(notice.text, _, 200))}</i>",
    ]


def _status_text(notice: Notice, status: NoticeStatus, _: Translator) -> str:
    """Counts, then the names to chase; user text escaped (HTML)."""
    lines = [
        *_heading(notice, _),
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
    for which in LISTS:
        title = _(LIST_TITLES[which])
        lines += _names(title, status.names_of(which), status.count_of(which), _)
    return "\n".join(lines)


def _names(title: str, members: list[Member], count: int, _: Translator) -> list[str]:
    """The first names of a list (all the status fetched), then how many more there are."""
    if not members:
        return []
    lines = ["", f"<b>{title}</b>"] + [f"• {escape(m.full_name)}" for m in members]
    if count > len(members):
        lines.append(_("… and {count} more", count=count - len(members)))
    return lines


async def on_names_page(update: Update, context: Context, pressed: NamesPage) -> None:
    """One page of a list of the status (the first page is on the status itself), with
    ◀ ▶ to the pages around it and back to the status."""
    _ = context._
    ref = NoticeRef(pressed.notice_id)
    notice = await _managed_notice(update, context, ref, "notice_names")
    query = update.callback_query
    if notice is None or query is None:
        return
    which = LISTS[pressed.which]
    await ack(query)
    count, page, members = await notice_list_page(
        context.db, notice.id, which, pressed.page, MAX_NAMES
    )
    text = _names_page_text(notice, which, count, page, members, _)
    markup = _names_page_buttons(notice.id, pressed.which, page, count, _)
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=markup)


def _names_page_text(
    notice: Notice, which: NoticeList, count: int, page: int, members: list[Member], _: Translator
) -> str:
    """The notice, the list's title and size, then the page's names, numbered."""
    heading = _(
        "<b>{title}</b> {count} (page {page} of {pages})",
        title=_(LIST_TITLES[which]),
        count=count,
        page=page + 1,
        pages=_pages(count),
    )
    first = page * MAX_NAMES + 1
    names = [f"{n}. {escape(m.full_name)}" for n, m in enumerate(members, start=first)]
    if not members:
        names = [_("Nobody is on this list now.")]
    return "\n".join([*_heading(notice, _), "", heading, *names])


def _names_page_buttons(
    notice_id: int, place: int, page: int, count: int, _: Translator
) -> InlineKeyboardMarkup:
    """◀ ▶ to the pages around this one, and back to the status."""
    nav = []
    if page > 0:
        label = _("◀ Page {page}", page=page)
        nav.append(buttons.NAMES.button(label, NamesPage(notice_id, place, page - 1)))
    if page + 1 < _pages(count):
        label = _("Page {page} ▶", page=page + 2)
        nav.append(buttons.NAMES.button(label, NamesPage(notice_id, place, page + 1)))
    back = [buttons.STATUS.button(_("↩️ Back to the status"), NoticeRef(notice_id))]
    return InlineKeyboardMarkup([row for row in (nav, back) if row])


def _pages(count: int) -> int:
    return max(1, -(-count // MAX_NAMES))


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
    buttons.NAMES.route(on_names_page, "notice_names"),
    buttons.REMIND.route(on_remind, "notice_remind"),
    buttons.ACKNOWLEDGE.route(on_acknowledge, "notice_not_yours"),
)
