"""Engine and transaction helpers. Storage functions never commit; `transaction` does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import CursorResult, Executable, Table, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.sqlite_inline import InlineSQLiteDialect, inline_url

SQLITE_BUSY_TIMEOUT_MS = InlineSQLiteDialect.busy_timeout_ms
READ_ONLY = "chibo_read_only"


# PostgreSQL: the connections kept open cover the lanes' transactions at once (bot/lanes.py)
# and everything else (the poller, the sender, the shared send slots...). SQLAlchemy's
# default keeps 5 and closes any other connection when it is returned; the next one then
# pays a new connection (TLS included), which cost more CPU than the transactions it served
# (profiled in bench/burst).
POSTGRES_POOL = {"pool_size": 12, "max_overflow": 8}


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine; on SQLite with WAL, foreign keys, a busy timeout and immediate transactions.

    SQLite URLs (`sqlite+aiosqlite:///...`) run through `storage.sqlite_inline`: the same
    file and settings, without aiosqlite's thread hop per call.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(inline_url(parsed), **kwargs)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        kwargs = {**POSTGRES_POOL, **kwargs}
    return create_async_engine(parsed, **kwargs)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver: the dialect's do_begin decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # Transactions begin IMMEDIATE (see InlineSQLiteDialect.do_begin): they read then
        # write, and taking the write lock up front makes two writers wait on the busy
        # timeout instead of failing with "database is locked". A read-only one (a long
        # export) must not hold it: in WAL mode it reads a snapshot. This event runs just
        # before do_begin, which reads the flag.
        read_only = bool(connection.get_execution_options().get(READ_ONLY, False))
        connection.connection.info[READ_ONLY] = read_only


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


async def execute_core(
    session: AsyncSession, statement: Executable, parameters: dict[str, Any]
) -> CursorResult[Any]:
    """Runs a prebuilt Core statement (the hot path's) in the session's transaction.

    Core statements skip the ORM's autoflush, so pending objects are written first: the
    statement must see them (and may refer to them).
    """
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return cast(CursorResult[Any], await session.execute(statement, parameters))


async def refresh_statistics(session: AsyncSession) -> str | None:
    """SQLite gathers no statistics by itself, and without them its planner scans a whole
    organisation to answer for one branch. First time `ANALYZE`; then `PRAGMA optimize`,
    which re-analyses what changed enough. PostgreSQL's autovacuum does this on its own.
    Returns what ran, or None."""
    connection = await session.connection()
    if connection.dialect.name != "sqlite":
        return None
    analysed = await session.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    )
    statement = "PRAGMA optimize" if analysed.first() is not None else "ANALYZE"
    await session.execute(text(statement))
    return statement


@asynccontextmanager
async def local_settings(session: AsyncSession, **settings: str) -> AsyncIterator[None]:
    """PostgreSQL runs the block's statements with these settings (this transaction only),
    then goes back to what it had, when the block ends without an exception (a failure
    ends the transaction, whose rollback takes the settings with it). SQLite has none of
    them: nothing happens."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    names = {f"name{n}": name for n, name in enumerate(settings)}
    read = ", ".join(f"current_setting(:{key})" for key in names)
    values = (await session.execute(text(f"SELECT {read}"), names)).one()
    before = {name: str(value) for name, value in zip(settings, values, strict=True)}
    await set_for_transaction(session, settings)
    yield  # not past a failure: see above
    await set_for_transaction(session, before)


async def set_for_transaction(session: AsyncSession, settings: Mapping[str, str]) -> None:
    """PostgreSQL's settings for the rest of the transaction (`set_config(..., true)`)."""
    values: dict[str, str] = {}
    calls = []
    for n, (name, value) in enumerate(settings.items()):
        values |= {f"name{n}": name, f"value{n}": value}
        calls.append(f"set_config(:name{n}, :value{n}, true)")
    await session.execute(text(f"SELECT {', '.join(calls)}"), values)


async def analyse_now(session: AsyncSession, *tables: Table) -> bool:
    """PostgreSQL gathers these tables' statistics at once, in the session's transaction
    (ANALYZE counts the transaction's own new rows), so they commit with the rows; whether
    it did.

    For a write of many rows under a new id (a notice to a province: 300,000 receipts): until
    autovacuum next analyses the table, which can be minutes later or, in a large table,
    never for that write, the planner takes that id for a single row and plans as if the
    rest of the transaction's statements and every later read of them were tiny (the notice's
    status took 2.8 s instead of 0.4 s). ANALYZE waits for another's ANALYZE or VACUUM of the
    table (and holds off migrations until the transaction ends): after 2 s it is skipped,
    and the estimates wait for autovacuum; it also needs the tables' owner (the role that
    migrated them), else PostgreSQL only warns. SQLite does nothing here: its estimates are
    averages per key (`refresh_statistics`)."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return False
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(table.name) for table in tables)
    try:
        async with session.begin_nested(), local_settings(session, lock_timeout="2s"):
            await session.execute(text(f"ANALYZE {names}"))
    except DBAPIError:  # rolled back to the savepoint: the queueing goes on without
        return False
    return True
