"""The delivery outbox against the fake Bot API: limits, RetryAfter, blocked members,
transient errors, the creator's report, and a hard kill of `chibo run` mid-broadcast."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import outbox
from storage.models import Broadcast, DeliveryStatus, OutboxMessage, TelegramAccount
from storage.outbox import NewMessage, text_payload
from tests.fakebot import FakeBotApi, RetryAfter, ServerError, Timeout
from tests.harness import FAST_SENDER, RunningBot, bot_settings
from tests.outbox_helpers import (
    SECRETARY_ID,
    Branch,
    notice_counts,
    outbox_rows,
    record_arrivals,
    seed_branch,
    send_notice,
)
from tests.test_inbox_runtime import START_TIMEOUT, spawn_bot


@pytest.fixture
def running(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def seed(running: RunningBot, count: int, **options: object) -> Branch:
    async with running.db(settle=False) as session:
        return await seed_branch(session, running.fake, count, **options)  # type: ignore[arg-type]


async def broadcast(running: RunningBot, branch: Branch) -> int:
    async with running.db(settle=False) as session:
        sent = await send_notice(session, branch)
    assert running.chibo is not None
    running.chibo.sender.wake()
    return sent.id


async def finished(running: RunningBot, broadcast_id: int, timeout: float = 30) -> Broadcast:  # noqa: ASYNC109
    """Waits until every row is final and the creator's report is delivered or final."""

    async def done() -> bool:
        async with running.db(settle=False) as session:
            found = await session.get(Broadcast, broadcast_id)
            if found is None or found.finished_at is None:
                return False
            open_rows = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.status.in_(outbox.OPEN)).limit(1)
            )
            return open_rows is None

    await running.fake.wait_until(done, timeout)
    async with running.db(settle=False) as session:
        found = await session.get(Broadcast, broadcast_id)
        assert found is not None
        return found


async def sender_has_caught_up(running: RunningBot, chat_id: int | None) -> None:
    """Waits until the (restarted) sender has sent a message queued now, and everything else
    queued: what it queued when it started (a second report, say) is then sent too. An event
    rather than a pause, so "nothing more was sent" holds however slow the machine is."""
    assert chat_id is not None and running.chibo is not None
    async with running.db(settle=False) as session:
        await outbox.enqueue(session, NewMessage(chat_id, text_payload("caught up?")))
    running.chibo.sender.wake()

    async def idle() -> bool:
        if not any(m.text == "caught up?" for m in running.fake.chat(chat_id).messages):
            return False
        async with running.db(settle=False) as session:
            open_rows = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.status.in_(outbox.OPEN)).limit(1)
            )
            return open_rows is None

    await running.fake.wait_until(idle, timeout=30)


def reports(fake: FakeBotApi) -> list[str]:
    return [m.text or "" for m in fake.chat(SECRETARY_ID).messages]


async def test_broadcast_within_limits_reaches_everyone_once(running: RunningBot) -> None:
    fake = running.fake
    fake.enforce_limits()
    branch = await seed(running, 40)
    broadcast_id = await broadcast(running, branch)
    done = await finished(running, broadcast_id)
    counts = notice_counts(fake, branch)
    assert sorted(counts.values()) == [1] * 40
    assert fake.got_429 == 0
    assert done.report_sent_at is not None
    [report] = reports(fake)
    assert "Báo cáo gửi tin" in report
    assert "Đã gửi tới 40/40 đồng chí." in report and "Chưa gửi tới được" not in report
    async with running.db() as session:
        rows = await outbox_rows(session, broadcast_id)
    assert {row.status for row in rows} == {DeliveryStatus.SENT}
    assert all(row.telegram_message_id and row.attempts == 1 for row in rows)
    # The report is sent once, also after a restart.
    await running.restart()
    await sender_has_caught_up(running, branch.members[0].telegram_user_id)
    assert len(reports(fake)) == 1


async def test_retry_after_pauses_everything_and_skips_nobody(running: RunningBot) -> None:
    fake = running.fake
    fake.enforce_limits()
    arrivals = record_arrivals(fake)
    branch = await seed(running, 30)
    throttled = branch.members[10].telegram_user_id
    fake.inject("sendMessage", RetryAfter(1), chat_id=throttled)
    broadcast_id = await broadcast(running, branch)
    await finished(running, broadcast_id)
    assert sorted(notice_counts(fake, branch).values()) == [1] * 30
    [refused_at] = fake.got_429_times
    # Requests already on their way may land; nothing is dispatched during the pause.
    during_pause = [t for t in arrivals if refused_at + 0.1 < t < refused_at + 0.9]
    assert during_pause == []
    async with running.db() as session:
        rows = {row.chat_id: row for row in await outbox_rows(session, broadcast_id)}
    assert rows[throttled].status == DeliveryStatus.SENT
    assert rows[throttled].attempts == 1  # the 429 does not count as an attempt


