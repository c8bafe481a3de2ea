"""Messages typed while a draft is open (a notice, a meeting, a plan, a survey...) go to its
flow; with several drafts open, to the one the person touched last (where the last question
was asked).

Runs in a handler group before the features: the draft lives in the database, so whether a
message belongs to it is only known after reading it.

A question waits only while the person stays with it. A menu entry, any command, a button
of another feature (its callback data not the flow's own, `Draft.buttons`), ❌ Hủy under the
question, `/huy`, `/cancel` or typing `hủy` / `thôi` leaves it: the draft is
kept (resumed from its menu, or from ▶️ Continue), but what is typed next is not taken as
its answer. Answers that reach other people (a new meeting place, a reason the secretary
reads, a comment sent to a member) are shown back with Send / Edit before they go.
"""

from __future__ import annotations

import contextvars
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.i18n import Translator
from handlers.shared.buttons import ButtonKind
from handlers.shared.common import Context, ack, drop_buttons, refuse
from handlers.shared.menu import entry_for_text
from storage.flows import get_flow, left_flow, pause_flows, save_flow, touch_flow
from storage.models import FlowState

DraftStep = Callable[[Update, Context, FlowState], Awaitable[None]]
# Why a typed answer cannot be taken (shown at once, before Send / Edit), or None.
Check = Callable[[Context, FlowState, str], str | None]

