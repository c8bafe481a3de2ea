"""Transfer of party activity in the bot: the sending secretary (or deputy) starts it from
the member's card (official or temporary, where to, the introduction letter's number and
date); a receiving branch in the bot is told and confirms receipt; one outside the bot takes
the member off the roster at once. Overdue transfers are flagged by a stored job.

Buttons: `trf:<member>` start, `trk:<member>:<kind>`, `trb:<member>:<branch>` a branch in
the bot, `tro:<member>` outside the bot, `trc:<transfer>` confirm receipt.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can, can_on_member
from bot.delivery.sender import wake_sender_after_commit
from bot.fit import button_label
from bot.i18n import N_, Translator
from bot.scheduler import JobContext, wake_scheduler_after_commit
from bot.settings import Settings
from handlers.common import Context, ack, callback_args, edit_text, managed_member, refuse, send
from handlers.readers import reader_translator
from handlers.typed_input import parse_day, typed_text
from storage import outbox
from storage.flows import clear_flow, get_flow, save_flow
from storage.members import get_member
from storage.models import FlowState, Member, MemberTransfer, Role, TransferKind, Unit
from storage.outbox import NewMessage, text_payload
from storage.plan_reports import committee_of
from storage.residence import search_branches
from storage.standing import StandingError
from storage.transfers import (
    OVERDUE_KIND,
    TransferDraft,
    confirm_transfer,
    get_transfer,
    start_transfer,
)

TRANSFER_FLOW = "transfer"
KINDS = (TransferKind.OFFICIAL, TransferKind.TEMPORARY)
KIND_NAMES = {TransferKind.OFFICIAL: N_("Official"), TransferKind.TEMPORARY: N_("Temporary")}
WHERE_LIMIT = 255
LETTER_LIMIT = 64
PROBLEMS = {
    "same_branch": N_("The member is already on that branch's roster."),
    "transfer_pending": N_("A transfer of this member is already waiting for confirmation."),
    "transfer_done": N_("This transfer is already confirmed."),
}


def local_today(context: Context) -> date:
    return context.today()


def transfer_button(member_id: int, _: Translator) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(_("➡️ Transfer of party activity"), callback_data=f"trf:{member_id}")
    ]


async def _managed(update: Update, context: Context, count: int = 1) -> Member | None:
    return await managed_member(update, context, "transfer", count)


async def on_start(update: Update, context: Context) -> None:
    _ = context._
    member = await _managed(update, context)
    query = update.callback_query
    if member is None or query is None:
        return
    await ack(query)
    rows = [
        [InlineKeyboardButton(_(KIND_NAMES[k]), callback_data=f"trk:{member.id}:{i}")]
        for i, k in enumerate(KINDS)
    ]
    text = _(
        "Transfer of {name}: official or temporary?", name=f"<b>{escape(member.full_name)}</b>"
    )
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))


async def on_kind(update: Update, context: Context) -> None:
    _ = context._
    member = await _managed(update, context, 2)
    query, user = update.callback_query, update.effective_user
    args = callback_args(query, 2) if query else None
    if member is None or query is None or user is None or args is None:
        return
    if args[1] >= len(KINDS):
        await refuse(update, context, "transfer_kind")
        return
    await ack(query)
    data = {"member_id": member.id, "kind": KINDS[args[1]].value}
    await save_flow(context.db, user.id, TRANSFER_FLOW, "where", data, context.now())
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
    member = await get_member(context.db, int(state.data.get("member_id", 0)))
    if member is None or not can_on_member(context.actor, Action.MANAGE_MEMBERS, member):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "transfer_draft")
        return
    if state.step == "where":
        await _where(update, context, state, member)
    elif state.step == "letter_no":
        number = await typed_text(update, context, LETTER_LIMIT, N_("The letter number"))
        if number is None:
            return
        data = {**state.data, "letter_no": number}
        await save_flow(
            context.db, state.user_id, TRANSFER_FLOW, "letter_date", data, context.now()
        )
        await send(update, _("The date of the introduction letter? Send it as dd/mm/yyyy."))
    else:
        message = update.effective_message
        day = parse_day(message.text or "", local_today(context)) if message else None
        if day is None:
            await send(update, _("Please send a date as dd/mm/yyyy, for example 01/06/2026."))
            return
        await _start(update, context, state, member, day)


async def _where(update: Update, context: Context, state: FlowState, member: Member) -> None:
    _ = context._
    typed = await typed_text(update, context, WHERE_LIMIT, N_("The search"))
    if typed is None:
        return
    found = await search_branches(context.db, typed, exclude_id=member.branch_id)
    data = {**state.data, "typed": typed}
    await save_flow(context.db, state.user_id, TRANSFER_FLOW, "where", data, context.now())
    rows = [
        [InlineKeyboardButton(button_label(b.name), callback_data=f"trb:{member.id}:{b.id}")]
        for b in found
    ]
    outside = _("Not in the bot: {name}", name=typed)
    rows.append([InlineKeyboardButton(outside, callback_data=f"tro:{member.id}")])
    await send(update, _("Choose the receiving branch:"), InlineKeyboardMarkup(rows))


async def _draft_of(update: Update, context: Context, member: Member) -> FlowState | None:
    user = update.effective_user
    state = await get_flow(context.db, user.id, TRANSFER_FLOW) if user else None
    if state is None or state.step != "where" or state.data.get("member_id") != member.id:
        await refuse(update, context, "transfer_stale")
        return None
    return state


async def on_branch(update: Update, context: Context) -> None:
    member = await _managed(update, context, 2)
    query = update.callback_query
    args = callback_args(query, 2) if query else None
    if member is None or query is None or args is None:
        return
    branch = await context.db.get(Unit, args[1])
    state = await _draft_of(update, context, member)
    if state is None:
        return
    if branch is None or not branch.is_branch or branch.id == member.branch_id:
        await refuse(update, context, "transfer_branch")
        return
    await ack(query)
    await _ask_letter(update, context, state, {"to_branch_id": branch.id, "to_name": branch.name})


async def on_outside(update: Update, context: Context) -> None:
    member = await _managed(update, context)
    query = update.callback_query
    if member is None or query is None:
        return
    state = await _draft_of(update, context, member)
    if state is None:
        return
    await ack(query)
    typed = str(state.data.get("typed", ""))
    await _ask_letter(update, context, state, {"to_branch_id": None, "to_name": typed})


async def _ask_letter(
    update: Update, context: Context, state: FlowState, more: dict[str, object]
) -> None:
    data = {**state.data, **more}
    await save_flow(context.db, state.user_id, TRANSFER_FLOW, "letter_no", data, context.now())
    await send(update, context._("The number of the introduction letter (giấy giới thiệu)?"))


async def _start(
    update: Update, context: Context, state: FlowState, member: Member, letter_date: date
) -> None:
    _ = context._
    data = state.data
    to_branch_id = data.get("to_branch_id")
    draft = TransferDraft(
        TransferKind(data["kind"]),
        int(to_branch_id) if to_branch_id else None,
        None if to_branch_id else str(data["to_name"]),
        str(data["letter_no"]),
        letter_date,
    )
    try:
        transfer = await start_transfer(
            context.db, member, draft, by_member_id=context.actor.member_id, now=context.now(),
            today=local_today(context), confirm_days=context.settings.transfer_confirm_days,
        )  # fmt: skip
    except StandingError as error:
        await clear_flow(context.db, state.user_id, state.flow)
        await send(update, _(PROBLEMS[error.code]))
        return
    await clear_flow(context.db, state.user_id, state.flow)
    name, where = f"<b>{escape(member.full_name)}</b>", escape(str(data["to_name"]))
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
    full = await get_transfer(context.db, transfer.id)
    assert full is not None and full.to_branch is not None
    messages = await _to_secretaries(
        context.db, full.to_branch, context.settings, lambda t: _ask_confirm(full, t)
    )
    await outbox.enqueue_broadcast(
        context.db, OVERDUE_KIND, messages, unit_id=full.to_branch_id, now=context.now()
    )
    wake_sender_after_commit(context.bot_data)
    wake_scheduler_after_commit(context.bot_data)
    await send(
        update,
        _(
            "Sent to {where} for confirmation. {name} moves once their secretary confirms receipt.",
            name=name,
            where=where,
        ),
    )


def _ask_confirm(transfer: MemberTransfer, _: Translator) -> tuple[str, dict[str, object] | None]:
    text = _(
        "📨 {name} is transferred ({kind}) from {branch} to your branch, introduction letter "
        "{number} of {date}. Confirm when you have received them.",
        name=escape(transfer.member.full_name),
        kind=_(KIND_NAMES[transfer.kind]).lower(),
        branch=escape(transfer.from_branch.name),
        number=escape(transfer.letter_no or "—"),
        date=_.date_text(transfer.letter_date),
    )
    button = {"text": _("✅ Confirm receipt"), "callback_data": f"trc:{transfer.id}"}
    return text, {"inline_keyboard": [[button]]}


Build = Callable[[Translator], tuple[str, dict[str, object] | None]]


async def _to_secretaries(
    session: AsyncSession, branch: Unit, settings: Settings, build: Build
) -> list[NewMessage]:
    """A message to each secretary and deputy of the branch (or the nearest committee
    above), in their language."""
    messages = []
    for person in await committee_of(session, branch, (Role.SECRETARY, Role.DEPUTY_SECRETARY)):
        _ = reader_translator(person.account, settings)
        text, markup = build(_)
        chat_id = person.account.user_id if person.account else 0
        payload = text_payload(text, reply_markup=markup) if markup else text_payload(text)
        messages.append(NewMessage(chat_id, payload, member_id=person.member.id))
    return messages


async def on_confirm(update: Update, context: Context) -> None:
    """The receiving secretary confirms: the member moves (official) or is away (temporary)."""
    _ = context._
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    transfer = await get_transfer(context.db, args[0]) if args else None
    to_branch = transfer.to_branch if transfer else None
    if query is None or transfer is None or to_branch is None:
        await refuse(update, context, "transfer_confirm")
        return
    if not can(context.actor, Action.MANAGE_MEMBERS, to_branch.path) or transfer.confirmed_at:
        await refuse(update, context, "transfer_confirm_forbidden")
        return
    await ack(query)
    await confirm_transfer(
        context.db, transfer, by_member_id=context.actor.member_id, now=context.now(),
        today=local_today(context),
    )  # fmt: skip
    name = escape(transfer.member.full_name)
    text = _(
        "Confirmed: {name} is received by {branch}.",
        name=f"<b>{name}</b>",
        branch=escape(to_branch.name),
    )
    await edit_text(query, text, parse_mode=ParseMode.HTML)

    def told(_: Translator) -> tuple[str, dict[str, object] | None]:
        return _(
            "✅ {branch} confirmed receiving {name}.", branch=escape(to_branch.name), name=name
        ), None

    messages = await _to_secretaries(context.db, transfer.from_branch, context.settings, told)
    await outbox.enqueue_broadcast(
        context.db, OVERDUE_KIND, messages, unit_id=transfer.from_branch_id, now=context.now()
    )
    wake_sender_after_commit(context.bot_data)


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
        messages += await _to_secretaries(job.session, branch, job.settings, build)
    await outbox.enqueue_broadcast(
        job.session, OVERDUE_KIND, messages, unit_id=transfer.from_branch_id, now=job.now
    )


def overdue_line(transfer: MemberTransfer, _: Translator, days: int) -> str:
    to_name = transfer.to_branch.name if transfer.to_branch else transfer.destination or "—"
    return _(
        "⚠️ The transfer of {name} from {source} to {target}, started on {date}, is not "
        "confirmed after {days} days.",
        name=escape(transfer.member.full_name),
        source=escape(transfer.from_branch.name),
        target=escape(to_name),
        date=_.date_text(_.local(transfer.started_at)),
        days=days,
    )


def transfer_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_start, pattern=r"^trf:"),
        CallbackQueryHandler(on_kind, pattern=r"^trk:"),
        CallbackQueryHandler(on_branch, pattern=r"^trb:"),
        CallbackQueryHandler(on_outside, pattern=r"^tro:"),
        CallbackQueryHandler(on_confirm, pattern=r"^trc:"),
    ]
