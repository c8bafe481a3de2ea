"""Composing a notice: audience, text or attachment, preview, then send through the outbox.

The draft (handlers/notices/draft.py) is a `flow_states` row, so a restart mid-composition
loses nothing; sending is `actions.send_notice`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can_anywhere
from bot.i18n import N_, Translator
from handlers.notices import buttons
from handlers.notices.actions import may_send, send_notice
from handlers.notices.buttons import NoticeRef, UnitRef
from handlers.notices.draft import (
    AUDIENCE,
    CAPTION_LIMIT,
    FLOW,
    TEXT_LIMIT,
    NoticeContent,
    NoticeDraft,
    save_draft,
)
from handlers.shared.audience import audience_rows
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse, refuse_draft_gone, units_for
from handlers.shared.readers import audience_name
from handlers.shared.typed_input import notice_content, too_long_text
from handlers.shared.usecase import env_of
from storage.flows import clear_flow, get_flow, lock_flow, touch_flow
from storage.models import AttachmentKind, FlowState, Unit
from storage.notices import audience_counts


async def show_notices(update: Update, context: Context) -> None:
    """The secretary sees the notices menu: write a new notice (or continue one), or the list."""
    _ = context._
    chat = update.effective_chat
    if chat is None or update.effective_user is None:
        return
    draft = await get_flow(context.db, update.effective_user.id, FLOW)
    new = _("✍️ Continue the draft") if draft else _("✍️ New notice")
    rows = [[buttons.NEW.button(new)], [buttons.LIST.button(_("📋 Notices sent"))]]
    await chat.send_message(
        _("📣 Notices: send information to the members and see who has received it."),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def _audiences(context: Context) -> list[Unit]:
    """Units the actor may send to: committees (all their branches) first, then branches."""
    return await units_for(context, Action.SEND_NOTICES)


async def on_new(update: Update, context: Context, _pressed: object) -> None:
    """The secretary continues their draft, or picks the audience of a new notice."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not can_anywhere(context.actor, Action.SEND_NOTICES):
        await refuse(update, context, "notice_new")
        return
    await ack(query)
    state = await get_flow(context.db, user.id, FLOW)
    if state is not None and await _resumed(update, context, state):
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
    await save_draft(context.db, context.actor.telegram_id, NoticeDraft(), context.now())
    rows = audience_rows(units, buttons.AUDIENCE, UnitRef, _)
    await _send_text(update, _("Who should get the notice?"), InlineKeyboardMarkup(rows))


