"""The sender: drains the delivery outbox within Telegram's limits and records every outcome.

Three loops share one process:

* the feeder claims due rows in batches (one transaction marks them 'sending') whenever the
  number of claimed rows without a committed outcome is below `outbox_window`;
* the dispatcher sends them concurrently (at most `outbox_concurrency` requests in flight),
  paced by `SendLimits`: the overall rate, 1 a second per chat, 20 a minute per group, and a
  pause of every send on RetryAfter;
* the recorder commits outcomes in batches, every FLUSH_SECONDS, so the rate is not bounded
  by one transaction per message.

Restart and duplicates: at start, rows still 'sending' go back to 'pending' and are sent
again. Only those can be duplicated, and at any moment at most `outbox_window` rows
(default 200) are 'sending'; in practice the duplicates are the sends in flight at the kill
(at most `outbox_concurrency`) plus the sends whose outcomes were not yet committed (about
rate x FLUSH_SECONDS: 2 at 30/s). A clean stop waits for sends in flight and commits their
outcomes, so it duplicates nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import BadRequest, NetworkError

from bot.context import current_scope
from bot.delivery.http import AiohttpRequest
from bot.delivery.limits import ReadyQueue, SendLimits, Stamp
from bot.delivery.report import enqueue_reports
from bot.delivery.send import delivered, judge, later, send_row
from bot.fit_bot import FittingBot
from bot.settings import Settings
from bot.shared_pace import SharedPace
from bot.waiting import wait_for_event
from storage import outbox
from storage.clock import now as utcnow
from storage.db import transaction
from storage.models import Broadcast, DeliveryStatus
from storage.outbox import Claimed, Outcome

log = logging.getLogger(__name__)

SENDER_KEY = "chibo.sender"  # in application.bot_data, for handlers that enqueue
FLUSH_SECONDS = 0.05  # outcomes wait at most this long to be committed together
RELEASE_AFTER_SECONDS = 2.0  # a row whose chat must wait longer leaves the window
STOP_GRACE_SECONDS = 5.0  # a clean stop waits this long for sends in flight
RETRY_DB_SECONDS = 1.0


class OutboxSender:
    """The one sender of the outbox; `wake()` after committing new rows.

    It has a Bot of its own (see `sender_bot`), started and stopped by `run`.
    """

    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        pace: SharedPace | None = None,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.settings = settings
        self.limits = SendLimits(settings.outbox_rate, time.monotonic)
        # With other instances on the database, their messages count too (bot/app.py).
        self.pace = pace
        self._queue: ReadyQueue[Claimed] = ReadyQueue(time.monotonic)
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._outcomes: list[Outcome] = []
        self._outcome_added = asyncio.Event()
        self._outstanding = 0  # claimed rows without a committed outcome
        self._slots = asyncio.Semaphore(settings.outbox_concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._held: dict[int, float] = {}  # chat -> when its last row held back is ready

    def wake(self) -> None:
        """New rows are committed: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Sends until cancelled; resumes what a previous run left unfinished.

        With several instances (bot/leadership.py) only the leader runs this, and a process
        may lead again after losing the lead: each run starts from what is committed.
        """
        await self._forget_earlier_run()
        await self._recover()
        await self._start_bot()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._feed())
                group.create_task(self._dispatch())
                group.create_task(self._record())
        finally:
            await self._stop_cleanly()
            await self.bot.shutdown()

    async def _start_bot(self) -> None:
        """The bot asks Telegram who it is first: when Telegram is slow to answer (longer
        than a send may take), ask again rather than stop the whole process."""
        while True:
            try:
                await self.bot.initialize()
                return
            except NetworkError as error:
                if isinstance(error, BadRequest):
                    raise
                log.warning("outbox: Telegram unavailable (%s)", type(error).__name__)
                await asyncio.sleep(RETRY_DB_SECONDS)

    async def _forget_earlier_run(self) -> None:
        with contextlib.suppress(Exception):
            await self._flush()  # outcomes an earlier run could not commit
        self._outcomes.clear()
        self._queue.drain()
        # Sends still in flight record their outcome when they end; their rows are 'sending'
        # and go back to 'pending' now, like after a crash.
        self._outstanding = len(self._in_flight)

    async def _recover(self) -> None:
        async with transaction(self.sessions) as session:
            reset = await outbox.reset_interrupted(session)
            await self._finish(session, utcnow(), None)
        if reset:
            log.info("outbox: %d messages interrupted by a stop will be sent again", reset)

    async def _finish(self, session: AsyncSession, now: datetime, ids: set[int] | None) -> int:
        finished: list[Broadcast] = await outbox.finish_broadcasts(session, now, ids)
        return await enqueue_reports(session, finished, self.settings, now)

    # --- feeder ---------------------------------------------------------------------------

    async def _feed(self) -> None:
        window = self.settings.outbox_window
        while True:
            self._wake.clear()
            self._room.clear()
            room = window - self._outstanding
            # Claim in batches: wait for a quarter of the window unless we are running dry.
            if room <= 0 or (room < window // 4 and len(self._queue)):
                await self._room.wait()
                continue
            try:
                claimed, due_in = await self._claim(room)
            except Exception as error:  # the database may be briefly away; keep going
                log.warning("outbox: claiming failed (%s)", type(error).__name__)
                claimed, due_in = [], RETRY_DB_SECONDS
            if not claimed:
                await wait_for_event(self._wake, due_in)

    async def _claim(self, room: int) -> tuple[list[Claimed], float]:
        """Claims up to `room` rows; if none, also says how long to sleep."""
        now = utcnow()
        due_in = self.settings.outbox_poll_seconds
        async with transaction(self.sessions) as session:
            claimed = await outbox.claim_due(session, room, now)
            if not claimed:
                await self._finish(session, now, None)  # e.g. a broadcast to nobody
                next_due = await outbox.next_due_at(session)
                if next_due is not None:
                    due_in = min(due_in, max(0.0, (next_due - now).total_seconds()))
        self._outstanding += len(claimed)
        for row in claimed:
            self._queue.push(row)
        return claimed, due_in

    # --- dispatcher -----------------------------------------------------------------------

    async def _dispatch(self) -> None:
        while True:
            row = await self._queue.pop()
            wait = self.limits.chat_wait(row.chat_id)
            if wait > RELEASE_AFTER_SECONDS:  # do not hold the window for one busy group
                self._add_outcome(later(row, wait, utcnow()))
                continue
            if wait > 0:
                self._hold(row, wait)
                continue
            try:
                await self._take_slot()
            except asyncio.CancelledError:
                self._queue.push(row)  # a clean stop puts it back to pending
                raise
            if (wait := self.limits.chat_wait(row.chat_id)) > 0:  # a reply took it meanwhile
                self._slots.release()
                self._hold(row, wait)
                continue
            stamp = self.limits.admit(row.chat_id)  # only this loop counts: still free
            task = asyncio.create_task(self._send(row, stamp))
            self._in_flight.add(task)
            task.add_done_callback(self._sent)

    def _hold(self, row: Claimed, wait: float) -> None:
        """Back in the queue until its chat may get it, never before a row of the same chat
        held earlier (the queue keeps the order of rows ready at the same time)."""
        ready = max(time.monotonic() + wait, self._held.get(row.chat_id, 0.0))
        self._held[row.chat_id] = ready
        self._queue.push(row, ready)

    async def _take_slot(self) -> None:
        """A free request slot, then the overall rate's next slot (which includes pauses)."""
        await self._slots.acquire()
        try:
            await self.limits.overall_slot()
        except BaseException:
            self._slots.release()
            raise

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._slots.release()

    async def _send(self, row: Claimed, stamp: Stamp) -> None:
        settings = self.settings
        try:
            paid = settings.outbox_paid_broadcast
            timeout = settings.outbox_send_timeout_seconds
            try:
                if self.pace is not None:
                    await self.pace.turn(row.chat_id)
                    # A 429 may have come while this waited for its shared slot.
                    await self.limits.paused()
                message_id = await send_row(self.bot, row, paid, timeout)
            finally:
                self.limits.answered(stamp)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            verdict = judge(error, row, settings, utcnow())
            if verdict.pause_seconds:
                self.limits.pause(verdict.pause_seconds)
                log.warning("outbox: Telegram asks to wait %.0f s", verdict.pause_seconds)
            self._add_outcome(verdict.outcome)
            return
        self._add_outcome(delivered(row, message_id, utcnow()))

    # --- recorder -------------------------------------------------------------------------

    def _add_outcome(self, outcome: Outcome) -> None:
        self._outcomes.append(outcome)
        self._outcome_added.set()

    async def _record(self) -> None:
        while True:
            await self._outcome_added.wait()
            await asyncio.sleep(FLUSH_SECONDS)  # let a batch gather
            try:
                await self._flush()
            except Exception as error:  # keep the outcomes and try again
                log.warning("outbox: recording failed (%s)", type(error).__name__)
                await asyncio.sleep(RETRY_DB_SECONDS)

    async def _flush(self) -> None:
        outcomes, self._outcomes = self._outcomes, []
        self._outcome_added.clear()
        if not outcomes:
            return
        now = utcnow()
        try:
            async with transaction(self.sessions) as session:
                await outbox.record_outcomes(session, outcomes, now)
                broadcasts = {o.broadcast_id for o in outcomes if o.broadcast_id is not None}
                reports = await self._finish(session, now, broadcasts) if broadcasts else 0
        except BaseException:
            self._outcomes[:0] = outcomes
            self._outcome_added.set()
            raise
        self._outstanding -= len(outcomes)
        self._room.set()
        if reports or any(o.status == DeliveryStatus.PENDING for o in outcomes):
            self._wake.set()  # reports to send, or retries whose due time to watch
        self.limits.forget_idle_chats()
        clock = time.monotonic()
        self._held = {chat: ready for chat, ready in self._held.items() if ready > clock}

    async def _stop_cleanly(self) -> None:
        """Lets sends in flight finish, puts queued rows back, and commits what is known."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=STOP_GRACE_SECONDS)
        now = utcnow()
        for row in self._queue.drain():
            self._add_outcome(later(row, 0.0, now))
        with contextlib.suppress(Exception):
            await self._flush()


def sender_bot(settings: Settings) -> Bot:
    """A Bot for the sender alone, on the aiohttp transport (bot/delivery/http.py)."""
    assert settings.bot_token is not None
    request = AiohttpRequest(settings.outbox_concurrency, settings.outbox_send_timeout_seconds)
    return FittingBot(
        settings.bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.file_base_url,
        request=request,
    )


def wake_sender_after_commit(bot_data: dict[Any, Any]) -> None:
    """For handlers that enqueued rows: the sender looks once this update's writes commit."""
    sender = bot_data.get(SENDER_KEY)
    if not isinstance(sender, OutboxSender):
        return
    scope = current_scope.get(None)
    if scope is None:
        sender.wake()
    else:
        scope.after_commit.append(sender.wake)
