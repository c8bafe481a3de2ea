"""Shared pieces of the command line: settings, translated output, one transaction a command."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy.exc import DBAPIError

from bot.i18n import N_, Translator, translator
from bot.settings import Settings
from storage.db import create_engine, session_factory, transaction
from storage.migrate import upgrade

T = TypeVar("T")
# Shown instead of PTB's InvalidToken text, which quotes the token.
TOKEN_REFUSED = N_(
    "Telegram did not accept the bot token (it answered 401 or 404). Check "
    "BOT_TOKEN, and TELEGRAM_API_BASE_URL if you set it."
)


def load_settings() -> tuple[Settings, Translator]:
    settings = Settings()
    return settings, translator(settings.default_locale, settings.tz)


def migrate(settings: Settings) -> None:
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)


def run_in_transaction(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Runs `work(session)` in one transaction on a migrated database."""
    migrate(settings)
    try:
        return asyncio.run(_run(settings, work))
    except DBAPIError:
        # The driver's message quotes the statement's values (names, phones): never print it.
        _ = translator(settings.default_locale, settings.tz)
        fail(_("The database refused the change; nothing was stored."))


async def _run(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    engine = create_engine(settings.database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


def fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


class Rollback(Exception):
    """Raised inside a command's work to undo it while still returning a result."""

    def __init__(self, result: object) -> None:
        super().__init__("rollback")
        self.result = result
