"""Wiring: `build_application(settings)` is the one place the bot is put together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import BotCommand, Update
from telegram.error import InvalidToken
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    TypeHandler,
    filters,
)

from bot.context import SETTINGS_KEY, ChiboContext
from bot.delivery.http import AiohttpRequest
from bot.delivery.sender import SENDER_KEY, OutboxSender, sender_bot
from bot.early_answers import Decide
from bot.exports.worker import EXPORTS_KEY, ExportWorker
from bot.i18n import LANGUAGES, N_, translator
from bot.leadership import (
    INBOX_CHANNEL,
    OUTBOX_CHANNEL,
    SCHEDULE_CHANNEL,
    Leadership,
    Wakeups,
)
from bot.maintenance import Maintenance
from bot.receiving import Receiver, Receiving
from bot.replies import DeferringRequest, ReplySender
from bot.runner import ALLOWED_UPDATES, Poller, UpdateRunner
from bot.scheduler import SCHEDULER_KEY, JobFn, Scheduler
from bot.settings import Settings
from bot.shared_pace import SharedPace
from bot.webhook import start_webhook_server, webhook_app
from handlers.features import FEATURES
from handlers.shared.common import CONTEXT_TYPES, answer_private_only, load_actor, on_error, refuse
from handlers.shared.drafts import Draft, draft_handlers
from handlers.shared.feature import Feature, check_features
from handlers.shared.menu import Show, menu_handlers
from storage import clock
from storage.db import create_engine, session_factory, transaction
from storage.schedule import lock_bookings

log = logging.getLogger(__name__)

# Handler groups, in the order PTB runs them for each update.
GROUP_ACTOR = -1  # who is this, which language
GROUP_DRAFTS = 0  # a message continuing an open draft (stored flow state) goes there
GROUP_FEATURES = 1  # the first matching feature handler answers
# Handlers' Bot API calls: at least this many connections (one per lane, see build_application).
# Total time per call: Telegram that does not answer within it counts as a network error,
# and the reply is sent again. getUpdates passes its own.
BOT_CONNECTIONS = 8
BOT_TIMEOUT_SECONDS = 15.0
COMMANDS = (
    ("menu", N_("Main menu")),
    ("me", N_("What the bot stores about me")),
    ("language", N_("Change the language")),
    ("help", N_("Help")),
    ("start", N_("Link my Telegram account")),
    ("huy", N_("Stop the question I am answering (the draft is kept)")),
)


@dataclass
class Chibo:
    """The running bot: PTB application, database, the update inbox runner, the outbox
    sender (handlers wake it with `bot.delivery.wake_sender_after_commit`) and the scheduler
    of stored jobs (`bot.scheduler.wake_scheduler_after_commit`).

    Several instances may share one PostgreSQL database (bot/leadership.py): each runs the
    inbox runner and the scheduler; only the leader polls Telegram and sends the outbox."""

    settings: Settings
    application: Application[Any, ChiboContext, Any, Any, Any, Any]
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    runner: UpdateRunner
    sender: OutboxSender
    scheduler: Scheduler
    exports: ExportWorker
    leadership: Leadership
    wakeups: Wakeups
    maintenance: Maintenance
    # Where arriving updates are stored and presses answered from (bot/receiving.py).
    receiving: Receiving
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        """Connects to Telegram and registers the command list in both languages."""
        try:
            await self.application.initialize()
        except InvalidToken:
            # PTB's message quotes the token, and "from None" keeps it out of tracebacks.
            raise InvalidToken("Telegram did not accept the bot token") from None
        await self.application.start()
        await self._register_commands()
        await self._book_standing_jobs()

    async def _register_commands(self) -> None:
        bot = self.application.bot
        for language in LANGUAGES:
            _ = translator(language)
            commands = [BotCommand(name, _(description)) for name, description in COMMANDS]
            await bot.set_my_commands(commands, language_code=language)
            if language == self.settings.default_locale:
                await bot.set_my_commands(commands)

    async def _book_standing_jobs(self) -> None:
        """Jobs the features book themselves (yearly windows, the plan reminders for the
        seasons as they are now) are booked here when missing, so no command is needed."""
        for feature in FEATURES:
            for book in feature.bookings:
                async with transaction(self.sessions) as session:
                    await lock_bookings(session)  # instances starting together book once
                    await book(session, self.settings, clock.now())
        self.scheduler.wake()

    async def run_polling(self) -> None:
        """Long polling until cancelled (the leader polls; every instance handles updates)."""
        await self._run_together(
            self.runner.run(),
            self.scheduler.run(),
            self.maintenance.run(),
            self.wakeups.run(),
            self.leadership.run(self._lead_polling),
        )

    async def _lead_polling(self) -> None:
        """What only the leader does in polling mode: poll Telegram and send the outbox."""
        await self.application.bot.delete_webhook()

        async def poll(receiver: Receiver) -> None:
            await Poller(receiver, self.settings).run()

        async with asyncio.TaskGroup() as group:
            group.create_task(self.receiving.run(poll, self.runner.wake.set))
            group.create_task(self.sender.run())

    async def run_webhook(self) -> None:
        """Webhook mode until cancelled; the secret token is required. Every instance
        receives and stores updates (answering 200 once stored) and handles them."""
        settings = self.settings
        secret = settings.webhook_secret_token
        if not settings.webhook_url or secret is None:
            raise ValueError("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET_TOKEN")
        token = secret.get_secret_value()

        async def serve(receiver: Receiver) -> None:
            app = webhook_app(settings.webhook_path, token, receiver)
            server = await start_webhook_server(app, settings.webhook_listen, settings.webhook_port)
            try:
                await asyncio.Event().wait()  # until cancelled
            finally:
                await server.cleanup()

        await self._run_together(
            self.receiving.run(serve, self.runner.wake.set),
            self.runner.run(),
            self.scheduler.run(),
            self.maintenance.run(),
            self.wakeups.run(),
            self.leadership.run(self._lead_webhook),
        )

    async def _lead_webhook(self) -> None:
        """What only the leader does in webhook mode: register the webhook, send the outbox."""
        settings = self.settings
        assert settings.webhook_url is not None and settings.webhook_secret_token is not None
        await self.application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret_token.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
            # One connection: Telegram then posts updates in order, one at a time.
            max_connections=1,
        )
        await self.sender.run()

    async def _run_together(self, *coros: Any) -> None:
        self._tasks = [asyncio.ensure_future(c) for c in coros]
        try:
            done, _pending = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            await self._cancel_tasks()

    async def _cancel_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    async def stop(self) -> None:
        await self._cancel_tasks()
        await self.exports.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        await self.engine.dispose()


def build_application(settings: Settings) -> Chibo:
    """Builds the bot from settings; nothing is created at import time."""
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set")
    # One connection per lane: each sends its replies after its commit.
    request = AiohttpRequest(max(BOT_CONNECTIONS, settings.update_concurrency), BOT_TIMEOUT_SECONDS)
    application = (
        Application.builder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .request(DeferringRequest(request))
        .get_updates_request(AiohttpRequest(1, BOT_TIMEOUT_SECONDS))
        .context_types(CONTEXT_TYPES)
        .updater(None)  # updates come through our durable inbox, not PTB's in-memory queue
        .build()
    )
    application.bot_data[SETTINGS_KEY] = settings
    _add_handlers(application, FEATURES)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    pace = SharedPace(sessions, settings.outbox_rate)  # with other instances (PostgreSQL)
    sender = OutboxSender(sender_bot(settings), sessions, settings, pace)
    application.bot_data[SENDER_KEY] = sender
    base_url = application.bot.base_url
    replies = ReplySender(request, base_url, sender.limits, BOT_TIMEOUT_SECONDS, pace)
    runner = UpdateRunner(application, sessions, settings, replies)
    scheduler = Scheduler(sessions, settings, _jobs(FEATURES), after_job=sender.wake)
    application.bot_data[SCHEDULER_KEY] = scheduler
    exports = ExportWorker(application.bot, sessions, settings)
    application.bot_data[EXPORTS_KEY] = exports
    leadership = Leadership(settings.database_url, settings.leader_retry_seconds)
    wakes = {
        INBOX_CHANNEL: runner.wake.set,
        OUTBOX_CHANNEL: sender.wake,
        SCHEDULE_CHANNEL: scheduler.wake,
    }
    wakeups = Wakeups(settings.database_url, settings.leader_retry_seconds, wakes)
    return Chibo(
        settings,
        application,
        engine,
        sessions,
        runner,
        sender,
        scheduler,
        exports,
        leadership,
        wakeups,
        Maintenance(sessions, settings),
        Receiving(
            settings,
            sessions,
            _early_answers(FEATURES),
            base_url,
            sender.limits,
            BOT_TIMEOUT_SECONDS,
        ),
    )


def _early_answers(features: Sequence[Feature]) -> dict[str, Decide]:
    return {prefix: decide for f in features for prefix, decide in f.early_answers.items()}


def _jobs(features: Sequence[Feature]) -> dict[str, JobFn]:
    """The stored jobs' functions, by kind (see bot/scheduler.py)."""
    return {kind: job for feature in features for kind, job in feature.jobs.items()}


