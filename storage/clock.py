"""The one clock for business time (meeting times, deadlines, "this year", retention, stamps).

Everything that asks "what time is it" for a decision or a stored value asks `now()` here, so
the whole program can be moved to another date: tests set it with `set_now()` or the
`CHIBO_TEST_NOW` environment variable (an ISO time such as `2027-03-15T09:00`; without an
offset it is read in the `TIME_ZONE` of the environment, the organisation's zone by default).
The clock still runs from there: it is the real clock plus a fixed shift, so waits and timers
behave as usual. Pacing and latency keep `time.monotonic()`, which this does not touch.

`CHIBO_TEST_NOW_SET_AT` (a Unix time) says when the shifted time was `CHIBO_TEST_NOW`; a test
run sets it so that a `chibo` subprocess shares the test's clock to the second instead of
starting its own at `CHIBO_TEST_NOW`.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

ENV_NOW = "CHIBO_TEST_NOW"
ENV_SET_AT = "CHIBO_TEST_NOW_SET_AT"
DEFAULT_ZONE = "Asia/Ho_Chi_Minh"  # the default of the TIME_ZONE setting

_shift = timedelta(0)


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC) + _shift


def today(tz: tzinfo) -> date:
    """Today's date in the zone `tz` (the organisation's, from the settings)."""
    return now().astimezone(tz).date()


def set_now(when: datetime | None, at: float | None = None) -> None:
    """From now on (or from the real Unix time `at`), the clock reads `when`, and runs on from
    there; None sets it back to the real time."""
    global _shift
    if when is None:
        _shift = timedelta(0)
        return
    real = datetime.fromtimestamp(time.time() if at is None else at, UTC)
    _shift = _aware(when) - real


def parse_now(text: str) -> datetime:
    """An ISO time as `CHIBO_TEST_NOW` holds it, aware (a naive one is in the `TIME_ZONE`)."""
    return _aware(datetime.fromisoformat(text.strip()))


def _aware(when: datetime) -> datetime:
    if when.tzinfo is not None:
        return when
    return when.replace(tzinfo=ZoneInfo(os.environ.get("TIME_ZONE") or DEFAULT_ZONE))


def set_from_environment() -> None:
    """Shifts the clock as `CHIBO_TEST_NOW` (and `CHIBO_TEST_NOW_SET_AT`) say, if set."""
    text = os.environ.get(ENV_NOW, "").strip()
    if not text:
        return
    set_at = os.environ.get(ENV_SET_AT, "").strip()
    set_now(parse_now(text), float(set_at) if set_at else None)


set_from_environment()
