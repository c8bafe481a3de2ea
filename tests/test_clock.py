"""The one clock: set for a whole run, running on from there, shared with subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from storage import clock

ROOT = Path(__file__).resolve().parent.parent
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
YEAR_END = datetime(2026, 12, 31, 23, 59, tzinfo=HANOI)


@pytest.fixture(autouse=True)
def real_clock_after() -> Iterator[None]:
    yield
    clock.set_now(None)


def test_set_clock_reads_the_time_set_and_runs_on() -> None:
    clock.set_now(YEAR_END)
    first = clock.now()
    assert first.tzinfo is not None
    assert abs(first - YEAR_END) < timedelta(seconds=5)
    assert clock.today(HANOI) == date(2026, 12, 31)
    assert clock.now() >= first  # it runs on; it is not frozen
    clock.set_now(YEAR_END + timedelta(minutes=1))
    assert clock.today(HANOI) == date(2027, 1, 1)  # the year turned in Hà Nội...
    assert clock.now().astimezone(UTC).year == 2026  # ...seven hours before it does in UTC
    clock.set_now(None)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_time_without_offset_is_in_the_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIME_ZONE", raising=False)
    assert clock.parse_now("2027-03-15T09:00") == datetime(2027, 3, 15, 9, 0, tzinfo=HANOI)
    monkeypatch.setenv("TIME_ZONE", "UTC")
    assert clock.parse_now("2027-03-15T09:00") == datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
    assert clock.parse_now("2027-03-15T09:00+00:00") == datetime(2027, 3, 15, 9, tzinfo=UTC)


def test_a_subprocess_shares_the_clock_of_the_run() -> None:
    """`chibo` processes started by a test read the environment: set 10 s ago, the clock of the
    subprocess is 10 s past the time set, as the test's own is."""
    set_at = time.time() - 10
    env = {
        **os.environ,
        clock.ENV_NOW: "2030-06-15T10:00",
        clock.ENV_SET_AT: repr(set_at),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("TIME_ZONE", None)
    code = "from storage import clock; print(clock.now().isoformat())"
    printed = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    seen = datetime.fromisoformat(printed.strip())
    expected = datetime(2030, 6, 15, 10, 0, tzinfo=HANOI) + timedelta(seconds=10)
    assert abs(seen - expected) < timedelta(seconds=5)
