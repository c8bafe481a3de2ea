"""Messages typed while a draft is open (a notice, a meeting, a plan, a survey...) go to its
flow; with several drafts open, to the one the person touched last (where the last question
was asked).

Runs in a handler group before the features: the draft lives in the database, so whether a
message belongs to it is only known after reading it. Menu labels and commands still work
mid-draft; the draft waits for the person's return.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, MessageHandler, filters

from handlers.common import Context
from handlers.menu import entry_for_text
from storage.flows import get_flow
from storage.models import FlowState

DraftStep = Callable[[Update, Context, FlowState], Awaitable[None]]

DRAFT_INPUT = (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL


def draft_handlers(flows: dict[str, DraftStep]) -> list[BaseHandler[Update, Context, None]]:
    async def on_draft_input(update: Update, context: Context) -> None:
        """The member's message continues their open draft; nothing else answers it then."""
        user, message = update.effective_user, update.effective_message
        if user is None or message is None or not context.actor.is_member:
            return
        if message.text and entry_for_text(message.text) is not None:
            return  # the menu answers; the draft stays
        state = await get_flow(context.db, user.id)
        step = flows.get(state.flow) if state else None
        if state is None or step is None:
            return
        await step(update, context, state)
        raise ApplicationHandlerStop  # the feature handlers must not answer it as well

    return [MessageHandler(filters.ChatType.PRIVATE & DRAFT_INPUT, on_draft_input)]
