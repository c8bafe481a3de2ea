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
from bot.delivery import SENDER_KEY, OutboxSender, sender_bot
from bot.delivery_http import AiohttpRequest
from bot.export_worker import EXPORTS_KEY, ExportWorker
from bot.i18n import LANGUAGES, N_, translator
from bot.leadership import (
    INBOX_CHANNEL,
    OUTBOX_CHANNEL,
    SCHEDULE_CHANNEL,
    Leadership,
    Wakeups,
)
from bot.maintenance import Maintenance
from bot.replies import DeferringRequest, ReplySender
from bot.runner import ALLOWED_UPDATES, Poller, UpdateRunner
from bot.scheduler import SCHEDULER_KEY, JobFn, Scheduler
from bot.settings import Settings
from bot.webhook import start_webhook_server, webhook_app
from handlers.bulk_send import KIND as BULK_SEND_JOB
from handlers.bulk_send import run_bulk_send
from handlers.common import CONTEXT_TYPES, answer_private_only, load_actor, on_error, refuse
from handlers.drafts import Draft, draft_handlers
from handlers.language import language_handlers
from handlers.meeting_answer import meeting_answer_handlers, on_reason_input, reason_problem
from handlers.meeting_attendance import meeting_attendance_handlers
from handlers.meeting_compose import meeting_compose_handlers, on_meeting_input
from handlers.meeting_jobs import meeting_jobs
from handlers.meeting_manage import (
    edit_problem,
    meeting_manage_handlers,
    on_edit_input,
    show_meetings,
)
from handlers.member_status import STATUS_FLOW, member_status_handlers, on_status_input
from handlers.members import member_handlers, show_branch_members
from handlers.menu import NOT_LINKED, Show, menu_handlers, show_help
from handlers.notice_compose import notice_compose_handlers, on_notice_input, show_notices
from handlers.notice_status import notice_status_handlers
from handlers.onboarding import on_typed_before_link, onboarding_handlers
from handlers.plan_assess import on_note_input, plan_assess_handlers
from handlers.plan_member import on_plan_input, plan_member_handlers
from handlers.plan_menu import plan_menu_handlers, show_plan
from handlers.plan_overview import plan_overview_handlers
from handlers.plan_record import plan_record_handlers
from handlers.plan_reminders import remind_missing_plans
from handlers.plan_reopen import plan_reopen_handlers
from handlers.plan_review import comment_problem, on_return_input, plan_review_handlers
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
    note_problem,
)
from handlers.residence_exempt import exemption_handlers, on_exemption_reason
from handlers.residence_host import host_handlers, on_decline_reason
from handlers.residence_register import on_register_input, register_handlers
from handlers.residence_save import save_handlers
from handlers.residence_window import KIND as COMMENT_WINDOW_JOB
from handlers.residence_window import ask_for_comments, book_comment_window
from handlers.scorecard import scorecard_handlers
from handlers.survey_answer import on_answer_input, survey_answer_handlers
from handlers.survey_create import BUTTON_STEPS, on_new_input, survey_create_handlers
from handlers.survey_jobs import CLOSE_JOB, OPEN_JOB, run_close, run_open
from handlers.survey_menu import show_surveys, survey_menu_handlers
from handlers.transfers import TRANSFER_FLOW, flag_overdue, on_transfer_input, transfer_handlers
from storage.db import create_engine, session_factory, transaction
from storage.plan_schedule import KIND as KIND_PLAN_REMINDER
from storage.plan_schedule import schedule_reminders
from storage.probation import KIND as PROBATION_JOB
from storage.schedule import lock_bookings
from storage.transfers import OVERDUE_KIND as TRANSFER_JOB

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
        await self._schedule_reminders()

    async def _schedule_reminders(self) -> None:
        """Reminder jobs for the seasons as they are now (the defaults may have changed)."""
        async with transaction(self.sessions) as session:
            await lock_bookings(session)  # instances starting together book once
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
            await lock_bookings(session)  # instances starting together book once
            await book_comment_window(session, self.settings, datetime.now(UTC))

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
        poller = Poller(self.application, self.sessions, self.runner, self.settings)
        async with asyncio.TaskGroup() as group:
            group.create_task(poller.run())
            group.create_task(self.sender.run())

    async def run_webhook(self) -> None:
        """Webhook mode until cancelled; the secret token is required. Every instance
        receives and stores updates (answering 200 once stored) and handles them."""
        settings = self.settings
        secret = settings.webhook_secret_token
        if not settings.webhook_url or secret is None:
            raise ValueError("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET_TOKEN")
        app = webhook_app(
            settings.webhook_path, secret.get_secret_value(), self.sessions, self.runner
        )
        server = await start_webhook_server(app, settings.webhook_listen, settings.webhook_port)
        try:
            await self._run_together(
                self.runner.run(),
                self.scheduler.run(),
                self.maintenance.run(),
                self.wakeups.run(),
                self.leadership.run(self._lead_webhook),
            )
        finally:
            await server.cleanup()

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
    _add_handlers(application)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    sender = OutboxSender(sender_bot(settings), sessions, settings)
    application.bot_data[SENDER_KEY] = sender
    replies = ReplySender(request, application.bot.base_url, sender.limits, BOT_TIMEOUT_SECONDS)
    runner = UpdateRunner(application, sessions, settings, replies)
    scheduler = Scheduler(sessions, settings, _jobs(), after_job=sender.wake)
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
    )


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
        BULK_SEND_JOB: run_bulk_send,
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
        NOT_LINKED: on_typed_before_link,
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
        *plan_reopen_handlers(),
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
    application.add_handlers(draft_handlers(drafts()), group=GROUP_DRAFTS)
    application.add_handlers(feature_handlers, group=GROUP_FEATURES)
    application.add_error_handler(on_error)


