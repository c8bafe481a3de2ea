"""What the fake Bot API plays for bench/burst.py, in a process of its own (as Telegram is
remote, bench/remote_fake.py): the members; it pushes their burst at once and measures what
each of them sees.

Times are the child's time.monotonic(). A press is answered when answerCallbackQuery
reaches the fake (after the way in); a member is replied to when the reply message (a
command) or the edited buttons (a press) reach it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.remote_fake import RemoteFake
from tests.fakebot import FakeBotApi
from tests.fakebot.methods import HANDLERS

NOTICE = "Thông báo: sinh hoạt chi bộ thường kỳ lúc 19:30 ngày 05/12/2025."


@dataclass
class Plan:
    """Who does what: (user id, notice id) pressing the receipt button, and user ids
    sending a command."""

    pressers: list[tuple[int, int]]
    commanders: list[int]
    command: str = "/menu"
    latency: tuple[float, float] = (0.15, 0.05)


@dataclass
class Summary:
    members: int
    press_p50: float = 0.0
    press_p95: float = 0.0
    answered: int = 0
    expired: int = 0
    reply_p50: float = 0.0
    reply_p95: float = 0.0
    replied: int = 0
    lost: int = 0
    doubled: int = 0
    got_429: int = 0
    done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


class Burst:
    """The scenario (bench/remote_fake.py). Commands: "burst" (everyone acts now), "polls"
    (getUpdates calls so far), "stats" (a `Summary`)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.pushed: dict[int, float] = {}  # user id -> when they acted
        self.query_of: dict[int, str] = {}  # presser -> callback query id
        self.notice_message: dict[int, int] = {}  # presser -> message id of the notice

    async def start(self, fake: FakeBotApi) -> None:
        self.fake = fake
        for user_id, notice_id in self.plan.pressers:
            fake.user(user_id)
            button = {"text": "Đã nhận", "callback_data": f"nack:{notice_id}"}
            markup = {"inline_keyboard": [[button]]}
            sent = HANDLERS["sendmessage"](
                fake, {"chat_id": user_id, "text": NOTICE, "reply_markup": markup}, {}
            )
            self.notice_message[user_id] = int(sent["message_id"])
        for user_id in self.plan.commanders:
            fake.user(user_id)
        fake.enforce_limits()
        fake.add_latency(*self.plan.latency)

    def answer(self, fake: FakeBotApi, command: str) -> Any:
        if command == "burst":
            self.push()
            return "ok"
        if command == "stats":
            return self.summary()
        if command == "polls":
            return fake.count("getUpdates")
        raise ValueError(command)

    def push(self) -> None:
        """Everyone at once, presses and commands interleaved."""
        pressers = iter(self.plan.pressers)
        commanders = iter(self.plan.commanders)
        for presser, commander in zip(pressers, commanders, strict=False):
            self._press(presser[0])
            self._command(commander)
        for presser in pressers:
            self._press(presser[0])
        for commander in commanders:
            self._command(commander)

    def _press(self, user_id: int) -> None:
        user = self.fake.user(user_id)
        message = self.fake.store.find(user_id, self.notice_message[user_id])
        assert message is not None
        data = message.button_data()["Đã nhận"]
        assert data is not None
        self.pushed[user_id] = _now()
        coro = user.press_data(data, message=message)
        result = _run_now(coro)
        self.query_of[user_id] = result["callback_query"]["id"]

    def _command(self, user_id: int) -> None:
        self.pushed[user_id] = _now()
        _run_now(self.fake.user(user_id).send_text(self.plan.command))

    def summary(self) -> Summary:
        fake = self.fake
        summary = Summary(members=len(self.pushed), got_429=fake.got_429)
        summary.expired = fake.expired_answers
        presses: list[float] = []
        replies: list[float] = []
        for user_id, _notice in self.plan.pressers:
            answered = fake.answered_at.get(self.query_of.get(user_id, ""))
            if answered is not None:
                presses.append(answered - self.pushed[user_id])
            message = fake.store.find(user_id, self.notice_message[user_id])
            edits = message.edits if message else []
            if edits:
                replies.append(edits[0].at - self.pushed[user_id])
            else:
                summary.lost += 1
            summary.doubled += max(0, len(edits) - 1)
        for user_id in self.plan.commanders:
            chat = fake.chat(user_id)
            if chat.messages:
                replies.append(chat.messages[0].sent_at - self.pushed[user_id])
            else:
                summary.lost += 1
            summary.doubled += max(0, len(chat.messages) - 1)
        summary.answered = len(presses)
        summary.replied = len(replies)
        summary.press_p50, summary.press_p95 = p(presses, 0.5), p(presses, 0.95)
        summary.reply_p50, summary.reply_p95 = p(replies, 0.5), p(replies, 0.95)
        counts = Counter(name.lower() for name, _ in fake.calls)
        summary.extra = {"calls": dict(counts)}
        summary.done = summary.lost == 0 and len(presses) + summary.expired >= len(
            self.plan.pressers
        )
        return summary


def _now() -> float:
    return time.monotonic()


def _run_now(coro: Any) -> Any:
    """FakeUser's actions are coroutines that never wait: run one to its end at once."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    raise RuntimeError("a fake user's action waited")


async def burst(fake: RemoteFake) -> None:
    await fake.ask("burst")


async def polls(fake: RemoteFake) -> int:
    return int(await fake.ask("polls"))


async def summary(fake: RemoteFake) -> Summary:
    result: Summary = await fake.ask("stats")
    return result


async def wait_done(fake: RemoteFake, timeout: float) -> Summary:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:  # the other process has no event to wait on: ask twice a second
        result = await summary(fake)
        if result.done or loop.time() >= deadline:
            return result
        await asyncio.sleep(0.5)
