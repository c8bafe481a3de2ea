"""The receiving side's own thread (bot/receiving.py): it runs apart from the caller's loop,
a cancellation reaches it and waits for its clean-up, and its failure is the caller's."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.receiving import in_own_thread


async def test_runs_on_a_loop_of_its_own_while_the_callers_loop_is_busy() -> None:
    seen: list[tuple[threading.Thread, float]] = []

    async def main() -> None:
        await asyncio.sleep(0.05)
        seen.append((threading.current_thread(), time.monotonic()))

    running = asyncio.create_task(in_own_thread(main, "test-receiving"))
    await asyncio.sleep(0)  # the thread starts
    blocked_at = time.monotonic()
    time.sleep(1.0)  # the caller's loop does nothing meanwhile  # noqa: ASYNC251
    await running
    ((thread, at),) = seen
    assert thread is not threading.current_thread()
    assert thread.name == "test-receiving"
    assert at < blocked_at + 1.0  # it went on while this loop was blocked


async def test_cancelling_the_caller_cancels_it_and_waits_for_its_clean_up() -> None:
    started, cleaned = threading.Event(), threading.Event()

    async def main() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.1)  # a clean-up that awaits (closing connections)
            cleaned.set()

    running = asyncio.create_task(in_own_thread(main, "test-receiving"))
    await asyncio.to_thread(started.wait, 5)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert cleaned.is_set()


async def test_its_failure_is_raised_to_the_caller() -> None:
    async def main() -> None:
        raise LookupError("no such thing")

    with pytest.raises(LookupError, match="no such thing"):
        await in_own_thread(main, "test-receiving")
