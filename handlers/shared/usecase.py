"""What a use case needs besides the session, the actor and its own arguments.

Use cases (`handlers/<feature>/actions.py`) are plain async functions: a handler, a stored job,
the command line or a test calls them alike. They never talk to Telegram; what they send goes
to the outbox, what they book goes to the schedule, and they say so through `Env`: the caller
decides when the sender and the scheduler look (after the commit, for a handler).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:  # only the handlers' side builds an Env from a context
    from handlers.shared.common import Context


class NotAllowed(PermissionError):
    """The actor may not do this (any more): nothing was written. Every feature's use cases
    raise this one, so a caller catches one class."""


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Env:
    """The settings, the time of the action, and whom to wake once its writes are stored."""

    settings: Settings
    now: datetime
    wake_sender: Callable[[], None] = _nothing  # outbox rows were added
    wake_scheduler: Callable[[], None] = _nothing  # a job was booked or moved


def env_of(context: Context) -> Env:
    """A handler's Env: the one place where a use case's wakes become after-commit wakes.
    (Imported here: the use cases' side of this module stays free of Telegram.)"""
    from bot.delivery.sender import wake_sender_after_commit
    from bot.scheduler import wake_scheduler_after_commit

    bot_data = context.bot_data
    return Env(
        context.settings,
        context.now(),
        wake_sender=lambda: wake_sender_after_commit(bot_data),
        wake_scheduler=lambda: wake_scheduler_after_commit(bot_data),
    )
