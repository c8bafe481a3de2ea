"""Registering a residence tie: address, commune and province, the residence branch (searched
among the branches in the bot, or typed), the introduction letter; then the preview
(`save.py`).

The draft is a `flow_states` row; a text that is too long is refused and the draft kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot.fit import button_label
from bot.i18n import N_, Translator
from handlers.residence import buttons
from handlers.residence.buttons import UnitRef
from handlers.residence.common import cancel_markup, local_today
from handlers.residence.draft import (
    ADDRESS,
    AREA,
    BRANCH,
    BRANCH_TEXT,
    LETTER_DATE,
    LETTER_NO,
    SKIPPABLE,
    Area,
    Letter,
    RegisterDraft,
    save_draft,
)
from handlers.residence.save import draft_at, may_register_here, show_preview
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, refuse, send
from handlers.shared.drafts import draft_text, saved_echo
from handlers.shared.typed_input import parse_day, typed_text
from storage.flows import clear_flow
from storage.models import FlowState, Unit
from storage.residence import search_branches

Step = Callable[[Update, Context, RegisterDraft], Awaitable[None]]


def _name_limit(context: Context) -> int:
    """A branch name typed by hand: the address limit, within the column's 255."""
    return min(context.settings.residence_address_limit, 255)


async def on_register(update: Update, context: Context, _pressed: object) -> None:
    """The member starts (or starts again, after moving) the residence form: the address."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not may_register_here(context):
        await refuse(update, context, "residence_register")
        return
    await ack(query)
    await _ask(update, context, RegisterDraft())


async def _ask(update: Update, context: Context, draft: RegisterDraft) -> None:
    """Stores the draft and asks the question of its step; typed text just saved is shown
    back first."""
    user, message = update.effective_user, update.effective_message
    assert user is not None
    await save_draft(context.db, user.id, draft, context.now())
    question = _question(draft.step, context)
    typed = draft_text(message) if message is not None and update.callback_query is None else ""
    if typed:
        question = saved_echo(context._, context._("your answer"), typed) + "\n\n" + question
    await send(update, question, _step_markup(draft.step, context._))


def _question(step: str, context: Context) -> str:
    _, limits = context._, context.settings
    questions = {
        ADDRESS: _(
            "Send the address where you live: house number, street, hamlet or residential "
            "group. You can write several lines (up to {limit} characters).",
            limit=limits.residence_address_limit,
        ),
        AREA: _(
            "Send the commune or ward and the province or city, separated by a comma "
            "(for example: Phường Bến Thành, TP. Hồ Chí Minh), or press Skip."
        ),
        BRANCH: _(
            "Which party branch do you take part in where you live? Type a few words of its "
            "name to search (for example: khu pho 3), or press Not in the bot."
        ),
        BRANCH_TEXT: _(
            "Type the name of your residence party branch as on the introduction letter "
            "(up to {limit} characters).",
            limit=_name_limit(context),
        ),
        LETTER_NO: _(
            "Send the number of the introduction letter (for example: 15-GGT/ĐU), or press "
            "Skip if you have none yet."
        ),
        LETTER_DATE: _(
            "Send the date of the introduction letter as day/month/year, for example 05/11/2026."
        ),
    }
    return questions[step]


def _step_markup(step: str, _: Translator) -> InlineKeyboardMarkup:
    cancel = buttons.CANCEL.button(_("❌ Cancel"))
    if step in SKIPPABLE:
        skip = buttons.SKIP.button(_("⏭ Skip"))
        return InlineKeyboardMarkup([[skip, cancel]])
    if step == BRANCH:
        outside = buttons.OUTSIDE.button(_("Not in the bot"))
        return InlineKeyboardMarkup([[outside, cancel]])
    return cancel_markup(_)


async def on_register_input(update: Update, context: Context, state: FlowState) -> None:
    """A typed answer to the current question of the residence form."""
    if not may_register_here(context):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "residence_register_draft")
        return
    draft = RegisterDraft.load(state.data, state.step)
    steps: dict[str, Step] = {
        ADDRESS: _on_address,
        AREA: _on_area,
        BRANCH: _on_search,
        BRANCH_TEXT: _on_branch_text,
        LETTER_NO: _on_letter_no,
        LETTER_DATE: _on_letter_date,
    }
    step = steps.get(draft.step)
    if step is None:  # the preview: buttons only, shown again below
        await send(update, context._("Please answer with the buttons below."))
        await show_preview(update, context, draft)
        return
    await step(update, context, draft)


async def _on_address(update: Update, context: Context, draft: RegisterDraft) -> None:
    address = await typed_text(
        update, context, context.settings.residence_address_limit, N_("The address")
    )
    if address is not None:
        await _ask(update, context, replace(draft, address=address))


async def _on_area(update: Update, context: Context, draft: RegisterDraft) -> None:
    area = await typed_text(
        update, context, context.settings.residence_address_limit, N_("The commune and province")
    )
    if area is None:
        return
    commune, _comma, province = area.rpartition(",")
    if not commune:  # no comma: one part only, taken as the commune
        commune, province = province, ""
    answered = Area(commune.strip() or None, province.strip() or None)
    await _ask(update, context, replace(draft, area=answered))


async def _on_search(update: Update, context: Context, draft: RegisterDraft) -> None:
    """Up to eight branches whose names hold the words typed, as buttons."""
    _ = context._
    text = await typed_text(
        update, context, context.settings.residence_address_limit, N_("The search")
    )
    member = context.member
    if text is None or member is None:
        return
    found = await search_branches(context.db, text, exclude_id=member.branch_id)
    rows = [[buttons.BRANCH.button(button_label(u.name), UnitRef(u.id))] for u in found]
    rows.append([buttons.OUTSIDE.button(_("Not in the bot"))])
    if found:
        prompt = _("Choose your residence branch, or type other words to search again:")
    else:
        prompt = _(
            "No branch in the bot matches “{text}”. Type other words, or press Not in the bot.",
            text=escape(text),
        )
    await send(update, prompt, InlineKeyboardMarkup(rows))


async def _on_branch_text(update: Update, context: Context, draft: RegisterDraft) -> None:
    name = await typed_text(update, context, _name_limit(context), N_("The branch name"))
    if name is not None:
        await _ask(update, context, replace(draft, branch_id=None, branch_text=name))


async def _on_letter_no(update: Update, context: Context, draft: RegisterDraft) -> None:
    number = await typed_text(
        update, context, context.settings.residence_letter_no_limit, N_("The letter number")
    )
    if number is not None:
        await _ask(update, context, replace(draft, letter=Letter(number)))


async def _on_letter_date(update: Update, context: Context, draft: RegisterDraft) -> None:
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
    number = draft.letter.number if draft.letter else None
    await show_preview(update, context, replace(draft, letter=Letter(number, day, dated=True)))


async def on_branch_chosen(update: Update, context: Context, chosen: UnitRef) -> None:
    """The member picked their residence branch from the search results."""
    query = update.callback_query
    found = await draft_at(update, context, (BRANCH,))
    unit = await context.db.get(Unit, chosen.unit_id) if found else None
    own = context.member.branch_id if context.member else None
    if query is None or found is None or unit is None or not unit.is_branch or unit.id == own:
        if found is not None:
            await refuse(update, context, "residence_branch")
        return
    await ack(query)
    await _ask(update, context, replace(found[1], branch_id=unit.id, branch_text=None))


async def on_branch_outside(update: Update, context: Context, _pressed: object) -> None:
    """The residence branch is not in the bot: the member types its name."""
    query = update.callback_query
    found = await draft_at(update, context, (BRANCH,))
    if query is None or found is None:
        return
    await ack(query)
    await _ask(update, context, replace(found[1], outside=True))


async def on_skip(update: Update, context: Context, _pressed: object) -> None:
    """An optional answer is skipped (no letter yet skips its date too)."""
    query = update.callback_query
    found = await draft_at(update, context, SKIPPABLE)
    if query is None or found is None:
        return
    await ack(query)
    draft = found[1]
    if draft.step == AREA:
        await _ask(update, context, replace(draft, area=Area()))
    else:
        await show_preview(update, context, draft)


# The form's buttons, and what a press of each does (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.REGISTER.route(on_register, "residence_register"),
    buttons.BRANCH.route(on_branch_chosen, "residence_branch"),
    buttons.OUTSIDE.route(on_branch_outside, "residence_register_button"),
    buttons.SKIP.route(on_skip, "residence_register_button"),
)
