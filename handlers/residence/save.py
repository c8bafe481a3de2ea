"""The end of the residence form: the preview, and Save, which stores the tie (the previous
one becomes history) and asks the residence branch leaders to confirm it."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can
from bot.i18n import Translator
from handlers.common import Context, ack, edit_text, refuse, send
from handlers.residence.common import REGISTER_FLOW, notify, tie_request
from storage import audit
from storage.flows import clear_flow, get_flow, save_flow
from storage.models import FlowState, ResidenceTie, TieStatus, Unit
from storage.residence import TieDraft, branch_hosts, register_tie

Data = dict[str, Any]


def may_register(context: Context) -> bool:
    member = context.member
    return (
        member is not None
        and can(context.actor, Action.USE_MENU)
        and not member.branch.is_residential
    )


async def draft_at(update: Update, context: Context, steps: tuple[str, ...]) -> FlowState | None:
    """The member's residence draft if it is at one of `steps` (else the button is stale)."""
    user = update.effective_user
    state = await get_flow(context.db, user.id, REGISTER_FLOW) if user else None
    if state is None or state.step not in steps or not may_register(context):
        await refuse(update, context, "residence_register_button")
        return None
    return state


async def show_preview(update: Update, context: Context, data: Data) -> None:
    """The member sees everything they typed, with Save and Cancel."""
    _ = context._
    user = update.effective_user
    assert user is not None
    data.setdefault("letter_no", None)
    data.setdefault("letter_date", None)
    await save_flow(context.db, user.id, REGISTER_FLOW, "preview", data, context.now())
    branch = await context.db.get(Unit, data["branch_id"]) if data.get("branch_id") else None
    if branch is None:
        branch_name = _("{name} (not in the bot)", name=data.get("branch_text") or "—")
    else:
        branch_name = branch.name
    area = ", ".join(p for p in (data.get("commune"), data.get("province")) if p)
    lines = [
        _("Please check your residence tie:"),
        _("Address: {address}", address=escape(data["address"])),
        _("Commune and province: {area}", area=escape(area or "—")),
        _("Residence branch: {branch}", branch=escape(branch_name)),
        _(
            "Introduction letter: No. {number} of {date}",
            number=escape(data.get("letter_no") or "—"),
            date=_.date_text(parse_iso(data.get("letter_date"))),
        ),
    ]
    buttons = [
        InlineKeyboardButton(_("💾 Save"), callback_data="rsave"),
        InlineKeyboardButton(_("❌ Cancel"), callback_data="rcancel"),
    ]
    await send(update, "\n".join(lines), InlineKeyboardMarkup([buttons]))


def parse_iso(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


async def on_save(update: Update, context: Context) -> None:
    """The tie is stored (the previous one becomes history) and, when the residence branch
    is in the bot, its leaders are asked to confirm it."""
    query, member = update.callback_query, context.member
    state = await draft_at(update, context, ("preview",))
    if query is None or state is None or member is None:
        return
    await ack(query)
    tie = await register_tie(context.db, member, _tie_draft(state.data), context.now())
    await clear_flow(context.db, state.user_id, state.flow)
    await audit.record(
        context.db,
        "residence_registered",
        actor_member_id=member.id,
        unit_id=member.branch_id,
        object_type="residence_tie",
        object_id=tie.id,
    )
    asked = 0
    for host in await branch_hosts(context.db, tie.residence_branch_id or 0):
        asked += await notify(context, host, tie_request(tie, member))
    await edit_text(query, _saved_text(tie, asked, context._))


def _saved_text(tie: ResidenceTie, asked: int, _: Translator) -> str:
    """What happens next: nobody to confirm, the secretary asked, or no secretary yet."""
    if tie.status == TieStatus.UNLISTED:
        return _("Saved. Your residence branch is not in the bot, so no one confirms it here.")
    if asked:
        return _("Saved. The secretary of your residence branch has been asked to confirm it.")
    return _(
        "Saved. Your residence branch has no secretary linked to the bot yet; the tie "
        "waits for confirmation."
    )


def _tie_draft(data: Data) -> TieDraft:
    return TieDraft(
        address=str(data["address"]),
        commune=data.get("commune"),
        province=data.get("province"),
        branch_id=data.get("branch_id"),
        branch_text=data.get("branch_text"),
        letter_no=data.get("letter_no"),
        letter_date=parse_iso(data.get("letter_date")),
    )


def save_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CallbackQueryHandler(on_save, pattern=r"^rsave$")]
