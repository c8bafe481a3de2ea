"""The main menu: a reply keyboard whose entries depend on the member's roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.access import Action, Actor, can, can_anywhere
from bot.i18n import LANGUAGES, N_, Translator, translator
from handlers.shared.common import Context

Show = Callable[[Update, Context], Awaitable[None]]


@dataclass(frozen=True)
class Entry:
    key: str
    label: str  # an English msgid, translated when shown
    action: Action


ENTRIES = (
    Entry("residence", N_("🏠 Residence ties"), Action.USE_MENU),
    Entry("plan", N_("📝 Yearly plan"), Action.USE_MENU),
    Entry("meetings", N_("📅 Meetings"), Action.USE_MENU),
    Entry("surveys", N_("🗳 Surveys"), Action.USE_MENU),
    Entry("members", N_("👥 Branch members"), Action.VIEW_MEMBERS),
    Entry("notices", N_("📣 Send a notice"), Action.SEND_NOTICES),
    Entry("reports", N_("📊 Reports"), Action.VIEW_REPORTS),
    Entry("me", N_("👤 My data"), Action.VIEW_OWN_RECORD),
    Entry("help", N_("❓ Help"), Action.USE_MENU),
)


def visible(actor: Actor, entry: Entry) -> bool:
    if entry.action in (Action.USE_MENU, Action.VIEW_OWN_RECORD):
        return can(actor, entry.action)
    return can_anywhere(actor, entry.action)


def menu_entries(actor: Actor) -> list[Entry]:
    return [entry for entry in ENTRIES if visible(actor, entry)]


def menu_keyboard(actor: Actor, _: Translator) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
    """The menu for the actor's roles; none at all for someone who may not use it."""
    labels = [KeyboardButton(_(entry.label)) for entry in menu_entries(actor)]
    if not labels:
        return ReplyKeyboardRemove()
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def not_a_member_text(context: Context) -> str:
    """Why the menu is not there: not linked yet, or the membership record is inactive."""
    _ = context._
    if context.member is not None:
        return _("Your membership record is not active. Please contact your branch secretary.")
    return _("You are not linked to a member yet. Send /start to begin.")


def entry_for_text(text: str) -> Entry | None:
    """The entry whose label, in any language, is `text` (an old keyboard may be in another)."""
    for language in LANGUAGES:
        tr = translator(language)
        for entry in ENTRIES:
            if tr(entry.label) == text:
                return entry
    return None


async def show_menu(update: Update, context: Context) -> None:
    """The member sees the main menu keyboard; someone not yet linked is sent to /start."""
    _ = context._
    message = update.effective_message
    if message is None:
        return
    if not can(context.actor, Action.USE_MENU):
        await message.reply_text(not_a_member_text(context), reply_markup=ReplyKeyboardRemove())
        return
    await message.reply_text(
        _("Main menu. Choose what you want to do:"),
        reply_markup=menu_keyboard(context.actor, _),
    )


NOT_LINKED = "not_linked"  # the feature answering text typed by someone not linked yet


async def on_menu_text(update: Update, context: Context, features: dict[str, Show]) -> None:
    """A menu button press (or any other text): run the entry if the member may use it."""
    _ = context._
    message = update.effective_message
    if message is None or not message.text:
        return
    entry = entry_for_text(message.text)
    if not can(context.actor, Action.USE_MENU) and NOT_LINKED in features:
        await features[NOT_LINKED](update, context)  # onboarding asks its question again
        return
    if not can(context.actor, Action.USE_MENU):
        await message.reply_text(not_a_member_text(context), reply_markup=ReplyKeyboardRemove())
        return
    if entry is None or not visible(context.actor, entry):
        await message.reply_text(
            _("I did not understand that. Please use the menu below."),
            reply_markup=menu_keyboard(context.actor, _),
        )
        return
    await features[entry.key](update, context)


def menu_handlers(features: dict[str, Show]) -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE
    missing = [entry.key for entry in ENTRIES if entry.key not in features]
    if missing:  # every entry on the keyboard must lead somewhere
        raise ValueError(f"menu entries without a feature: {', '.join(missing)}")

    async def on_text(update: Update, context: Context) -> None:
        await on_menu_text(update, context, features)

    async def on_help(update: Update, context: Context) -> None:
        await features["help"](update, context)  # what the help feature shows (handlers/help.py)

    return [
        CommandHandler("menu", show_menu, filters=private),
        CommandHandler("help", on_help, filters=private),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text),
        # Last: a sticker, a photo, a file or a command nobody else took.
        MessageHandler(private & ~filters.StatusUpdate.ALL, on_anything_else),
    ]


async def on_anything_else(update: Update, context: Context) -> None:
    """What the bot cannot use here gets an answer with what the person can do now."""
    _ = context._
    message = update.effective_message
    if message is None:
        return
    if not can(context.actor, Action.USE_MENU):
        await message.reply_text(not_a_member_text(context), reply_markup=ReplyKeyboardRemove())
        return
    command = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    if command.startswith("/"):
        text = _(
            "I do not know the command {command}. You can choose an entry of the menu below, "
            "or send /help to see what I can do.",
            command=command,
        )
    else:
        text = _(
            "I cannot use this here. You can choose an entry of the menu below, or send /help "
            "to see what I can do."
        )
    await message.reply_text(text, reply_markup=menu_keyboard(context.actor, _))
