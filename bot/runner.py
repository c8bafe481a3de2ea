"""Taking updates through the durable inbox: store, then acknowledge, then handle once.

Telegram considers an update delivered once a later getUpdates asks past it, so the poller
asks past an update only after the update is committed to the inbox.

The runner hands stored updates to lanes, one per chat (bot/lanes.py): updates of different
chats are handled concurrently (at most `UPDATE_CONCURRENCY` chats at once, chats with a
button press first), one chat's strictly in order. Each update is handled in one
transaction that claims it and holds the handler's writes and its replies (sent after the
commit, bot/replies.py): a crash at any point either leaves the update pending (handled
after restart) or done with its replies stored (sent after restart), never applied twice.

A lane is leased in the database (`inbox_lanes`) before it runs and renewed while it does,
so several processes on one PostgreSQL database never handle one chat at once: a process
takes only lanes nobody else holds, and the claim of each update checks the lease. A lease
not renewed (its process died) passes to another after `LANE_LEASE_SECONDS`. On SQLite one
process runs, and it clears the leases a crash left when it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.lanes import (
    MAX_PAUSE_SECONDS,
    HandlerFailed,
    LaneWorker,
    Pause,
    database_unavailable,
    transient_pause,
)
from bot.receiving import Receiver
from bot.replies import Call, ReplySender, StoredRequestData
from bot.retry import retry_after_seconds
from bot.settings import Settings
from bot.waiting import wait_for_event
from storage import inbox
from storage.clock import now as utcnow
from storage.db import transaction
from storage.members import prune_unconsented_accounts

log = logging.getLogger(__name__)

__all__ = ["HandlerFailed", "Pause", "database_unavailable", "transient_pause"]

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
PRUNE_EVERY_SECONDS = 3600.0


class UpdateRunner:
    """Runs a lane for each chat with work, as many at once as the setting allows."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        replies: ReplySender,
    ) -> None:
        self.application = application
        self.sessions = sessions
        self.settings = settings
        self.wake = asyncio.Event()
        self.holder = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.worker = LaneWorker(application, sessions, settings, self.holder, replies)
        self._lanes: dict[int, asyncio.Task[None]] = {}
        self._last_prune = 0.0
        self._streak = 0

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lane_lease_seconds)

    async def run(self) -> None:
        """Starts lanes whenever woken (or every lease period), until cancelled."""
        await self._clear_sqlite_leases()
        renewer = asyncio.create_task(self._renew_leases())
        try:
            while True:
                self.wake.clear()
                try:
                    await self._start_lanes()
                    await self._prune_if_due()
                    self._streak = 0
                except SQLAlchemyError as error:  # the database is down or locked: wait, go on
                    pause = transient_pause(error, self._streak) or Pause(1.0)
                    log.warning("waiting %.1f s: %s", pause.seconds, type(error).__name__)
                    self._streak += 1
                    await asyncio.sleep(pause.seconds)
                    continue
                await wait_for_event(self.wake, self.settings.lane_lease_seconds)
        finally:
            renewer.cancel()
            await self._stop_lanes()

    async def _start_lanes(self) -> None:
        free = self.settings.update_concurrency - len(self._lanes)
        if free <= 0:
            return
        now = utcnow()
        async with transaction(self.sessions) as session:
            chats = await inbox.lanes_with_work(session, self.holder, now, self._lanes, free)
            taken = await inbox.take_lanes(session, chats, self.holder, now, now + self.lease)
        for chat_id in taken:
            self._lanes[chat_id] = asyncio.create_task(self._lane(chat_id))

    async def _lane(self, chat_id: int) -> None:
        try:
            await self.worker.run_lane(chat_id)  # gives the lane up when it is done
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the database went away: the lease runs out, and the
            # lane starts again once the runner can read the inbox
            log.warning("lane stopped (%s)", type(error).__name__)
            await asyncio.sleep(1.0)
        finally:
            self._lanes.pop(chat_id, None)
            self.wake.set()

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self.settings.lane_lease_seconds / 3)
            if not self._lanes:
                continue
            try:
                async with transaction(self.sessions) as session:
                    await inbox.renew_lanes(session, self.holder, utcnow() + self.lease)
            except SQLAlchemyError as error:
                log.warning("renewing lanes failed (%s)", type(error).__name__)

    async def _clear_sqlite_leases(self) -> None:
        engine = self.sessions.kw.get("bind")
        if engine is None or engine.dialect.name != "sqlite":
            return
        with contextlib.suppress(SQLAlchemyError):
            async with transaction(self.sessions) as session:
                await inbox.release_lanes(session, None)

    async def _stop_lanes(self) -> None:
        lanes = list(self._lanes.values())
        for task in lanes:
            task.cancel()
        for task in lanes:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            async with transaction(self.sessions) as session:
                await inbox.release_lanes(session, self.holder)

    async def idle(self) -> None:
        """Waits until no lane runs (tests and benchmarks)."""
        while self._lanes:
            await asyncio.wait(list(self._lanes.values()))

    async def _prune_if_due(self) -> None:
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._last_prune < PRUNE_EVERY_SECONDS and self._last_prune:
            return
        self._last_prune = loop_time
        cutoff = utcnow() - self.settings.inbox_retention
        async with transaction(self.sessions) as session:
            pruned = await inbox.prune(session, cutoff)
            strangers = await prune_unconsented_accounts(session, cutoff)
        if pruned or strangers:
            log.info("pruned %d handled updates, %d accounts without consent", pruned, strangers)


