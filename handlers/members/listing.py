"""Branch members for the committee: who has linked Telegram, reset a link, make an invite."""

from __future__ import annotations

import contextlib
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.access import Action, can, paths_for
from bot.fit import button_label
from bot.i18n import Translator, pick_language, translator
from handlers.members import buttons
from handlers.members.actions import make_invite, reset_link
from handlers.members.buttons import MemberAccount, MemberRef, Page, UnitRef
from handlers.members.pick import managed
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse
from handlers.shared.usecase import env_of
from storage.members import branch_members, get_account
from storage.models import Member, Unit
from storage.units import branches_under

PAGE_SIZE = 10


async def show_branch_members(update: Update, context: Context) -> None:
    """The committee member sees their branch's list, or first picks one of their branches."""
    _ = context._
    paths = paths_for(context.actor, Action.VIEW_MEMBERS)
    branches = [
        b
        for b in await branches_under(context.db, paths)
        if can(context.actor, Action.VIEW_MEMBERS, b.path)
    ]
    chat = update.effective_chat
    if chat is None:
        return
    if not branches:
        await chat.send_message(_("There are no branches under your roles yet."))
    elif len(branches) == 1:
        text, markup = await _member_page(context, branches[0], 0)
        await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    else:
        rows = [[buttons.PAGE.button(button_label(b.name), Page(b.id, 0))] for b in branches]
        await chat.send_message(_("Choose a branch:"), reply_markup=InlineKeyboardMarkup(rows))


async def on_member_page(update: Update, context: Context, pressed: Page) -> None:
    """A branch or page button: the list, if the presser has a role over that branch."""
    query = update.callback_query
    unit = await context.db.get(Unit, pressed.unit_id)
    if query is None or unit is None or not unit.is_branch:
        await refuse(update, context, "member_page")
        return
    if not can(context.actor, Action.VIEW_MEMBERS, unit.path):
        await refuse(update, context, "member_page_forbidden")
        return
    await ack(query)
    text, markup = await _member_page(context, unit, pressed.page)
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _member_page(
    context: Context, unit: Unit, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    _ = context._
    members = await branch_members(context.db, unit.id)
    linked = sum(1 for m in members if m.telegram_user_id)
    shown = members[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [
        _.plural(
            "<b>{branch}</b>: {linked} of {total} member linked to Telegram",
            "<b>{branch}</b>: {linked} of {total} members linked to Telegram",
            len(members),
            branch=escape(unit.name),
            linked=linked,
            total=len(members),
        )
    ]
    for number, member in enumerate(shown, start=page * PAGE_SIZE + 1):
        mark = "✅" if member.telegram_user_id else "⏳"
        lines.append(f"{number}. {mark} {escape(member.full_name)}")
    manage = can(context.actor, Action.MANAGE_MEMBERS, unit.path)
    # The second button opens the member's party standing (handlers/members/status.py).
    rows = [[_member_button(m, _), _status_button(m)] for m in shown] if manage else []
    nav = _nav_row(unit, page, len(members), _)
    if nav:
        rows.append(nav)
    if manage:
        admission = _("➕ Record an admission")
        rows.append([buttons.ADMISSION.button(admission, UnitRef(unit.id))])
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


def _member_button(member: Member, _: Translator) -> InlineKeyboardButton:
    if member.telegram_user_id:
        return buttons.RESET.button(
            button_label(_("🔓 Reset link: {name}", name=member.full_name)), MemberRef(member.id)
        )
    return buttons.INVITE.button(
        button_label(_("🔗 Invite link: {name}", name=member.full_name)), MemberRef(member.id)
    )


def _status_button(member: Member) -> InlineKeyboardButton:
    return buttons.CARD.button(button_label(f"📋 {member.full_name}"), MemberRef(member.id))


def _nav_row(unit: Unit, page: int, total: int, _: Translator) -> list[InlineKeyboardButton]:
    row = []
    if page > 0:
        row.append(buttons.PAGE.button(_("◀ Previous"), Page(unit.id, page - 1)))
    if (page + 1) * PAGE_SIZE < total:
        row.append(buttons.PAGE.button(_("Next ▶"), Page(unit.id, page + 1)))
    return row


async def _managed_member(update: Update, context: Context, member_id: int) -> Member | None:
    """The member named by the button, if the presser may manage them; else a refusal."""
    return await managed(update, context, member_id, "manage_member")


async def on_unbind_ask(update: Update, context: Context, pressed: MemberRef) -> None:
    """The secretary is asked to confirm resetting a member's Telegram link."""
    _ = context._
    member = await _managed_member(update, context, pressed.member_id)
    query = update.callback_query
    if member is None or query is None or update.effective_chat is None:
        return
    await ack(query)
    if member.telegram_user_id is None:
        await update.effective_chat.send_message(_("This member is not linked."))
        return
    made_for = MemberAccount(member.id, member.telegram_user_id)
    button = buttons.RESET_CONFIRM.button(_("Yes, reset the link"), made_for)
    await update.effective_chat.send_message(
        _(
            "Reset the Telegram link of <b>{name}</b>? They will need to link again with /start.",
            name=escape(member.full_name),
        ),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def on_unbind_confirm(update: Update, context: Context, pressed: MemberAccount) -> None:
    """The member's link is reset; the old account is told. The button carries the Telegram
    account it was made for: a confirmation made before the member re-linked must not reset
    the new link."""
    _ = context._
    member = await _managed_member(update, context, pressed.member_id)
    query = update.callback_query
    if member is None or query is None:
        return
    if member.telegram_user_id != pressed.telegram_id:
        await refuse(update, context, "stale_button")
        return
    await ack(query)
    old_account = await reset_link(context.db, context.actor, member, env_of(context))
    if old_account is None:
        await edit_text(query, _("This member is not linked."))
        return
    await edit_text(
        query,
        _("The link of <b>{name}</b> was reset.", name=escape(member.full_name)),
        parse_mode=ParseMode.HTML,
    )
    await _tell_unlinked(context, old_account)


async def _tell_unlinked(context: Context, account_id: int) -> None:
    account = await get_account(context.db, account_id)
    settings = context.settings
    language = pick_language(
        account.language if account else None,
        account.telegram_language if account else None,
        settings.default_locale,
    )
    _ = translator(language, settings.tz)  # the old account's language, not the secretary's
    # Blocked or gone: the reset stands either way.
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(
            account_id, _("Your Telegram account was unlinked by your branch secretary.")
        )


async def on_invite(update: Update, context: Context, pressed: MemberRef) -> None:
    """The secretary gets a one-time link to forward to the member."""
    _ = context._
    member = await _managed_member(update, context, pressed.member_id)
    query = update.callback_query
    if member is None or query is None or update.effective_chat is None:
        return
    await ack(query)
    invite = await make_invite(context.db, context.actor, member, env_of(context))
    link = f"https://t.me/{context.bot.username}?start={invite.code}"
    await update.effective_chat.send_message(
        _(
            "One-time link for <b>{name}</b>, valid until {date}:\n{link}",
            name=escape(member.full_name),
            date=_.date_text(invite.expires_at),
            link=link,
        ),
        parse_mode=ParseMode.HTML,
    )


ROUTES: tuple[Route[Any], ...] = (
    buttons.PAGE.route(on_member_page, "member_page"),
    buttons.RESET.route(on_unbind_ask, "manage_member"),
    buttons.RESET_CONFIRM.route(on_unbind_confirm, "manage_member"),
    buttons.INVITE.route(on_invite, "manage_member"),
)
