"""Onboarding: greeting, privacy notice and consent, then binding by contact or invite link."""

from __future__ import annotations

import re
from html import escape

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.i18n import Translator
from handlers.onboarding.buttons import CONSENT, LANGUAGE, ConsentAnswer, LanguageChoice
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, drop_buttons
from handlers.shared.menu import menu_keyboard, not_a_member_text
from storage import audit
from storage.invites import InviteProblem, redeem_invite
from storage.members import (
    BindOutcome,
    BindResult,
    bind_by_phone,
    member_for_account,
    unbind_member,
)
from storage.models import TelegramAccount

OTHER_LANGUAGE = {"vi": ("en", "English"), "en": ("vi", "Tiếng Việt")}


def privacy_text(_: Translator) -> str:
    return _(
        "<b>Welcome to chibo</b>, the assistant of your party branch.\n\n"
        "<b>What I store:</b> your name, phone number, party card number and date of birth from "
        "your branch roster, your Telegram account, your language, and what you submit here "
        "(residence ties, plans, self-assessments, meeting answers, survey answers).\n"
        "<b>Why:</b> for your branch's party work under the Party Charter and Resolution 21.\n"
        "<b>Who sees it:</b> you, and the committees with a role over your branch. Other members "
        "never see your data.\n"
        "You can see everything I store about you with /me.\n\n"
        "Do you agree?"
    )


def consent_buttons(_: Translator) -> InlineKeyboardMarkup:
    other_code, other_name = OTHER_LANGUAGE[_.language]
    return InlineKeyboardMarkup(
        [
            [CONSENT.button(_("✅ I agree"), ConsentAnswer("yes"))],
            [CONSENT.button(_("❌ I do not agree"), ConsentAnswer("no"))],
            [LANGUAGE.button(other_name, LanguageChoice(other_code))],
        ]
    )


def contact_keyboard(_: Translator) -> ReplyKeyboardMarkup:
    button = KeyboardButton(_("📱 Share my phone number"), request_contact=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)


async def next_step(update: Update, context: Context) -> None:
    """Sends whatever the person needs next: the menu, the privacy notice, or the phone request."""
    _ = context._
    chat = update.effective_chat
    account = context.account
    if chat is None or account is None:
        return
    if context.member is not None and not context.actor.active:
        await chat.send_message(not_a_member_text(context), reply_markup=ReplyKeyboardRemove())
    elif context.member is not None:
        await chat.send_message(
            _("Hello, {name}! Here is your menu.", name=escape(context.member.full_name)),
            parse_mode=ParseMode.HTML,
            reply_markup=menu_keyboard(context.actor, _),
        )
    elif account.consent_at is None:
        await chat.send_message(
            privacy_text(_), parse_mode=ParseMode.HTML, reply_markup=consent_buttons(_)
        )
    elif account.pending_invite:
        await _redeem(update, context, account.pending_invite)
    else:
        await _ask_for_contact(update, context)


async def _ask_for_contact(update: Update, context: Context) -> None:
    _ = context._
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            _(
                "Please share your phone number with the button below so I can find you on "
                "your branch roster."
            ),
            reply_markup=contact_keyboard(_),
        )


PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{8,20}$")


async def on_typed_before_link(update: Update, context: Context) -> None:
    """Someone not linked yet typed instead of pressing: they get their step's own question
    again, with its buttons; a typed phone number is explained (it proves nothing)."""
    _ = context._
    message, account = update.effective_message, context.account
    if message is None or account is None:
        return
    if context.member is not None or account.pending_invite:
        await next_step(update, context)
    elif account.consent_at is None:
        await message.reply_text(
            _("Please answer with a button below.") + "\n\n" + privacy_text(_),
            parse_mode=ParseMode.HTML,
            reply_markup=consent_buttons(_),
        )
    elif PHONE_LIKE.match(message.text or "") and sum(c.isdigit() for c in message.text or "") >= 8:
        await message.reply_text(
            _(
                "Please do not type your phone number: press the button {button} below. "
                "Telegram then confirms the number is really yours, so nobody can link "
                "themselves to someone else's record.",
                button=_("📱 Share my phone number"),
            ),
            reply_markup=contact_keyboard(_),
        )
    else:
        await _ask_for_contact(update, context)


async def start(update: Update, context: Context) -> None:
    """/start [invite]: the greeting, or the menu for a member already linked."""
    account = context.account
    if account is None:
        return
    code = (context.args or [""])[0][:64]
    if code and context.member is None:
        account.pending_invite = code  # kept until consent, so the link still works after it
    await next_step(update, context)


