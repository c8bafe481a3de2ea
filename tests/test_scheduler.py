"""The stored scheduler: jobs run when due, once, with their writes; failures roll back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.scheduler import JobContext, JobFn, Scheduler
from bot.settings import Settings
from storage import audit, schedule
from storage.db import transaction
from storage.models import AuditEntry, ScheduledJob
from tests.harness import TOKEN

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def note(job: JobContext) -> None:
    """A job whose work is visible: one audit row naming its key."""
    await audit.record(job.session, "job_ran", details={"key": job.key, **job.payload})


async def broken(job: JobContext) -> None:
    await note(job)  # written, then rolled back with the failure
    raise RuntimeError("bug")


def scheduler(
    sessions: async_sessionmaker[AsyncSession], now: datetime, jobs: dict[str, JobFn]
) -> Scheduler:
    settings = Settings(_env_file=None, bot_token=TOKEN, scheduler_max_attempts=3)  # type: ignore[call-arg]
    return Scheduler(sessions, settings, jobs, clock=lambda: now)


async def ran(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with transaction(sessions) as session:
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.action == "job_ran"))
        return [row.details["key"] for row in rows]


async def test_a_due_job_runs_once_and_a_later_one_waits(sessions) -> None:
    async with transaction(sessions) as session:
        await schedule.schedule(session, "note", "a", NOW - timedelta(minutes=1), {})
        await schedule.schedule(session, "note", "b", NOW + timedelta(hours=1), {})
    first_run = scheduler(sessions, NOW, {"note": note})
    assert await first_run.run_one()
    assert not await first_run.run_one()
    # A restart (a new scheduler on the same database) does not run it again.
    assert not await scheduler(sessions, NOW, {"note": note}).run_one()
    assert await ran(sessions) == ["a"]
    later = scheduler(sessions, NOW + timedelta(hours=2), {"note": note})
    assert await later.run_one()
    assert await ran(sessions) == ["a", "b"]


async def test_scheduling_a_key_again_moves_the_job(sessions) -> None:
    async with transaction(sessions) as session:
        await schedule.schedule(session, "note", "m:1", NOW, {"v": 1})
        await schedule.schedule(session, "note", "m:1", NOW + timedelta(hours=1), {"v": 2})
        jobs = await schedule.jobs_with_prefix(session, "m:")
    assert [(j.key, j.payload) for j in jobs] == [("m:1", {"v": 2})]
    assert not await scheduler(sessions, NOW, {"note": note}).run_one()


async def test_cancel_prefix_drops_only_jobs_not_yet_run(sessions) -> None:
    async with transaction(sessions) as session:
        await schedule.schedule(session, "note", "m:1:a", NOW, {})
        await schedule.schedule(session, "note", "m:1:b", NOW + timedelta(days=1), {})
        await schedule.schedule(session, "note", "m:10:a", NOW + timedelta(days=1), {})
    assert await scheduler(sessions, NOW, {"note": note}).run_one()
    async with transaction(sessions) as session:
        await schedule.cancel_prefix(session, "m:1:")
        left = await schedule.jobs_with_prefix(session, "m:")
    assert [(j.key, j.done_at is not None) for j in left] == [("m:1:a", True), ("m:10:a", False)]


async def test_a_failing_job_is_retried_then_set_aside_without_its_writes(sessions) -> None:
    async with transaction(sessions) as session:
        await schedule.schedule(session, "broken", "x", NOW, {})
        await schedule.schedule(session, "nobody-knows", "y", NOW, {})
    moment = NOW
    for _attempt in range(6):
        await scheduler(sessions, moment, {"broken": broken}).run_one()
        moment += timedelta(hours=1)  # past any backoff
    async with transaction(sessions) as session:
        jobs = {j.key: j for j in await session.scalars(select(ScheduledJob))}
    assert await ran(sessions) == []
    for key in ("x", "y"):
        assert jobs[key].attempts == 3
        assert jobs[key].failed_at is not None and jobs[key].done_at is None
    assert jobs["x"].last_error == "RuntimeError"
    assert jobs["y"].last_error == "LookupError"
