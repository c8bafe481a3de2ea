"""Telegram's flood limits, kept on our side so the sender never provokes a 429.

Telegram counts messages over sliding windows: about 30 a second overall (1000 in paid
broadcast mode), 1 a second per chat, 20 a minute per group. It counts a request when it
arrives, which we cannot see. Dating a request at its dispatch is not enough: a request held
up on the way (a busy moment here, a slow hop) arrives late, and the next one dispatched a
window after it may then arrive less than a window after it (measured: a 429 or two in every
long broadcast).

So a request is dated by its answer: at `answer - fastest round trip seen`, which is its
dispatch time plus however much longer than the fastest one it took. A delayed request is
dated later by its delay, so the next one waits for it; one on time is dated at its dispatch,
so a steady latency costs no throughput. Why that is enough: a request arrives at least the
fastest outbound leg after its dispatch, and at most its date plus that leg (the rest of its
round trip came back no faster than the fastest return leg). Two requests dispatched a window
apart, counting dates, therefore arrive a window apart. While a request is in flight it
counts in full. MARGIN covers the fastest legs not meeting in one request, and two machines'
clocks. Times are the event loop's monotonic clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections import Counter, deque
from collections.abc import Callable
from typing import Generic, TypeVar

from bot.waiting import wait_for_event

MARGIN = 0.01  # fraction of each window
CATCH_UP = 0.02  # seconds of lost pacing we may catch up on
# Answers seen before the fastest round trip is trusted (the first ones include connecting).
WARM_UP_ANSWERS = 20
REPLY_HOLD_SECONDS = 0.05  # a message waits this long, again, while its chat's reply is due
PER_CHAT_PER_SECOND = 1
PER_GROUP_PER_MINUTE = 20

T = TypeVar("T")


class SlidingWindow:
    """At most `limit` requests in any `period` seconds: those in flight, and the answered
    ones by their dates (see the module's docstring), which come in order."""

    __slots__ = ("dates", "in_flight", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.in_flight = 0
        self.dates: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more request fits (0.0 if it fits now)."""
        dates = self.dates
        cutoff = now - self.period
        while dates and dates[0] <= cutoff:
            dates.popleft()
        excess = self.in_flight + len(dates) - self.limit
        if excess < 0:
            return 0.0
        if excess < len(dates):  # answered requests leave first, oldest first
            return dates[excess] + self.period - now
        return self.period  # a request in flight must leave: look again when it is answered

    def sent(self) -> None:
        self.in_flight += 1

    def answered(self, date: float) -> None:
        self.in_flight -= 1
        if self.dates and date < self.dates[-1]:
            date = self.dates[-1]  # keep the order; later only errs on the safe side
        self.dates.append(date)

    @property
    def empty(self) -> bool:
        return not self.in_flight and not self.dates


class Stamp:
    """One admitted request, counted in its windows until its answer dates it there."""

    __slots__ = ("sent_at", "settled", "windows")

    def __init__(self, windows: list[SlidingWindow], sent_at: float) -> None:
        self.windows = windows
        self.sent_at = sent_at
        self.settled = False
        for window in windows:
            window.sent()


class SendLimits:
    """The overall rate (paced evenly, paused on RetryAfter) and the per-chat windows.

    `admit` counts a request in the windows it falls under; `answered` dates it when its answer
    (or its failure) comes back.
    """

    def __init__(self, per_second: int, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._overall = SlidingWindow(per_second, 1.0 + MARGIN)
        self._interval = (1.0 + MARGIN) / per_second
        self._next_at = 0.0
        self._paused_until = 0.0
        self._fastest = math.inf  # the shortest round trip seen
        self._answers = 0
        self._answered = asyncio.Event()  # an answer came back, or an urgent slot was taken
        self._urgent = 0  # urgent callers waiting for a slot
        self._replying: Counter[int] = Counter()  # chats with a reply on its way
        self._chats: dict[int, SlidingWindow] = {}
        self._groups: dict[int, SlidingWindow] = {}
        self._per_chat = PER_CHAT_PER_SECOND

    def set_chat_rate(self, per_second: int) -> None:
        """Messages a second one chat may get: Telegram allows one. The tests' fake Bot API
        sets more while it enforces no limit, so a conversation does not wait a second a reply."""
        self._per_chat = per_second
        for window in self._chats.values():
            window.limit = per_second

    def pause(self, seconds: float) -> None:
        """Telegram said RetryAfter: nothing is sent for `seconds`."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    async def paused(self) -> None:
        """Waits out a pause Telegram asked for (RetryAfter), if one is on; again if another
        429 made it longer meanwhile (a deadline, not an event: nothing to signal)."""
        while (wait := self._paused_until - self.clock()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)

    async def overall_slot(self, urgent: bool = False) -> None:
        """Waits until the next message may go out overall; `admit` then counts it.

        `urgent` (a reply to a person's own action) takes the next slot before any waiting
        broadcast message: those wait while an urgent one does."""
        if urgent:
            self._urgent += 1
        try:
            # Sleep-and-recheck: the wait is computed from clocks (a pause may extend it, an
            # answer coming back may shorten it).
            while (wait := self._overall_wait(self.clock())) > 0 or (not urgent and self._urgent):
                self._answered.clear()
                await wait_for_event(self._answered, wait if wait > 0 else self._interval)
        finally:
            if urgent:
                self._urgent -= 1
                self._answered.set()  # broadcast messages may look again
        # Even spacing: no bursts, but a late loop may catch up a little.
        self._next_at = max(self._next_at, self.clock() - CATCH_UP) + self._interval

    def _overall_wait(self, now: float) -> float:
        paced = self._next_at - now
        return max(self._paused_until - now, paced, self._overall.wait_time(now))

    def reserve(self, chat_id: int) -> None:
        """A reply to the chat is on its way (bot/lanes.py): no other message goes first."""
        self._replying[chat_id] += 1

    def unreserve(self, chat_id: int) -> None:
        self._replying[chat_id] -= 1
        if self._replying[chat_id] <= 0:
            del self._replying[chat_id]

    def chat_wait(self, chat_id: int, reply: bool = False) -> float:
        """Seconds until this chat may get one more message (a reply does not wait for a
        reservation: it is the reply being waited for)."""
        if not reply and chat_id in self._replying:
            return REPLY_HOLD_SECONDS
        now = self.clock()
        wait = self._chat(chat_id).wait_time(now)
        if chat_id < 0:  # groups, supergroups and channels
            wait = max(wait, self._group(chat_id).wait_time(now))
        return wait

    def admit(self, chat_id: int) -> Stamp:
        """Counts a request to `chat_id`, overall and in the chat's windows, as in flight."""
        windows = [self._overall, self._chat(chat_id)]
        if chat_id < 0:
            windows.append(self._group(chat_id))
        return Stamp(windows, self.clock())

    def answered(self, stamp: Stamp) -> None:
        """The request was answered (or failed, or gave up) now: date it in its windows."""
        if stamp.settled:
            return
        stamp.settled = True
        now = self.clock()
        self._fastest = min(self._fastest, now - stamp.sent_at)
        self._answers += 1
        date = now - self._fastest if self._answers > WARM_UP_ANSWERS else now
        for window in stamp.windows:
            window.answered(date)
        self._answered.set()

    def _chat(self, chat_id: int) -> SlidingWindow:
        window = self._chats.get(chat_id)
        if window is None:
            window = self._chats[chat_id] = SlidingWindow(self._per_chat, 1.0 + MARGIN)
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
                window.wait_time(now)  # drops the requests that left the window
                if window.empty:
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