async def on_consent(update: Update, context: Context, pressed: ConsentAnswer) -> None:
    """The person agrees (or not) to the privacy notice."""
    _ = context._
    query = update.callback_query
    account = context.account
    if query is None or account is None:
        return
    await ack(query)
    await drop_buttons(query)
    if pressed.answer != "yes":
        await _withdraw_consent(context, account)
        await query.get_bot().send_message(
            account.user_id,
            _("Without your consent I cannot link you. Send /start when you change your mind."),
            reply_markup=ReplyKeyboardRemove(),
        )
        return
    if account.consent_at is None:
        account.consent_at = context.now()
        await audit.record(context.db, "consent", actor_telegram_id=account.user_id)
    await next_step(update, context)


async def _withdraw_consent(context: Context, account: TelegramAccount) -> None:
    """A "no" (even on an old notice) withdraws consent, and with it the link to the member."""
    if account.consent_at is None:
        return
    account.consent_at = None
    member = context.member
    if member is not None:
        await unbind_member(context.db, member, context.now())
    await audit.record(
        context.db,
        "consent_withdrawn",
        actor_telegram_id=account.user_id,
        object_type="member" if member else None,
        object_id=member.id if member else None,
    )


async def on_contact(update: Update, context: Context) -> None:
    """A shared contact: bound to the roster entry with that phone if it is the sender's own."""
    _ = context._
    message = update.effective_message
    account = context.account
    if message is None or message.contact is None or account is None:
        return
    if account.consent_at is None or context.member is not None:
        await next_step(update, context)
        return
    if message.contact.user_id != account.user_id:
        await message.reply_text(
            _("Please share your own phone number with the button below, not someone else's."),
            reply_markup=contact_keyboard(_),
        )
        return
    result = await bind_by_phone(context.db, account, message.contact.phone_number, context.now())
    await _after_bind(update, context, result, "phone")


async def _redeem(update: Update, context: Context, code: str) -> None:
    _ = context._
    account = context.account
    chat = update.effective_chat
    if account is None or chat is None:
        return
    account.pending_invite = None
    result = await redeem_invite(context.db, account, code, context.now())
    if isinstance(result, InviteProblem):
        problems = {
            InviteProblem.INVALID: _("This invite link is not valid."),
            InviteProblem.EXPIRED: _("This invite link has expired."),
            InviteProblem.USED: _("This invite link has already been used."),
            InviteProblem.REVOKED: _("This invite link was replaced by a newer one or cancelled."),
        }
        await chat.send_message(
            problems[result]
            + "\n"
            + _(
                "Ask your secretary for a new one, or share your phone "
                "number with the button below."
            ),
            reply_markup=contact_keyboard(_),
        )
        return
    await _after_bind(update, context, result, "invite")


async def _after_bind(update: Update, context: Context, result: BindResult, method: str) -> None:
    _ = context._
    chat = update.effective_chat
    account = context.account
    if chat is None or account is None:
        return
    if result.outcome == BindOutcome.BOUND and result.member is not None:
        await audit.record(
            context.db,
            "bind",
            actor_member_id=result.member.id,
            actor_telegram_id=account.user_id,
            unit_id=result.member.branch_id,
            object_type="member",
            object_id=result.member.id,
            details={"method": method},
        )
        context.member = await member_for_account(context.db, account.user_id)
        context.actor = type(context.actor).of(account.user_id, context.member)
        assert context.member is not None
        await chat.send_message(
            _(
                "Done! You are linked as <b>{name}</b> of <b>{branch}</b>.",
                name=escape(context.member.full_name),
                branch=escape(context.member.branch.name),
            ),
            parse_mode=ParseMode.HTML,
            reply_markup=menu_keyboard(context.actor, _),
        )
        return
    texts = {
        BindOutcome.UNKNOWN_PHONE: _(
            "This phone number is not on any branch roster. Please ask "
            "your branch secretary to add you."
        ),
        BindOutcome.MEMBER_TAKEN: _(
            "This member is already linked to another Telegram account. "
            "Please ask your branch secretary to reset the link."
        ),
        BindOutcome.ACCOUNT_TAKEN: _("Your Telegram account is already linked to a member."),
        BindOutcome.INACTIVE: _(
            "Your membership record is not active. Please contact your branch secretary."
        ),
        BindOutcome.ALREADY_BOUND: _("You are already linked."),
    }
    await chat.send_message(texts[result.outcome])


def onboarding_handlers() -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("start", start, filters=private),
        MessageHandler(private & filters.CONTACT, on_contact),
    ]


# A forged answer ("consent:maybe") was left to the catch-all before: same audit reason.
ROUTES: tuple[Route[ConsentAnswer]] = (CONSENT.route(on_consent, "unknown_button"),)
