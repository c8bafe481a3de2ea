"""Composing a notice: audience, text or attachment, preview, then send through the outbox.

The draft is a `flow_states` row, so a restart mid-composition loses nothing.
"""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can_anywhere
from bot.i18n import Translator
from handlers.bulk_send import NOTICE, queue_or_schedule
from handlers.common import (
    Context,
    ack,
    callback_args,
    edit_text,
    refuse,
    refuse_draft_gone,
    units_for,
)
from handlers.notice_common import (
    CAPTION_LIMIT,
    FLOW,
    TEXT_LIMIT,
    audience_name,
    may_send,
    notice_content,
)
from storage import audit
from storage.flows import clear_flow, get_flow, lock_flow, save_flow, touch_flow
from storage.models import AttachmentKind, FlowState, Unit
from storage.notices import add_notice, audience_counts

Draft = dict[str, Any]


async def show_notices(update: Update, context: Context) -> None:
    """The secretary sees the notices menu: write a new notice (or continue one), or the list."""
    _ = context._
    chat = update.effective_chat
    if chat is None or update.effective_user is None:
        return
    draft = await get_flow(context.db, update.effective_user.id, FLOW)
    new = _("✍️ Continue the draft") if draft else _("✍️ New notice")
    buttons = [
        [InlineKeyboardButton(new, callback_data="nnew")],
        [InlineKeyboardButton(_("📋 Notices sent"), callback_data="nlist")],
    ]
    await chat.send_message(
        _("📣 Notices: send information to the members and see who has received it."),
        reply_markup=InlineKeyboardMarkup(buttons),
    )


async def _audiences(context: Context) -> list[Unit]:
    """Units the actor may send to: committees (all their branches) first, then branches."""
    return await units_for(context, Action.SEND_NOTICES)


async def on_new(update: Update, context: Context) -> None:
    """The secretary continues their draft, or picks the audience of a new notice."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not can_anywhere(context.actor, Action.SEND_NOTICES):
        await refuse(update, context, "notice_new")
        return
    await ack(query)
    draft = await get_flow(context.db, user.id, FLOW)
    if draft is not None and draft.step != "audience" and await _resumed(update, context, draft):
        return
    units = await _audiences(context)
    if len(units) == 1:
        await _ask_for_text(update, context, units[0])
    elif not units:
        await _send_text(update, _("There are no branches under your roles yet."))
    else:
        await _ask_audience(update, context, units)


async def _ask_audience(update: Update, context: Context, units: list[Unit]) -> None:
    _ = context._
    await save_flow(context.db, context.actor.telegram_id, FLOW, "audience", {}, context.now())
    rows = [[InlineKeyboardButton(audience_name(u, _), callback_data=f"na:{u.id}")] for u in units]
    await _send_text(update, _("Who should get the notice?"), InlineKeyboardMarkup(rows))


async def _send_text(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    if update.effective_chat is not None:
        await update.effective_chat.send_message(text, reply_markup=markup)


async def _resumed(update: Update, context: Context, draft: FlowState) -> bool:
    """Shows the draft's current step again; False (draft dropped) if its audience is no
    longer the actor's to send to (a role was revoked meanwhile)."""
    unit = await context.db.get(Unit, int(draft.data.get("unit_id", 0)))
    if unit is None or not may_send(context.actor, unit):
        await clear_flow(context.db, draft.user_id, draft.flow)
        return False
    await touch_flow(context.db, draft, context.now())  # typed text goes here again
    if draft.step == "preview":
        await _show_preview(update, context, unit, draft.data)
    else:
        await _ask_for_text(update, context, unit)
    return True


async def on_audience(update: Update, context: Context) -> None:
    """The secretary picked the audience and is asked for the text."""
    query, user = update.callback_query, update.effective_user
    args = callback_args(query, 1) if query else None
    unit = await context.db.get(Unit, args[0]) if args else None
    if query is None or user is None or not may_send(context.actor, unit):
        await refuse(update, context, "notice_audience")
        return
    assert unit is not None
    await ack(query)
    await _ask_for_text(update, context, unit)


async def _ask_for_text(update: Update, context: Context, unit: Unit) -> None:
    _ = context._
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    await save_flow(context.db, user.id, FLOW, "text", {"unit_id": unit.id}, context.now())
    await chat.send_message(
        _(
            "Send me the notice to {audience}: a text (up to {text_limit} characters), or a "
            "document or photo with a caption (up to {caption_limit} characters).",
            audience=audience_name(unit, _),
            text_limit=TEXT_LIMIT,
            caption_limit=CAPTION_LIMIT,
        ),
        reply_markup=_cancel_markup(_),
    )


def _cancel_markup(_: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(_("❌ Cancel"), callback_data="ncancel")]])