def _add_handlers(
    application: Application[Any, ChiboContext, Any, Any, Any, Any],
    features: Sequence[Feature],
) -> None:
    """Each feature's handlers in the list's order; the menu and the catch-alls last.
    Refuses (FeatureConflict) a list where two declarations claim the same name."""
    typed_answers = draft_handlers(drafts(features))  # its ❌ / ▶️ / ✅ / ✏️ buttons count too
    check_features([*features, Feature("drafts", lambda: typed_answers)])
    menu: dict[str, Show] = {k: show for f in features for k, show in f.menu.items()}
    feature_handlers: list[BaseHandler[Update, ChiboContext, None]] = [
        *(handler for feature in features for handler in feature.all_handlers()),
        *menu_handlers(menu),
        # Anything left: commands in groups, and buttons we do not know (forged or stale).
        CommandHandler(
            [name for name, _ in COMMANDS], answer_private_only, filters=filters.ChatType.GROUPS
        ),
        CallbackQueryHandler(_unknown_button),
    ]
    application.add_handler(TypeHandler(Update, load_actor), group=GROUP_ACTOR)
    application.add_handlers(typed_answers, group=GROUP_DRAFTS)
    application.add_handlers(feature_handlers, group=GROUP_FEATURES)
    application.add_error_handler(on_error)


def drafts(features: Sequence[Feature] = FEATURES) -> dict[str, Draft]:
    """Every flow that waits for typed text: its step, its name and the menu it resumes from."""
    return {name: draft for feature in features for name, draft in feature.flows.items()}


async def _unknown_button(update: Update, context: ChiboContext) -> None:
    await refuse(update, context, "unknown_button")
