"""SQLite runs on the event loop's thread: same settings as before, and a wait for another
connection's write lock happens off the loop."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, text

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
