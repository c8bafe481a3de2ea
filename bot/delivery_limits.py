"""Telegram's flood limits, kept on our side so the sender never provokes a 429.

Telegram counts messages over sliding windows: about 30 a second overall (1000 in paid
broadcast mode), 1 a second per chat, 20 a minute per group. It counts a request when it
arrives, which we cannot see; counting it when we dispatch it is not enough, because latency
varies: a request held up by a busy moment arrives late, and a later one dispatched a full
window after it may then arrive less than a window after it (measured: a 429 or two in every
long broadcast). So each request is counted from the moment its answer came back, which is
after Telegram counted it; while it is in flight it counts as arriving now. Two requests
then always arrive at least a window apart, whatever the latency. The cost is one round trip
per window. MARGIN only covers the clocks of two machines running at slightly different
rates. Times are the event loop's monotonic clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from bot.waiting import wait_for_event

MARGIN = 0.01  # fraction of each window
CATCH_UP = 0.02  # seconds of lost pacing we may catch up on
PER_CHAT_PER_SECOND = 1
PER_GROUP_PER_MINUTE = 20

T = TypeVar("T")


class Stamp:
    """One counted request: in flight (`at` is infinite) until its answer comes back."""

    __slots__ = ("at",)

    def __init__(self, at: float = math.inf) -> None:
        self.at = at


class SlidingWindow:
    """At most `limit` requests in any `period` seconds, each dated by its answer."""

    __slots__ = ("events", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.events: deque[Stamp] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more request fits (0.0 if it fits now).

        Answers come back roughly in the order of dispatch; a request answered early behind
        one still in flight stays until that one leaves, which only errs on the safe side.
        """
        events = self.events
        cutoff = now - self.period
        while events and events[0].at <= cutoff:
            events.popleft()
        excess = len(events) - self.limit
        if excess < 0:
            return 0.0
        # The request that must leave the window first; in flight, it may be answered now.
        leaving = max(events[i].at for i in range(excess + 1))
        return min(leaving, now) + self.period - now

    def record(self, at: float = math.inf) -> Stamp:
        """Counts a request; it is in flight unless `at` says when it was answered."""
        stamp = Stamp(at)
        self.events.append(stamp)
        return stamp


class SendLimits:
    """The overall rate (paced evenly, paused on RetryAfter) and the per-chat windows.

    Each admitted request gets stamps; `answered` dates them when its answer comes back.
    """

    def __init__(self, per_second: int, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._overall = SlidingWindow(per_second, 1.0 + MARGIN)
        self._interval = (1.0 + MARGIN) / per_second
        self._next_at = 0.0
        self._paused_until = 0.0
        self._answered = asyncio.Event()
        self._chats: dict[int, SlidingWindow] = {}
        self._groups: dict[int, SlidingWindow] = {}

    def pause(self, seconds: float) -> None:
        """Telegram said RetryAfter: nothing is sent for `seconds`."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    async def overall_slot(self) -> Stamp:
        """Waits until the next message may go out, and counts it."""
        # Sleep-and-recheck: the wait is computed from clocks (a pause may extend it, an
        # answer coming back may shorten it).
        while (wait := self._overall_wait(self.clock())) > 0:
            self._answered.clear()
            await wait_for_event(self._answered, wait)
        now = self.clock()
        # Even spacing: no bursts, but a late loop may catch up a little.
        self._next_at = max(self._next_at, now - CATCH_UP) + self._interval
        return self._overall.record()

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

    def count_chat(self, chat_id: int) -> list[Stamp]:
        stamps = [self._chat(chat_id).record()]
        if chat_id < 0:
            stamps.append(self._group(chat_id).record())
        return stamps

    def answered(self, stamps: list[Stamp]) -> None:
        """The request these stamps count was answered (or failed, or gave up) now."""
        now = self.clock()
        for stamp in stamps:
            stamp.at = min(stamp.at, now)
        self._answered.set()

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
