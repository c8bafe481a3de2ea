"""The fake Bot API server in a process of its own, as Telegram would be: the benchmark then
measures the bot's side, not the fake's. Counts are read back over a pipe; times are
time.monotonic(), which is the same clock in both processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from tests.fakebot import FakeBotApi
from tests.outbox_helpers import NOTICE

WATCH_SECONDS = 0.005


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


def _tally(fake: FakeBotApi, stats: Stats, chat_ids: set[int], seen: int) -> int:
    sent = fake.sent
    for message in sent[seen:]:
        if message.text == NOTICE and message.chat_id in chat_ids:
            stats.counts[message.chat_id] += 1
            stats.first_at = stats.first_at or time.monotonic()
    if stats.completed_at is None and len(stats.counts) == len(chat_ids):
        stats.completed_at = time.monotonic()
    return len(sent)


async def _serve(
    conn: Connection,
    chat_ids: list[int],
    others: list[int],
    limits: dict[str, int],
    latency: tuple[float, float] | None,
) -> None:
    async with FakeBotApi() as fake:
        for chat_id in [*chat_ids, *others]:
            fake.user(chat_id)
        fake.enforce_limits(**limits)
        if latency is not None:
            fake.add_latency(*latency)
        stats, wanted, seen = Stats(expected=len(chat_ids)), set(chat_ids), 0

        async def watch() -> None:
            nonlocal seen
            while True:
                seen = _tally(fake, stats, wanted, seen)
                await asyncio.sleep(WATCH_SECONDS)

        watcher = asyncio.create_task(watch())
        conn.send(fake.port)
        while await asyncio.to_thread(conn.recv) != "stop":
            stats.got_429_times = list(fake.got_429_times)
            conn.send(stats)
        watcher.cancel()


def _main(conn: Connection, *args: Any) -> None:
    """The child process: `args` are `_serve`'s after the pipe."""
    asyncio.run(_serve(conn, *args))


class RemoteFake:
    """`async with RemoteFake(chat_ids, global_per_s=30) as fake:` then fake.base_url.

    The notice is tallied for `chat_ids`; `others` are users who exist but do not get it.
    `latency` is (round trip, jitter) in seconds, as FakeBotApi.add_latency takes them.
    """

    def __init__(
        self,
        chat_ids: list[int],
        others: Sequence[int] = (),
        latency: tuple[float, float] | None = None,
        **limits: int,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process: Any = context.Process(
            target=_main, args=(child, chat_ids, list(others), limits, latency), daemon=True
        )
        self.port = 0

    async def __aenter__(self) -> RemoteFake:
        self._process.start()
        self.port = await asyncio.to_thread(self._conn.recv)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._conn.send("stop")
        await asyncio.to_thread(self._process.join, 10)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def stats(self) -> Stats:
        self._conn.send("stats")
        stats: Stats = await asyncio.to_thread(self._conn.recv)
        return stats

    async def wait_everyone(self, timeout: float) -> Stats:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while (stats := await self.stats()).completed_at is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{stats.lost} members never got the notice")
            await asyncio.sleep(0.05)
        return stats
