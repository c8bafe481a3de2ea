"""Two `chibo run` processes on one PostgreSQL database (issue 10, point 4): one polls and
sends, both handle updates; killing the leader with kill -9 in the middle of a burst hands
over within seconds, loses nothing, applies and sends nothing twice, keeps each chat's order,
and Telegram's limits hold across the instances."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select

from bot.leadership import LEADER_LOCK_KEY, asyncpg_dsn
from storage import outbox
from storage.models import DeliveryStatus, InboxUpdate, OutboxMessage
from storage.outbox import NewMessage, text_payload
from tests.factories import member, tree
from tests.fakebot import FakeBotApi, Hang
from tests.harness import TOKEN, RunningBot, bot_settings

ROOT = Path(__file__).resolve().parent.parent

MEMBERS = range(801, 806)  # five members, each sending three commands at once
COMMANDS = ("/help", "/me", "/menu")
REPLIES = {  # how each command's reply begins
    "/help": "Tôi hỗ trợ đảng viên",
    "/me": "<b>Thông tin tôi lưu về đồng chí</b>",
    "/menu": "Menu chính.",
}
READERS = range(900, 960)  # a broadcast of 60 messages, going out while it happens
OUTBOX_PER_SECOND = 20  # two senders would make 40 a second: Telegram's 30 would refuse


async def spawn(
    fake: FakeBotApi, database_url: str, cwd: Path, **settings: str
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_API_FILE_URL": fake.base_file_url,
        "POLL_TIMEOUT_SECONDS": "1",
        "LEADER_RETRY_SECONDS": "1",
        "OUTBOX_PER_SECOND": str(OUTBOX_PER_SECOND),
        "PYTHONPATH": str(ROOT),
        **settings,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from bot.cli.main import main; main()",
        "run",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def query_value(url: str, sql: str, *args: object) -> object:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


async def leader_name(url: str) -> object:
    """The application name of the connection holding the leader lock (chibo-leader-<pid>)."""
    return await query_value(
        url,
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()"
        " AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
        LEADER_LOCK_KEY,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    # Requests held when their process dies are dropped, as if lost on the way.
    server = FakeBotApi(drop_when_disconnected=True)
    await server.start()
    yield server
    await server.stop()


@contextlib.asynccontextmanager
async def instances() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """The processes the test starts, killed at the end whatever happens."""
    processes: list[asyncio.subprocess.Process] = []
    try:
        yield processes
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()


@pytest.mark.processes  # one at a time: tests/conftest.py
@pytest.mark.postgres
@pytest.mark.timeout(240)  # two processes start, and one takes over: slow on a busy machine
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_instances_one_killed_mid_burst(
    fake: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    url = database_url
    checker = RunningBot(fake, bot_settings(fake, url))
    async with checker.db(settle=False) as session:
        branch = (await tree(session))["CB1"]
        for number, user_id in enumerate(MEMBERS):
            await member(
                session, branch, f"Đảng viên {number}", f"091200{number:04d}", telegram_id=user_id
            )
    members = [fake.user(user_id) for user_id in MEMBERS]
    readers = [fake.user(user_id) for user_id in READERS]
    fake.enforce_limits(global_per_s=30, per_chat_per_s=100)  # replies are not paced yet

    async with instances() as processes:
        first = await spawn(fake, url, tmp_path)
        processes.append(first)
        first_name = f"chibo-leader-{first.pid}"

        async def first_leads() -> bool:
            return await leader_name(url) == first_name

        # A process starting (imports, migrations) takes long on a busy machine.
        await fake.wait_until(first_leads, timeout=60)
        second = await spawn(fake, url, tmp_path)
        processes.append(second)

        async def second_waits() -> bool:
            sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
            return await query_value(url, sql, f"chibo-leader-{second.pid}") == 1

        await fake.wait_until(second_waits, timeout=60)

        # The burst: a broadcast leaves the outbox while members send commands.
        async with checker.db(settle=False) as session:
            messages = [NewMessage(r, text_payload(f"Tin số {r}")) for r in READERS]
            await outbox.enqueue_broadcast(session, "test", messages)
        for command in COMMANDS:
            for user in members:
                await user.send_text(command)
        await fake.wait_until(lambda: sum(len(r.messages) for r in readers) >= 10, timeout=20)

        # Every send now hangs mid-request; the leader dies with its requests in flight.
        fake.inject("sendMessage", Hang(), times=100_000)
        before = fake.count("sendMessage")
        await fake.wait_until(lambda: fake.count("sendMessage") > before, timeout=20)

        async def known_outcomes_committed() -> bool:
            """Every broadcast message a reader got is recorded as sent (the recorder
            commits outcomes in batches): only the hanging sends are left unknown."""
            delivered = sum(len(r.messages) for r in readers)
            async with checker.db(settle=False) as session:
                sent = select(func.count()).where(OutboxMessage.status == DeliveryStatus.SENT)
                return await session.scalar(sent) == delivered

        await fake.wait_until(known_outcomes_committed, timeout=20)
        first.kill()
        await first.wait()
        fake.clear_faults()
        fake.release_hangs()

        second_name = f"chibo-leader-{second.pid}"

        async def second_leads() -> bool:
            return await leader_name(url) == second_name

        await fake.wait_until(second_leads, timeout=20)

        async def all_done() -> bool:
            async with checker.db(settle=False) as session:
                waiting = select(InboxUpdate).where(InboxUpdate.processed_at.is_(None))
                open_rows = select(OutboxMessage).where(OutboxMessage.status.in_(outbox.OPEN))
                return (
                    not fake.pending_updates
                    and await session.scalar(waiting.limit(1)) is None
                    and await session.scalar(open_rows.limit(1)) is None
                    and all(len(u.messages) >= len(COMMANDS) for u in members)
                )

        await fake.wait_until(all_done, timeout=60)
        # Kept on purpose: the instances are other processes, which tell the test nothing but
        # the database, and it shows them done; only watching a while shows no late duplicate.
        await asyncio.sleep(1.0)  # anything sent twice would arrive now

    for user in members:  # each command answered once, in the order sent
        replies = [m.text or "" for m in user.messages]
        assert len(replies) == len(COMMANDS), replies
        for command, reply in zip(COMMANDS, replies, strict=True):
            assert reply.startswith(REPLIES[command]), (command, reply)
    assert [len(r.messages) for r in readers] == [1] * len(READERS)  # none lost, none twice
    async with checker.db(settle=False) as session:
        failed = select(InboxUpdate).where(InboxUpdate.failed_at.is_not(None))
        assert await session.scalar(failed.limit(1)) is None
    assert fake.poll_conflicts == 0  # never two pollers at once
    assert fake.got_429 == 0  # one sender: the limits held across the instances


@pytest.mark.processes  # one at a time: tests/conftest.py
@pytest.mark.postgres
@pytest.mark.timeout(240)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_instances_together_keep_telegrams_limits(
    fake: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    """Both instances reply to members (each takes at most half the lanes) while the leader
    sends a broadcast: each paces itself to the rate, and together they still never pass it."""
    rate, members, readers = 10, range(1001, 1041), range(1101, 1121)
    checker = RunningBot(fake, bot_settings(fake, database_url))
    async with checker.db(settle=False) as session:
        branch = (await tree(session))["CB1"]
        for number, user_id in enumerate(members):
            phone = f"09130{number:05d}"
            await member(session, branch, f"Đảng viên {number}", phone, telegram_id=user_id)
    users = [fake.user(user_id) for user_id in members]
    reader_users = [fake.user(user_id) for user_id in readers]
    fake.enforce_limits(global_per_s=rate, per_chat_per_s=1)
    settings = {"OUTBOX_PER_SECOND": str(rate), "UPDATE_CONCURRENCY": str(len(members) // 2)}

    async with instances() as processes:
        for _ in range(2):
            processes.append(await spawn(fake, database_url, tmp_path, **settings))
        await fake.wait_until(lambda: fake.count("getUpdates") >= 2, timeout=60)
        async with checker.db(settle=False) as session:
            messages = [NewMessage(r, text_payload(f"Tin số {r}")) for r in readers]
            await outbox.enqueue_broadcast(session, "test", messages)
        for user in users:
            await user.send_text("/help")

        def everyone() -> bool:
            return all(u.messages for u in users) and all(r.messages for r in reader_users)

        await fake.wait_until(everyone, timeout=90)
        # Kept on purpose, as above: other processes, watched a while for a late duplicate.
        await asyncio.sleep(1.0)  # anything sent twice would arrive now

    assert [len(u.messages) for u in users] == [1] * len(users)
    assert all((u.messages[0].text or "").startswith(REPLIES["/help"]) for u in users)
    assert [len(r.messages) for r in reader_users] == [1] * len(readers)
    assert fake.got_429 == 0


async def test_the_fake_refuses_a_second_poller_like_telegram(fake: FakeBotApi) -> None:
    """Two getUpdates at once: the older one ends with Telegram's 409, and it is counted."""
    import aiohttp

    url = f"{fake.base_url}{TOKEN}/getUpdates"
    async with aiohttp.ClientSession() as http:
        older = asyncio.create_task(http.post(url, json={"timeout": 5}))
        await fake.wait_until(lambda: fake.count("getUpdates") == 1)
        async with http.post(url, json={"timeout": 0}) as newer:
            assert (await newer.json())["ok"] is True
        async with await older as response:
            body = await response.json()
    assert response.status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")
    assert fake.poll_conflicts == 1


