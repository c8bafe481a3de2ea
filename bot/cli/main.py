"""The `chibo` command line: run the bot, migrate, and administer units, rosters and roles."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import click
from sqlalchemy import make_url

from bot.cli.admin import invite, role, roster, unit
from bot.cli.export import export, export_log
from bot.cli.i18n import use_translated_help
from bot.cli.members import member
from bot.cli.plans import plan
from bot.cli.support import TOKEN_REFUSED, fail, load_settings, migrate
from bot.i18n import N_
from bot.logs import setup_logging
from bot.settings import Settings

log = logging.getLogger(__name__)


@click.group(
    help=N_(
        "chibo: the Telegram bot of party branches. Settings come from the environment or .env."
    )
)
def main() -> None:
    pass


@main.command(help=N_("Apply migrations and start the bot (long polling by default)."))
@click.option("--webhook", is_flag=True, help=N_("Receive updates by webhook instead of polling."))
def run(webhook: bool) -> None:
    settings, _ = load_settings()
    if settings.bot_token is None:
        fail(
            _(
                "BOT_TOKEN is not set. Create a bot with @BotFather in Telegram (send /newbot), "
                "then put the token it gives you in the file .env in this folder as "
                "BOT_TOKEN=123456:ABC... or in the environment variable BOT_TOKEN."
            )
        )
    if webhook and (not settings.webhook_url or settings.webhook_secret_token is None):
        fail(_("Webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET_TOKEN to be set."))
    token = settings.bot_token.get_secret_value()
    setup_logging(settings.log_level, token, settings.log_personal_data)
    migrate(settings)
    click.echo(_("Database: {where}", where=database_text(settings)))
    click.echo(_("Starting the bot. Press Ctrl+C to stop."))
    from telegram.error import InvalidToken  # the bot's modules load only when it runs

    try:
        asyncio.run(_serve(settings, webhook))
    except InvalidToken:  # PTB's own text of this error quotes the token: never shown
        fail(_(TOKEN_REFUSED))
    except Exception as error:
        # Through the logging handler, which removes the token from the traceback.
        log.critical("the bot stopped: %s", type(error).__name__, exc_info=True)
        fail(_("The bot stopped after an error; the log above says which."))


async def _serve(settings: Settings, webhook: bool) -> None:
    from bot.app import build_application  # the bot's modules load only when it runs

    chibo = build_application(settings)
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, main_task.cancel)  # type: ignore[union-attr]
    try:
        await chibo.start()
        await (chibo.run_webhook() if webhook else chibo.run_polling())
    except asyncio.CancelledError:
        pass
    finally:
        await chibo.stop()


@main.group(help=N_("Database maintenance."))
def db() -> None:
    pass


@db.command("upgrade", help=N_("Apply all migrations to the database in DATABASE_URL."))
def db_upgrade() -> None:
    settings, _ = load_settings()
    migrate(settings)
    click.echo(_("The database is up to date."))
    click.echo(_("Database: {where}", where=database_text(settings)))


def database_text(settings: Settings) -> str:
    """The default SQLite file is relative to the folder chibo runs in (as .env is): the
    file's full path, or the server's address without its password."""
    path = settings.sqlite_path()
    return str(path.resolve()) if path else make_url(settings.database_url).render_as_string()


for command in (unit, roster, member, role, invite, plan, export):
    main.add_command(command)
use_translated_help(main)
use_translated_help(export_log)  # the export group makes its other commands when asked