DRAFT_INPUT = (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL
CANCEL_COMMANDS = ("huy", "cancel")
CANCEL_WORDS = frozenset({"huy", "thoi", "cancel", "stop"})  # compared without tone marks
TYPED_KEY = "_typed"  # the answer shown back, waiting for Send / Edit
ECHO_LIMIT = 200  # characters of a typed answer shown back in an echo line


@dataclass(frozen=True)
class FlowName:
    """The draft a button is about: its stored flow name."""

    flow: str


# The drafts' own buttons, the same for every flow (shared/buttons.py: data `dfx`, `dfr:plan`).
CANCEL = ButtonKind("dfx")  # ❌ Cancel: leave the question, the draft stays
RESUME = ButtonKind("dfr", FlowName)  # ▶️ Continue
SEND = ButtonKind("dfs", FlowName)  # ✅ Send what was shown back
EDIT = ButtonKind("dfe", FlowName)  # ✏️ Edit it
FLOW_KINDS = (RESUME, SEND, EDIT)
# The steps whose typed answer goes to other people: shown back with Send / Edit first.
REACHES_OTHERS = frozenset({"time", "place", "reason", "comment"})


@dataclass(frozen=True)
class Draft:
    """A flow that waits for typed text: its step, what it is called, the menu entry it is
    resumed from (msgids), the steps whose answer reaches other people, and the callback
    data of its own buttons (a regular expression; a press of any other button leaves the
    question)."""

    step: DraftStep
    name: str
    menu: str
    confirm: frozenset[str] = frozenset()
    check: Check | None = None
    buttons: str = ""

    def owns(self, data: str) -> bool:
        return bool(self.buttons) and re.match(self.buttons, data) is not None


# The text confirmed with Send, for the step that reads it instead of the message's own.
_confirmed: contextvars.ContextVar[str | None] = contextvars.ContextVar("confirmed", default=None)


def draft_text(message: Message) -> str:
    """The answer a step should use: the one confirmed with Send, else what was typed."""
    confirmed = _confirmed.get()
    return confirmed if confirmed is not None else (message.text or "")


def cancel_button(_: Translator) -> InlineKeyboardButton:
    """❌ Cancel under a question that waits for typing: leaves it, the draft stays."""
    return CANCEL.button(_("❌ Cancel"))


def with_cancel(
    _: Translator, rows: list[list[InlineKeyboardButton]] | None = None
) -> InlineKeyboardMarkup:
    """The question's own buttons, and ❌ Cancel below them."""
    return InlineKeyboardMarkup([*(rows or []), [cancel_button(_)]])


def shortened(text: str, limit: int = ECHO_LIMIT, html: bool = True) -> str:
    """A typed text to show back: on one line, cut with … when long; escaped for HTML."""
    flat = " ".join(text.split())
    short = flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
    return escape(short) if html else short


def saved_echo(_: Translator, what: str, text: str, html: bool = True) -> str:
    """`Saved <what>: …`, what the person typed shown back (escaped for HTML messages)."""
    return _("💾 Saved {what}: «{text}»", what=what, text=shortened(text, html=html))


def is_cancel_word(text: str) -> bool:
    """`hủy`, `huỷ`, `Hủy!`, `thôi`, `cancel`: the person wants out of the question."""
    plain = unicodedata.normalize("NFD", text.strip().lower().strip(".!"))
    plain = "".join(c for c in plain if unicodedata.category(c) != "Mn").replace("đ", "d")
    return plain in CANCEL_WORDS


def draft_handlers(drafts: dict[str, Draft]) -> list[BaseHandler[Update, Context, None]]:
    private = filters.ChatType.PRIVATE

    async def on_draft_input(update: Update, context: Context) -> None:
        """The member's message answers the question waiting for it; nothing else answers it
        then. A menu entry leaves the question; `hủy` leaves it and says so."""
        user, message = update.effective_user, update.effective_message
        if user is None or message is None or not context.actor.is_member:
            return
        if message.text and entry_for_text(message.text) is not None:
            await pause_flows(context.db, user.id)
            return  # the menu answers; the draft stays
        if message.text and is_cancel_word(message.text):
            await _leave(message, context, drafts)
            raise ApplicationHandlerStop
        state = await get_flow(context.db, user.id)
        draft = drafts.get(state.flow) if state else None
        if state is None or draft is None:
            await _tell_left(message, context, drafts)
            return
        if state.step in draft.confirm and message.text:
            problem = draft.check(context, state, message.text) if draft.check else None
            if problem is not None:
                await message.reply_text(problem, reply_markup=with_cancel(context._))
            else:
                await _show_back(message, context, state, message.text)
        else:
            await draft.step(update, context, state)
        raise ApplicationHandlerStop  # the feature handlers must not answer it as well

    async def on_command(update: Update, context: Context) -> None:
        """Any command leaves the waiting question; /huy and /cancel only do that."""
        user, message = update.effective_user, update.effective_message
        if user is None or message is None:
            return
        command = (message.text or "").split()[0].lstrip("/").split("@")[0].lower()
        if command in CANCEL_COMMANDS:
            await _leave(message, context, drafts)
            raise ApplicationHandlerStop
        await pause_flows(context.db, user.id)

    async def on_cancel(update: Update, context: Context, _pressed: object) -> None:
        await _on_cancel(update, context, drafts)

    async def on_flow_button(update: Update, context: Context, pressed: FlowName) -> None:
        await _on_flow_button(update, context, drafts, pressed.flow)

    async def on_other_button(update: Update, context: Context) -> None:
        """A button of another feature leaves the waiting question, as a menu entry does
        (the feature answers the press; a flow it continues waits again when it saves)."""
        user, query = update.effective_user, update.callback_query
        if user is None or query is None or not context.actor.is_member:
            return
        state = await get_flow(context.db, user.id)
        draft = drafts.get(state.flow) if state else None
        if state is not None and not (draft and draft.owns(query.data or "")):
            await pause_flows(context.db, user.id)

    return [
        MessageHandler(private & filters.COMMAND, on_command),
        MessageHandler(private & DRAFT_INPUT, on_draft_input),
        # Answered here, never as an unknown button (final: no later group sees the press).
        CANCEL.route(on_cancel, "draft_button").handler(final=True),
        *(kind.route(on_flow_button, "draft_button").handler(final=True) for kind in FLOW_KINDS),
        CallbackQueryHandler(on_other_button),
    ]


async def _leave(message: Message, context: Context, drafts: dict[str, Draft]) -> None:
    """The person leaves the question (their drafts are kept), and is told how to return."""
    _ = context._
    left = await pause_flows(context.db, context.actor.telegram_id)
    flow = next((s.flow for s in left if s.flow in drafts), None)
    if flow is None:
        await message.reply_text(_("There is no question waiting for your answer."))
        return
    await message.reply_text(
        _(
            "Stopped: I no longer wait for your answer. Your draft ({name}) is kept: "
            "continue it from {menu}.",
            name=_(drafts[flow].name),
            menu=_(drafts[flow].menu),
        ),
        reply_markup=InlineKeyboardMarkup([[_resume_button(_, flow)]]),
    )


async def _tell_left(message: Message, context: Context, drafts: dict[str, Draft]) -> None:
    """Typed text with no question waiting, while a draft was left: it is not used, and the
    person learns where the draft is. Anything else goes on to the features."""
    state = await left_flow(context.db, context.actor.telegram_id)
    draft = drafts.get(state.flow) if state else None
    if state is None or draft is None or not message.text:
        return
    _ = context._
    await message.reply_text(
        _(
            "No question is waiting for an answer, so I did not use this message. Your draft "
            "({name}) is kept: continue it from {menu}, or press ▶️ Continue.",
            name=_(draft.name),
            menu=_(draft.menu),
        ),
        reply_markup=InlineKeyboardMarkup([[_resume_button(_, state.flow)]]),
    )
    raise ApplicationHandlerStop


def _resume_button(_: Translator, flow: str) -> InlineKeyboardButton:
    return RESUME.button(_("▶️ Continue"), FlowName(flow))


async def _show_back(message: Message, context: Context, state: FlowState, text: str) -> None:
    """An answer that reaches other people is shown back first, with Send / Edit."""
    _ = context._
    data = {**state.data, TYPED_KEY: text}
    await save_flow(context.db, state.user_id, state.flow, state.step, data, context.now())
    buttons = [
        SEND.button(_("✅ Send"), FlowName(state.flow)),
        EDIT.button(_("✏️ Edit"), FlowName(state.flow)),
    ]
    await message.reply_text(
        _("You wrote:\n«{text}»\n\nSend it?", text=escape(text.strip())),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([buttons, [cancel_button(_)]]),
    )


async def _on_cancel(update: Update, context: Context, drafts: dict[str, Draft]) -> None:
    """❌ Cancel: the presser leaves the question waiting for them; their drafts stay."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message) or not context.actor.is_member:
        await refuse(update, context, "draft_button")
        return
    await ack(query)
    await drop_buttons(query)
    await _leave(query.message, context, drafts)


async def _on_flow_button(
    update: Update, context: Context, drafts: dict[str, Draft], flow: str
) -> None:
    """▶️ Continue, ✅ Send, ✏️ Edit: only ever on the presser's own drafts."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message) or not context.actor.is_member:
        await refuse(update, context, "draft_button")
        return
    state = await get_flow(context.db, context.actor.telegram_id, flow)
    draft = drafts.get(flow)
    if state is None or draft is None:
        await ack(query, context._("This draft is no longer open."), show_alert=True)
        await drop_buttons(query)
        return
    await ack(query)
    await drop_buttons(query)
    pressed = query.data or ""
    if RESUME.parse(pressed) is not None:
        await _resume(update, context, state, draft)
    elif EDIT.parse(pressed) is not None or TYPED_KEY not in state.data:
        await _ask_again(update, context, state)
    else:
        await _send_confirmed(update, context, state, draft)


async def _resume(update: Update, context: Context, state: FlowState, draft: Draft) -> None:
    _ = context._
    await touch_flow(context.db, state, context.now())
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            _(
                "Continuing your draft ({name}): please send your answer to its last question.",
                name=_(draft.name),
            ),
            reply_markup=with_cancel(_),
        )


async def _ask_again(update: Update, context: Context, state: FlowState) -> None:
    _ = context._
    data = {k: v for k, v in state.data.items() if k != TYPED_KEY}
    await save_flow(context.db, state.user_id, state.flow, state.step, data, context.now())
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            _("Please send the new text."), reply_markup=with_cancel(_)
        )


async def _send_confirmed(update: Update, context: Context, state: FlowState, draft: Draft) -> None:
    """The step runs on the answer shown back, as if it had just been typed."""
    text = str(state.data[TYPED_KEY])
    state.data = {k: v for k, v in state.data.items() if k != TYPED_KEY}
    await touch_flow(context.db, state, context.now())
    token = _confirmed.set(text)
    try:
        await draft.step(update, context, state)
    finally:
        _confirmed.reset(token)