class Poller:
    """Long polling that acknowledges an update only after it is stored."""

    def __init__(self, receiver: Receiver, settings: Settings) -> None:
        self.receiver = receiver
        self.sessions = receiver.sessions
        self.timeout = settings.poll_timeout_seconds

    async def run(self) -> None:
        offset = await self._first_offset()
        backoff = 1.0
        while True:
            try:
                updates = await self._fetch(offset)
                if updates:  # not stored -> not acknowledged: Telegram sends them again
                    await self.receiver.store(updates)
                    offset = int(updates[-1]["update_id"]) + 1
            except InvalidToken:
                raise
            except RetryAfter as error:
                await asyncio.sleep(retry_after_seconds(error))
                continue
            except (TelegramError, SQLAlchemyError) as error:
                log.warning("polling failed (%s); again in %.0f s", type(error).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_PAUSE_SECONDS)
                continue
            backoff = 1.0

    async def _fetch(self, offset: int | None) -> list[dict[str, Any]]:
        """getUpdates, as the JSON Telegram sent: that is what the inbox stores.

        Bot.get_updates would build Update objects that we would only turn back into dicts
        (profiled: about a tenth of the cost of an update); the runner builds each update
        once, when it handles it. The same request, errors and timeouts as get_updates, on
        the receiving side's own HTTP session (bot/receiving.py: maybe another thread's).
        """
        params = {"timeout": str(self.timeout), "allowed_updates": json.dumps(ALLOWED_UPDATES)}
        if offset is not None:
            params["offset"] = str(offset)
        seconds = 2 * self.timeout + 10
        result = await self.receiver.request.post(
            f"{self.receiver.base_url}/getUpdates",
            request_data=StoredRequestData(Call("getUpdates", params)),  # type: ignore[arg-type]
            read_timeout=seconds,
            write_timeout=seconds,
        )
        return list(result) if isinstance(result, list) else []

    async def _first_offset(self) -> int | None:
        while True:
            try:
                async with transaction(self.sessions) as session:
                    last = await inbox.last_update_id(session)
                return None if last is None else last + 1
            except SQLAlchemyError as error:
                log.warning("database unavailable (%s); again in 5 s", type(error).__name__)
                await asyncio.sleep(5.0)
