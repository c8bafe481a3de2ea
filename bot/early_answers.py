"""Button presses answered as they arrive, before their update waits for its lane.

Telegram takes `answerCallbackQuery` for about 15 seconds after a press. When hundreds press
at once (a notice reaching a whole committee), the lanes handle their updates as fast as the
processor allows, which can take longer than that: answered from the lane, most presses
would only show a spinner. So the receiving side (the poller or the webhook, bot/receiving.py)
answers the presses whose answer is a fast access decision: one read for the whole batch,
closed before the answers go out, while the batch is being stored (the next batch waits for
the storing, not for the answers). The update is marked (`ANSWERED`) before it is stored, so
its handler's own answer is dropped when the lane handles it later; the rest of the handler
(the receipt, its audit row, the edited button) stays durable and happens once, as before.

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
STOP_SECONDS = 5.0


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
# answered with no text (its handler's answer is dropped: it was marked before the decision).
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
    """Marks the presses it will answer (before their batch is stored), then decides and
    sends their answers while the batch is being stored."""

    def __init__(
        self, deciders: Mapping[str, Decide], settings: Settings, replies: ReplySender
    ) -> None:
        self.deciders = dict(deciders)
        self.settings = settings
        self.replies = replies
        self._sending: set[asyncio.Task[None]] = set()

    def mark(self, payloads: list[dict[str, Any]]) -> list[tuple[str, list[Press]]]:
        """The batch's presses that have a decider, by prefix; their payloads are marked
        (`ANSWERED`), so their handlers' answers are dropped: they are answered here."""
        by_prefix: dict[str, list[Press]] = {}
        for payload in payloads:
            press = press_of(payload)
            if press is None:
                continue
            prefix = press.data.split(":", 1)[0]
            if prefix in self.deciders:
                by_prefix.setdefault(prefix, []).append(press)
                payload[ANSWERED] = True
        return list(by_prefix.items())

    def answer(
        self, sessions: async_sessionmaker[AsyncSession], marked: list[tuple[str, list[Press]]]
    ) -> None:
        """Decides and sends the marked presses' answers in the background: the batch's
        storing (and with it the next batch) does not wait for them, nor they for it."""
        if marked:
            self._track(asyncio.create_task(self._answer(sessions, marked)))

    async def _answer(
        self, sessions: async_sessionmaker[AsyncSession], marked: list[tuple[str, list[Press]]]
    ) -> None:
        self.send(await self.decide(sessions, marked))

    async def decide(
        self, sessions: async_sessionmaker[AsyncSession], marked: list[tuple[str, list[Press]]]
    ) -> list[Call]:
        """The answers of the marked presses, from a read of its own: on SQLite it does not
        queue for the one writer behind the lanes' transactions.

        Every marked press gets one: a press its decider left out, or every press when the
        database cannot be read, is answered with no text (its handler's answer is dropped,
        and a spinner must not be left turning). Should storing fail, Telegram sends the
        updates again and they are answered again (refused as a repeat: harmless)."""
        answers: dict[str, Answer] = {}
        try:
            async with read_transaction(sessions) as session:
                for prefix, presses in marked:
                    answers.update(await self.deciders[prefix](session, presses, self.settings))
        except SQLAlchemyError as error:
            log.warning("early answers without their text (%s)", type(error).__name__)
        return [
            answers.get(press.query_id, Answer()).call(press.query_id)
            for _prefix, presses in marked
            for press in presses
        ]

    def send(self, calls: list[Call]) -> None:
        """Sends the answers concurrently."""
        for call in calls:
            self._track(asyncio.create_task(self._send(call)))

    def _track(self, task: asyncio.Task[None]) -> None:
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
        """Lets answers on their way finish (a clean stop), those still being decided too."""
        deadline = asyncio.get_running_loop().time() + STOP_SECONDS
        while self._sending and (left := deadline - asyncio.get_running_loop().time()) > 0:
            await asyncio.wait(set(self._sending), timeout=left)
