"""Logs: the token never written whatever fails, no personal data at DEBUG, no forged lines."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.logs import REDACTED, log_safe, setup_logging, teardown_logging
from tests.factories import member, tree
from tests.fakebot import FakeBotApi, ServerError
from tests.harness import TOKEN, RunningBot, start_and_agree

PHONE = "0912345678"
NAME = "Nguyễn Thị Oanh"
TYPED = "mật khẩu nhà tôi là 4242"
USER_ID = 987654321
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")

Capture = Callable[..., io.StringIO]


@pytest.fixture
def capture() -> Iterator[Capture]:
    """Sets logging up as `chibo run` does, writing to a text buffer the test reads."""

    def start(level: str = "DEBUG", personal_data: bool = False) -> io.StringIO:
        stream = io.StringIO()
        setup_logging(level, TOKEN, personal_data, stream)
        return stream

    yield start
    teardown_logging()
    logging.getLogger().setLevel(logging.WARNING)


def test_log_safe_puts_a_user_value_on_one_plain_line() -> None:
    assert log_safe("a\nb\r\x00\x1b[31m\u202e\\x") == "a\\nb\\r\\x00\\x1b[31m\\u202e\\\\x"
    assert log_safe("Nguyễn An") == "Nguyễn An"  # letters are kept
    assert log_safe("x" * 100, limit=10) == "x" * 10 + "…"


def test_a_traceback_cannot_start_a_line_of_its_own(capture: Capture) -> None:
    stream = capture("INFO")
    try:
        raise ValueError("x\n2026-01-01 00:00:00,000 CRITICAL bot: forged\x1b[2J")
    except ValueError:
        logging.getLogger("bot.test").exception("failed: %s", "a\nCRITICAL b")
    lines = stream.getvalue().splitlines()
    assert all(RECORD_START.match(line) or line.startswith("    | ") for line in lines)
    assert sum(1 for line in lines if RECORD_START.match(line)) == 1
    assert "\x1b" not in stream.getvalue()


async def test_button_data_cannot_forge_a_log_line(bot: RunningBot, capture: Capture) -> None:
    user, _reply = await start_and_agree(bot.fake, 861)
    stream = capture("INFO")
    await user.press_data("a\nCRITICAL forged\x00\x1b[31m")
    await user.press_data("\x1b]0;owned\x07x")
    await bot.settle()
    text = stream.getvalue()
    assert "refused a\\nCRITICAL forge (unknown_button)" in text
    assert "refused \\x1b]0;owned\\x07x (unknown_button)" in text
    assert all(RECORD_START.match(line) for line in text.splitlines()), text
    assert "\x00" not in text and "\x1b" not in text and "\x07" not in text


async def talk(bot: RunningBot) -> None:
    """A member links their account, types a text the bot does not expect, reads /me."""
    async with bot.db() as session:
        await member(session, (await tree(session))["CB1"], NAME, PHONE)
    user = bot.fake.user(USER_ID, first_name="Oanhfirst", last_name="Oanhlast", language_code="vi")
    await user.send_text("/start")
    await user.wait_for_message()
    await user.press("✅ Tôi đồng ý")
    await user.wait_for_message()
    await user.share_contact(PHONE)
    assert (await user.wait_for_message()).text.startswith("Xong!")
    await user.send_text(TYPED)
    await user.send_text("/me")
    await bot.settle()


PERSONAL = ("912345678", "912 345 678", NAME, "Oanhfirst", "Oanhlast", TYPED, str(USER_ID))


async def test_a_conversation_at_debug_logs_no_personal_data(
    bot: RunningBot, capture: Capture
) -> None:
    stream = capture("DEBUG")
    await talk(bot)
    text = stream.getvalue()
    assert "debug lines of chibo only" in text  # the capture works, and says what it leaves out
    assert [value for value in PERSONAL if value in text] == []


async def test_personal_data_in_the_log_only_when_the_setting_says_so(
    bot: RunningBot, capture: Capture
) -> None:
    stream = capture("DEBUG", personal_data=True)
    await talk(bot)
    text = stream.getvalue()
    assert "LOG_PERSONAL_DATA is on" in text
    assert NAME in text  # libraries' debug lines: what the setting warns about
    assert TOKEN not in text and TOKEN.partition(":")[2] not in text


async def run_cli(fake: FakeBotApi, tmp_path: Path, **env: str) -> str:
    """`chibo run` in its own process against the fake; everything it printed."""
    environment = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chibo.sqlite3'}",
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_API_FILE_URL": fake.base_file_url,
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from bot.cli.main import main; main()",
        "run",
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 1
    return output.decode()


@pytest.mark.processes  # one at a time: tests/conftest.py
@pytest.mark.parametrize(
    ("status", "description", "env"),
    [
        (401, "Unauthorized", {}),
        (404, "Not Found", {}),
        (401, "Unauthorized", {"LOG_LEVEL": "DEBUG", "LOG_PERSONAL_DATA": "true"}),
        (404, "Not Found", {"LOG_LEVEL": "DEBUG"}),
    ],
)
async def test_the_token_is_in_no_line_when_telegram_refuses_it(
    fake: FakeBotApi, tmp_path: Path, status: int, description: str, env: dict[str, str]
) -> None:
    for method in ("getMe", "deleteWebhook", "setMyCommands", "getUpdates"):
        fake.inject(method, ServerError(status, description), times=100)
    output = await run_cli(fake, tmp_path, **env)
    assert "Telegram không chấp nhận mã bot" in output  # said in the default language
    secret = TOKEN.partition(":")[2]
    leaks = [line for line in output.splitlines() if TOKEN in line or secret in line]
    assert leaks == []
    assert "Traceback" not in output  # an expected refusal, not a crash


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_token_is_redacted_in_every_form(capture: Capture) -> None:
    stream = capture("INFO", personal_data=True)  # exception texts are written then
    later = Keep()  # a handler added after ours sees the redacted record
    logging.getLogger().addHandler(later)
    encoded = TOKEN.replace(":", "%3A")
    try:
        try:
            raise OSError(f"GET http://x/bot{encoded}/getMe")
        except OSError as inner:
            raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe") from inner
    except RuntimeError:
        logging.getLogger("httpx.client").error("bot%s failed", TOKEN, exc_info=True)
    text = stream.getvalue()
    assert TOKEN not in text and encoded not in text and TOKEN.partition(":")[2] not in text
    assert text.count(REDACTED) == 3
    logging.getLogger().removeHandler(later)
    [record] = [r for r in later.records if r.name == "httpx.client"]
    assert TOKEN not in record.getMessage() and TOKEN not in (record.exc_text or "")


def test_a_traceback_leaves_exception_texts_out(capture: Capture) -> None:
    stream = capture("INFO")
    try:
        try:
            raise KeyError(NAME)
        except KeyError as inner:
            raise ValueError(f"phone {PHONE}") from inner
    except ValueError:
        logging.getLogger("sqlalchemy.engine").error("statement failed", exc_info=True)
    text = stream.getvalue()
    assert "KeyError (text left out" in text and "ValueError (text left out" in text
    assert "test_logs.py" in text  # where it happened is kept
    assert NAME not in text and PHONE not in text
