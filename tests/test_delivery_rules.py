"""The sender's rules without a server: flood windows and what each Bot API error means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.context import UpdateScope, current_scope
from bot.delivery.limits import MARGIN, WARM_UP_ANSWERS, SendLimits, SlidingWindow
from bot.delivery.send import judge
from bot.delivery.sender import SENDER_KEY, OutboxSender, wake_sender_after_commit
from bot.settings import Settings
from storage.models import DeliveryStatus
from storage.outbox import Claimed

NOW = datetime(2025, 12, 5, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def answered_at(window: SlidingWindow, *dates: float) -> None:
    for date in dates:
        window.sent()
        window.answered(date)


def test_sliding_window_counts_only_recent_events() -> None:
    window = SlidingWindow(limit=2, period=1.0)
    answered_at(window, 0.0, 0.5)
    assert window.wait_time(0.6) == pytest.approx(0.4)
    assert window.wait_time(0.9) == pytest.approx(0.1)
    assert window.wait_time(1.0) == 0.0  # the first event has left the window
    assert window.wait_time(1.5) == 0.0


def test_a_request_in_flight_counts_but_holds_up_only_its_own_place() -> None:
    window = SlidingWindow(limit=3, period=1.0)
    window.sent()  # slow: still in flight
    answered_at(window, 0.1, 0.2)
    assert window.wait_time(0.3) == pytest.approx(0.8)  # three in the window: the oldest answer
    assert window.wait_time(1.15) == 0.0  # leaves first, though sent after the slow one
    alone = SlidingWindow(limit=1, period=1.0)
    alone.sent()
    assert alone.wait_time(5.0) == pytest.approx(1.0)  # look again when it is answered


def warmed_up(clock: Clock, round_trip: float) -> SendLimits:
    """Limits that have seen enough answers to trust `round_trip` as the fastest."""
    limits = SendLimits(1000, clock)
    for chat_id in range(1000, 1000 + WARM_UP_ANSWERS + 1):
        stamp = limits.admit(chat_id)
        clock.now += round_trip
        limits.answered(stamp)
    return limits


def test_a_request_is_dated_by_how_much_longer_than_the_fastest_it_took() -> None:
    # Telegram counts a request when it arrives. One on time is dated at its dispatch; one held
    # up 0.5 s is dated 0.5 s later, so the chat's next message cannot arrive too soon after it.
    clock = Clock()
    limits = warmed_up(clock, 0.01)
    on_time = limits.admit(7)
    clock.now += 0.01
    limits.answered(on_time)
    assert limits.chat_wait(7) == pytest.approx(1.0 + MARGIN - 0.01)  # from its dispatch
    slow = limits.admit(8)
    clock.now += 0.5
    limits.answered(slow)
    # Dated at dispatch, it would free the chat in 0.51 s; it is dated 0.49 s later.
    assert limits.chat_wait(8) == pytest.approx(1.0 + MARGIN - 0.01)
    clock.now += 0.2
    limits.answered(on_time)  # a second answer changes nothing
    assert limits.chat_wait(7) == pytest.approx(1.0 + MARGIN - 0.71)


def test_a_private_chat_gets_one_message_a_second() -> None:
    clock = Clock()
    limits = SendLimits(30, clock)
    assert limits.chat_wait(7) == 0.0
    limits.answered(limits.admit(7))
    assert limits.chat_wait(7) == pytest.approx(1.0 + MARGIN)
    assert limits.chat_wait(8) == 0.0  # other chats are not held up
    clock.now += 1.0 + MARGIN
    assert limits.chat_wait(7) == 0.0


def test_a_chat_rate_set_later_holds_for_chats_already_seen() -> None:
    """The tests' fake allows more than Telegram's one a second while it enforces nothing."""
    limits = SendLimits(30, Clock())
    limits.answered(limits.admit(7))
    assert limits.chat_wait(7) > 0.0
    limits.set_chat_rate(3)
    limits.answered(limits.admit(7))
    assert limits.chat_wait(7) == 0.0 and limits.chat_wait(8) == 0.0
    limits.answered(limits.admit(7))
    assert limits.chat_wait(7) == pytest.approx(1.0 + MARGIN)  # the fourth waits
    limits.set_chat_rate(1)
    assert limits.chat_wait(7) == pytest.approx(1.0 + MARGIN)


def test_a_group_gets_twenty_messages_a_minute() -> None:
    clock = Clock()
    limits = SendLimits(30, clock)
    group = -100555
    for _ in range(20):
        assert limits.chat_wait(group) == 0.0
        limits.answered(limits.admit(group))
        clock.now += 1.5
    assert limits.chat_wait(group) > 25.0  # the 21st waits for the first to leave the minute
    clock.now += 60.0
    assert limits.chat_wait(group) == 0.0


def test_idle_chats_are_forgotten() -> None:
    clock = Clock()
    limits = SendLimits(30, clock)
    limits.answered(limits.admit(1))
    clock.now += 5
    limits.forget_idle_chats()
    assert limits._chats == {}


ROW = Claimed(id=1, chat_id=42, method="sendMessage", payload={}, attempts=1, broadcast_id=9)
SETTINGS = Settings(
    _env_file=None,  # type: ignore[call-arg]
    outbox_max_attempts=4,
    outbox_backoff_seconds=2.0,
    outbox_backoff_max_seconds=60.0,
)


@pytest.mark.parametrize(
    ("error", "status", "attempts", "due_in", "pause"),
    [
        (RetryAfter(7), DeliveryStatus.PENDING, 1, 7, 7),  # no attempt counted
        (Forbidden("Forbidden: bot was blocked by the user"), DeliveryStatus.UNREACHABLE, 2, 0, 0),
        (BadRequest("Bad Request: chat not found"), DeliveryStatus.FAILED, 2, 0, 0),
        (ChatMigrated(-100999), DeliveryStatus.FAILED, 2, 0, 0),
        (TelegramError("odd"), DeliveryStatus.FAILED, 2, 0, 0),
        (NetworkError("Bad Gateway"), DeliveryStatus.PENDING, 2, 4, 0),  # 2 s, doubled
        (TimedOut(), DeliveryStatus.PENDING, 2, 4, 0),
        (ValueError("a bug"), DeliveryStatus.FAILED, 2, 0, 0),
    ],
)
def test_what_an_error_means_for_the_row(
    error: Exception, status: DeliveryStatus, attempts: int, due_in: float, pause: float
) -> None:
    verdict = judge(error, ROW, SETTINGS, NOW)
    assert verdict.outcome.status == status
    assert verdict.outcome.attempts == attempts
    assert verdict.outcome.next_attempt_at == NOW + timedelta(seconds=due_in)
    assert verdict.pause_seconds == pause
    assert verdict.outcome.last_error == type(error).__name__


def test_transient_errors_give_up_after_max_attempts() -> None:
    last_try = Claimed(1, 42, "sendMessage", {}, attempts=3, broadcast_id=None)
    verdict = judge(NetworkError("Bad Gateway"), last_try, SETTINGS, NOW)
    assert (verdict.outcome.status, verdict.outcome.attempts) == (DeliveryStatus.FAILED, 4)


def test_backoff_is_capped() -> None:
    many = Claimed(1, 42, "sendMessage", {}, attempts=2, broadcast_id=None)
    settings = SETTINGS.model_copy(
        update={"outbox_max_attempts": 20, "outbox_backoff_max_seconds": 5.0}
    )
    verdict = judge(TimedOut(), many, settings, NOW)
    assert verdict.outcome.next_attempt_at == NOW + timedelta(seconds=5)


async def test_handlers_wake_the_sender_only_after_their_commit() -> None:
    sender = OutboxSender(Bot("1:x"), None, SETTINGS)  # type: ignore[arg-type]
    scope = UpdateScope(session=None)  # type: ignore[arg-type]
    token = current_scope.set(scope)
    try:
        wake_sender_after_commit({SENDER_KEY: sender})
    finally:
        current_scope.reset(token)
    assert not sender._wake.is_set()  # the update's transaction has not committed yet
    for callback in scope.after_commit:
        callback()
    assert sender._wake.is_set()
