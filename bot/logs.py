"""Logging that never writes the bot token, personal data, or a line a user could forge.

- The token: removed from the whole formatted text of every record, tracebacks included
  (HTTP clients and PTB's errors put it in URLs and messages), in its plain and URL-encoded
  forms; the callers also keep it out of the messages they raise (see `bot.cli.main`).
- Personal data: chibo's own modules log identifiers and class names only, at every level.
  Libraries (python-telegram-bot, httpx, aiohttp, aiosqlite, SQLAlchemy...) write request
  bodies, updates and SQL parameters at DEBUG, so `LOG_LEVEL=DEBUG` applies to chibo's own
  loggers only, and tracebacks leave the exceptions' texts out, unless
  `LOG_PERSONAL_DATA=true` says the log may hold personal data.
- Forged lines: anything from a user is logged through `log_safe`; and every record keeps
  to its first line (message control characters escaped, traceback lines indented), so no
  text can start a line that looks like another record.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from types import TracebackType
from typing import IO, Any
from urllib.parse import quote

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "<BOT_TOKEN>"
OWN_LOGGERS = ("bot", "handlers", "storage", "__main__")
# Loggers that write full request URLs at INFO (token redacted, but noise).
QUIET_LOGGERS = ("httpx", "httpcore")
CONTINUATION = "    | "
LOG_SAFE_LIMIT = 64

# C0/C1 controls (newline, NUL, ESC of terminal sequences), backslash, and the invisible
# characters that reorder or break lines on a screen (bidi overrides, line separators...).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\\\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return "\\\\" if char == "\\" else char.encode("unicode_escape").decode("ascii")


def log_safe(value: object, limit: int = LOG_SAFE_LIMIT) -> str:
    """A value that came from a user (button data, a file name...) as plain characters on
    one line, cut to `limit`: what a log line may hold of it."""
    text = str(value)
    cut = len(text) > limit
    return _UNSAFE.sub(_escaped, text[:limit]) + ("…" if cut else "")


def escape_controls(text: str) -> str:
    """Control characters shown as escapes (backslashes kept as they are: this runs on
    library messages, whose backslashes are theirs)."""
    return _CONTROLS.sub(_escaped, text)


def token_forms(token: str) -> list[str]:
    """The token as it may appear: plain, URL-encoded, and its secret part alone."""
    if not token:
        return []
    forms = {token, quote(token, safe=""), quote(token)}
    secret = token.partition(":")[2]
    if len(secret) >= 8:  # the part before ":" is the bot's public id
        forms.add(secret)
    return sorted(forms, key=len, reverse=True)


def frames_only(exc_info: Any) -> str:
    """A traceback with its frames and exception classes but not the exceptions' texts,
    which can hold personal data (SQL parameters, a name in a ValueError, Telegram's
    answer quoting a message)."""
    error = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    if error is None:
        return ""
    lines: list[str] = []
    seen: set[int] = set()
    current: traceback.TracebackException | None = traceback.TracebackException.from_exception(
        error
    )
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = current.exc_type.__qualname__ if current.exc_type else "?"
        chunk = ["Traceback (most recent call last):\n", *current.stack.format(), kind]
        lines[:0] = [*chunk, " (text left out: it may hold personal data)\n"]
        cause = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        if cause is not None:
            lines[:0] = ["\n"]
        current = cause
    return "".join(lines).rstrip("\n")


class SafeFormatter(logging.Formatter):
    """Formats a record, then removes the token from the whole text and keeps the record
    to lines of its own. Tracebacks leave the exceptions' texts out unless personal data
    may be logged."""

    def __init__(self, token: str, fmt: str | None = FORMAT, personal_data: bool = False) -> None:
        super().__init__(fmt)
        self.secrets = token_forms(token)
        self.personal_data = personal_data

    def formatException(self, ei: Any) -> str:
        return super().formatException(ei) if self.personal_data else frames_only(ei)

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).replace("\n", "\\n").replace("\r", "\\r")

    def format(self, record: logging.LogRecord) -> str:
        text = escape_controls(super().format(record))
        first, *rest = text.split("\n")
        text = "\n".join([first, *(CONTINUATION + line for line in rest)])
        return self.redact(text)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


RedactToken = SafeFormatter  # the name tests and callers used before


class RedactRecord(logging.Filter):
    """Removes the token from the record itself (message, traceback, stack) before any
    formatter sees it: a formatter caches the traceback text on the record, and another
    handler would reuse it as it is."""

    def __init__(self, token: str, personal_data: bool = False) -> None:
        super().__init__()
        self.formatter = SafeFormatter(token, personal_data=personal_data)

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self.formatter.redact
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:  # formatted again: a handler before ours may have cached it
            record.exc_text = self.formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class OwnDebugOnly(logging.Filter):
    """Drops libraries' DEBUG records (requests, updates, SQL parameters: personal data)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO or record.name.split(".")[0] in OWN_LOGGERS


_installed: logging.Handler | None = None


def setup_logging(
    level: str | int,
    token: str | None,
    personal_data: bool = False,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """One handler on the root logger, replacing the one set up before; returns it."""
    global _installed
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    numeric = numeric if isinstance(numeric, int) else logging.INFO
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
    handler = logging.StreamHandler(stream or sys.stderr)
    if not personal_data:
        handler.addFilter(OwnDebugOnly())
    handler.addFilter(RedactRecord(token or "", personal_data))
    handler.setFormatter(SafeFormatter(token or "", personal_data=personal_data))
    root.addHandler(handler)
    _installed = handler
    # Libraries do not even build their DEBUG records unless they may be written.
    root.setLevel(numeric if personal_data else max(numeric, logging.INFO))
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(numeric)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    _route_uncaught_exceptions()
    _say_what_is_logged(numeric, personal_data)
    return handler


def teardown_logging() -> None:
    """Removes what setup_logging installed (tests set logging up more than once)."""
    global _installed
    if _installed is not None:
        logging.getLogger().removeHandler(_installed)
        _installed = None
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    sys.excepthook = sys.__excepthook__
    threading.excepthook = threading.__excepthook__


def _say_what_is_logged(level: int, personal_data: bool) -> None:
    log = logging.getLogger(__name__)
    if personal_data:
        log.warning(
            "LOG_PERSONAL_DATA is on: libraries' debug lines hold phones, names and messages; "
            "keep this log private and delete it after use"
        )
    elif level < logging.INFO:
        log.info("debug lines of chibo only; libraries' need LOG_PERSONAL_DATA=true")


def _route_uncaught_exceptions() -> None:
    """Tracebacks nobody caught go through the same handler (and redaction) as the rest,
    not straight to stderr."""

    def report(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        logging.getLogger("bot").critical("uncaught %s", kind.__name__, exc_info=(kind, error, tb))

    def report_thread(args: Any) -> None:
        report(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = report
    threading.excepthook = report_thread
