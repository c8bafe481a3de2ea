"""Transfer of party activity in the bot: the sending secretary (or deputy) starts it from
the member's card (official or temporary, where to, the introduction letter's number and
date); a receiving branch in the bot is told and confirms receipt; one outside the bot takes
the member off the roster at once. Overdue transfers are flagged by a stored job.

Buttons (handlers/members/buttons.py): start, the kind, a branch in the bot, outside the bot,
confirm receipt.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.fit import button_label
from bot.i18n import N_, Translator
from bot.scheduler import JobContext
from handlers.members import buttons
from handlers.members.actions import confirm_receipt, may_confirm, may_manage, start_member_transfer
from handlers.members.buttons import MemberBranch, MemberOption, MemberRef, TransferRef
from handlers.members.draft import (
    LETTER_NO,
    TRANSFER_FLOW,
    WHERE,
    MemberTransferDraft,
    save_draft,
)
from handlers.members.messages import KIND_NAMES, to_secretaries
from handlers.members.pick import chosen, managed
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse, send
from handlers.shared.transfer_text import overdue_line
from handlers.shared.typed_input import parse_day, typed_text
from handlers.shared.usecase import env_of
from storage import outbox
from storage.flows import clear_flow, get_flow
from storage.members import get_member
from storage.models import FlowState, Member, TransferKind, Unit
from storage.residence import search_branches
from storage.standing import StandingError
from storage.transfers import OVERDUE_KIND, TransferDraft, get_transfer

KINDS = (TransferKind.OFFICIAL, TransferKind.TEMPORARY)
WHERE_LIMIT = 255
LETTER_LIMIT = 64
PROBLEMS = {
    "same_branch": N_("The member is already on that branch's roster."),
    "transfer_pending": N_("A transfer of this member is already waiting for confirmation."),
    "transfer_done": N_("This transfer is already confirmed."),
}


async def _managed(update: Update, context: Context, member_id: int) -> Member | None:
    return await managed(update, context, member_id, "transfer")


async def on_start(update: Update, context: Context, pressed: MemberRef) -> None:
    _ = context._
    member = await _managed(update, context, pressed.member_id)
    query = update.callback_query
    if member is None or query is None:
        return
    await ack(query)
    rows = [
        [buttons.TRANSFER_KIND.button(_(KIND_NAMES[k]), MemberOption(member.id, i))]
        for i, k in enumerate(KINDS)
    ]
    text = _(
        "Transfer of {name}: official or temporary?", name=f"<b>{escape(member.full_name)}</b>"
    )
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))


async def on_kind(update: Update, context: Context, pressed: MemberOption) -> None:
    _ = context._
    member = await _managed(update, context, pressed.member_id)
    query, user = update.callback_query, update.effective_user
    if member is None or query is None or user is None:
        return
    kind = chosen(KINDS, pressed)
    if kind is None:
        await refuse(update, context, "transfer_kind")
        return
    await ack(query)
    await save_draft(context.db, user.id, MemberTransferDraft(member.id, kind), context.now())
    await edit_text(
        query,
        _(
            "Where to? Send the receiving branch's name (I look among the branches in the "
            "bot), or the organisation's full name if it is not in the bot."
        ),
    )


async def on_transfer_input(update: Update, context: Context, state: FlowState) -> None:
    """The typed destination, letter number or letter date."""
    _ = context._
    draft = MemberTransferDraft.load(state.data)
    member = await get_member(context.db, draft.member_id)
    if member is None or not may_manage(context.actor, member):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "transfer_draft")
        return
    if draft.step == WHERE:
        await _where(update, context, state.user_id, draft, member)
    elif draft.step == LETTER_NO:
        number = await typed_text(update, context, LETTER_LIMIT, N_("The letter number"))
        if number is None:
            return
        await save_draft(context.db, state.user_id, draft.with_letter_no(number), context.now())
        await send(update, _("The date of the introduction letter? Send it as dd/mm/yyyy."))
    else:
        message = update.effective_message
        day = parse_day(message.text or "", context.today()) if message else None
        if day is None:
            await send(update, _("Please send a date as dd/mm/yyyy, for example 01/06/2026."))
            return
        await _start(update, context, state.user_id, draft, member, day)


async def _where(
    update: Update, context: Context, user_id: int, draft: MemberTransferDraft, member: Member
) -> None:
    _ = context._
    typed = await typed_text(update, context, WHERE_LIMIT, N_("The search"))
    if typed is None:
        return
    found = await search_branches(context.db, typed, exclude_id=member.branch_id)
    await save_draft(context.db, user_id, draft.with_typed(typed), context.now())
    rows = [
        [buttons.TRANSFER_BRANCH.button(button_label(b.name), MemberBranch(member.id, b.id))]
        for b in found
    ]
    outside = _("Not in the bot: {name}", name=typed)
    rows.append([buttons.TRANSFER_OUTSIDE.button(outside, MemberRef(member.id))])
    await send(update, _("Choose the receiving branch:"), InlineKeyboardMarkup(rows))


async def _draft_of(
    update: Update, context: Context, member: Member
) -> tuple[int, MemberTransferDraft] | None:
    """The presser and their transfer draft of `member`, waiting for the destination."""
    user = update.effective_user
    state = await get_flow(context.db, user.id, TRANSFER_FLOW) if user else None
    draft = MemberTransferDraft.load(state.data) if state is not None else None
    if state is None or draft is None or draft.step != WHERE or draft.member_id != member.id:
        await refuse(update, context, "transfer_stale")
        return None
    return state.user_id, draft


async def on_branch(update: Update, context: Context, pressed: MemberBranch) -> None:
    member = await _managed(update, context, pressed.member_id)
    query = update.callback_query
    if member is None or query is None:
        return
    branch = await context.db.get(Unit, pressed.branch_id)
    found = await _draft_of(update, context, member)
    if found is None:
        return
    if branch is None or not branch.is_branch or branch.id == member.branch_id:
        await refuse(update, context, "transfer_branch")
        return
    await ack(query)
    user_id, draft = found
    await _ask_letter(update, context, user_id, draft.to(branch.id, branch.name))


async def on_outside(update: Update, context: Context, pressed: MemberRef) -> None:
    member = await _managed(update, context, pressed.member_id)
    query = update.callback_query
    if member is None or query is None:
        return
    found = await _draft_of(update, context, member)
    if found is None:
        return
    await ack(query)
    user_id, draft = found
    await _ask_letter(update, context, user_id, draft.to(None, draft.typed or ""))


async def _ask_letter(
    update: Update, context: Context, user_id: int, draft: MemberTransferDraft
) -> None:
    await save_draft(context.db, user_id, draft, context.now())
    await send(update, context._("The number of the introduction letter (giấy giới thiệu)?"))


async def _start(
    update: Update,
    context: Context,
    user_id: int,
    draft: MemberTransferDraft,
    member: Member,
    letter_date: date,
) -> None:
    """The complete draft (its step is the letter's date) starts the transfer."""
    _ = context._
    to_name, letter_no = draft.to_name, draft.letter_no
    assert to_name is not None and letter_no is not None
    to_branch_id = draft.to_branch_id
    new = TransferDraft(
        draft.kind,
        to_branch_id,
        None if to_branch_id else to_name,
        letter_no,
        letter_date,
    )
    try:
        transfer = await start_member_transfer(
            context.db, context.actor, member, new, env_of(context)
        )
    except StandingError as error:
        await clear_flow(context.db, user_id, TRANSFER_FLOW)
        await send(update, _(PROBLEMS[error.code]))
        return
    await clear_flow(context.db, user_id, TRANSFER_FLOW)
    name, where = f"<b>{escape(member.full_name)}</b>", escape(to_name)
    if transfer.to_branch_id is None:
        if transfer.kind == TransferKind.OFFICIAL:
            done = _(
                "Recorded: {name} is transferred to {where} and leaves the roster.",
                name=name,
                where=where,
            )
        else:
            done = _(
                "Recorded: {name} is away at {where} for a while (temporary transfer) and "
                "stays on the roster.",
                name=name,
                where=where,
            )
        await send(update, done)
        return
    await send(
        update,
        _(
            "Sent to {where} for confirmation. {name} moves once their secretary confirms receipt.",
            name=name,
            where=where,
        ),
    )


async def on_confirm(update: Update, context: Context, pressed: TransferRef) -> None:
    """The receiving secretary confirms: the member moves (official) or is away (temporary)."""
    _ = context._
    query = update.callback_query
    transfer = await get_transfer(context.db, pressed.transfer_id)
    to_branch = transfer.to_branch if transfer else None
    if query is None or transfer is None or to_branch is None:
        await refuse(update, context, "transfer_confirm")
        return
    if not may_confirm(context.actor, transfer):
        await refuse(update, context, "transfer_confirm_forbidden")
        return
    await ack(query)
    await confirm_receipt(context.db, context.actor, transfer, env_of(context))
    name = escape(transfer.member.full_name)
    text = _(
        "Confirmed: {name} is received by {branch}.",
        name=f"<b>{name}</b>",
        branch=escape(to_branch.name),
    )
    await edit_text(query, text, parse_mode=ParseMode.HTML)


async def flag_overdue(job: JobContext) -> None:
    """Payload: transfer_id. Still unconfirmed: both branches' secretaries are told."""
    transfer = await get_transfer(job.session, int(job.payload["transfer_id"]))
    if transfer is None or transfer.confirmed_at is not None or transfer.to_branch is None:
        return
    transfer.flagged_at = job.now

    def build(t: Translator) -> tuple[str, dict[str, object] | None]:
        return overdue_line(transfer, t, job.settings.transfer_confirm_days), None

    messages = []
    for branch in (transfer.from_branch, transfer.to_branch):
        messages += await to_secretaries(job.session, branch, job.settings, build)
    await outbox.enqueue_broadcast(
        job.session, OVERDUE_KIND, messages, unit_id=transfer.from_branch_id, now=job.now
    )


ROUTES: tuple[Route[Any], ...] = (
    buttons.TRANSFER.route(on_start, "transfer"),
    buttons.TRANSFER_KIND.route(on_kind, "transfer"),
    buttons.TRANSFER_BRANCH.route(on_branch, "transfer"),
    buttons.TRANSFER_OUTSIDE.route(on_outside, "transfer"),
    buttons.TRANSFER_CONFIRM.route(on_confirm, "transfer_confirm"),
)