def webhook_update(update_id: int, user_id: int, text: str) -> dict[str, object]:
    chat = {"id": user_id, "type": "private", "first_name": "An"}
    sender = {"id": user_id, "is_bot": False, "first_name": "An", "language_code": "vi"}
    message = {
        "message_id": update_id,
        "date": 1764580000,
        "text": text,
        "chat": chat,
        "from": sender,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
    }
    return {"update_id": update_id, "message": message}


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_webhook_every_instance_stores_and_any_handles(
    fake: FakeBotApi, database_url: str
) -> None:
    import aiohttp

    from bot.app import build_application
    from bot.webhook import SECRET_HEADER
    from tests.test_inbox_runtime import free_port

    checker = RunningBot(fake, bot_settings(fake, database_url))
    async with checker.db(settle=False) as session:
        branch = (await tree(session))["CB1"]
        await member(session, branch, "Lê An", "0912000001", telegram_id=801)
    an = fake.user(801)
    ports = [free_port(), free_port()]
    running = []
    for port in ports:
        settings = bot_settings(
            fake,
            database_url,
            webhook_url="https://bot.example.org/telegram",
            webhook_secret_token="s3cret-token",
            webhook_port=port,
            leader_retry_seconds=0.5,
        )
        chibo = build_application(settings)
        await chibo.start()
        running.append((chibo, asyncio.create_task(chibo.run_webhook())))
    try:
        await fake.wait_until(lambda: fake.webhook is not None, timeout=20)
        headers = {SECRET_HEADER: "s3cret-token"}
        async with aiohttp.ClientSession() as http:
            for number, command in enumerate(COMMANDS * 2):  # to each instance in turn
                url = f"http://127.0.0.1:{ports[number % 2]}/telegram"
                update = webhook_update(5000 + number, 801, command)
                for _attempt in range(100):  # the second one may still be starting
                    with contextlib.suppress(aiohttp.ClientConnectionError):
                        async with http.post(url, json=update, headers=headers) as response:
                            assert response.status == 200  # stored
                            break
                    await asyncio.sleep(0.1)
        await an.wait_for_messages(len(COMMANDS) * 2, timeout=30)
        # Every stored update handled and every reply recorded as sent (after Telegram took
        # it): an update answered twice would have been answered by now.
        await checker.settle(timeout=30)
        # Counted while both run: stopping the leader first hands leadership over, and the
        # next leader registers the webhook again, as it should.
        registered = fake.count("setWebhook")
    finally:
        for chibo, task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await chibo.stop()
    replies = [m.text or "" for m in an.messages]
    assert len(replies) == len(COMMANDS) * 2
    for command, reply in zip(COMMANDS * 2, replies, strict=True):
        assert reply.startswith(REPLIES[command]), (command, reply)
    assert registered == 1  # only the leader registers it
