"""Telegram's flood limits, kept on our side so the sender never provokes a 429.

Telegram counts messages over sliding windows: about 30 a second overall (1000 in paid
broadcast mode), 1 a second per chat, 20 a minute per group. We keep the same windows, made
longer by MARGIN, because Telegram counts when a request arrives, not when we dispatch it:
two requests dispatched a window apart may arrive closer by their difference in latency.
Times are the event loop's monotonic clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from bot.waiting import wait_for_event

MARGIN = 0.03  # fraction of each window; tolerates that much latency jitter
CATCH_UP = 0.02  # seconds of lost pacing we may catch up on, kept below the margin
PER_CHAT_PER_SECOND = 1
PER_GROUP_PER_MINUTE = 20

T = TypeVar("T")


class SlidingWindow:
    """At most `limit` events in any `period` seconds."""

    __slots__ = ("events", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.events: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more event fits (0.0 if it fits now)."""
        events = self.events
        while events and events[0] <= now - self.period:
            events.popleft()
        if len(events) < self.limit:
            return 0.0
        return events[-self.limit] + self.period - now

    def record(self, now: float) -> None:
        self.events.append(now)
        if len(self.events) > self.limit:
            self.events.popleft()


class SendLimits:
    """The overall rate (paced evenly, paused on RetryAfter) and the per-chat windows."""

    def __init__(self, per_second: int, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._overall = SlidingWindow(per_second, 1.0 + MARGIN)
        self._interval = (1.0 + MARGIN) / per_second
        self._next_at = 0.0
        self._paused_until = 0.0
        self._chats: dict[int, SlidingWindow] = {}
        self._groups: dict[int, SlidingWindow] = {}

    def pause(self, seconds: float) -> None:
        """Telegram said RetryAfter: nothing is sent for `seconds`."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    async def overall_slot(self) -> None:
        """Waits until the next message may go out, and counts it."""
        # Sleep-and-recheck: the wait is computed from clocks (a pause may extend it meanwhile).
        while (wait := self._overall_wait(self.clock())) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        now = self.clock()
        self._overall.record(now)
        # Even spacing: no bursts, but a late loop may catch up a little (CATCH_UP < margin).
        self._next_at = max(self._next_at, now - CATCH_UP) + self._interval

    def _overall_wait(self, now: float) -> float:
        paced = self._next_at - now
        return max(self._paused_until - now, paced, self._overall.wait_time(now))

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until this chat may get one more message."""
        now = self.clock()
        wait = self._chat(chat_id).wait_time(now)
        if chat_id < 0:  # groups, supergroups and channels
            wait = max(wait, self._group(chat_id).wait_time(now))
        return wait

    def count_chat(self, chat_id: int) -> None:
        now = self.clock()
        self._chat(chat_id).record(now)
        if chat_id < 0:
            self._group(chat_id).record(now)

    def _chat(self, chat_id: int) -> SlidingWindow:
        window = self._chats.get(chat_id)
        if window is None:
            window = self._chats[chat_id] = SlidingWindow(PER_CHAT_PER_SECOND, 1.0 + MARGIN)
        return window

    def _group(self, chat_id: int) -> SlidingWindow:
        window = self._groups.get(chat_id)
        if window is None:
            period = 60.0 * (1.0 + MARGIN)
            window = self._groups[chat_id] = SlidingWindow(PER_GROUP_PER_MINUTE, period)
        return window

    def forget_idle_chats(self) -> None:
        """Drops windows with nothing left in them, so memory follows the active chats."""
        now = self.clock()
        for windows in (self._chats, self._groups):
            for chat_id, window in list(windows.items()):
                window.wait_time(now)  # drops the events that left the window
                if not window.events:
                    del windows[chat_id]


class ReadyQueue(Generic[T]):
    """Items that become ready at a time; `pop` waits for the earliest, FIFO among equals."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._heap: list[tuple[float, int, T]] = []
        self._order = itertools.count()
        self._added = asyncio.Event()

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, item: T, ready_at: float = 0.0) -> None:
        heapq.heappush(self._heap, (ready_at, next(self._order), item))
        self._added.set()

    async def pop(self) -> T:
        while True:
            self._added.clear()
            if self._heap:
                wait = self._heap[0][0] - self.clock()
                if wait <= 0:
                    return heapq.heappop(self._heap)[2]
            else:
                wait = None
            await wait_for_event(self._added, wait)

    def drain(self) -> list[T]:
        """Takes every item out, ready or not."""
        items = [entry[2] for entry in sorted(self._heap)]
        self._heap.clear()
        return items
