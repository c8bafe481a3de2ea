"""What every feature shares: loading the actor, refusing politely, parsing button data."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.access import UNIT_ACTIONS, Action, Actor, can, can_on_member
from bot.context import ChiboContext, current_scope
from bot.i18n import N_, pick_language, translator
from bot.logs import log_safe
from storage import audit
from storage.members import account_and_member, get_member
from storage.models import MAX_ROW_ID as MAX_ROW_ID  # re-exported: button ids are checked here
from storage.models import MAX_TELEGRAM_ID as MAX_TELEGRAM_ID
from storage.models import Member, Unit
from storage.units import branches_under

log = logging.getLogger(__name__)

Context = ChiboContext
CONTEXT_TYPES = ContextTypes(context=ChiboContext)
NOT_FOR_YOU = N_("Sorry, this button is not for you or is no longer valid.")


async def load_actor(update: Update, context: ChiboContext) -> None:
    """Runs before every handler: who is this, in which language do they read?"""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    settings = context.settings
    if not is_private(update) and update.callback_query is None:
        # Group chats only get a pointer to the private chat: no account is stored for them.
        language = pick_language(None, user.language_code, settings.default_locale)
        context._ = translator(language, settings.tz)
        _remember_language(language)
        return
    account, member = await account_and_member(context.db, user.id, user.language_code)
    context.account = account
    context.member = member
    context.actor = Actor.of(user.id, member)
    language = pick_language(account.language, user.language_code, settings.default_locale)
    context._ = translator(language, settings.tz)
    _remember_language(language)


def _remember_language(language: str) -> None:
    """The runner apologises in this language if the update fails (see on_error)."""
    scope = current_scope.get(None)
    if scope is not None:
        scope.language = language


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def ack(query: CallbackQuery, text: str | None = None, show_alert: bool = False) -> None:
    """Answers a button press. Failing to (a second answer after a crash is refused; Telegram
    may be briefly down) only leaves a spinner, and must not undo the handler's work."""
    with contextlib.suppress(TelegramError):
        await query.answer(text, show_alert=show_alert)


async def edit_text(query: CallbackQuery, text: str, **kwargs: Any) -> None:
    """Edits the pressed message; "not modified" (already edited before a crash) is fine.
    A text over Telegram's limit is fitted by the recorder (bot/replies.py): the message
    shows the first part and the rest follows it, the buttons under the last part."""
    try:
        await query.edit_message_text(text, **kwargs)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


async def edit_buttons(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    """Replaces the inline keyboard of the pressed message, tolerating a repeat."""
    try:
        await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


async def drop_buttons(query: CallbackQuery) -> None:
    """Removes the inline keyboard of the pressed message, tolerating a repeat."""
    await edit_buttons(query, None)


def callback_args(query: CallbackQuery, count: int, limit: int = MAX_ROW_ID) -> list[int] | None:
    """The integer arguments after the prefix of button data, or None if malformed."""
    parts = (query.data or "").split(":")
    if len(parts) != count + 1:
        return None
    try:
        values = [int(part) for part in parts[1:]]
    except ValueError:
        return None
    return values if all(0 <= value <= limit for value in values) else None


async def refuse(
    update: Update, context: ChiboContext, reason: str, text: str | None = None
) -> None:
    """A polite, translated refusal that writes nothing but the audit row; `text` when
    there is something more precise to say than "not for you or no longer valid"."""
    _ = context._
    text = text or _(NOT_FOR_YOU)
    query = update.callback_query
    prefix = (query.data or "").split(":", 1)[0][:16] if query else ""
    button = log_safe(prefix) if prefix else "message"  # the data is the user's to forge
    log.warning("refused %s (%s) in update %s", button, reason, update.update_id)
    await audit.record(
        context.db,
        "refused",
        actor_member_id=context.actor.member_id,
        actor_telegram_id=context.actor.telegram_id,
        details={"reason": reason, "button": prefix},
    )
    if query is not None:
        await ack(query, text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def refuse_draft_gone(update: Update, context: ChiboContext, reason: str) -> None:
    """Send was pressed on a draft that is gone: sent by an earlier press (another phone, a
    double tap) or cancelled. Said plainly, so nobody presses again to be sure."""
    text = context._("This draft has already been sent or cancelled; nothing was sent again.")
    await refuse(update, context, reason, text)


async def answer_private_only(update: Update, context: ChiboContext) -> None:
    """Group chats get no personal data: point the person to a private chat."""
    _ = context._
    if update.effective_message is not None:
        await update.effective_message.reply_text(
            _("For your privacy I only answer in a private chat with me.")
        )


async def on_error(update: object, context: ChiboContext) -> None:
    """Marks the update failed, so the runner rolls it back and decides: try again (Telegram
    or the database briefly away) or set it aside with one apology (bot/runner.py)."""
    scope = current_scope.get(None)
    if scope is not None:
        scope.failure = context.error
    # The class only: exception texts (SQL parameters, Telegram answers) hold personal data.
    log.error("handler failed: %s", type(context.error).__name__)
    raise ApplicationHandlerStop  # later handler groups must not run on a half-loaded update


async def units_for(context: ChiboContext, action: Action) -> list[Unit]:
    """The units the actor may do `action` for, to pick from: the committees they hold a role
    on (meaning all the branches below) first, then each branch."""
    allowed = UNIT_ACTIONS[action]
    grants = [g for g in context.actor.grants if g.role in allowed]
    branches = await branches_under(context.db, {g.unit_path for g in grants})
    branch_paths = {b.path for b in branches}
    committee_ids = sorted({g.unit_id for g in grants if g.unit_path not in branch_paths})
    committees = [u for i in committee_ids if (u := await context.db.get(Unit, i))]
    return [u for u in committees + branches if can(context.actor, action, u.path)]


async def managed_member(
    update: Update, context: Context, refusal: str, count: int = 1
) -> Member | None:
    """The member named first in the pressed button, if the presser manages their branch;
    otherwise the usual refusal (button data can be forged)."""
    query = update.callback_query
    args = callback_args(query, count) if query else None
    member = await get_member(context.db, args[0]) if args else None
    if member is None or not can_on_member(context.actor, Action.MANAGE_MEMBERS, member):
        await refuse(update, context, refusal)
        return None
    return member


async def send(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A new HTML message in the chat of the update (user text in `text` must be escaped)."""
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            text, parse_mode=ParseMode.HTML, reply_markup=markup
        )
