"""Handling updates at the same time, each in its own transaction, as concurrent lanes or
several instances do: the races of "read, then write" checks, made to happen."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from bot.app import Chibo, build_application
from storage import clock, inbox
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
    """Stores the updates and handles them as the runner does, every chat's lane at once:
    updates of different chats race each other, one chat's (a member on two phones, a
    press repeated) go through its lane in order, as in a running bot."""
    bot.fake.updates.clear()  # handed over here, not polled
    runner = chibo.runner
    now = clock.now()
    async with transaction(chibo.sessions) as session:
        await inbox.store_updates(session, updates)
        chats = {inbox.lane_of(update)[0] for update in updates}
        lanes = await inbox.take_lanes(session, chats, runner.holder, now, now + runner.lease)
    bot.fake.add_latency(ROUND_TRIP)
    try:
        await asyncio.gather(*(runner.worker.run_lane(chat_id) for chat_id in lanes))
    finally:
        bot.fake._latency = None
