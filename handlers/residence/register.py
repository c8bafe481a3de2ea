"""Registering a residence tie: address, commune and province, the residence branch (searched
among the branches in the bot, or typed), the introduction letter; then the preview
(`handlers/residence_save.py`).

The draft is a `flow_states` row; a text that is too long is refused and the draft kept.
"""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.fit import button_label
from bot.i18n import N_, Translator
from handlers.common import Context, ack, callback_args, refuse, send
from handlers.drafts import draft_text, saved_echo
from handlers.residence.common import REGISTER_FLOW, cancel_markup, local_today
from handlers.residence.save import draft_at, may_register, show_preview
from handlers.typed_input import parse_day, typed_text
from storage.flows import clear_flow, save_flow
from storage.models import FlowState, Unit
from storage.residence import search_branches

Data = dict[str, Any]
SKIPPABLE = ("area", "letter_no", "letter_date")


def _name_limit(context: Context) -> int:
    """A branch name typed by hand: the address limit, within the column's 255."""
    return min(context.settings.residence_address_limit, 255)


async def on_register(update: Update, context: Context) -> None:
    """The member starts (or starts again, after moving) the residence form: the address."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not may_register(context):
        await refuse(update, context, "residence_register")
        return
    await ack(query)
    await _ask(update, context, "address", {})


async def _ask(update: Update, context: Context, step: str, data: Data) -> None:
    """Stores the draft at `step` and asks its question; typed text just saved is shown
    back first."""
    user, message = update.effective_user, update.effective_message
    assert user is not None
    await save_flow(context.db, user.id, REGISTER_FLOW, step, data, context.now())
    question = _question(step, context)
    typed = draft_text(message) if message is not None and update.callback_query is None else ""
    if typed:
        question = saved_echo(context._, context._("your answer"), typed) + "\n\n" + question
    await send(update, question, _step_markup(step, context._))


def _question(step: str, context: Context) -> str:
    _, limits = context._, context.settings
    questions = {
        "address": _(
            "Send the address where you live: house number, street, hamlet or residential "
            "group. You can write several lines (up to {limit} characters).",
            limit=limits.residence_address_limit,
        ),
        "area": _(
            "Send the commune or ward and the province or city, separated by a comma "
            "(for example: Phường Bến Thành, TP. Hồ Chí Minh), or press Skip."
        ),
        "branch": _(
            "Which party branch do you take part in where you live? Type a few words of its "
            "name to search (for example: khu pho 3), or press Not in the bot."
        ),
        "branch_text": _(
            "Type the name of your residence party branch as on the introduction letter "
            "(up to {limit} characters).",
            limit=_name_limit(context),
        ),
        "letter_no": _(
            "Send the number of the introduction letter (for example: 15-GGT/ĐU), or press "
            "Skip if you have none yet."
        ),
        "letter_date": _(
            "Send the date of the introduction letter as day/month/year, for example 05/11/2026."
        ),
    }
    return questions[step]


def _step_markup(step: str, _: Translator) -> InlineKeyboardMarkup:
    cancel = InlineKeyboardButton(_("❌ Cancel"), callback_data="rcancel")
    if step in SKIPPABLE:
        skip = InlineKeyboardButton(_("⏭ Skip"), callback_data="rskip")
        return InlineKeyboardMarkup([[skip, cancel]])
    if step == "branch":
        outside = InlineKeyboardButton(_("Not in the bot"), callback_data="rbx")
        return InlineKeyboardMarkup([[outside, cancel]])
    return cancel_markup(_)


async def on_register_input(update: Update, context: Context, state: FlowState) -> None:
    """A typed answer to the current question of the residence form."""
    if not may_register(context):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "residence_register_draft")
        return
    steps = {
        "address": _on_address,
        "area": _on_area,
        "branch": _on_search,
        "branch_text": _on_branch_text,
        "letter_no": _on_letter_no,
        "letter_date": _on_letter_date,
    }
    step = steps.get(state.step)
    if step is None:  # the preview: buttons only, shown again below
        await send(update, context._("Please answer with the buttons below."))
        await show_preview(update, context, dict(state.data))
        return
    await step(update, context, state)


async def _on_address(update: Update, context: Context, state: FlowState) -> None:
    address = await typed_text(
        update, context, context.settings.residence_address_limit, N_("The address")
    )
    if address is not None:
        await _ask(update, context, "area", {**state.data, "address": address})


async def _on_area(update: Update, context: Context, state: FlowState) -> None:
    area = await typed_text(
        update, context, context.settings.residence_address_limit, N_("The commune and province")
    )
    if area is None:
        return
    commune, _comma, province = area.rpartition(",")
    if not commune:  # no comma: one part only, taken as the commune
        commune, province = province, ""
    data = {**state.data, "commune": commune.strip() or None, "province": province.strip() or None}
    await _ask(update, context, "branch", data)


async def _on_search(update: Update, context: Context, state: FlowState) -> None:
    """Up to eight branches whose names hold the words typed, as buttons."""
    _ = context._
    text = await typed_text(
        update, context, context.settings.residence_address_limit, N_("The search")
    )
    member = context.member
    if text is None or member is None:
        return
    found = await search_branches(context.db, text, exclude_id=member.branch_id)
    rows = [[InlineKeyboardButton(button_label(u.name), callback_data=f"rb:{u.id}")] for u in found]
    rows.append([InlineKeyboardButton(_("Not in the bot"), callback_data="rbx")])
    if found:
        prompt = _("Choose your residence branch, or type other words to search again:")
    else:
        prompt = _(
            "No branch in the bot matches “{text}”. Type other words, or press Not in the bot.",
            text=escape(text),
        )
    await send(update, prompt, InlineKeyboardMarkup(rows))


async def _on_branch_text(update: Update, context: Context, state: FlowState) -> None:
    name = await typed_text(update, context, _name_limit(context), N_("The branch name"))
    if name is not None:
        data = {**state.data, "branch_id": None, "branch_text": name}
        await _ask(update, context, "letter_no", data)


async def _on_letter_no(update: Update, context: Context, state: FlowState) -> None:
    number = await typed_text(
        update, context, context.settings.residence_letter_no_limit, N_("The letter number")
    )
    if number is not None:
        await _ask(update, context, "letter_date", {**state.data, "letter_no": number})


async def _on_letter_date(update: Update, context: Context, state: FlowState) -> None:
    _ = context._
    message = update.effective_message
    day = parse_day(message.text or "", local_today(context)) if message else None
    if day is None or day > local_today(context):
        await send(
            update,
            _(
                "Please send a date that is not in the future, as day/month/year, for example "
                "05/11/2026."
            ),
        )
        return
    await show_preview(update, context, {**state.data, "letter_date": day.isoformat()})


async def on_branch_chosen(update: Update, context: Context) -> None:
    """The member picked their residence branch from the search results."""
    query = update.callback_query
    state = await draft_at(update, context, ("branch",))
    args = callback_args(query, 1) if query and state else None
    unit = await context.db.get(Unit, args[0]) if args else None
    own = context.member.branch_id if context.member else None
    if query is None or state is None or unit is None or not unit.is_branch or unit.id == own:
        if state is not None:
            await refuse(update, context, "residence_branch")
        return
    await ack(query)
    data = {**state.data, "branch_id": unit.id, "branch_text": None}
    await _ask(update, context, "letter_no", data)


async def on_branch_outside(update: Update, context: Context) -> None:
    """The residence branch is not in the bot: the member types its name."""
    query = update.callback_query
    state = await draft_at(update, context, ("branch",))
    if query is None or state is None:
        return
    await ack(query)
    await _ask(update, context, "branch_text", state.data)


async def on_skip(update: Update, context: Context) -> None:
    """An optional answer is skipped (no letter yet skips its date too)."""
    query = update.callback_query
    state = await draft_at(update, context, SKIPPABLE)
    if query is None or state is None:
        return
    await ack(query)
    if state.step == "area":
        await _ask(update, context, "branch", {**state.data, "commune": None, "province": None})
    else:
        await show_preview(
            update, context, {**state.data, "letter_no": state.data.get("letter_no")}
        )


def register_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_register, pattern=r"^rreg$"),
        CallbackQueryHandler(on_branch_chosen, pattern=r"^rb:"),
        CallbackQueryHandler(on_branch_outside, pattern=r"^rbx$"),
        CallbackQueryHandler(on_skip, pattern=r"^rskip$"),
    ]
