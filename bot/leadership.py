"""Several `chibo run` processes on one PostgreSQL: which one leads, and waking the others.

Every instance handles stored updates (the inbox runner claims each update in its own
transaction) and runs the scheduler (jobs are claimed with `FOR UPDATE SKIP LOCKED` in the
transaction that runs them). Two things must happen in exactly one process at a time:

* polling Telegram: a second getUpdates makes Telegram answer 409 "terminated by other
  getUpdates request", and the two would store and acknowledge the same updates;
* sending the outbox: Telegram's limits (30 messages a second overall, 1 a second per chat)
  hold for the bot, not per process, and a sender resets the rows it finds 'sending' when it
  starts, which must never be another sender's rows in flight.

The leader is the process holding a session-level advisory lock on a connection of its own.
Nothing else runs on that connection, so the lock lives exactly as long as the connection:
a `kill -9`, a crash or a network cut closes it, PostgreSQL drops the lock at once, and
another instance, re-trying every `leader_retry_seconds`, takes over. The leader pings its
connection as often, and stops leading as soon as a ping fails (lost connection = lost
leadership), so two leaders overlap for at most about one ping interval.

Waking: inserting into the inbox, the outbox or the scheduled jobs fires a NOTIFY from a
trigger (migration 0010_instances_notify); it is delivered on commit, to every instance
that LISTENs. A trigger rather than a call in Python: every writer (handlers, jobs, the CLI,
another helper's new code) wakes the others without knowing about them, and a rolled back
transaction wakes nobody. The periodic polls stay as a fallback for a lost connection.

On SQLite there is one process: it always leads, and nobody needs to be woken.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
from sqlalchemy import make_url

log = logging.getLogger(__name__)

# pg_try_advisory_lock takes a bigint: "chibo" + "lead" in ASCII, so it names itself in pg_locks.
LEADER_LOCK_KEY = 0x636869626F6C6561
PING_TIMEOUT_SECONDS = 5.0
# Channels notified by the triggers of migration 0010_instances_notify.
INBOX_CHANNEL = "chibo_inbox"
OUTBOX_CHANNEL = "chibo_outbox"
SCHEDULE_CHANNEL = "chibo_schedule"

Lead = Callable[[], Awaitable[None]]
# What a lost or refused database connection raises (a timeout included).
# InternalClientError: a connection cut in the middle of a query (pg_terminate_backend, a
# network drop) can leave asyncpg's protocol "in progress", and the next query on it says
# "cannot switch to state ...; another operation is in progress". Before it was counted here
# it ended the leadership task for good: that instance never led again (seen in CI).
CONNECTION_ERRORS = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    TimeoutError,
)


def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL as asyncpg wants it (no "+asyncpg" driver part)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def _connect(dsn: str, role: str) -> asyncpg.Connection:
    # The name shows in pg_stat_activity: who leads is one query away for an operator.
    name = f"chibo-{role}-{os.getpid()}"
    return await asyncpg.connect(dsn, server_settings={"application_name": name})


class Leadership:
    """Runs `lead` while this process holds the leader lock; re-tries to get it otherwise."""

    def __init__(self, database_url: str, retry_seconds: float) -> None:
        self.database_url = database_url
        self.retry_seconds = retry_seconds
        self.leading = asyncio.Event()  # set while `lead` runs (tests and logs look at it)

    async def run(self, lead: Lead) -> None:
        """Until cancelled. `lead` is cancelled when leadership is lost; if it returns or
        raises by itself, so does `run`."""
        if not is_postgres(self.database_url):
            await self._lead(lead)  # one process: always the leader
            return
        dsn = asyncpg_dsn(self.database_url)
        while True:
            try:
                connection = await _connect(dsn, "leader")
            except CONNECTION_ERRORS as error:
                log.warning("leadership: database unavailable (%s)", type(error).__name__)
                await asyncio.sleep(self.retry_seconds)
                continue
            try:
                await self._lead_or_wait(connection, lead)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), timeout=PING_TIMEOUT_SECONDS)

    async def _lead_or_wait(self, connection: asyncpg.Connection, lead: Lead) -> None:
        """Re-tries the lock on one connection until it is lost; leads while holding it."""
        while True:
            try:
                held = await self._ping(connection, "SELECT pg_try_advisory_lock($1)")
            except CONNECTION_ERRORS:
                return  # a new connection, then
            if held:
                log.info("leadership: this instance now polls Telegram and sends the outbox")
                await self._lead_while_connected(connection, lead)
                log.warning("leadership: lost the database connection; no longer leading")
                return
            await asyncio.sleep(self.retry_seconds)

    async def _lead_while_connected(self, connection: asyncpg.Connection, lead: Lead) -> None:
        leading = asyncio.ensure_future(self._lead(lead))
        try:
            while not leading.done():
                await asyncio.wait({leading}, timeout=self.retry_seconds)
                if leading.done():
                    break
                try:
                    await self._ping(connection, "SELECT 1")
                except CONNECTION_ERRORS:
                    return  # the lock may be someone else's now
            leading.result()  # lead ended by itself: say why
            raise RuntimeError("the leader's work ended")
        finally:
            leading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await leading

    async def _lead(self, lead: Lead) -> None:
        self.leading.set()
        try:
            await lead()
        finally:
            self.leading.clear()

    @staticmethod
    async def _ping(connection: asyncpg.Connection, query: str) -> bool:
        args = (LEADER_LOCK_KEY,) if "$1" in query else ()
        return bool(await connection.fetchval(query, *args, timeout=PING_TIMEOUT_SECONDS))


class Wakeups:
    """LISTENs for the triggers' NOTIFY and calls this process's wake functions.

    Each (re)connection first wakes everything: what was committed while the connection was
    down is then picked up at once instead of at the next poll.
    """

    def __init__(
        self, database_url: str, retry_seconds: float, wakes: Mapping[str, Callable[[], None]]
    ) -> None:
        self.database_url = database_url
        self.retry_seconds = retry_seconds
        self.wakes = dict(wakes)

    async def run(self) -> None:
        if not is_postgres(self.database_url):
            return  # one process: its own writers wake it directly
        dsn = asyncpg_dsn(self.database_url)
        while True:
            try:
                await self._listen(dsn)
            except CONNECTION_ERRORS as error:
                log.warning("wake-ups: connection lost (%s)", type(error).__name__)
            await asyncio.sleep(self.retry_seconds)

    async def _listen(self, dsn: str) -> None:
        connection = await _connect(dsn, "listen")
        try:
            for channel in self.wakes:
                await connection.add_listener(channel, self._notified)
            self._wake_all()
            while True:  # asyncpg delivers in the background; the pings find a dead link
                await asyncio.sleep(self.retry_seconds)
                await connection.fetchval("SELECT 1", timeout=PING_TIMEOUT_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=PING_TIMEOUT_SECONDS)

    def _notified(self, _connection: Any, _pid: int, channel: str, _payload: str) -> None:
        wake = self.wakes.get(channel)
        if wake is not None:
            wake()

    def _wake_all(self) -> None:
        for wake in self.wakes.values():
            wake()
