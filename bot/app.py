"""Wiring: `build_application(settings)` is the one place the bot is put together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    TypeHandler,
    filters,
)

from bot.context import SETTINGS_KEY, ChiboContext
from bot.delivery import SENDER_KEY, OutboxSender, sender_bot
from bot.delivery_http import AiohttpRequest
from bot.export_worker import EXPORTS_KEY, ExportWorker
from bot.i18n import LANGUAGES, N_, translator
from bot.runner import ALLOWED_UPDATES, Poller, UpdateRunner
from bot.scheduler import SCHEDULER_KEY, JobFn, Scheduler
from bot.settings import Settings
from bot.webhook import start_webhook_server, webhook_app
from handlers.common import CONTEXT_TYPES, answer_private_only, load_actor, on_error, refuse
from handlers.drafts import DraftStep, draft_handlers
from handlers.language import language_handlers
from handlers.meeting_answer import meeting_answer_handlers, on_reason_input
from handlers.meeting_attendance import meeting_attendance_handlers
from handlers.meeting_compose import meeting_compose_handlers, on_meeting_input
from handlers.meeting_jobs import meeting_jobs
from handlers.meeting_manage import meeting_manage_handlers, on_edit_input, show_meetings
from handlers.member_status import STATUS_FLOW, member_status_handlers, on_status_input
from handlers.members import member_handlers, show_branch_members
from handlers.menu import Show, menu_handlers, show_help
from handlers.notice_compose import notice_compose_handlers, on_notice_input, show_notices
from handlers.notice_status import notice_status_handlers
from handlers.onboarding import onboarding_handlers
from handlers.plan_assess import on_note_input, plan_assess_handlers
from handlers.plan_member import on_plan_input, plan_member_handlers
from handlers.plan_menu import plan_menu_handlers, show_plan
from handlers.plan_overview import plan_overview_handlers
from handlers.plan_record import plan_record_handlers
from handlers.plan_reminders import remind_missing_plans
from handlers.plan_review import on_return_input, plan_review_handlers
from handlers.probation import (
    PROBATION_FLOW,
    on_probation_input,
    probation_handlers,
    remind_probation,
)
from handlers.profile import profile_handlers, show_me
from handlers.reports import report_handlers, show_reports
from handlers.residence import on_activity_input, residence_handlers, show_residence
from handlers.residence_comment import comment_handlers, on_comment_input
from handlers.residence_committee import committee_handlers
from handlers.residence_common import (
    ACTIVITY_FLOW,
    COMMENT_FLOW,
    DECLINE_FLOW,
    EXEMPT_FLOW,
    REGISTER_FLOW,
)
from handlers.residence_exempt import exemption_handlers, on_exemption_reason
from handlers.residence_host import host_handlers, on_decline_reason
from handlers.residence_register import on_register_input, register_handlers
from handlers.residence_save import save_handlers
from handlers.residence_window import KIND as COMMENT_WINDOW_JOB
from handlers.residence_window import ask_for_comments, book_comment_window
from handlers.scorecard import scorecard_handlers
from handlers.survey_answer import on_answer_input, survey_answer_handlers
from handlers.survey_create import on_new_input, survey_create_handlers
from handlers.survey_jobs import CLOSE_JOB, OPEN_JOB, run_close, run_open
from handlers.survey_menu import show_surveys, survey_menu_handlers
from handlers.transfers import TRANSFER_FLOW, flag_overdue, on_transfer_input, transfer_handlers
from storage.db import create_engine, session_factory, transaction
from storage.plan_schedule import KIND as KIND_PLAN_REMINDER
from storage.plan_schedule import schedule_reminders
from storage.probation import KIND as PROBATION_JOB
from storage.transfers import OVERDUE_KIND as TRANSFER_JOB

log = logging.getLogger(__name__)

# Handler groups, in the order PTB runs them for each update.
GROUP_ACTOR = -1  # who is this, which language
GROUP_DRAFTS = 0  # a message continuing an open draft (stored flow state) goes there
GROUP_FEATURES = 1  # the first matching feature handler answers
# Handlers' Bot API calls (the runner makes one at a time; jobs and commands a few more).
# Total time per call: Telegram that does not answer within it counts as a network error,
# and the runner pauses and handles the update again. getUpdates passes its own.
BOT_CONNECTIONS = 8
BOT_TIMEOUT_SECONDS = 15.0
COMMANDS = (
    ("menu", N_("Main menu")),
    ("me", N_("What the bot stores about me")),
    ("language", N_("Change the language")),
    ("help", N_("Help")),
    ("start", N_("Link my Telegram account")),
)


@dataclass
class Chibo:
    """The running bot: PTB application, database, the update inbox runner, the outbox
    sender (handlers wake it with `bot.delivery.wake_sender_after_commit`) and the scheduler
    of stored jobs (`bot.scheduler.wake_scheduler_after_commit`)."""

    settings: Settings
    application: Application[Any, ChiboContext, Any, Any, Any, Any]
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    runner: UpdateRunner
    sender: OutboxSender
    scheduler: Scheduler
    exports: ExportWorker
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        """Connects to Telegram and registers the command list in both languages."""
        await self.application.initialize()
        await self.application.start()
        await self._register_commands()
        await self._book_standing_jobs()
        await self._schedule_reminders()

    async def _schedule_reminders(self) -> None:
        """Reminder jobs for the seasons as they are now (the defaults may have changed)."""
        async with transaction(self.sessions) as session:
            settings = self.settings
            await schedule_reminders(
                session,
                settings.plan_season_defaults(),
                tz=settings.tz,
                hour=settings.plan_reminder_hour,
                now=datetime.now(UTC),
            )
        self.scheduler.wake()

    async def _register_commands(self) -> None:
        bot = self.application.bot
        for language in LANGUAGES:
            _ = translator(language)
            commands = [BotCommand(name, _(description)) for name, description in COMMANDS]
            await bot.set_my_commands(commands, language_code=language)
            if language == self.settings.default_locale:
                await bot.set_my_commands(commands)

    async def _book_standing_jobs(self) -> None:
        """Yearly jobs are booked here when missing, so no command is needed for them."""
        async with transaction(self.sessions) as session:
            await book_comment_window(session, self.settings, datetime.now(UTC))

    async def run_polling(self) -> None:
        """Long polling until cancelled."""
        await self.application.bot.delete_webhook()
        poller = Poller(self.application, self.sessions, self.runner, self.settings)
        await self._run_together(
            self.runner.run(), poller.run(), self.sender.run(), self.scheduler.run()
        )

    async def run_webhook(self) -> None:
        """Webhook mode until cancelled; the secret token is required."""
        settings = self.settings
        secret = settings.webhook_secret_token
        if not settings.webhook_url or secret is None:
            raise ValueError("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET_TOKEN")
        app = webhook_app(
            settings.webhook_path, secret.get_secret_value(), self.sessions, self.runner
        )
        server = await start_webhook_server(app, settings.webhook_listen, settings.webhook_port)
        try:
            await self.application.bot.set_webhook(
                settings.webhook_url,
                secret_token=secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
                # One connection: Telegram then posts updates in order, one at a time.
                max_connections=1,
            )
            await self._run_together(self.runner.run(), self.sender.run(), self.scheduler.run())
        finally:
            await server.cleanup()

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
    application = (
        Application.builder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .request(AiohttpRequest(BOT_CONNECTIONS, BOT_TIMEOUT_SECONDS))
        .get_updates_request(AiohttpRequest(1, BOT_TIMEOUT_SECONDS))
        .context_types(CONTEXT_TYPES)
        .updater(None)  # updates come through our durable inbox, not PTB's in-memory queue
        .build()
    )
    application.bot_data[SETTINGS_KEY] = settings
    _add_handlers(application)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    runner = UpdateRunner(application, sessions, settings)
    sender = OutboxSender(sender_bot(settings), sessions, settings)
    application.bot_data[SENDER_KEY] = sender
    scheduler = Scheduler(sessions, settings, _jobs(), after_job=sender.wake)
    application.bot_data[SCHEDULER_KEY] = scheduler
    exports = ExportWorker(application.bot, sessions, settings)
    application.bot_data[EXPORTS_KEY] = exports
    return Chibo(settings, application, engine, sessions, runner, sender, scheduler, exports)


def _jobs() -> dict[str, JobFn]:
    """The stored jobs' functions, by kind (see bot/scheduler.py)."""
    return {
        **meeting_jobs(),
        COMMENT_WINDOW_JOB: ask_for_comments,
        KIND_PLAN_REMINDER: remind_missing_plans,
        PROBATION_JOB: remind_probation,
        TRANSFER_JOB: flag_overdue,
        OPEN_JOB: run_open,
        CLOSE_JOB: run_close,
    }


