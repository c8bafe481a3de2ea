"""Logging that never writes the bot token."""

from __future__ import annotations

import logging


class RedactToken(logging.Formatter):
    """Formats records, then removes the token from the whole text, tracebacks included:
    HTTP client logs and error texts put it in request URLs."""

    def __init__(self, token: str, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace(self.token, "<BOT_TOKEN>") if self.token else text


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: str, token: str | None) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    # httpx logs every request URL, token included, at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactToken(token or "", FORMAT))
