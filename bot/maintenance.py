"""Housekeeping that keeps the database the size and speed of its first day: outbox rows past
retention (OUTBOX_RETENTION_DAYS) are deleted, or their text blanked where a notice's status
still needs them; on SQLite the planner's statistics are refreshed at start and every
SQLITE_OPTIMIZE_HOURS."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage import outbox
from storage.clock import now as utcnow
from storage.db import refresh_statistics, transaction

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600.0


class Maintenance:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self._optimized_at: datetime | None = None

    async def run(self) -> None:
        """Prunes and optimises now, then every hour, until cancelled."""
        while True:
            try:
                await self.run_once()
            except Exception as error:  # the database may be briefly away; try next time
                log.warning("maintenance: %s", type(error).__name__)
            await asyncio.sleep(PRUNE_EVERY_SECONDS)

    async def run_once(self) -> outbox.Pruned:
        now = self.clock()
        async with transaction(self.sessions) as session:
            pruned = await outbox.prune(session, now - self.settings.outbox_retention)
        if pruned.deleted or pruned.blanked:
            log.info("outbox: deleted %d rows, blanked %d", pruned.deleted, pruned.blanked)
        await self._optimize_if_due(now)
        return pruned

    async def _optimize_if_due(self, now: datetime) -> None:
        every = self.settings.sqlite_optimize_hours * 3600
        last = self._optimized_at
        if last is not None and (now - last).total_seconds() < every:
            return
        self._optimized_at = now
        async with transaction(self.sessions) as session:
            await refresh_statistics(session)