def _add_handlers(application: Application[Any, ChiboContext, Any, Any, Any, Any]) -> None:
    features: dict[str, Show] = {
        "me": show_me,
        "help": show_help,
        "members": show_branch_members,
        "notices": show_notices,
        "meetings": show_meetings,
        "residence": show_residence,
        "plan": show_plan,
        "reports": show_reports,
        "surveys": show_surveys,
    }
    feature_handlers: list[BaseHandler[Update, ChiboContext, None]] = [
        *onboarding_handlers(),
        *language_handlers(),
        *profile_handlers(),
        *member_handlers(),
        *member_status_handlers(),
        *probation_handlers(),
        *transfer_handlers(),
        *notice_compose_handlers(),
        *notice_status_handlers(),
        *meeting_compose_handlers(),
        *meeting_manage_handlers(),
        *meeting_answer_handlers(),
        *meeting_attendance_handlers(),
        *residence_handlers(),
        *register_handlers(),
        *save_handlers(),
        *host_handlers(),
        *comment_handlers(),
        *committee_handlers(),
        *exemption_handlers(),
        *plan_menu_handlers(),
        *plan_member_handlers(),
        *plan_review_handlers(),
        *plan_assess_handlers(),
        *plan_record_handlers(),
        *plan_overview_handlers(),
        *report_handlers(),
        *scorecard_handlers(),
        *survey_create_handlers(),
        *survey_answer_handlers(),
        *survey_menu_handlers(),
        *menu_handlers(features),
        # Anything left: commands in groups, and buttons we do not know (forged or stale).
        CommandHandler(
            [name for name, _ in COMMANDS], answer_private_only, filters=filters.ChatType.GROUPS
        ),
        CallbackQueryHandler(_unknown_button),
    ]
    application.add_handler(TypeHandler(Update, load_actor), group=GROUP_ACTOR)
    drafts: dict[str, DraftStep] = {
        "notice": on_notice_input,
        "meeting": on_meeting_input,
        "meeting_edit": on_edit_input,
        "meeting_absence": on_reason_input,
        REGISTER_FLOW: on_register_input,
        ACTIVITY_FLOW: on_activity_input,
        DECLINE_FLOW: on_decline_reason,
        COMMENT_FLOW: on_comment_input,
        EXEMPT_FLOW: on_exemption_reason,
        STATUS_FLOW: on_status_input,
        PROBATION_FLOW: on_probation_input,
        TRANSFER_FLOW: on_transfer_input,
        "plan": on_plan_input,
        "plan_note": on_note_input,
        "plan_return": on_return_input,
        "survey_new": on_new_input,
        "survey_answer": on_answer_input,
    }
    application.add_handlers(draft_handlers(drafts), group=GROUP_DRAFTS)
    application.add_handlers(feature_handlers, group=GROUP_FEATURES)
    application.add_error_handler(on_error)


async def _unknown_button(update: Update, context: ChiboContext) -> None:
    await refuse(update, context, "unknown_button")
