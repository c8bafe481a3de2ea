"""The README's quick start, followed line by line: the organisation and the sample roster
loaded with the command line, then the chat lines typed into the fake server, end with the
member bound and the menu shown."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from tests.conftest import in_thread
from tests.fakebot import FakeBotApi
from tests.fakebot.__main__ import act
from tests.harness import RunningBot, bot_settings

ROOT = Path(__file__).resolve().parent.parent


def _block_after(marker: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index(marker) :]
    block = re.search(r"```\w*\n(.*?)```", after, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_loads_the_organisation_before_start() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.index("roster import docs/sample-roster.csv") < readme.index("111 /start")


async def test_quick_start_ends_with_a_bound_member_and_the_menu(
    fake: FakeBotApi, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # the README's commands run from the project folder
    outputs = []
    for line in _block_after("<!-- quick-start:"):
        if not line.startswith(".venv/bin/chibo "):
            continue  # make install: the test runs in the installed environment
        args = shlex.split(line)[1:]
        env = {"DATABASE_URL": sqlite_url, "BOT_TOKEN": ""}
        result = in_thread(CliRunner().invoke, main, args, None, env)  # the CLI runs its own loop
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert "Nguyễn Văn An, Bí thư" in outputs[-1]  # the roster's Chức vụ granted the role

    bot = RunningBot(fake, bot_settings(fake, sqlite_url))
    await bot.start()
    try:
        chat = _block_after("<!-- quick-start-chat -->")
        user = fake.user(int(chat[0].split()[0]), language_code="vi")
        for line in chat:
            await act(fake, line)
            await user.wait_for_message()
        done = user.last_message
        assert done is not None
        assert "Đồng chí đã được liên kết là <b>Nguyễn Văn An</b>" in (done.text or "")
        assert "👥 Đảng viên chi bộ" in done.keyboard()  # the secretary's menu
    finally:
        await bot.stop()
