"""Choosing the language: Vietnamese by default, English on request, remembered."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.i18n import LANGUAGE_NAMES, LANGUAGES, translator
from handlers.onboarding import buttons
from handlers.onboarding.buttons import LanguageChoice
from handlers.onboarding.welcome import next_step
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse


async def choose_language(update: Update, context: Context) -> None:
    """/language: the person sees one button per language."""
    _ = context._
    rows = [
        [buttons.LANGUAGE.button(LANGUAGE_NAMES[code], LanguageChoice(code))] for code in LANGUAGES
    ]
    if update.effective_message is not None:
        await update.effective_message.reply_text(
            _("Choose your language:"), reply_markup=InlineKeyboardMarkup(rows)
        )


async def on_language(update: Update, context: Context, pressed: LanguageChoice) -> None:
    """A language button: stored for this account, then the person's next step in it."""
    query = update.callback_query
    account = context.account
    if query is None or account is None:
        return
    code = pressed.code
    if code not in LANGUAGES:
        await refuse(update, context, "language")
        return
    account.language = code
    context._ = translator(code, context.settings.tz)
    await ack(query)
    await edit_text(query, context._("Language: {name}", name=LANGUAGE_NAMES[code]))
    await next_step(update, context)


def language_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CommandHandler("language", choose_language, filters=filters.ChatType.PRIVATE)]


ROUTES: tuple[Route[LanguageChoice]] = (buttons.LANGUAGE.route(on_language, "language"),)
