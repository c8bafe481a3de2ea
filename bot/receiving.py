"""The receiving side: where arriving updates are stored (the poller, the webhook) and presses
answered on arrival (bot/early_answers.py), apart from the lanes that handle them.

An update is acknowledged to Telegram (the next getUpdates asks past it, or the webhook
answers 200) only once it is stored, so a batch's storing holds up the next batch, and with
it the early answers of the presses in that batch. While the lanes run, the event loop they
share has hundreds of steps ready; each step of the receiving side (fetch, read the
answers, send them, store) would wait behind all of them, several times a batch (measured in
bench/burst on PostgreSQL: about 0.4 s a batch of 100 instead of a few tens of ms, so the
last presses of a burst of 1,000 were answered after 2-4 s).

So on PostgreSQL the receiving side runs in a thread of its own, with its own event loop,
its own two connections to the database and its own HTTP sessions: its steps wait for
nothing but the GIL, which Python hands over every few milliseconds. The lanes are woken
across threads. On SQLite it stays on the bot's loop: the one writer is queued for on an
asyncio lock of that loop (storage/db.py), which a thread could not join, and a second engine
waiting on SQLite's busy handler would lose every race to the lanes' back-to-back
transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.http import AiohttpRequest
from bot.delivery.limits import SendLimits
from bot.early_answers import Decide, EarlyAnswers
from bot.replies import ReplySender
from bot.settings import Settings
from storage import inbox
from storage.db import create_engine, session_factory, transaction

log = logging.getLogger(__name__)

# Early answers in flight at once: a whole batch's (getUpdates returns at most 100). Each holds
# its connection for a round trip: 16 connections 150 ms away answered only ~100 presses a
# second, and a burst's last presses waited seconds for one.
ANSWER_CONNECTIONS = 100
RECEIVING_POOL = {"pool_size": 2, "max_overflow": 0}


@dataclass
class Receiver:
    """Stores arriving updates and answers their presses, on the loop it was opened on."""

    sessions: async_sessionmaker[AsyncSession]
    early: EarlyAnswers
    wake: Callable[[], None]  # the lanes (thread-safe)
    request: AiohttpRequest  # for getUpdates (one connection, long polls)
    base_url: str

    async def store(self, payloads: list[dict[str, Any]]) -> None:
        """Stores updates and wakes the lanes. Presses that can be answered at once are
        marked as such, then decided and answered while the batch is being stored: neither
        waits for the other, so the next batch (fetched once this one is stored) waits for
        the storing alone."""
        self.early.answer(self.sessions, self.early.mark(payloads))
        async with transaction(self.sessions) as session:
            await inbox.store_updates(session, payloads)
        self.wake()


Work = Callable[[Receiver], Awaitable[None]]


class Receiving:
    """`await receiving.run(work)`: runs `work(receiver)` until cancelled, in a thread of its
    own on PostgreSQL (see the module's text)."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        deciders: Mapping[str, Decide],
        base_url: str,
        limits: SendLimits,
        timeout: float,
    ) -> None:
        self.settings = settings
        self.sessions = sessions  # the bot's (SQLite: shared with the lanes)
        self.deciders = dict(deciders)
        self.base_url = base_url
        self.limits = limits  # not touched by answers: they are not messages
        self.timeout = timeout
        engine = sessions.kw.get("bind")
        self.own_thread = engine is not None and engine.dialect.name == "postgresql"

    async def run(self, work: Work, wake: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()

        def wake_threadsafe() -> None:
            with contextlib.suppress(RuntimeError):  # the bot's loop has closed
                loop.call_soon_threadsafe(wake)

        async def opened() -> None:
            async with self.open(wake_threadsafe) as receiver:
                await work(receiver)

        if self.own_thread:
            await in_own_thread(opened, "chibo-receiving")
        else:
            await opened()

    @contextlib.asynccontextmanager
    async def open(self, wake: Callable[[], None]) -> AsyncIterator[Receiver]:
        """A receiver on the running loop: its HTTP sessions and (PostgreSQL) its engine."""
        engine = None
        sessions = self.sessions
        if self.own_thread:
            engine = create_engine(self.settings.database_url, **RECEIVING_POOL)
            sessions = session_factory(engine)
        answers = AiohttpRequest(ANSWER_CONNECTIONS, self.timeout)
        polls = AiohttpRequest(1, self.timeout)
        await answers.initialize()
        await polls.initialize()
        replies = ReplySender(answers, self.base_url, self.limits, self.timeout)
        early = EarlyAnswers(self.deciders, self.settings, replies)
        try:
            yield Receiver(sessions, early, wake, polls, self.base_url)
        finally:
            await early.stop()
            await answers.shutdown()
            await polls.shutdown()
            if engine is not None:
                await engine.dispose()


async def in_own_thread(main: Callable[[], Awaitable[None]], name: str) -> None:
    """Runs `main()` on a new event loop in a new thread until it ends; cancelling the caller
    cancels it there, and waits for it to finish (its `finally` blocks included)."""
    caller = asyncio.get_running_loop()
    finished: asyncio.Future[Any] = caller.create_future()
    running: asyncio.Future[tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]]
    running = caller.create_future()

    def settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)

    def tell(future: asyncio.Future[Any], value: Any, error: BaseException | None = None) -> None:
        with contextlib.suppress(RuntimeError):  # the caller's loop has closed
            caller.call_soon_threadsafe(settle, future, value, error)

    async def body() -> None:
        task = asyncio.current_task()
        tell(running, (asyncio.get_running_loop(), task))
        await main()

    def target() -> None:
        error: BaseException | None = None
        try:
            asyncio.run(body())
        except asyncio.CancelledError:
            pass
        except BaseException as raised:  # handed to the caller's loop
            error = raised
        tell(finished, None, error)

    threading.Thread(target=target, name=name, daemon=True).start()
    try:
        await asyncio.shield(finished)
    except asyncio.CancelledError:
        await asyncio.wait([running, finished], return_when=asyncio.FIRST_COMPLETED)
        if running.done() and not finished.done():
            loop, task = running.result()
            with contextlib.suppress(RuntimeError):  # it has just ended by itself
                loop.call_soon_threadsafe(task.cancel)
        with contextlib.suppress(Exception):
            await asyncio.shield(finished)
        raise
