"""Waiting for an event with a time limit, without losing a cancellation.

On Python 3.11, `asyncio.wait_for(event.wait(), t)` can swallow a cancellation that arrives
as the event is set (fixed in 3.12): a loop built on it then never stops, and a clean
shutdown hangs. `asyncio.timeout` counts cancellations properly.
"""

from __future__ import annotations

import asyncio
import contextlib


async def wait_for_event(event: asyncio.Event, seconds: float | None) -> None:
    """Returns when `event` is set or after `seconds` (None: no limit), whichever is first."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