async def _send_text(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    if update.effective_chat is not None:
        await update.effective_chat.send_message(text, reply_markup=markup)


async def _resumed(update: Update, context: Context, state: FlowState) -> bool:
    """Shows the draft's current step again; False if it has no audience yet, or (draft
    dropped) if its audience is no longer the actor's to send to (a role was revoked)."""
    draft = NoticeDraft.load(state.data)
    if draft.step == AUDIENCE:
        return False
    unit = await _unit(context, draft)
    if unit is None or not may_send(context.actor, unit):
        await clear_flow(context.db, state.user_id, state.flow)
        return False
    await touch_flow(context.db, state, context.now())  # typed text goes here again
    if draft.content is not None:
        await _show_preview(update, context, unit, draft.content)
    else:
        await _ask_for_text(update, context, unit)
    return True


async def _unit(context: Context, draft: NoticeDraft) -> Unit | None:
    return await context.db.get(Unit, draft.unit_id) if draft.unit_id is not None else None


async def on_audience(update: Update, context: Context, chosen: UnitRef) -> None:
    """The secretary picked the audience and is asked for the text."""
    query, user = update.callback_query, update.effective_user
    unit = await context.db.get(Unit, chosen.unit_id)
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
    await save_draft(context.db, user.id, NoticeDraft(unit.id), context.now())
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
    return InlineKeyboardMarkup([[buttons.CANCEL.button(_("❌ Cancel"))]])


async def on_notice_input(update: Update, context: Context, state: FlowState) -> None:
    """The secretary's text or attachment: a preview, or why it cannot be sent as it is."""
    _ = context._
    message = update.effective_message
    draft = NoticeDraft.load(state.data)
    unit = await _unit(context, draft)
    if message is None:
        return
    if draft.step != AUDIENCE and not may_send(context.actor, unit):
        await clear_flow(context.db, state.user_id, state.flow)  # the role is gone: so is the draft
        await refuse(update, context, "notice_draft_forbidden")
        return
    if draft.step == AUDIENCE or unit is None:  # the question again, its buttons below
        units = await _audiences(context)
        if not units:  # no role to send notices any more: no question without buttons
            await clear_flow(context.db, state.user_id, state.flow)
            await refuse(update, context, "notice_draft_forbidden")
            return
        await message.reply_text(_("Please answer with the buttons below."))
        await _ask_audience(update, context, units)
        return
    found = notice_content(message)
    if found is None:
        await message.reply_text(_("Please send a text, a document or a photo."))
        return
    content = NoticeContent.of(found)
    problem = _too_long(content, _)
    if problem:
        await message.reply_text(problem)
        return
    await save_draft(context.db, state.user_id, NoticeDraft(unit.id, content), context.now())
    await _show_preview(update, context, unit, content)


def _too_long(content: NoticeContent, _: Translator) -> str | None:
    """Why Telegram would refuse the text, naming its limit; None when it fits."""
    if len(content.text) <= content.limit:
        return None
    field = N_("The notice") if content.kind is None else N_("The caption")
    return too_long_text(_, field, len(content.text), content.limit)


async def _show_preview(
    update: Update, context: Context, unit: Unit, content: NoticeContent
) -> None:
    """The notice exactly as members will get it, then the question with Send and Cancel."""
    _ = context._
    chat = update.effective_chat
    if chat is None:
        return
    text, file_id = content.text or None, str(content.file_id)
    if content.kind == AttachmentKind.PHOTO:
        await chat.send_photo(file_id, caption=text)
    elif content.kind == AttachmentKind.DOCUMENT:
        await chat.send_document(file_id, caption=text)
    else:
        await chat.send_message(content.text)
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
            _.plural(
                "{count} of them has not linked Telegram and will not get it.",
                "{count} of them have not linked Telegram and will not get it.",
                unlinked,
            )
        )
    rows = [[buttons.SEND.button(_("📤 Send")), buttons.CANCEL.button(_("❌ Cancel"))]]
    await chat.send_message(
        "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows)
    )


async def on_send(update: Update, context: Context, _pressed: object) -> None:
    """The notice goes to the outbox; the secretary sees whom it goes to and a status button."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    # Locked: a second press at once waits, then finds the draft gone (sent once).
    state = await lock_flow(context.db, user.id, FLOW) if user else None
    if state is None and query and can_anywhere(context.actor, Action.SEND_NOTICES):
        await refuse_draft_gone(update, context, "notice_send_gone")
        return
    draft = NoticeDraft.load(state.data) if state is not None else NoticeDraft()
    unit = await _unit(context, draft)
    if (
        query is None
        or state is None
        or draft.content is None  # not at the preview
        or not may_send(context.actor, unit)
    ):
        await refuse(update, context, "notice_send")
        return
    assert unit is not None
    await ack(query)
    sent = await send_notice(context.db, context.actor, unit, draft.content, env_of(context))
    notice_id, count = sent.notice_id, sent.recipients
    await clear_flow(context.db, state.user_id, state.flow)
    status = buttons.STATUS.button(_("📊 Status"), NoticeRef(notice_id))
    audience = escape(audience_name(unit, _))  # not in the call: it would hide the plural
    await edit_text(
        query,
        _.plural(
            "📣 The notice is on its way to {count} member of {audience}. You will get a delivery "
            "report when it is done.",
            "📣 The notice is on its way to {count} members of {audience}. You will get a delivery "
            "report when it is done.",
            count,
            audience=audience,
        ),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[status]]),
    )


async def on_cancel(update: Update, context: Context, _pressed: object) -> None:
    """The draft is discarded."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await ack(query)
    await clear_flow(context.db, user.id, FLOW)
    await edit_text(query, _("The draft notice was discarded."))


# The buttons of composing, and what a press of each does (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.NEW.route(on_new, "notice_new"),
    buttons.AUDIENCE.route(on_audience, "notice_audience"),
    buttons.SEND.route(on_send, "notice_send"),
    buttons.CANCEL.route(on_cancel, "notice_cancel"),
)
