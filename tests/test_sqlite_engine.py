"""SQLite runs on the event loop's thread: same settings as before, and a wait for another
connection's write lock happens off the loop."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import make_url, select, text

from storage import inbox
from storage.db import SQLITE_BUSY_TIMEOUT_MS, create_engine, session_factory, transaction
from storage.models import InboxUpdate


async def test_sqlite_keeps_wal_foreign_keys_and_busy_timeout(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        await engine.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10_000}
    assert SQLITE_BUSY_TIMEOUT_MS == 10_000


async def test_a_second_writer_waits_for_the_lock_without_blocking_the_loop(
    sqlite_url: str,
) -> None:
    """Two engines on one file (like a CLI command beside the bot): the second transaction
    begins IMMEDIATE, so it waits for the first one's commit; meanwhile the loop runs."""
    first, second = create_engine(sqlite_url), create_engine(sqlite_url)
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_the_write_lock() -> None:
        async with transaction(session_factory(first)) as session:
            await inbox.store_updates(session, [{"update_id": 1}])
            holding.set()
            await release.wait()  # only possible if the waiting writer leaves the loop free

    async def write_second() -> list[int]:
        await holding.wait()
        async with transaction(session_factory(second)) as session:
            await inbox.store_updates(session, [{"update_id": 2}])
            return list(await session.scalars(select(InboxUpdate.update_id)))

    try:
        holder = asyncio.create_task(hold_the_write_lock())
        writer = asyncio.create_task(write_second())
        await holding.wait()
        await asyncio.sleep(0.2)
        assert not writer.done()  # waiting for the lock, not failing with "database is locked"
        release.set()
        assert await writer == [1, 2]  # began after the first commit: sees its row
        await holder
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_writer_cancelled_while_waiting_leaves_no_lock_behind(sqlite_url: str) -> None:
    """Cancelled mid-wait (a shutdown), the waiting transaction must neither block the loop
    while it gives up nor begin later on a connection already back in the pool."""
    first, second = create_engine(sqlite_url), create_engine(sqlite_url)
    holding, release = asyncio.Event(), asyncio.Event()
    waiting: list[asyncio.Task[None]] = []

    async def hold_the_write_lock() -> bool:
        async with transaction(session_factory(first)) as session:
            await inbox.store_updates(session, [{"update_id": 1}])
            holding.set()
            await release.wait()
        return not waiting[0].done()  # the loop was free: we committed while it waited

    async def write_second() -> None:
        async with transaction(session_factory(second)) as session:
            await inbox.store_updates(session, [{"update_id": 2}])

    try:
        holder = asyncio.create_task(hold_the_write_lock())
        await holding.wait()
        waiting.append(asyncio.create_task(write_second()))
        await asyncio.sleep(0.2)
        waiting[0].cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await waiting[0]
        assert await holder
        assert write_lock_is_free(sqlite_url)
        async with transaction(session_factory(first)) as session:
            await inbox.store_updates(session, [{"update_id": 3}])
            stored = list(await session.scalars(select(InboxUpdate.update_id)))
        assert stored == [1, 3]  # the cancelled writer wrote nothing
    finally:
        await first.dispose()
        await second.dispose()


def write_lock_is_free(url: str) -> bool:
    """Another process's view: may it begin writing right now, without waiting?"""
    connection = sqlite3.connect(make_url(url).database or "", timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()
