"""/help and the ❓ Help entry: what the bot does, its commands, and the member's plan
calendar (the main menu registers /help with what this feature shows for its entry)."""

from __future__ import annotations

from telegram import Update

from bot.i18n import Translator
from handlers.shared.common import Context
from handlers.shared.feature import Feature
from handlers.shared.plan_seasons import own_plan_season
from storage.plan_seasons import Season


async def show_help(update: Update, context: Context) -> None:
    """The member sees what the bot does and its commands."""
    _ = context._
    if update.effective_message is None:
        return
    text = _(
        "I help party members and branch committees with their work.\n\n"
        "/menu - the main menu\n/me - what I store about you\n"
        "/language - change the language\n/start - link your Telegram account\n"
        "/help - this help"
    )
    if context.actor.member_id is not None:
        text += "\n\n" + plan_calendar_text(await own_plan_season(context), _)
    await update.effective_message.reply_text(text)


def plan_calendar_text(season: Season, _: Translator) -> str:
    """The plan calendar of the member's branch, so nobody meets a closed plan unawares."""
    return _(
        "📝 Yearly plan {year}: written from {opens} to {deadline} (the plan of the next year "
        "opens when its season opens, often in December). Missed the deadline? Ask the "
        "committee to reopen it from 📝 Yearly plan. Self-assessment: {assess_opens} to "
        "{assess_closes}.",
        year=season.year,
        opens=_.date_text(season.opens_on),
        deadline=_.date_text(season.deadline),
        assess_opens=_.date_text(season.assessment_opens_on),
        assess_closes=_.date_text(season.assessment_closes_on),
    )


FEATURE = Feature("help", menu={"help": show_help})