def drafts() -> dict[str, Draft]:
    """Every flow that waits for typed text: its step, its name and the menu it resumes from."""
    meetings, residence, plan = N_("📅 Meetings"), N_("🏠 Residence ties"), N_("📝 Yearly plan")
    surveys, members = N_("🗳 Surveys"), N_("👥 Branch members")
    survey_steps = "|".join(BUTTON_STEPS)
    return {
        "notice": Draft(
            on_notice_input,
            N_("a notice"),
            N_("📣 Send a notice"),
            buttons=r"^(na:|ncancel$|nnew$|nsend$)",
        ),
        "meeting": Draft(
            on_meeting_input,
            N_("a new meeting"),
            meetings,
            buttons=r"^(mau:|mdrop$|mk:|mnew$|msend$|mu:)",
        ),
        "meeting_edit": Draft(
            on_edit_input,
            N_("the meeting's new time or place"),
            meetings,
            REACHES_OTHERS,
            edit_problem,
            buttons=r"^(mc:|mcy:|md:|me[tp]:|my:)",
        ),
        "meeting_absence": Draft(
            on_reason_input,
            N_("the reason for your absence"),
            meetings,
            REACHES_OTHERS,
            reason_problem,
            buttons=r"^(mab:|mabx:|mat:|mmy$)",
        ),
        REGISTER_FLOW: Draft(
            on_register_input,
            N_("your residence registration"),
            residence,
            buttons=r"^(rb:|rbx$|rreg$|rskip$|rsave$|rcancel$)",
        ),
        ACTIVITY_FLOW: Draft(
            on_activity_input,
            N_("a residence activity"),
            residence,
            buttons=r"^(ract$|rcancel$|rsave$)",
        ),
        DECLINE_FLOW: Draft(
            on_decline_reason,
            N_("the reason for declining a residence tie"),
            residence,
            REACHES_OTHERS,
            note_problem,
            buttons=r"^(rac:|rapend$|rno:|rnoop$|rok:|rpend$)",
        ),
        COMMENT_FLOW: Draft(
            on_comment_input,
            N_("a yearly residence comment"),
            residence,
            buttons=r"^(rcl$|rcm:|rcsend$|rcy:)",
        ),
        EXEMPT_FLOW: Draft(
            on_exemption_reason, N_("an exemption reason"), residence, buttons=r"^rex"
        ),
        STATUS_FLOW: Draft(
            on_status_input, N_("a member's party standing"), members, buttons=r"^(sts:|stx)"
        ),
        PROBATION_FLOW: Draft(
            on_probation_input,
            N_("an admission or probation"),
            members,
            buttons=r"^(adm:|prn:|prnok:|prr:)",
        ),
        TRANSFER_FLOW: Draft(
            on_transfer_input,
            N_("a transfer of party activity"),
            members,
            buttons=r"^tr[bcfko]:",
        ),
        "plan": Draft(
            on_plan_input,
            N_("your yearly plan"),
            plan,
            buttons=r"^pl(commit$|edit:|fill$|skip$|submit$|view$)",
        ),
        "plan_note": Draft(
            on_note_input,
            N_("a note on your self-assessment"),
            plan,
            buttons=r"^pl(nonote$|prop:|propy:|res:|sa$)",
        ),
        "plan_return": Draft(
            on_return_input,
            N_("the comment returning a plan"),
            plan,
            REACHES_OTHERS,
            comment_problem,
            buttons=r"^pl(ok:|q$|r:|ret:|retx$)",
        ),
        "survey_new": Draft(
            on_new_input,
            N_("a new survey"),
            surveys,
            buttons=rf"^(svfile$|svnew$|swa:|swgo$|swx$|({survey_steps})(:|$))",
        ),
        "survey_answer": Draft(
            on_answer_input,
            N_("your survey answers"),
            surveys,
            buttons=r"^(sa:|sb:|se:|sn:|sok:|ss:|st:|sva:)",
        ),
    }


# The steps whose typed answer goes to other people: shown back with Send / Edit first.
REACHES_OTHERS = frozenset({"time", "place", "reason", "comment"})


async def _unknown_button(update: Update, context: ChiboContext) -> None:
    await refuse(update, context, "unknown_button")