async def test_blocked_members_are_unreachable_and_named_in_the_report(
    running: RunningBot,
) -> None:
    fake = running.fake
    names = {3: "Lê Văn <Tám> & Co", 7: "Trần Thị Bảy"}
    branch = await seed(running, 12, secretary_language="en", names=names)
    blocked = [branch.members[3], branch.members[7]]
    for person in blocked:
        fake.user(person.telegram_user_id or 0).block()
    broadcast_id = await broadcast(running, branch)
    await finished(running, broadcast_id)
    assert sorted(notice_counts(fake, branch).values()) == [1] * 10
    [report] = reports(fake)
    assert "Reached 10 of 12 members." in report
    assert "• Lê Văn &lt;Tám&gt; &amp; Co — blocked the bot" in report
    assert "• Trần Thị Bảy — blocked the bot" in report
    assert "press Restart (unblock it)" in report
    async with running.db() as session:
        rows = {row.member_id: row for row in await outbox_rows(session, broadcast_id)}
        for person in blocked:
            assert rows[person.id].status == DeliveryStatus.UNREACHABLE
            assert rows[person.id].last_error == "Forbidden"
            account = await session.get(TelegramAccount, person.telegram_user_id)
            assert account is not None and account.blocked_at is not None
        names_found = [m.full_name for m in await outbox.unreachable_members(session, broadcast_id)]
    assert names_found == ["Lê Văn <Tám> & Co", "Trần Thị Bảy"]


async def test_server_errors_and_timeouts_are_retried_then_delivered(
    running: RunningBot,
) -> None:
    fake = running.fake
    branch = await seed(running, 6)
    flaky, slow, late = (branch.members[i].telegram_user_id for i in (1, 2, 3))
    fake.inject("sendMessage", ServerError(502), times=2, chat_id=flaky)
    fake.inject("sendMessage", Timeout(5.0), chat_id=slow)  # longer than our 2 s patience
    fake.inject("sendMessage", Timeout(0.1), chat_id=late)  # answers 504
    broadcast_id = await broadcast(running, branch)
    await finished(running, broadcast_id)
    assert sorted(notice_counts(fake, branch).values()) == [1] * 6
    async with running.db() as session:
        rows = {row.chat_id: row for row in await outbox_rows(session, broadcast_id)}
    assert {row.status for row in rows.values()} == {DeliveryStatus.SENT}
    assert (rows[flaky].attempts, rows[slow].attempts, rows[late].attempts) == (3, 2, 2)
    assert rows[flaky].last_error is None  # cleared by the delivery


async def test_max_attempts_then_failed_and_counted_in_the_report(
    fake: FakeBotApi, database_url: str
) -> None:
    running = RunningBot(
        fake, bot_settings(fake, database_url, **FAST_SENDER, outbox_max_attempts=3)
    )
    await running.start()
    try:
        branch = await seed(running, 4)
        down = branch.members[0].telegram_user_id
        fake.inject("sendMessage", ServerError(502), times=100, chat_id=down)
        unknown = branch.members[1]
        fake.store.chats.pop(unknown.telegram_user_id)  # Telegram: "chat not found"
        broadcast_id = await broadcast(running, branch)
        await finished(running, broadcast_id)
        async with running.db() as session:
            rows = {row.member_id: row for row in await outbox_rows(session, broadcast_id)}
            counts = await outbox.broadcast_counts(session, broadcast_id)
    finally:
        await running.stop()
    gone = rows[branch.members[0].id]
    assert (gone.status, gone.attempts, gone.last_error) == ("failed", 3, "NetworkError")
    missing = rows[unknown.id]
    assert (missing.status, missing.attempts, missing.last_error) == ("failed", 1, "BadRequest")
    assert (counts[DeliveryStatus.SENT], counts[DeliveryStatus.FAILED]) == (2, 2)
    [report] = reports(fake)
    assert "Đã gửi tới 2/4 đồng chí." in report
    names = [m.full_name for m in branch.members[:2]]
    assert f"• {names[0]} — Telegram không nhận tin" in report
    assert f"• {names[1]} — chưa từng mở bot" in report
    assert "Việc cần làm: báo trực tiếp" in report


@pytest.mark.processes  # one at a time: tests/conftest.py
@pytest.mark.timeout(240)  # two processes in turn, and a wait of START_TIMEOUT + 30
async def test_hard_kill_mid_broadcast_resumes_with_at_most_the_window_twice(
    fake: FakeBotApi, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = 10
    monkeypatch.setenv("OUTBOX_WINDOW", str(window))
    monkeypatch.setenv("OUTBOX_POLL_SECONDS", "0.2")
    fake.enforce_limits()
    checker = RunningBot(fake, bot_settings(fake, database_url))
    process = await spawn_bot(fake, database_url, tmp_path)
    try:
        async with checker.db(settle=False) as session:
            branch = await seed_branch(session, fake, 60)
        async with checker.db(settle=False) as session:
            broadcast_id = (await send_notice(session, branch)).id
        await fake.wait_until(lambda: sum(notice_counts(fake, branch).values()) >= 20, 30)
        process.kill()
        await process.wait()
        assert sum(notice_counts(fake, branch).values()) < 60  # killed mid-broadcast
        process = await spawn_bot(fake, database_url, tmp_path)
        await finished(checker, broadcast_id, timeout=START_TIMEOUT + 30)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=15)
    counts = notice_counts(fake, branch)
    assert set(counts) == {m.telegram_user_id for m in branch.members}  # nobody lost
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= window
    assert len(reports(fake)) == 1
