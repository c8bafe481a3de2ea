"""Runtime configuration, read from environment variables or a `.env` file."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.plan_seasons import SeasonDefaults

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/chibo.sqlite3"
PUBLIC_BOT_API = "https://api.telegram.org/bot"
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
MONTH_DAY = re.compile(r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")


def _day_of(year: int, month_day: str) -> date:
    """The date of 'MM-DD' in `year`; 02-29 falls back to 02-28 in a common year."""
    month, day = map(int, month_day.split("-"))
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, month, day - 1)


class Settings(BaseSettings):
    """Every setting the bot reads; see README.md for the meaning of each."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base_url: str = PUBLIC_BOT_API
    telegram_api_file_url: str | None = None
    default_locale: str = "vi"
    time_zone: str = "Asia/Ho_Chi_Minh"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "/telegram"
    webhook_secret_token: SecretStr | None = None
    # At least a day: handled rows are what make a redelivered update a no-op.
    inbox_retention_days: int = Field(default=7, ge=1)
    inbox_max_attempts: int = Field(default=3, ge=1)
    invite_valid_days: int = Field(default=14, ge=1)
    poll_timeout_seconds: int = Field(default=25, ge=0)
    # Chats whose updates are handled at once (one chat's always in order; bot/runner.py).
    update_concurrency: int = Field(default=100, ge=1)
    # A process holds a chat's lane this long unless it renews it: how soon another process
    # takes over the chats of one that died (PostgreSQL, several instances).
    lane_lease_seconds: float = Field(default=15.0, gt=0)
    # Delivery outbox (bot/delivery/sender.py). Telegram allows about 30 messages a second overall;
    # paid broadcasts (allow_paid_broadcast, charged in Stars per message) up to 1000.
    outbox_per_second: int = Field(default=30, ge=1)
    outbox_paid_broadcast: bool = False
    outbox_paid_per_second: int = Field(default=1000, ge=1)
    # Rows claimed ('sending') at once: the most a hard kill can make the bot send twice.
    outbox_window: int = Field(default=200, ge=1)
    outbox_concurrency: int = Field(default=100, ge=1)  # Bot API requests in flight
    outbox_max_attempts: int = Field(default=5, ge=1)
    outbox_backoff_seconds: float = Field(default=2.0, gt=0)  # doubles with each attempt
    outbox_backoff_max_seconds: float = Field(default=600.0, gt=0)
    outbox_send_timeout_seconds: float = Field(default=20.0, gt=0)
    outbox_poll_seconds: float = Field(default=2.0, gt=0)  # fallback when nobody wakes it
    # Sent rows are deleted after this many days, and the payloads of rows a notice receipt
    # still points to (the status needs the row, not the text) are blanked.
    outbox_retention_days: int = Field(default=30, ge=1)
    # A notice, reminder or survey to more people than this is queued by a stored job, so
    # the bot goes on answering everyone else meanwhile.
    bulk_job_threshold: int = Field(default=1000, ge=0)
    # SQLite: how often the query planner's statistics are refreshed (PRAGMA optimize).
    sqlite_optimize_hours: float = Field(default=6.0, gt=0)
    # Residence ties (Quy định 213): the yearly comment window, as month-day in local time,
    # and the longest text accepted per field (longer gets a message naming the limit).
    residence_comment_opens: str = "12-01"
    residence_comment_closes: str = "12-31"
    residence_address_limit: int = Field(default=300, ge=10)
    residence_letter_no_limit: int = Field(default=40, ge=5, le=64)
    residence_note_limit: int = Field(default=500, ge=10)  # activities, reasons
    residence_comment_limit: int = Field(default=1000, ge=10)
    # Residence activities a year a tied member is expected to take part in (custom: two).
    residence_min_activities: int = Field(default=2, ge=0)
    # Stored scheduler (bot/scheduler.py): reminders and meeting-time triggers.
    scheduler_poll_seconds: float = Field(default=30.0, gt=0)  # fallback when nobody wakes it
    scheduler_max_attempts: int = Field(default=5, ge=1)  # a failing job is then set aside
    scheduler_backoff_seconds: float = Field(default=30.0, gt=0)  # doubles with each attempt
    # Several instances on PostgreSQL (bot/leadership.py): how often a waiting instance
    # tries to become the leader, and the leader checks it still is.
    leader_retry_seconds: float = Field(default=3.0, gt=0)
    # An anonymous survey's results stay hidden until this many members have answered, so
    # nobody in a small branch can be identified; a survey file may ask for more.
    survey_min_responses: int = Field(default=5, ge=1)
    # Meetings: reminders this many hours before the start (to those attending and those
    # who have not answered), and the yearly count of unexcused absences that warns the
    # secretary (the Party Charter's limit is three).
    meeting_reminder_hours: list[float] = Field(default_factory=lambda: [24.0, 2.0])
    meeting_absence_warning: int = Field(default=2, ge=1)
    # A 🔔 reminder of the same thing to the same people is refused within this many minutes.
    reminder_min_interval_minutes: int = Field(default=60, ge=0)
    # Yearly plans: the default calendar (MM-DD of the plan's year) where no unit has stored
    # its own season (`chibo plan season`), and the length limits of what members type.
    plan_opens_on: str = "01-01"
    plan_deadline: str = "03-31"
    plan_reminder_days: list[int] = Field(default=[7, 1])  # days before the deadline
    plan_reminder_hour: int = Field(default=8, ge=0, le=23)  # local time reminders go out
    # Member statuses (docs/populations.md): probation reminders a month before the 12 months
    # end and on the day, at this local hour, then every N days until the outcome is recorded.
    probation_reminder_hour: int = Field(default=8, ge=0, le=23)
    probation_repeat_days: int = Field(default=7, ge=1)
    # A transfer between branches not confirmed by the receiving secretary within this many
    # days is flagged to both secretaries and on the committee overview.
    transfer_confirm_days: int = Field(default=30, ge=1)
    plan_assessment_opens_on: str = "12-01"
    plan_assessment_closes_on: str = "12-31"
    plan_section_limit: int = Field(default=2000, ge=1, le=3500)  # one message holds a section
    plan_note_limit: int = Field(default=500, ge=1, le=3500)
    plan_comment_limit: int = Field(default=1000, ge=1, le=3500)
    log_level: str = "INFO"
    # Libraries' DEBUG lines hold request bodies and SQL parameters (bot/logs.py).
    log_personal_data: bool = False

    @field_validator("bot_token", "webhook_secret_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `WEBHOOK_SECRET_TOKEN=` in a .env must not turn into an empty secret that every
        # request without the header matches.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_secret_token")
    @classmethod
    def _telegram_secret_format(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("1-256 characters: letters, digits, _ and - (Telegram's rule)")
        return value

    @field_validator("residence_comment_opens", "residence_comment_closes")
    @classmethod
    def _residence_month_day(cls, value: str) -> str:
        if not MONTH_DAY.fullmatch(value.strip()):
            raise ValueError("MM-DD, e.g. 12-01")
        month, day = map(int, value.split("-"))
        date(2024, month, day)  # raises on 02-30; 2024 is a leap year, so 02-29 is allowed
        return value.strip()

    def residence_comment_window(self, year: int) -> tuple[date, date]:
        """First and last day (local) of the comments on `year`; a window closing before it
        opens (12-15 to 01-10) ends in the next year."""
        opens = _day_of(year, self.residence_comment_opens)
        closes = _day_of(year, self.residence_comment_closes)
        if closes < opens:
            closes = _day_of(year + 1, self.residence_comment_closes)
        return opens, closes

    def residence_comment_year(self, today: date) -> int | None:
        """The year whose comments are open on `today` (a local date), or None."""
        for year in (today.year, today.year - 1):
            opens, closes = self.residence_comment_window(year)
            if opens <= today <= closes:
                return year
        return None

    @field_validator(
        "plan_opens_on", "plan_deadline", "plan_assessment_opens_on", "plan_assessment_closes_on"
    )
    @classmethod
    def _plan_month_day(cls, value: str) -> str:
        if not MONTH_DAY.fullmatch(value):
            raise ValueError("a day of the year as MM-DD, e.g. 03-31")
        return value

    @field_validator("plan_reminder_days")
    @classmethod
    def _reminder_days(cls, value: list[int]) -> list[int]:
        if any(days < 0 or days > 366 for days in value):
            raise ValueError("days before the deadline, 0 to 366")
        return sorted(set(value), reverse=True)

    def plan_season_defaults(self) -> SeasonDefaults:
        """The plan calendar of units without a stored season."""
        return SeasonDefaults(
            opens_on=self.plan_opens_on,
            deadline=self.plan_deadline,
            reminder_days=tuple(self.plan_reminder_days),
            assessment_opens_on=self.plan_assessment_opens_on,
            assessment_closes_on=self.plan_assessment_closes_on,
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def inbox_retention(self) -> timedelta:
        return timedelta(days=self.inbox_retention_days)

    @property
    def outbox_retention(self) -> timedelta:
        return timedelta(days=self.outbox_retention_days)

    @property
    def outbox_rate(self) -> int:
        """Messages a second the sender allows itself overall."""
        return self.outbox_paid_per_second if self.outbox_paid_broadcast else self.outbox_per_second

    @property
    def file_base_url(self) -> str:
        """The Bot API's file URL, derived from the base URL unless set."""
        if self.telegram_api_file_url:
            return self.telegram_api_file_url
        base = self.telegram_api_base_url
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base

    def sqlite_path(self) -> Path | None:
        """The database file when the database is SQLite, so its folder can be created."""
        prefix = "sqlite+aiosqlite:///"
        if not self.database_url.startswith(prefix):
            return None
        rest = self.database_url[len(prefix) :]
        return None if rest in ("", ":memory:") else Path(rest)
