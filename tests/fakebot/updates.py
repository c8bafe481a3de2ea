"""The getUpdates queue: update ids, offset confirmation, long polling and redelivery."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from .models import wait_event

Update = dict[str, Any]


class UpdateQueue:
    """Telegram's getUpdates semantics.

    * Updates get increasing ``update_id`` values.
    * ``offset=N`` confirms (and drops) every update with ``update_id < N``.
    * ``offset=-N`` keeps only the last N pending updates.
    * A redelivered update keeps its original ``update_id`` (so the bot's de-duplication can be
      tested). It is served ahead of newer updates and ignores the offset until it has been
      returned once; the next getUpdates whose offset is past it then confirms it.
    """

    def __init__(self) -> None:
        self._next_id = 1
        self._pending: deque[Update] = deque()
        self._redelivered: list[tuple[Update, bool]] = []  # (update, already returned)
        self._confirmed: dict[int, Update] = {}
        self._event = asyncio.Event()

    def push(self, payload: dict[str, Any]) -> Update:
        update: Update = {"update_id": self._next_id, **payload}
        self._next_id += 1
        self._pending.append(update)
        self._event.set()
        return update

    @property
    def pending(self) -> list[Update]:
        return [update for update, _ in self._redelivered] + list(self._pending)

    def clear(self) -> None:
        for update in self.pending:
            self._confirmed[update["update_id"]] = update
        self._pending.clear()
        self._redelivered.clear()

    def redeliver(self, update_id: int) -> Update:
        update = self._confirmed.get(update_id)
        if update is None:
            raise KeyError(f"update {update_id} was never confirmed (pending or unknown)")
        self._redelivered.append((update, False))
        self._redelivered.sort(key=lambda item: item[0]["update_id"])
        self._event.set()
        return update

    def confirm(self, offset: int) -> None:
        pending = self._pending
        if offset < 0:
            while len(pending) > -offset:
                self._drop(pending.popleft())
            return
        while pending and pending[0]["update_id"] < offset:
            self._drop(pending.popleft())
        if self._redelivered:
            keep = []
            for update, returned in self._redelivered:
                if returned and update["update_id"] < offset:
                    continue
                keep.append((update, returned))
            self._redelivered = keep

    def take(self, limit: int) -> list[Update]:
        """The updates a getUpdates call returns (without confirming them)."""
        result: list[Update] = []
        if self._redelivered:
            chosen = self._redelivered[:limit]
            self._redelivered[: len(chosen)] = [(update, True) for update, _ in chosen]
            result = [update for update, _ in chosen]
        for update in self._pending:
            if len(result) >= limit:
                break
            result.append(update)
        return result

    async def wait(self, seconds: float) -> None:
        """Sleep until something is pushed/redelivered/woken, at most `seconds`."""
        self._event.clear()
        await wait_event(self._event, seconds)

    def wake(self) -> None:
        self._event.set()

    def _drop(self, update: Update) -> None:
        self._confirmed[update["update_id"]] = update
