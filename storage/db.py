"""Engine and transaction helpers. Storage functions never commit; `transaction` does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "chibo_read_only"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine; on SQLite with WAL, foreign keys, a busy timeout and immediate transactions."""
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that `begin` below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # Our transactions read then write; IMMEDIATE takes the write lock up front, so two
        # writers wait on the busy timeout instead of failing with "database is locked".
        # A read-only one (a long export) must not hold it: in WAL mode it reads a snapshot.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# SQLite has one writer at a time. Waiting for it on SQLite's busy handler means sleeping in
# steps of 1 to 100 ms; waiting on an asyncio lock in this process hands over at once.
_writer_locks: WeakKeyDictionary[Any, asyncio.Lock] = WeakKeyDictionary()


def _writer_lock(sessions: async_sessionmaker[AsyncSession]) -> asyncio.Lock | None:
    engine = sessions.kw.get("bind")
    if engine is None or engine.dialect.name != "sqlite":
        return None
    key = engine.sync_engine
    if key not in _writer_locks:
        _writer_locks[key] = asyncio.Lock()
    return _writer_locks[key]


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends, rolls back when it raises."""
    lock = _writer_lock(sessions)
    async with lock or contextlib.nullcontext(), sessions() as session, session.begin():
        yield session


@asynccontextmanager
async def read_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A unit of work that only reads (exports): on SQLite it takes neither the writer lock
    nor the write lock, so the bot goes on writing while it runs; it never commits."""
    async with sessions() as session:  # closing ends the transaction; objects stay loaded
        await session.connection(execution_options={READ_ONLY: True})
        yield session
