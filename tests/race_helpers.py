"""Handling updates at the same time, each in its own transaction, as concurrent lanes or
several instances do: the races of "read, then write" checks, made to happen."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from bot.app import Chibo, build_application
from storage import inbox
from storage.db import transaction
from tests.harness import RunningBot

# Added to every Bot API call during a race: each handler answers the press (a round trip)
# between reading and writing, so both read before either commits, unless a lock makes
# the second one wait.
ROUND_TRIP = 0.3


@contextlib.asynccontextmanager
async def quiet_bot(bot: RunningBot) -> AsyncIterator[Chibo]:
    """The bot built and connected but not polling: the test hands it the updates."""
    await bot.settle()
    await bot.stop()
    chibo = build_application(bot.settings)
    await chibo.start()
    try:
        yield chibo
    finally:
        await chibo.stop()


async def handle_at_once(chibo: Chibo, bot: RunningBot, updates: list[dict[str, Any]]) -> None:
    """Stores the updates and handles them concurrently, each in its own transaction (the
    runner's step for one update, which concurrent lanes and instances run side by side)."""
    bot.fake.updates.clear()  # handed over here, not polled
    async with transaction(chibo.sessions) as session:
        await inbox.store_updates(session, updates)
    bot.fake.add_latency(ROUND_TRIP)
    try:
        handle = chibo.runner._handle
        await asyncio.gather(*(handle(int(u["update_id"]), u, True) for u in updates))
    finally:
        bot.fake._latency = None
