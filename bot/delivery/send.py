"""One outbox row to the Bot API, and what its answer means for the row."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.retry import retry_after_seconds
from bot.settings import Settings
from storage.models import DeliveryStatus
from storage.outbox import Claimed, Outcome

log = logging.getLogger(__name__)


async def send_row(bot: Bot, row: Claimed, paid: bool, patience: float) -> int:
    """Sends the row's message, waiting `patience` seconds for Telegram, and returns its
    message id; raises what python-telegram-bot raises (RetryAfter, Forbidden, ...).

    The row holds the Bot API's own JSON, so it goes out as it is: building PTB objects for
    the markup and parsing the sent Message back cost about 0.4 ms a message, a third of
    the budget at paid-broadcast rates. `_post` is PTB's one call for raw results of a known
    method (the public `do_api_request` warns for those).
    """
    data: dict[str, Any] = {"chat_id": row.chat_id, **row.payload}
    if paid:  # only sent when on: it is charged per message
        data["allow_paid_broadcast"] = True
    result = await bot._post(row.method, data, read_timeout=patience, write_timeout=patience)
    return int(result["message_id"])


@dataclass(frozen=True)
class Verdict:
    """The row's outcome, and how long all sending must pause (Telegram's RetryAfter)."""

    outcome: Outcome
    pause_seconds: float = 0.0


def delivered(row: Claimed, message_id: int, now: datetime) -> Outcome:
    return Outcome(
        id=row.id,
        chat_id=row.chat_id,
        broadcast_id=row.broadcast_id,
        status=DeliveryStatus.SENT,
        attempts=row.attempts + 1,
        next_attempt_at=now,
        sent_at=now,
        telegram_message_id=message_id,
    )


def later(row: Claimed, seconds: float, now: datetime, error: str | None = None) -> Outcome:
    """Back to pending, due in `seconds`, without counting an attempt."""
    return _outcome(
        row, DeliveryStatus.PENDING, row.attempts, now + timedelta(seconds=seconds), error
    )


def judge(error: Exception, row: Claimed, settings: Settings, now: datetime) -> Verdict:
    """What a failed send means: pause, retry with backoff, or a final status."""
    name = type(error).__name__  # class only: messages can carry personal data
    attempts = row.attempts + 1
    if isinstance(error, RetryAfter):
        seconds = retry_after_seconds(error)
        return Verdict(later(row, seconds, now, name), pause_seconds=seconds)
    if isinstance(error, Forbidden):
        return Verdict(_outcome(row, DeliveryStatus.UNREACHABLE, attempts, now, name))
    # BadRequest (chat not found, bad markup...) is a NetworkError subclass, but final.
    transient = isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    if not transient or attempts >= settings.outbox_max_attempts:
        if not transient:
            log.warning("outbox row %s failed for good: %s", row.id, name)
        return Verdict(_outcome(row, DeliveryStatus.FAILED, attempts, now, name))
    delay = min(
        settings.outbox_backoff_seconds * 2 ** (attempts - 1), settings.outbox_backoff_max_seconds
    )
    due = now + timedelta(seconds=delay)
    return Verdict(_outcome(row, DeliveryStatus.PENDING, attempts, due, name))


def _outcome(
    row: Claimed, status: DeliveryStatus, attempts: int, due: datetime, error: str | None
) -> Outcome:
    return Outcome(
        id=row.id,
        chat_id=row.chat_id,
        broadcast_id=row.broadcast_id,
        status=status,
        attempts=attempts,
        next_attempt_at=due,
        last_error=error,
    )
