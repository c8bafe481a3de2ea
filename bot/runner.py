"""Taking updates through the durable inbox: store, then acknowledge, then handle once.

Telegram considers an update delivered once a later getUpdates asks past it, so the poller
asks past an update only after the update is committed to the inbox. The runner handles stored
updates in order, each in one transaction that first claims the update and then holds the
handler's writes: a crash at any point either leaves the update pending (handled after
restart) or done (never handled again), and a second runner skips what the first claimed.

Failures: when Telegram or the database is briefly unavailable (network errors, 5xx, 429,
a locked database) the runner waits and handles the same update again, so nothing is lost and
order is kept; such attempts are not counted (unless the pauses go on for about two minutes).
A handler that fails by itself is retried `INBOX_MAX_ATTEMPTS` times, then set aside as
failed (kept, never pruned, logged).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.context import UpdateScope, current_scope
from bot.retry import retry_after_seconds
from bot.settings import Settings
from bot.waiting import wait_for_event
from storage import inbox
from storage.db import transaction
from storage.members import prune_unconsented_accounts

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
PRUNE_EVERY_SECONDS = 3600.0
MAX_PAUSE_SECONDS = 60.0
# Pauses in a row before a "transient" failure counts as an attempt after all (about two
# minutes): an error that never clears must not stall every member behind one update.
MAX_PAUSES_PER_ATTEMPT = 8


class HandlerFailed(Exception):
    """A handler raised; its writes are rolled back."""


@dataclass(frozen=True)
class Pause:
    """Telegram or the database is unavailable: wait, then handle the same update again."""

    seconds: float


def transient_pause(error: BaseException, streak: int) -> Pause | None:
    """A pause for errors that pass by themselves (the update is not at fault), else None."""
    cause = error.__cause__ if isinstance(error, HandlerFailed) else error
    if isinstance(cause, RetryAfter):
        return Pause(retry_after_seconds(cause))
    if isinstance(cause, NetworkError) or database_unavailable(cause):  # 5xx, timeouts too
        return Pause(min(2.0**streak * 0.5, MAX_PAUSE_SECONDS))
    return None


def database_unavailable(error: BaseException | None) -> bool:
    """Locked, restarting or unreachable - unlike a bad value, which fails every time."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | InterfaceError | DisconnectionError)


class UpdateRunner:
    """Handles stored updates in order, one transaction each."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
    ) -> None:
        self.application = application
        self.sessions = sessions
        self.settings = settings
        self.wake = asyncio.Event()
        self._last_prune = 0.0
        self._streak = 0  # transient failures in a row, for the back-off

    async def run(self) -> None:
        """Handles pending updates whenever woken, until cancelled."""
        while True:
            try:
                await self.drain()
                await self._prune_if_due()
            except SQLAlchemyError as error:  # the database is down or locked: wait, go on
                await self._pause(transient_pause(error, self._streak) or Pause(1.0), error)
                continue
            await wait_for_event(self.wake, PRUNE_EVERY_SECONDS)
            self.wake.clear()

    async def drain(self) -> int:
        """Handles every pending update in order; returns how many were handled."""
        handled = 0
        while True:
            async with transaction(self.sessions) as session:
                rows = await inbox.pending(session)
                batch = [(row.update_id, row.payload, row.attempts) for row in rows]
            if not batch:
                return handled
            for update_id, payload, attempts in batch:
                final = attempts + 1 >= self.settings.inbox_max_attempts
                if not await self._handle(update_id, payload, final):
                    break  # failed: read the batch again, starting with this update
                handled += 1

    async def _handle(self, update_id: int, payload: dict[str, Any], final: bool) -> bool:
        """Handles one update; False when it must be tried again first."""
        scope: UpdateScope | None = None
        try:
            async with transaction(self.sessions) as session:
                if not await inbox.claim(session, update_id, datetime.now(UTC)):
                    return True  # another runner has it, or had it
                scope = UpdateScope(session=session, final_attempt=final)
                await self._dispatch(scope, payload)
        except Exception as error:  # any failure: rolled back; pause or count it
            await self._failed(update_id, error)
            return False
        self._streak = 0
        for callback in scope.after_commit if scope else ():
            callback()
        return True

    async def _failed(self, update_id: int, error: Exception) -> None:
        pause = transient_pause(error, self._streak)
        if pause is not None and self._streak < MAX_PAUSES_PER_ATTEMPT:
            await self._pause(pause, error)
            return
        self._streak = 0
        # Class name only: exception texts can carry personal data.
        name = type(error.__cause__ or error).__name__
        async with transaction(self.sessions) as session:
            set_aside = await inbox.mark_failed(
                session, update_id, name, datetime.now(UTC), self.settings.inbox_max_attempts
            )
        if set_aside:
            log.error("update %s set aside after repeated failures (%s)", update_id, name)

    async def _pause(self, pause: Pause, error: BaseException) -> None:
        cause = error.__cause__ if isinstance(error, HandlerFailed) else error
        log.warning("waiting %.1f s: %s", pause.seconds, type(cause).__name__)
        self._streak += 1
        await asyncio.sleep(pause.seconds)

    async def _dispatch(self, scope: UpdateScope, payload: dict[str, Any]) -> None:
        token = current_scope.set(scope)
        try:
            update = Update.de_json(payload, self.application.bot)
            await self.application.process_update(update)
        finally:
            current_scope.reset(token)
        if scope.failure is not None:
            raise HandlerFailed() from scope.failure

    async def _prune_if_due(self) -> None:
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._last_prune < PRUNE_EVERY_SECONDS and self._last_prune:
            return
        self._last_prune = loop_time
        cutoff = datetime.now(UTC) - self.settings.inbox_retention
        async with transaction(self.sessions) as session:
            pruned = await inbox.prune(session, cutoff)
            strangers = await prune_unconsented_accounts(session, cutoff)
        if pruned or strangers:
            log.info("pruned %d handled updates, %d accounts without consent", pruned, strangers)


async def store_and_wake(
    sessions: async_sessionmaker[AsyncSession], runner: UpdateRunner, payloads: list[dict[str, Any]]
) -> None:
    async with transaction(sessions) as session:
        await inbox.store_updates(session, payloads)
    runner.wake.set()


class Poller:
    """Long polling that acknowledges an update only after it is stored."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        sessions: async_sessionmaker[AsyncSession],
        runner: UpdateRunner,
        settings: Settings,
    ) -> None:
        self.bot = application.bot
        self.sessions = sessions
        self.runner = runner
        self.timeout = settings.poll_timeout_seconds

    async def run(self) -> None:
        offset = await self._first_offset()
        backoff = 1.0
        while True:
            try:
                updates = await self._fetch(offset)
                if updates:  # not stored -> not acknowledged: Telegram sends them again
                    await store_and_wake(self.sessions, self.runner, updates)
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
        once, when it handles it. Same request, errors and timeouts as get_updates.
        """
        data: dict[str, Any] = {"timeout": self.timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            data["offset"] = offset
        result = await self.bot._post(  # PTB's one call for raw results of a known method
            "getUpdates", data, read_timeout=2 * self.timeout + 10
        )
        return list(result or [])

    async def _first_offset(self) -> int | None:
        while True:
            try:
                async with transaction(self.sessions) as session:
                    last = await inbox.last_update_id(session)
                return None if last is None else last + 1
            except SQLAlchemyError as error:
                log.warning("database unavailable (%s); again in 5 s", type(error).__name__)
                await asyncio.sleep(5.0)
