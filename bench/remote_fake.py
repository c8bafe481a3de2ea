"""The fake Bot API server in a process of its own, as Telegram would be: the benchmark then
measures the bot's side, not the fake's. What the fake plays is a `Scenario`, run in that
process: it sets the fake up (users, limits, a round trip) and answers the benchmark's
commands over a pipe (a count, a summary, "push the burst now"). Times are
time.monotonic(), which is the same clock in both processes.

Two scenarios: a broadcast tallied chat by chat (`NoticeTally`, bench/broadcast.py) and
every member acting at once (`bench.burst_fake.Burst`, bench/burst.py).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Protocol

from tests.fakebot import FakeBotApi
from tests.outbox_helpers import NOTICE

WATCH_SECONDS = 0.005
STOP = "stop"


class Scenario(Protocol):
    """What the fake plays; pickled into the fake's process, where its methods run."""

    async def start(self, fake: FakeBotApi) -> None:
        """Sets the fake up before the bot can reach it."""

    def answer(self, fake: FakeBotApi, command: str) -> Any:
        """The answer to one of the benchmark's commands (sent back over the pipe)."""


async def _serve(conn: Connection, scenario: Scenario) -> None:
    async with FakeBotApi() as fake:
        await scenario.start(fake)
        conn.send((fake.port, fake.per_chat_limit))
        while (command := await asyncio.to_thread(conn.recv)) != STOP:
            conn.send(scenario.answer(fake, command))


def _main(conn: Connection, scenario: Scenario) -> None:
    """The child process."""
    asyncio.run(_serve(conn, scenario))


class RemoteFake:
    """`async with RemoteFake(scenario) as fake:` then fake.base_url, `await fake.ask(...)`."""

    def __init__(self, scenario: Scenario) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process: Any = context.Process(target=_main, args=(child, scenario), daemon=True)
        self.port = 0
        self.per_chat_limit: int | None = None  # as FakeBotApi's (tests/harness.py reads it)

    async def __aenter__(self) -> RemoteFake:
        self._process.start()
        self.port, self.per_chat_limit = await asyncio.to_thread(self._conn.recv)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._conn.send(STOP)
        await asyncio.to_thread(self._process.join, 10)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def watch_limits(self, _callback: Callable[[], None]) -> None:
        """As FakeBotApi's: a scenario sets the limits once, before the bot starts."""

    async def ask(self, command: str) -> Any:
        """The scenario's answer to `command` (one at a time: the pipe is not shared)."""
        self._conn.send(command)
        return await asyncio.to_thread(self._conn.recv)


@dataclass
class Stats:
    counts: Counter[int] = field(default_factory=Counter)
    completed_at: float | None = None  # every chat had the notice
    first_at: float | None = None
    got_429_times: list[float] = field(default_factory=list)
    expected: int = 0

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.counts.values())

    @property
    def lost(self) -> int:
        return self.expected - len(self.counts)


class NoticeTally:
    """A broadcast of the notice: `chat_ids` are tallied as it reaches them; `others` are
    users who exist but do not get it. `limits` as FakeBotApi.enforce_limits takes them,
    `latency` (round trip, jitter) in seconds as FakeBotApi.add_latency takes them.
    Command: "stats" (a `Stats`)."""

    def __init__(
        self,
        chat_ids: list[int],
        others: Sequence[int] = (),
        latency: tuple[float, float] | None = None,
        **limits: int,
    ) -> None:
        self.chat_ids = chat_ids
        self.others = list(others)
        self.latency = latency
        self.limits = limits
        self.stats = Stats(expected=len(chat_ids))
        self._seen = 0
        self._watcher: asyncio.Task[None] | None = None

    async def start(self, fake: FakeBotApi) -> None:
        for chat_id in [*self.chat_ids, *self.others]:
            fake.user(chat_id)
        fake.enforce_limits(**self.limits)
        if self.latency is not None:
            fake.add_latency(*self.latency)
        self._watcher = asyncio.create_task(self._watch(fake))

    async def _watch(self, fake: FakeBotApi) -> None:
        wanted, stats = set(self.chat_ids), self.stats
        while True:
            sent = fake.sent
            for message in sent[self._seen :]:
                if message.text == NOTICE and message.chat_id in wanted:
                    stats.counts[message.chat_id] += 1
                    stats.first_at = stats.first_at or time.monotonic()
            self._seen = len(sent)
            if stats.completed_at is None and len(stats.counts) == len(wanted):
                stats.completed_at = time.monotonic()
            await asyncio.sleep(WATCH_SECONDS)

    def answer(self, fake: FakeBotApi, command: str) -> Any:
        if command != "stats":
            raise ValueError(command)
        self.stats.got_429_times = list(fake.got_429_times)
        return self.stats


async def stats(fake: RemoteFake) -> Stats:
    result: Stats = await fake.ask("stats")
    return result


async def wait_everyone(fake: RemoteFake, timeout: float) -> Stats:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while (tally := await stats(fake)).completed_at is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{tally.lost} members never got the notice")
        await asyncio.sleep(0.05)
    return tally
