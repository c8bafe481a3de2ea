"""Fixtures: a migrated database per test (SQLite file, and PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.leadership import asyncpg_dsn
from storage import clock
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Base
from tests.fakebot import FakeBotApi
from tests.harness import FAST_SENDER, RunningBot, bot_settings

CONFIGURED_PG_URL = os.environ.get("TEST_DATABASE_URL")
# pytest-xdist's worker ("gw0", "gw1"...): each worker gets a database of its own.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _worker_url(url: str | None) -> str | None:
    """The configured database, or under pytest-xdist `<database>_<worker>` on its server."""
    if url is None or XDIST_WORKER is None:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{XDIST_WORKER}").render_as_string(
        hide_password=False
    )


PG_URL = _worker_url(CONFIGURED_PG_URL)


def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Runs blocking setup (Alembic, asyncio.run) off the test's event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


T = TypeVar("T")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=None,
        help="run every test at this time, e.g. 2027-03-15T09:00 (local time of TIME_ZONE); "
        f"the same as the environment variable {clock.ENV_NOW}",
    )


def suite_now(config: pytest.Config) -> datetime | None:
    """The time the suite runs at (`--clock`, else `CHIBO_TEST_NOW`), None for the real one."""
    text = config.getoption("--clock") or os.environ.get(clock.ENV_NOW, "")
    return clock.parse_now(text) if text.strip() else None


@pytest.fixture(autouse=True)
def set_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts at the suite's time (so a test at 23:59 has its minute before the
    year turns), in this process and in the `chibo` processes it starts (the environment)."""
    when = suite_now(request.config)
    if when is None:
        yield
        return
    at = time.time()
    clock.set_now(when, at)
    monkeypatch.setenv(clock.ENV_NOW, when.isoformat())
    monkeypatch.setenv(clock.ENV_SET_AT, repr(at))
    yield
    clock.set_now(None)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Tests marked `processes` (they start `chibo run` processes, or are as heavy) run one at
    a time across pytest-xdist's workers: several at once on two cores made their processes
    start too slowly for the tests' waits. Outside pytest-timeout's wrapper, so the wait for
    the turn does not count against the test's timeout."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None or item.get_closest_marker("processes") is None:
        return (yield)
    path = Path(tempfile.gettempdir()) / f"chibo-tests-{run}.lock"
    with path.open("a") as lock, contextlib.ExitStack() as release:
        fcntl.flock(lock, fcntl.LOCK_EX)
        release.callback(fcntl.flock, lock, fcntl.LOCK_UN)
        return (yield)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="TEST_DATABASE_URL is not set (PostgreSQL variant)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test: migrating per test would be slow."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    in_thread(upgrade, f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> Iterator[str]:
    assert PG_URL is not None
    if PG_URL != CONFIGURED_PG_URL:
        assert CONFIGURED_PG_URL is not None
        in_thread(asyncio.run, _create_database(CONFIGURED_PG_URL, PG_URL))
    in_thread(asyncio.run, _reset_schema(PG_URL))
    in_thread(upgrade, PG_URL)
    yield PG_URL


async def _reset_schema(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def _create_database(server_url: str, url: str) -> None:
    """Creates the worker's database on the configured database's server, if missing."""
    name = make_url(url).database
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


# Empties every table and restarts every sequence in one round trip. DELETE of a test's few
# rows takes about 50 ms where TRUNCATE of all the tables took 0.2-0.6 s, once per PostgreSQL
# test; a table of thousands of rows (test_scale seeds 33,000 members) is truncated, as
# deleting them row by row took 16 s.
_TABLES = [t.name for t in reversed(Base.metadata.sorted_tables)]
EMPTY_TABLES = f"""DO $$
DECLARE s record;
BEGIN
  IF {" OR ".join(f"EXISTS (SELECT 1 FROM {name} OFFSET 999)" for name in _TABLES)} THEN
    TRUNCATE {", ".join(_TABLES)} RESTART IDENTITY CASCADE;
    RETURN;
  END IF;
  {" ".join(f"DELETE FROM {name};" for name in _TABLES)}
  FOR s IN SELECT c.oid::regclass AS seq FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind = 'S' AND n.nspname = current_schema() LOOP
    EXECUTE format('ALTER SEQUENCE %s RESTART', s.seq);
  END LOOP;
END $$"""


async def _truncate(url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(EMPTY_TABLES)
    finally:
        await connection.close()


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "chibo.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """A freshly migrated, empty database: SQLite always, PostgreSQL when configured."""
    if request.param == "sqlite":
        path = tmp_path / "chibo.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_migrated")
    in_thread(asyncio.run, _truncate(url))
    return str(url)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def fast_bot(fake: FakeBotApi, database_url: str) -> AsyncIterator[RunningBot]:
    """The real bot with a quick outbox sender, for tests of what it delivers."""
    running = RunningBot(fake, bot_settings(fake, database_url, **FAST_SENDER))
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def bot(fake: FakeBotApi, database_url: str) -> AsyncIterator[RunningBot]:
    """The real bot, polling the fake Bot API server, on a fresh database."""
    running = RunningBot(fake, bot_settings(fake, database_url))
    await running.start()
    yield running
    await running.stop()
