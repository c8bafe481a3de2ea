"""Taking updates through the durable inbox: store, then acknowledge, then handle once.

Telegram considers an update delivered once a later getUpdates asks past it, so the poller
asks past an update only after the update is committed to the inbox. The runner handles stored
updates in order, each in one transaction that also marks the update done: a crash at any point
either leaves the update pending (handled after restart) or done (never handled again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.context import UpdateScope, current_scope
from bot.settings import Settings
from storage import inbox
from storage.db import transaction

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
PRUNE_EVERY_SECONDS = 3600.0


class HandlerFailed(Exception):
    """A handler raised; its writes are rolled back and the update is retried later."""


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

    async def run(self) -> None:
        """Handles pending updates whenever woken, until cancelled."""
        while True:
            await self.drain()
            await self._prune_if_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=PRUNE_EVERY_SECONDS)
            self.wake.clear()

    async def drain(self) -> int:
        """Handles every pending update; returns how many were handled."""
        handled = 0
        while True:
            async with transaction(self.sessions) as session:
                rows = await inbox.pending(session)
                batch = [(row.update_id, row.payload, row.attempts) for row in rows]
            if not batch:
                return handled
            for update_id, payload, attempts in batch:
                final = attempts + 1 >= self.settings.inbox_max_attempts
                await self._handle(update_id, payload, final)
                handled += 1

    async def _handle(self, update_id: int, payload: dict[str, Any], final: bool) -> None:
        try:
            async with transaction(self.sessions) as session:
                await self._dispatch(UpdateScope(session=session, final_attempt=final), payload)
                await inbox.mark_processed(session, update_id, datetime.now(UTC))
        except Exception as error:  # any failure: roll back, count it, move on
            # Class name only: exception texts can carry personal data.
            name = type(error.__cause__ or error).__name__
            log.warning("update %s failed: %s", update_id, name)
            async with transaction(self.sessions) as session:
                await inbox.mark_failed(
                    session, update_id, name, datetime.now(UTC), self.settings.inbox_max_attempts
                )

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
        async with transaction(self.sessions) as session:
            pruned = await inbox.prune(session, datetime.now(UTC) - self.settings.inbox_retention)
        if pruned:
            log.info("pruned %d processed updates", pruned)


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
        async with transaction(self.sessions) as session:
            last = await inbox.last_update_id(session)
        offset = None if last is None else last + 1
        backoff = 1.0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=self.timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    read_timeout=self.timeout + 10,
                )
            except InvalidToken:
                raise
            except RetryAfter as error:
                await asyncio.sleep(_seconds(error.retry_after))
                continue
            except TelegramError as error:
                log.warning(
                    "getUpdates failed (%s); retrying in %.0f s", type(error).__name__, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            backoff = 1.0
            if updates:
                await store_and_wake(self.sessions, self.runner, [u.to_dict() for u in updates])
                offset = updates[-1].update_id + 1


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
