"""A plan never handed in by the deadline is not a dead end: the member asks the branch
committee to reopen it, and a committee member reopens it with one tap (the plan is then
"returned", which may be written and submitted after the deadline)."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can
from bot.delivery.sender import wake_sender_after_commit
from handlers.common import Context, ack, callback_args, edit_text, refuse
from handlers.plans.common import own_plan_season, today
from handlers.plans.menu import missed_deadline
from handlers.plans.notify import tell_member
from handlers.readers import reader_translator
from storage import outbox
from storage.members import get_member
from storage.models import Member, PlanStatus, TelegramAccount
from storage.outbox import NewMessage, text_payload
from storage.plan_reports import committee_of
from storage.plan_seasons import Season
from storage.plans import edit_refusal, get_plan, plan_to_edit


async def on_ask(update: Update, context: Context) -> None:
    """The member's request reaches the branch committee, with a button to reopen."""
    _ = context._
    query, member = update.callback_query, context.member
    if query is None or member is None or not can(context.actor, Action.USE_MENU):
        await refuse(update, context, "plan_reopen_ask")
        return
    season = await own_plan_season(context)
    plan = await get_plan(context.db, member.id, season.year)
    if not missed_deadline(plan, edit_refusal(plan, season, today(context))):
        await ack(query, _("Your plan can be written now: open 📝 Yearly plan."), show_alert=True)
        return
    people = await committee_of(context.db, member.branch, excluding=member.id)
    for person in people:
        if person.account is not None:
            message = _request(person.account, person.member.id, member, season, context)
            await outbox.enqueue(context.db, message, context.now())
    wake_sender_after_commit(context.bot_data)
    await ack(query)
    if people:
        text = _("Your request went to the branch committee; you will hear when it is reopened.")
    else:
        text = _("Nobody on your branch committee uses the bot yet: please ask your secretary.")
    await edit_text(query, text)


def _request(
    account: TelegramAccount, reader_id: int, member: Member, season: Season, context: Context
) -> NewMessage:
    """The request, in the committee member's language, with the button that reopens."""
    _ = reader_translator(account, context.settings)
    text = _(
        "🙋 {name} did not hand in the yearly plan of {year} by the deadline ({date}) and "
        "asks you to reopen it.",
        name=escape(member.full_name),
        year=season.year,
        date=_.date_text(season.deadline),
    )
    data = f"plro:{member.id}:{season.year}"
    markup = {"inline_keyboard": [[{"text": _("🔓 Reopen the plan"), "callback_data": data}]]}
    return NewMessage(account.user_id, text_payload(text, "HTML", markup), member_id=reader_id)


async def on_reopen(update: Update, context: Context) -> None:
    """A committee member reopens the plan; the member is told they can write it."""
    _ = context._
    query = update.callback_query
    args = callback_args(query, 2) if query else None
    member = await get_member(context.db, args[0]) if args else None
    allowed = (
        member is not None
        and member.id != context.actor.member_id
        and can(context.actor, Action.REVIEW_PLANS, member.branch.path)
    )
    if query is None or args is None or member is None or not allowed:
        await refuse(update, context, "plan_reopen")
        return
    year = args[1]
    plan = await plan_to_edit(context.db, member.id, year)
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.RETURNED):
        await ack(query, _("This plan was handed in already."), show_alert=True)
        return
    plan.status = PlanStatus.RETURNED
    plan.review_comment = _("Reopened after the deadline at your request.")
    await tell_member(
        context,
        member,
        lambda _: _(
            "🔓 The committee reopened your yearly plan of {year}: you can write and submit it "
            "now.",
            year=year,
        ),
    )
    wake_sender_after_commit(context.bot_data)
    await ack(query)
    await edit_text(
        query,
        _(
            "🔓 Reopened: {name} can write the plan of {year} now.",
            name=member.full_name,
            year=year,
        ),
    )


def plan_reopen_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_ask, pattern=r"^plask$"),
        CallbackQueryHandler(on_reopen, pattern=r"^plro:\d+:\d+$"),
    ]
