"""/me: everything the bot stores about the member, as the data rules require."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.i18n import Translator
from handlers.common import Context
from storage.models import Member, Role, TelegramAccount
from storage.text import display_phone


def role_name(role: Role, _: Translator) -> str:
    names = {
        Role.SECRETARY: _("Secretary"),
        Role.DEPUTY_SECRETARY: _("Deputy secretary"),
        Role.COMMITTEE_MEMBER: _("Committee member"),
    }
    return names[role]


def member_record(member: Member, account: TelegramAccount, _: Translator) -> str:
    roles = ", ".join(
        f"{role_name(ra.role, _)} ({escape(ra.unit.name)})" for ra in member.roles
    ) or _("none")
    lines = [
        _("<b>What I store about you</b>"),
        _("Full name: {value}", value=escape(member.full_name)),
        _("Phone: {value}", value=escape(display_phone(member.phone))),
        _("Party card number: {value}", value=escape(member.party_card_no or "—")),
        _("Date of birth: {value}", value=_.date_text(member.date_of_birth)),
        _("Branch: {value}", value=escape(member.branch.name)),
        _("Roles: {value}", value=roles),
        _(
            "Telegram account: {value}, linked on {date}",
            value=account.user_id,
            date=_.date_text(member.bound_at),
        ),
        _("Language: {value}", value=_.language),
        _("Consent given on: {value}", value=_.date_text(account.consent_at)),
    ]
    return "\n".join(lines)


async def show_me(update: Update, context: Context) -> None:
    """The member sees their own stored record."""
    _ = context._
    message = update.effective_message
    if message is None:
        return
    if context.member is None or context.account is None:
        await message.reply_text(_("You are not linked to a member yet. Send /start to begin."))
        return
    await message.reply_text(
        member_record(context.member, context.account, _), parse_mode=ParseMode.HTML
    )


def profile_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CommandHandler("me", show_me, filters=filters.ChatType.PRIVATE)]