async def on_notice_input(update: Update, context: Context, draft: FlowState) -> None:
    """The secretary's text or attachment: a preview, or why it cannot be sent as it is."""
    _ = context._
    message = update.effective_message
    unit = await context.db.get(Unit, int(draft.data.get("unit_id", 0)))
    if message is None:
        return
    if draft.step != "audience" and not may_send(context.actor, unit):
        await clear_flow(context.db, draft.user_id, draft.flow)  # the role is gone: so is the draft
        await refuse(update, context, "notice_draft_forbidden")
        return
    if draft.step == "audience" or unit is None:  # the question again, its buttons below
        await message.reply_text(_("Please answer with the buttons below."))
        await _ask_audience(update, context, await _audiences(context))
        return
    content = notice_content(message)
    if content is None:
        await message.reply_text(_("Please send a text, a document or a photo."))
        return
    problem = _too_long(content, _)
    if problem:
        await message.reply_text(problem)
        return
    data = {"unit_id": unit.id, **content}
    await save_flow(context.db, draft.user_id, FLOW, "preview", data, context.now())
    await _show_preview(update, context, unit, data)


def _too_long(content: Draft, _: Translator) -> str | None:
    """Why Telegram would refuse the text, naming its limit; None when it fits."""
    limit = TEXT_LIMIT if content["kind"] is None else CAPTION_LIMIT
    if len(content["text"]) <= limit:
        return None
    return _(
        "This is {length} characters long; Telegram allows at most {limit}. Please shorten "
        "it and send it again: your draft is kept.",
        length=len(content["text"]),
        limit=limit,
    )


async def _show_preview(update: Update, context: Context, unit: Unit, data: Draft) -> None:
    """The notice exactly as members will get it, then the question with Send and Cancel."""
    _ = context._
    chat = update.effective_chat
    if chat is None:
        return
    text, file_id = data["text"] or None, str(data.get("file_id"))
    if data.get("kind") == AttachmentKind.PHOTO.value:
        await chat.send_photo(file_id, caption=text)
    elif data.get("kind") == AttachmentKind.DOCUMENT.value:
        await chat.send_document(file_id, caption=text)
    else:
        await chat.send_message(data["text"])
    total, linked = await audience_counts(context.db, unit)
    unlinked = total - linked
    where = escape(audience_name(unit, _))  # outside the call: pybabel misreads nested _()
    lines = [
        _.plural(
            "Send this notice to {count} member of {audience}?",
            "Send this notice to {count} members of {audience}?",
            total,
            audience=where,
        )
    ]
    if unlinked:
        lines.append(
            _("{count} of them have not linked Telegram and will not get it.", count=unlinked)
        )
    buttons = [
        [
            InlineKeyboardButton(_("📤 Send"), callback_data="nsend"),
            InlineKeyboardButton(_("❌ Cancel"), callback_data="ncancel"),
        ]
    ]
    await chat.send_message(
        "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(buttons)
    )


async def on_send(update: Update, context: Context) -> None:
    """The notice goes to the outbox; the secretary sees whom it goes to and a status button."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    # Locked: a second press at once waits, then finds the draft gone (sent once).
    draft = await lock_flow(context.db, user.id, FLOW) if user else None
    if draft is None and query and can_anywhere(context.actor, Action.SEND_NOTICES):
        await refuse_draft_gone(update, context, "notice_send_gone")
        return
    unit = await context.db.get(Unit, int(draft.data.get("unit_id", 0))) if draft else None
    if (
        query is None
        or draft is None
        or draft.step != "preview"
        or not may_send(context.actor, unit)
    ):
        await refuse(update, context, "notice_send")
        return
    assert unit is not None
    await ack(query)
    notice_id, count = await _send(context, unit, draft)
    await clear_flow(context.db, draft.user_id, draft.flow)
    status = InlineKeyboardButton(_("📊 Status"), callback_data=f"nst:{notice_id}")
    await edit_text(
        query,
        _(
            "📣 The notice is on its way to {count} members of {audience}. You will get a "
            "delivery report when it is done.",
            count=count,
            audience=escape(audience_name(unit, _)),
        ),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[status]]),
    )


async def _send(context: Context, unit: Unit, draft: FlowState) -> tuple[int, int]:
    """Stores the notice, its broadcast and receipts; returns its id and how many get it."""
    data = draft.data
    kind = AttachmentKind(data["kind"]) if data.get("kind") else None
    attachment = (str(data["file_id"]), kind) if kind else None
    notice = await add_notice(
        context.db, unit.id, context.actor.member_id, data["text"], attachment
    )
    _total, linked = await audience_counts(context.db, unit)
    await queue_or_schedule(context, NOTICE, notice.id, linked)
    await audit.record(
        context.db,
        "notice_sent",
        actor_member_id=context.actor.member_id,
        unit_id=unit.id,
        object_type="notice",
        object_id=notice.id,
        details={"recipients": linked},
    )
    return notice.id, linked


async def on_cancel(update: Update, context: Context) -> None:
    """The draft is discarded."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await ack(query)
    await clear_flow(context.db, user.id, FLOW)
    await edit_text(query, _("The draft notice was discarded."))


def notice_compose_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_new, pattern=r"^nnew$"),
        CallbackQueryHandler(on_audience, pattern=r"^na:"),
        CallbackQueryHandler(on_send, pattern=r"^nsend$"),
        CallbackQueryHandler(on_cancel, pattern=r"^ncancel$"),
    ]
