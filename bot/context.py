"""The typed context handlers receive: the database session, the actor and the translator."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, CallbackContext, ExtBot

from bot.access import Actor
from bot.i18n import Translator, translator
from bot.settings import Settings
from storage import clock
from storage.models import Member, TelegramAccount


@dataclass
class UpdateScope:
    """What the update runner shares with the handlers of one update."""

    session: AsyncSession
    # On the last attempt the member is told something went wrong; earlier ones retry quietly.
    final_attempt: bool = True
    failure: BaseException | None = None
    # Run once the update's transaction has committed (e.g. waking the outbox sender).
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    # While True, the handlers' Bot API calls are recorded here (bot/replies.py), not sent.
    recording: bool = True
    calls: list[Any] = field(default_factory=list)  # bot.replies.Call
    # The language the person reads (set when the actor is loaded), for an apology.
    language: str | None = None
    # Files of the update downloaded before its transaction began, by file id.
    files: dict[str, bytes] = field(default_factory=dict)


# Set by the update runner around each update; handlers reach it through `context.db`.
current_scope: contextvars.ContextVar[UpdateScope] = contextvars.ContextVar("chibo_scope")

SETTINGS_KEY = "chibo.settings"


class ChiboContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context plus what every chibo handler needs."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.actor: Actor = Actor(telegram_id=user_id or 0)
        self.account: TelegramAccount | None = None
        self.member: Member | None = None
        self._: Translator = translator(self.settings.default_locale, self.settings.tz)

    @property
    def db(self) -> AsyncSession:
        """The session of this update's transaction, committed by the runner."""
        return current_scope.get().session

    @property
    def settings(self) -> Settings:
        settings = self.application.bot_data[SETTINGS_KEY]
        assert isinstance(settings, Settings)
        return settings

    def now(self) -> datetime:
        return clock.now()

    def today(self) -> date:
        """Today's date where the organisation is (the TIME_ZONE setting)."""
        return clock.today(self.settings.tz)
