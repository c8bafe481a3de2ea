"""The durable inbox: a hard kill mid-update loses nothing and applies nothing twice;
webhook mode stores before answering and checks the secret token."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.webhook import SECRET_HEADER
from storage.models import InboxUpdate, TelegramAccount
from tests.factories import member, tree
from tests.fakebot import FakeBotApi, Hang
from tests.harness import TOKEN, RunningBot, bot_settings

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0


async def spawn_bot(fake: FakeBotApi, database_url: str, cwd: Path) -> asyncio.subprocess.Process:
    """`chibo run` as its own process, so the test can kill -9 it like a crash would."""
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_API_FILE_URL": fake.base_file_url,
        "POLL_TIMEOUT_SECONDS": "1",
        # The killed process's lanes pass on (PostgreSQL) after this, not the default 15 s;
        # one process runs at a time here, so no live holder loses its lanes.
        "LANE_LEASE_SECONDS": "3",
        "PYTHONPATH": str(ROOT),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from bot.cli.main import main; main()",
        "run",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.processes  # one at a time: tests/conftest.py
async def test_kill_after_commit_sends_the_replies_once_after_restart(
    fake: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    checker = RunningBot(fake, bot_settings(fake, database_url))
    async with checker.db() as session:
        await member(session, (await tree(session))["CB1"], "An", "0912345678")
    process = await spawn_bot(fake, database_url, tmp_path)
    user = fake.user(701, language_code="vi")
    try:
        await user.send_text("/start")
        await user.wait_for_message(timeout=START_TIMEOUT)
        # The consent is committed; its replies hang on Telegram; then the process dies.
        fake.inject("editMessageReplyMarkup", Hang())
        consent = await user.press("✅ Tôi đồng ý")
        await fake.wait_until(lambda: fake.count("editMessageReplyMarkup") >= 1, timeout=10)
        process.kill()
        await process.wait()
        async with checker.db(settle=False) as session:
            stored = await session.get(InboxUpdate, consent["update_id"])
            assert stored is not None and stored.processed_at is not None  # applied once
            assert stored.replies_left > 0  # with replies still to send
            account = await session.get(TelegramAccount, 701)
            assert account is not None and account.consent_at is not None
        assert not any(m.keyboard() for m in user.messages)  # the question has not left
        fake.clear_faults()
        fake.release_hangs()

        process = await spawn_bot(fake, database_url, tmp_path)
        ask = await user.wait_for_message(timeout=START_TIMEOUT)
        assert ask.keyboard() == ["📱 Chia sẻ số điện thoại của tôi"]
        assert len(await checker.audit("consent")) == 1

        # Telegram sending the same update again changes nothing and sends nothing.
        fake.redeliver(consent["update_id"])
        await checker.settle()
        await user.share_contact("0912345678")
        done = await user.wait_for_message(timeout=10)
        assert done.text.startswith("Xong!")
        asks = [m for m in user.messages if m.keyboard() == ask.keyboard()]
        assert len(asks) == 1  # asked once
        assert len(await checker.audit("consent")) == 1
        assert len(await checker.audit("bind")) == 1
        async with checker.db() as session:
            rows = list(await session.scalars(select(InboxUpdate)))
            assert all(row.processed_at is not None and not row.replies_left for row in rows)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=15)
    assert process.returncode == 0  # a SIGTERM is a clean stop


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def webhook_bot(fake: FakeBotApi, database_url: str):
    port = free_port()
    settings = bot_settings(
        fake,
        database_url,
        webhook_url="https://bot.example.org/telegram",
        webhook_secret_token="s3cret-token",
        webhook_port=port,
    )
    running = RunningBot(fake, settings)
    from bot.app import build_application

    running.chibo = build_application(settings)
    await running.chibo.start()
    running.task = asyncio.create_task(running.chibo.run_webhook())
    await fake.wait_until(lambda: fake.webhook is not None, timeout=10)
    yield running, f"http://127.0.0.1:{port}/telegram"
    await running.stop()


async def test_webhook_requires_the_secret_and_stores_before_answering(webhook_bot) -> None:
    running, url = webhook_bot
    fake: FakeBotApi = running.fake
    assert fake.webhook["secret_token"] == "s3cret-token"
    user = fake.user(702, language_code="vi")
    update = {
        "update_id": 9001,
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "text": "/start",
            "chat": {"id": 702, "type": "private", "first_name": "An"},
            "from": {"id": 702, "is_bot": False, "first_name": "An", "language_code": "vi"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}):
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 403
        async with running.db(settle=False) as session:
            assert await session.get(InboxUpdate, 9001) is None
        async with http.post(url, json=update, headers={SECRET_HEADER: "s3cret-token"}) as response:
            assert response.status == 200
        async with running.db(settle=False) as session:
            assert await session.get(InboxUpdate, 9001) is not None  # stored when 200 came
        greeting = await user.wait_for_message()
        assert "Chào mừng đồng chí đến với chibo" in greeting.text
        # The same update again: stored once, handled once.
        async with http.post(url, json=update, headers={SECRET_HEADER: "s3cret-token"}) as response:
            assert response.status == 200
    await running.settle()  # handled and replied to, had it been taken as new
    assert len(user.messages) == 1
