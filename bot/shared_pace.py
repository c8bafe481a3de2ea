"""Telegram's limits held across instances: several `chibo run` on one PostgreSQL database.

Each process paces its own messages (bot/delivery/limits.py: the overall rate, 1 a second
per chat), but Telegram counts the bot's messages, whichever process sends them: the leader's
outbox and every instance's lane replies together. So on PostgreSQL every message also takes
a slot from the database (storage/send_pace.py) before it leaves, and waits for it.

Slots are evenly spaced, and requests do not arrive exactly at their slots: the way to
Telegram varies (a jitter of tens of milliseconds), and a busy process sends a little late.
The spacing leaves room for that: `SPACING` times Telegram's interval, so 30 a second becomes
25, and 1 a second per chat one every 1.2 s. A message that could not go out within
`LATE_SECONDS` of its slot takes a new overall one, rather than crowd the slots after it (a
chat's slots are far enough apart for such a delay).

Why 1.2 and not less (checked 2026-12-01, issue 10): a message leaves up to `LATE_SECONDS`
(0.1 s) after its slot, and one leg of the way to Telegram varies by its jitter (+-25 ms for
a 150 +- 50 ms round trip, bench/burst). Two messages to one chat with slots 1.2 s apart so
arrive at least 1.2 - 0.1 - 0.05 = 1.05 s apart, 5% above Telegram's second; thirty messages
span 29 slots of 40 ms = 1.16 s and arrive at least 1.16 - 0.15 = 1.01 s apart. The factor
is the lateness allowed plus the jitter, not slack: a smaller one needs a smaller
`LATE_SECONDS`, and more messages of a busy process would then miss their slot and take a
second one. Within one process the local limiter needs no such margin (it dates a message by
its answer, bot/delivery/limits.py); shared slots cannot, another instance's answers are not
seen here. Not counted: the time the reservation's answer takes to come back from the
database (`due` starts when it is read), so on a very busy process a message may be later
than `LATE_SECONDS` says; no 429 has been seen in bench/burst with two instances.

A message takes the next overall slot only if its chat is due by then. Otherwise it reserves
nothing, sleeps until its chat is due and asks again: the other chats' messages go on taking
the overall slots meanwhile, instead of waiting behind it (a reply then the next question to
one person is common, and each process's own limiter lets a chat's messages go 1.0 s apart,
closer than the 1.2 s here, so most messages after a chat's first would otherwise hold up
the whole bot).

On SQLite there is one process, and its own pacing is exact: nothing is shared.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import send_pace
from storage.db import transaction

log = logging.getLogger(__name__)

SPACING = 1.2
LATE_SECONDS = 0.1
PER_CHAT_SECONDS = 1.0
FORGET_AFTER = timedelta(minutes=5)
FORGET_EVERY_SECONDS = 300.0


class SharedPace:
    """`await pace.turn(chat_id)` before each message; a no-op unless on PostgreSQL."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], per_second: int) -> None:
        engine = sessions.kw.get("bind")
        self.enabled = engine is not None and engine.dialect.name == "postgresql"
        self.sessions = sessions
        self.overall_seconds = SPACING / per_second
        self.chat_seconds = SPACING * PER_CHAT_SECONDS
        self._forgotten_at = 0.0
        # One reservation at a time per process: they queue on the same row anyway, and
        # waiting here holds no database connection.
        self._reserving = asyncio.Lock()

    def set_chat_rate(self, per_second: int) -> None:
        """As `SendLimits.set_chat_rate`: the tests' fake Bot API allows more than one message
        a second to a chat while it enforces no limit."""
        self.chat_seconds = SPACING / per_second

    async def turn(self, chat_id: int) -> None:
        """Waits for this message's slot among every instance's messages."""
        if not self.enabled:
            return
        loop = asyncio.get_running_loop()
        key = chat_id
        while True:
            try:
                slot = await self._reserve(key)
            except SQLAlchemyError as error:  # the database is away: local pacing only
                log.warning("shared pace unavailable (%s)", type(error).__name__)
                return
            due = loop.time() + slot.wait
            if slot.wait > 0:
                await asyncio.sleep(slot.wait)
            if not slot.taken:
                continue  # its chat is due now: ask for the next overall slot
            if loop.time() - due <= LATE_SECONDS:
                return
            key = send_pace.OVERALL  # the chat's slot was taken, and it is further apart

    async def _reserve(self, chat_id: int) -> send_pace.Slot:
        async with self._reserving, transaction(self.sessions) as session:
            slot = await send_pace.reserve_slot(
                session, chat_id, self.overall_seconds, self.chat_seconds
            )
            now = asyncio.get_running_loop().time()
            if now - self._forgotten_at > FORGET_EVERY_SECONDS:
                self._forgotten_at = now
                await send_pace.forget_old(session, FORGET_AFTER)
        return slot
