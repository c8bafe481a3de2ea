"""Button presses answered as they arrive, before their update waits for its lane.

Telegram takes `answerCallbackQuery` for about 15 seconds after a press. When hundreds press
at once (a notice reaching a whole committee), the lanes handle their updates as fast as the
processor allows, which can take longer than that: answered from the lane, most presses
would only show a spinner. So the receiving side (the poller or the webhook, right before
the updates are stored) answers the presses whose answer is a fast access decision: one read
for the whole batch, closed before the answers go out. The stored update is marked
(`ANSWERED`), so its handler's own answer is dropped when the lane handles it later; the rest
of the handler (the receipt, its audit row, the edited button) stays durable and happens
once, as before.

Only buttons with a decider (`Decide`, by the prefix of their callback data) are answered
early: their decider says what the handler would say, a refusal included. Any other press is
answered by its handler (lanes with presses waiting for their answer go first; a press
answered early waits its turn like a message, so the replies that Telegram's limits pace
start as early as they can).

An answer is not a message: Telegram does not count it against the 30 messages a second,
so it does not wait for the outbox's limits either.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.replies import ANSWER, Call, ReplySender
from bot.retry import retry_after_seconds
from bot.settings import Settings
from storage import inbox
from storage.db import read_transaction

log = logging.getLogger(__name__)

ANSWERED = inbox.ANSWERED  # in a stored payload: its press was answered on arrival
TRIES = 3
PAUSE_SECONDS = 0.5


@dataclass(frozen=True)
class Press:
    query_id: str
    user_id: int
    data: str
    language_code: str | None  # the Telegram app's language


@dataclass(frozen=True)
class Answer:
    text: str | None = None
    alert: bool = False

    def call(self, query_id: str) -> Call:
        params = {"callback_query_id": query_id}
        if self.text:
            params["text"] = self.text
        if self.alert:
            params["show_alert"] = "true"  # form fields are JSON-encoded, as PTB sends them
        return Call(ANSWER, params)


# Answers for a batch of presses of one kind of button, by query id; a press left out is
# answered by its handler.
Decide = Callable[[AsyncSession, list[Press], Settings], Awaitable[dict[str, Answer]]]


def answered_early(payload: Mapping[str, Any]) -> bool:
    return bool(payload.get(ANSWERED))


def without_mark(payload: dict[str, Any]) -> dict[str, Any]:
    """The update as Telegram sent it (the mark is ours)."""
    if ANSWERED not in payload:
        return payload
    return {key: value for key, value in payload.items() if key != ANSWERED}


def press_of(payload: Mapping[str, Any]) -> Press | None:
    query = payload.get("callback_query")
    if not isinstance(query, dict) or not query.get("id") or not query.get("data"):
        return None
    user = query.get("from") or {}
    if not user.get("id") or user.get("is_bot"):
        return None
    return Press(str(query["id"]), int(user["id"]), str(query["data"]), user.get("language_code"))


class EarlyAnswers:
    """Decides (in the storing transaction) and sends (after its commit) early answers."""

    def __init__(
        self, deciders: Mapping[str, Decide], settings: Settings, replies: ReplySender
    ) -> None:
        self.deciders = dict(deciders)
        self.settings = settings
        self.replies = replies
        self._sending: set[asyncio.Task[None]] = set()

    async def decide(
        self, sessions: async_sessionmaker[AsyncSession], payloads: list[dict[str, Any]]
    ) -> list[Call]:
        """The answers for the batch's presses that have a decider; marks their payloads.

        A read of its own, before the updates are stored: on SQLite it does not queue for the
        one writer behind the lanes' transactions. Should storing then fail, Telegram sends
        the updates again and they are answered again (refused as a repeat: harmless)."""
        try:
            async with read_transaction(sessions) as session:
                return await self._decide(session, payloads)
        except SQLAlchemyError as error:  # the handlers will answer, as before
            log.warning("early answers unavailable (%s)", type(error).__name__)
            for payload in payloads:
                payload.pop(ANSWERED, None)
            return []

    async def _decide(self, session: AsyncSession, payloads: list[dict[str, Any]]) -> list[Call]:
        by_prefix: dict[str, list[tuple[Press, dict[str, Any]]]] = {}
        for payload in payloads:
            press = press_of(payload)
            if press is None:
                continue
            prefix = press.data.split(":", 1)[0]
            if prefix in self.deciders:
                by_prefix.setdefault(prefix, []).append((press, payload))
        calls: list[Call] = []
        for prefix, entries in by_prefix.items():
            answers = await self.deciders[prefix](
                session, [press for press, _ in entries], self.settings
            )
            for press, payload in entries:
                answer = answers.get(press.query_id)
                if answer is not None:
                    payload[ANSWERED] = True
                    calls.append(answer.call(press.query_id))
        return calls

    def send(self, calls: list[Call]) -> None:
        """Sends the answers concurrently (the batch's transaction has committed)."""
        for call in calls:
            task = asyncio.create_task(self._send(call))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, call: Call) -> None:
        for attempt in range(TRIES):
            try:
                await self.replies.send(call)
                return
            except RetryAfter as error:  # not expected for answers; wait as asked
                await asyncio.sleep(retry_after_seconds(error))
            except (BadRequest, Forbidden):  # too old, or answered before: a spinner at most
                return
            except NetworkError as error:
                log.warning("early answer failed (%s)", type(error).__name__)
                await asyncio.sleep(PAUSE_SECONDS * 2**attempt)

    async def stop(self) -> None:
        """Lets answers on their way finish (a clean stop)."""
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=5.0)
