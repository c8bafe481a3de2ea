"""Scheduled jobs: work due at a time, stored so that restarts neither lose nor repeat it.

Only the scheduler (bot/scheduler.py) claims and finishes jobs; features schedule and cancel.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ScheduledJob

# pg_advisory_xact_lock's key for booking standing jobs: "chibo" + "bk" in ASCII.
BOOKING_LOCK = 0x636869626F626B


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops it


async def schedule(
    session: AsyncSession, kind: str, key: str, due_at: datetime, payload: dict[str, Any]
) -> ScheduledJob:
    """Adds the job, or moves the job with this key (run or not) to `due_at` to run again.

    One statement (insert, or update on the key's conflict): two transactions scheduling the
    same key at once both succeed, where "look, then insert" would fail one of them on the
    unique key (PostgreSQL).
    """
    values: dict[str, Any] = {
        "kind": kind,
        "key": key,
        "due_at": due_at,
        "payload": dict(payload),
        "attempts": 0,
        "done_at": None,
        "failed_at": None,
        "last_error": None,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ScheduledJob).values(values)
    moved = {name: statement.excluded[name] for name in values if name != "key"}
    statement = statement.on_conflict_do_update(index_elements=["key"], set_=moved)
    job_id = await session.scalar(statement.returning(ScheduledJob.id))
    job = await session.get(ScheduledJob, job_id, populate_existing=True)
    assert job is not None
    return job


async def lock_bookings(session: AsyncSession) -> None:
    """Makes the caller's "book the job unless it is booked" the only one running until it
    commits (PostgreSQL, where several instances may start at once; SQLite has one writer).

    Without it, two instances could both see no job, and the second one's booking would
    re-arm a job the first one's had meanwhile run.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BOOKING_LOCK})


async def cancel(session: AsyncSession, key: str) -> None:
    """Drops a job that has not run yet; its history, if it ran, stays."""
    await session.execute(
        delete(ScheduledJob).where(ScheduledJob.key == key, ScheduledJob.done_at.is_(None))
    )


async def cancel_prefix(session: AsyncSession, prefix: str) -> None:
    """Drops every job not yet run whose key starts with `prefix` (say, all of a meeting's)."""
    await session.execute(
        delete(ScheduledJob).where(
            ScheduledJob.key.startswith(prefix, autoescape=True), ScheduledJob.done_at.is_(None)
        )
    )


def _waiting() -> Any:
    return (ScheduledJob.done_at.is_(None), ScheduledJob.failed_at.is_(None))


async def claim_due(session: AsyncSession, now: datetime) -> ScheduledJob | None:
    """The earliest due job, locked for this transaction (PostgreSQL; SQLite has one writer)."""
    query = (
        select(ScheduledJob)
        .where(*_waiting(), ScheduledJob.due_at <= now)
        .order_by(ScheduledJob.due_at, ScheduledJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return await session.scalar(query)


async def next_due_at(session: AsyncSession) -> datetime | None:
    earliest = await session.scalar(select(func.min(ScheduledJob.due_at)).where(*_waiting()))
    return None if earliest is None else _aware(earliest)


async def record_failure(
    session: AsyncSession, job_id: int, error: str, now: datetime, retry_in: timedelta | None
) -> None:
    """One failed attempt: try again after `retry_in`, or give up (None)."""
    job = await session.get(ScheduledJob, job_id)
    if job is None:
        return
    job.attempts += 1
    job.last_error = error[:255]
    if retry_in is None:
        job.failed_at = now
    else:
        job.due_at = now + retry_in


async def jobs_with_prefix(session: AsyncSession, prefix: str) -> list[ScheduledJob]:
    query = (
        select(ScheduledJob)
        .where(ScheduledJob.key.startswith(prefix, autoescape=True))
        .order_by(ScheduledJob.due_at, ScheduledJob.id)
    )
    return list(await session.scalars(query))
