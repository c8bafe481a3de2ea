"""How long Telegram asks us to wait, for the runner and the sender alike."""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning


def retry_after_seconds(error: RetryAfter) -> float:
    """Seconds to wait. PTB 22 warns that `retry_after` becomes a timedelta; both are fine."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)
