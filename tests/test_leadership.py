"""Several instances on one PostgreSQL: one leader at a time, and a lost connection hands
the lead to another; the scheduler's jobs fire once when two schedulers race."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from datetime import UTC, timedelta
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.leadership import LEADER_LOCK_KEY, Leadership, Wakeups, asyncpg_dsn, is_postgres
from bot.scheduler import JobContext, Scheduler
from storage import clock, schedule
from storage.db import create_engine, session_factory, transaction
from storage.migrate import alembic_config
from storage.models import ScheduledJob
from tests.conftest import _reset_schema, in_thread
from tests.fakebot import FakeBotApi
from tests.harness import bot_settings

RETRY = 0.1
# Advisory locks are per database: other test runs (pytest-xdist workers) on the same server
# hold the leader lock of theirs.
THIS_DATABASE = " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
ROOT = Path(__file__).resolve().parent.parent


class Leader:
    """One instance's leadership, recording its terms."""

    def __init__(self, url: str) -> None:
        self.leadership = Leadership(url, RETRY)
        self.terms = 0
        self.ended = 0
        self.refused = 0  # tries of the leader lock that found it taken
        self.task: asyncio.Task[None] | None = None
        ping = self.leadership._ping

        async def counted(connection: asyncpg.Connection, query: str) -> bool:
            held = await ping(connection, query)
            if "pg_try_advisory_lock" in query and not held:
                self.refused += 1
            return held

        self.leadership._ping = counted  # type: ignore[method-assign]

    async def lead(self) -> None:
        self.terms += 1
        try:
            await asyncio.Event().wait()
        finally:
            self.ended += 1

    def start(self) -> None:
        self.task = asyncio.create_task(self.leadership.run(self.lead))

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def leader_backend(url: str) -> int | None:
    """The PostgreSQL backend holding the leader lock, if any."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await connection.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND ((classid::bigint << 32) | objid::bigint) = $1" + THIS_DATABASE,
            LEADER_LOCK_KEY,
        )
    finally:
        await connection.close()


async def lock_waits(url: str) -> int:
    """Backends of this database waiting for a lock another transaction holds."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
        )
    finally:
        await connection.close()


async def waiting_connections(url: str) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'chibo-leader-%'"
                " AND datname = current_database()"  # not other test runs' on the server
            )
        )
    finally:
        await connection.close()


@pytest.mark.postgres
async def test_one_leader_and_a_lost_connection_hands_over(
    postgres_migrated: str, fake: FakeBotApi
) -> None:
    url = postgres_migrated
    first, second = Leader(url), Leader(url)
    first.start()
    try:
        await fake.wait_until(lambda: first.leadership.leading.is_set(), timeout=10)
        second.start()

        # The second instance is connected and has tried the lock (several times) in vain.
        async def both_connected() -> bool:
            return await waiting_connections(url) == 2

        await fake.wait_until(both_connected, timeout=10)
        await fake.wait_until(lambda: second.refused >= 3, timeout=10)
        assert (first.terms, second.terms) == (1, 0)

        # The leader's connection dies (as with kill -9, or a network cut).
        backend = await leader_backend(url)
        assert backend is not None
        killer = await asyncpg.connect(asyncpg_dsn(url))
        await killer.fetchval("SELECT pg_terminate_backend($1)", backend)
        await killer.close()

        await fake.wait_until(lambda: first.ended == 1, timeout=10)  # stopped leading
        # Someone leads again (the first may win the lock back on its new connection).
        await fake.wait_until(lambda: first.terms + second.terms == 2, timeout=10)

        # The leading process dies: its connection closes, the other one takes over.
        leading, other = (first, second) if first.terms == 2 else (second, first)
        await leading.stop()
        await fake.wait_until(lambda: other.leadership.leading.is_set(), timeout=10)
        assert first.terms + second.terms == 3
    finally:
        await first.stop()
        await second.stop()


@pytest.mark.postgres
async def test_a_connection_left_in_a_broken_state_is_replaced(
    postgres_migrated: str, fake: FakeBotApi
) -> None:
    """A connection cut mid-query can leave asyncpg saying "another operation is in
    progress" on the next one: the instance stops leading, connects again and leads again,
    instead of its leadership task ending for good."""
    leader = Leader(postgres_migrated)
    counted = leader.leadership._ping
    broken = {"left": 1}

    async def breaks_once(connection: asyncpg.Connection, query: str) -> bool:
        if query == "SELECT 1" and broken["left"]:
            broken["left"] -= 1
            raise asyncpg.InternalClientError(
                "cannot switch to state 12; another operation (2) is in progress"
            )
        return await counted(connection, query)

    leader.leadership._ping = breaks_once  # type: ignore[method-assign]
    leader.start()
    try:
        await fake.wait_until(lambda: leader.terms == 2, timeout=10)
        assert leader.ended == 1 and leader.leadership.leading.is_set()
        assert leader.task is not None and not leader.task.done()
    finally:
        await leader.stop()


