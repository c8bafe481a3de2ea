"""SQLite for the async engine without a thread hop per call.

aiosqlite runs every cursor call on a worker thread: a queue put, a GIL hand-over and a
future back to the event loop, about 30 times per update (profiled: the largest single cost of
handling an update). SQLite answers from the page cache in microseconds, so this dialect is
the standard `sqlite3` driver declared async: SQLAlchemy's asyncio layer then calls it
directly on the event loop's thread.

Nothing may block the loop for long. With WAL, readers never wait and a commit does not wait
for readers; the one wait is for the write lock, and every transaction takes it up front
(`BEGIN IMMEDIATE`). So `do_begin` first tries without waiting, and only when another
connection holds the lock (another process, or a second engine of this one) waits for it on
a worker thread, with the usual busy timeout. Writers of this engine already queue on an
asyncio lock in `storage.db.transaction`, so they never get there.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.base import SQLiteExecutionContext
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_, in_greenlet

READ_ONLY = "chibo_read_only"  # set on the pooled connection's info by storage.db

DRIVER = "chibo_inline"


class InlineCursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """AsyncConnection.execute calls this on async drivers' cursors to buffer the rows
        before leaving the greenlet; here fetching them later runs inline too."""


class InlineConnection(sqlite3.Connection):
    def cursor(self, factory: Any = InlineCursor) -> Any:
        return super().cursor(factory)


class InlineExecutionContext(SQLiteExecutionContext):
    def create_server_side_cursor(self) -> Any:
        # sqlite3 steps through a result as it is fetched: a plain cursor already streams.
        return self.create_default_cursor()


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, accepted by `create_async_engine`; transactions begin IMMEDIATE."""

    is_async = True
    supports_statement_cache = True
    # `AsyncConnection.stream` (exports read in batches) asks for server-side cursors.
    supports_server_side_cursors = True
    execution_ctx_cls = InlineExecutionContext
    busy_timeout_ms = 10_000

    def create_connect_args(self, url: URL) -> Any:
        args, options = super().create_connect_args(url)
        return args, {**options, "factory": InlineConnection}

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        # The asyncio pool: waiting for a free connection must not block the loop.
        return pool.AsyncAdaptedQueuePool if cls._is_url_file_db(url) else pool.StaticPool

    # AsyncConnection.execute checks that the driver awaited something (a sync driver by
    # mistake would block the loop). This one runs inline on purpose: it awaits a coroutine
    # that returns at once, a greenlet switch and back, without yielding to the loop.
    def do_execute(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        super().do_execute(cursor, statement, parameters, context)  # type: ignore[no-untyped-call]
        _await_nothing()

    def do_executemany(
        self, cursor: Any, statement: Any, parameters: Any, context: Any = None
    ) -> None:
        super().do_executemany(cursor, statement, parameters, context)  # type: ignore[no-untyped-call]
        _await_nothing()

    def do_execute_no_params(self, cursor: Any, statement: Any, context: Any = None) -> None:
        super().do_execute_no_params(cursor, statement, context)  # type: ignore[no-untyped-call]
        _await_nothing()

    def do_begin(self, dbapi_connection: Any) -> None:
        # Inside SQLAlchemy's try block: a failure here is wrapped like any other statement's.
        connection: sqlite3.Connection = dbapi_connection.driver_connection
        if dbapi_connection.info.get(READ_ONLY):
            connection.execute("BEGIN")  # deferred: a snapshot read never waits for writers
            return
        connection.execute("PRAGMA busy_timeout=0")
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            self._begin_waiting(connection)
        finally:
            connection.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")

    def _begin_waiting(self, connection: sqlite3.Connection) -> None:
        def begin() -> None:
            connection.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
            connection.execute("BEGIN IMMEDIATE")

        if in_greenlet():  # called from the event loop: wait on a thread, not on the loop
            await_(_through_cancellation(asyncio.to_thread(begin)))
        else:
            begin()


async def _through_cancellation(waiting: Awaitable[None]) -> None:
    """Waits for the thread even if the caller is cancelled meanwhile: the connection must
    not go back to the pool (and be rolled back) while the thread may still begin on it."""
    task = asyncio.ensure_future(waiting)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise


async def _nothing() -> None:
    return None


def _await_nothing() -> None:
    if in_greenlet():
        await_(_nothing())


def inline_url(url: URL) -> URL:
    """The same SQLite database, through the inline dialect."""
    registry.register(f"sqlite.{DRIVER}", __name__, InlineSQLiteDialect.__name__)
    return url.set(drivername=f"sqlite+{DRIVER}")
