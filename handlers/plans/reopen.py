"""A plan never handed in by the deadline is not a dead end: the member asks the branch
committee to reopen it, and a committee member reopens it with one tap (the plan is then
"returned", which may be written and submitted after the deadline)."""

from __future__ import annotations

from typing import Any

from telegram import Update

from handlers.plans import actions, buttons
from handlers.plans.actions import Refused
from handlers.plans.buttons import MemberYear
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse
from handlers.shared.usecase import NotAllowed, env_of


async def on_ask(update: Update, context: Context, _pressed: object) -> None:
    """The member's request reaches the branch committee, with a button to reopen."""
    _ = context._
    query, member = update.callback_query, context.member
    if query is None or member is None:
        await refuse(update, context, "plan_reopen_ask")
        return
    try:
        asked = await actions.ask_to_reopen(context.db, context.actor, member, env_of(context))
    except NotAllowed:
        await refuse(update, context, "plan_reopen_ask")
        return
    except Refused:  # the plan can be written now
        await ack(query, _("Your plan can be written now: open 📝 Yearly plan."), show_alert=True)
        return
    await ack(query)
    if asked.told:
        text = _("Your request went to the branch committee; you will hear when it is reopened.")
    else:
        text = _("Nobody on your branch committee uses the bot yet: please ask your secretary.")
    await edit_text(query, text)


async def on_reopen(update: Update, context: Context, pressed: MemberYear) -> None:
    """A committee member reopens the plan; the member is told they can write it."""
    _ = context._
    query = update.callback_query
    if query is None:
        await refuse(update, context, "plan_reopen")
        return
    year, note = pressed.year, _("Reopened after the deadline at your request.")
    reopen = actions.reopen_plan(
        context.db, context.actor, pressed.member_id, year, note, env_of(context)
    )
    try:
        member = await reopen
    except NotAllowed:
        await refuse(update, context, "plan_reopen")
        return
    except Refused:  # handed in already
        await ack(query, _("This plan was handed in already."), show_alert=True)
        return
    await ack(query)
    await edit_text(
        query,
        _(
            "🔓 Reopened: {name} can write the plan of {year} now.",
            name=member.full_name,
            year=year,
        ),
    )


ROUTES: tuple[Route[Any], ...] = (
    buttons.ASK_REOPEN.route(on_ask, "plan_reopen_ask"),
    buttons.REOPEN.route(on_reopen, "plan_reopen"),
)
