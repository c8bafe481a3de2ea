"""The scheduler: runs stored jobs when they are due, each in the transaction that marks it
done, so a job's messages (outbox rows) and its "done" commit together or not at all.

A restart therefore neither loses a job nor runs it twice. Job functions are registered by
kind in `bot/app.py`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.context import current_scope
from bot.settings import Settings
from bot.waiting import wait_for_event
from storage import schedule
from storage.clock import now as utcnow
from storage.db import transaction
from storage.models import ScheduledJob

log = logging.getLogger(__name__)

SCHEDULER_KEY = "chibo.scheduler"  # in application.bot_data, for handlers that schedule
RETRY_DB_SECONDS = 1.0


@dataclass(frozen=True)
class JobContext:
    """What a job function gets: the transaction it runs in, and the job's data."""

    session: AsyncSession
    settings: Settings
    now: datetime
    kind: str
    key: str
    payload: dict[str, Any]


JobFn = Callable[[JobContext], Awaitable[None]]


class Scheduler:
    """Runs due jobs one at a time; `wake()` after committing a new or moved job."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        jobs: Mapping[str, JobFn],
        after_job: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.jobs = dict(jobs)
        self.after_job = after_job  # e.g. wake the outbox sender for the job's messages
        self.clock = clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Runs jobs until cancelled."""
        while True:
            self._wake.clear()
            try:
                ran = await self.run_one()
                wait = 0.0 if ran else await self._seconds_to_next()
            except Exception as error:  # the database may be briefly away; keep going
                log.warning("scheduler: %s", type(error).__name__)
                wait = RETRY_DB_SECONDS
            if wait > 0:
                await wait_for_event(self._wake, wait)

    async def _seconds_to_next(self) -> float:
        async with transaction(self.sessions) as session:
            due = await schedule.next_due_at(session)
        poll = self.settings.scheduler_poll_seconds
        if due is None:
            return poll
        return min(poll, max(0.0, (due - self.clock()).total_seconds()))

    async def run_one(self) -> bool:
        """Runs the earliest due job, if any; True if there was one."""
        now = self.clock()
        failed: tuple[int, str] | None = None  # (job id, error class)
        async with transaction(self.sessions) as session:
            job = await schedule.claim_due(session, now)
            if job is None:
                return False
            job_id, attempts = job.id, job.attempts  # readable even if the savepoint expires job
            try:
                async with session.begin_nested():
                    await self._call(session, job, now)
                job.done_at = now
            except Exception as error:  # a bug or bad data: the job's writes are rolled back
                failed = (job_id, type(error).__name__)
                log.error("scheduler: job %s failed: %s", job_id, failed[1])
            if failed is not None:
                await self._record_failure(session, job_id, attempts, failed[1], now)
        if failed is None:
            self.after_job()
        return True

    async def _call(self, session: AsyncSession, job: ScheduledJob, now: datetime) -> None:
        function = self.jobs.get(job.kind)
        if function is None:
            raise LookupError(job.kind)
        context = JobContext(session, self.settings, now, job.kind, job.key, dict(job.payload))
        await function(context)

    async def _record_failure(
        self, session: AsyncSession, job_id: int, attempts: int, error: str, now: datetime
    ) -> None:
        settings = self.settings
        if attempts + 1 >= settings.scheduler_max_attempts:
            retry_in = None
        else:
            retry_in = timedelta(seconds=settings.scheduler_backoff_seconds * 2**attempts)
        await schedule.record_failure(session, job_id, error, now, retry_in)


def wake_scheduler_after_commit(bot_data: dict[Any, Any]) -> None:
    """For handlers that scheduled or moved a job: the scheduler looks once this commits."""
    scheduler = bot_data.get(SCHEDULER_KEY)
    if not isinstance(scheduler, Scheduler):
        return
    scope = current_scope.get(None)
    if scope is None:
        scheduler.wake()
    else:
        scope.after_commit.append(scheduler.wake)