async def test_sqlite_single_process_always_leads(sqlite_url: str) -> None:
    leader = Leader(sqlite_url)
    leader.start()
    try:
        await asyncio.wait_for(leader.leadership.leading.wait(), timeout=5)
        assert leader.terms == 1
    finally:
        await leader.stop()


async def notify(url: str, channel: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("SELECT pg_notify($1, '')", channel)
    finally:
        await connection.close()


@pytest.mark.postgres
async def test_a_commit_elsewhere_wakes_every_instance(postgres_migrated: str) -> None:
    engine = create_engine(postgres_migrated)
    sessions_pg = session_factory(engine)
    woken, probed = asyncio.Event(), asyncio.Event()
    wakes = {"chibo_schedule": woken.set, "chibo_test_probe": probed.set}
    listener = Wakeups(postgres_migrated, RETRY, wakes)
    task = asyncio.create_task(listener.run())
    try:
        await asyncio.wait_for(woken.wait(), timeout=10)  # woken once when (re)connected
        await asyncio.wait_for(probed.wait(), timeout=10)
        woken.clear()
        probed.clear()
        async with transaction(sessions_pg) as session:
            due = clock.now() + timedelta(days=1)
            await schedule.schedule(session, "test", "wake:1", due, {})
            # A notification committed after the booking: PostgreSQL delivers notifications
            # in commit order, so a wake sent by the booking before its commit arrives first.
            await notify(postgres_migrated, "chibo_test_probe")
            await asyncio.wait_for(probed.wait(), timeout=10)
            assert not woken.is_set()  # not before the commit
        await asyncio.wait_for(woken.wait(), timeout=10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await engine.dispose()


async def test_two_schedulers_run_a_due_job_once(
    sessions: async_sessionmaker[AsyncSession], fake: FakeBotApi, database_url: str
) -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    calls: list[str] = []

    async def job(context: JobContext) -> None:
        calls.append(context.key)
        entered.set()
        await release.wait()  # holds the job's transaction while the other scheduler looks

    settings = bot_settings(fake, database_url)
    now = clock.now()
    async with transaction(sessions) as session:
        await schedule.schedule(session, "race", "race:1", now - timedelta(seconds=1), {})
    first, second = (Scheduler(sessions, settings, {"race": job}) for _ in range(2))
    running = asyncio.create_task(first.run_one())
    await asyncio.wait_for(entered.wait(), timeout=10)
    other = asyncio.create_task(second.run_one())
    if is_postgres(database_url):  # skips the job the first holds, without waiting for it
        assert await asyncio.wait_for(asyncio.shield(other), timeout=10) is False
    else:  # SQLite, one writer: the second waits for the first's transaction
        await asyncio.sleep(0)  # its first step reaches the writer lock the first holds
        assert not other.done()
    release.set()
    assert sorted([await running, await other]) == [False, True]
    assert calls == ["race:1"]
    async with transaction(sessions) as session:
        job_row = await session.scalar(select(ScheduledJob))
        assert job_row is not None and job_row.done_at is not None


async def test_scheduling_the_same_key_at_once_keeps_one_job(
    sessions: async_sessionmaker[AsyncSession], database_url: str, fake: FakeBotApi
) -> None:
    due = clock.now() + timedelta(hours=1)
    first_wrote, second_booked = asyncio.Event(), asyncio.Event()

    async def book(minutes: int, wait: bool) -> None:
        async with transaction(sessions) as session:
            await schedule.schedule(
                session, "race", "race:key", due + timedelta(minutes=minutes), {}
            )
            if wait:
                first_wrote.set()
                await second_booked.wait()  # the second books meanwhile

    first = asyncio.create_task(book(0, wait=True))
    await first_wrote.wait()
    second = asyncio.create_task(book(5, wait=False))
    if is_postgres(database_url):  # the second's insert waits on the first's row

        async def second_waits() -> bool:
            return await lock_waits(database_url) >= 1

        await fake.wait_until(second_waits, timeout=10)
    else:  # SQLite, one writer: the second waits for the first's transaction
        await asyncio.sleep(0)  # its first step reaches the writer lock the first holds
    assert not second.done()
    second_booked.set()
    await asyncio.gather(first, second)
    async with transaction(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(ScheduledJob)) == 1
        job = await session.scalar(select(ScheduledJob))
        assert job is not None
        assert job.due_at.replace(tzinfo=UTC) == due + timedelta(minutes=5)  # the later one


@pytest.mark.processes  # one at a time: tests/conftest.py
@pytest.mark.postgres
def test_instances_starting_together_migrate_once(postgres_migrated: str) -> None:
    """`chibo run` migrates first: three starting at once on an empty database all succeed.

    Processes, not threads: Alembic's context is one per process."""
    url = postgres_migrated
    in_thread(asyncio.run, _reset_schema(url))
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from bot.cli.main import main; main()", "db", "upgrade"]
    processes = [subprocess.Popen(command, env=env, cwd=ROOT) for _ in range(3)]
    assert [process.wait(timeout=120) for process in processes] == [0, 0, 0]

    async def version() -> object:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            return await connection.fetchval("SELECT version_num FROM alembic_version")
        finally:
            await connection.close()

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert in_thread(asyncio.run, version()) == head
