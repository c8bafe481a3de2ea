"""A burst: every bound member acts at the same moment, with Telegram a round trip away.

The fake Bot API runs in its own process, adds a 150 ms +- 50 ms round trip to every call
and enforces Telegram's limits (30 messages a second overall, 1 a second per chat); it
refuses a button answer later than 15 s after the press. Half the members press the
"received" button of a notice (a write: the receipt, an audit row, the answer, the edited
button), half send /menu. chibo runs as `chibo run` processes (`--instances N` of them on
the same database); beside it, on a fresh fake, a plain python-telegram-bot bot with
`concurrent_updates=True` and `AIORateLimiter(max_retries=3)` makes the same calls.

    python -m bench.burst [--members N] [--database-url URL] [--instances N]

`--database-url` PostgreSQL: its public schema is DROPPED and recreated (use a scratch
database). Without it, a SQLite file in a temporary folder. Ends with one line:
burst: members=... press_p95_s=... expired=... reply_p50_s=... reply_p95_s=... lost=...
doubled=... got_429=... bare_reply_p95_s=... instances=...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text, update
from telegram import KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bench import burst_fake
from bench.burst_fake import NOTICE, Burst, Plan, Summary
from bench.remote_fake import RemoteFake
from storage.db import create_engine, session_factory, transaction
from storage.migrate import upgrade
from storage.models import Broadcast, DeliveryStatus, OutboxMessage
from storage.notices import add_notice, enqueue_notice
from storage.outbox import NewMessage
from tests.factories import member, tree
from tests.harness import TOKEN

ROOT = Path(__file__).resolve().parent.parent
FIRST_USER = 50_000
SETTLE_SECONDS = 150.0  # the most a run may take to reach every member
START_SECONDS = 60.0


async def seed(url: str, members: int) -> Plan:
    """Bound members of one branch and a notice; the first half press its button."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        branch = (await tree(session))["CB1"]
        people = [
            await member(session, branch, f"Đảng viên {i:04d}", f"091{i:07d}", telegram_id=uid)
            for i, uid in enumerate(range(FIRST_USER, FIRST_USER + members))
        ]
        notice = await add_notice(session, branch.id, None, "Sinh hoạt chi bộ")
        pressers = people[: members // 2]
        # The notice went out before the burst: its rows are sent, its broadcast finished.
        messages = [
            NewMessage(
                chat_id=int(m.telegram_user_id or 0), payload={"text": NOTICE}, member_id=m.id
            )
            for m in pressers
        ]
        now = datetime.now(UTC)
        await enqueue_notice(session, notice, messages, [m.id for m in pressers], now)
        await session.execute(update(OutboxMessage).values(status=DeliveryStatus.SENT, sent_at=now))
        await session.execute(update(Broadcast).values(finished_at=now, report_sent_at=now))
        plan = Plan(
            pressers=[(int(m.telegram_user_id or 0), notice.id) for m in pressers],
            commanders=[int(m.telegram_user_id or 0) for m in people[members // 2 :]],
        )
    await engine.dispose()
    return plan


async def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def spawn(fake: RemoteFake, url: str, cwd: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": url,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_API_FILE_URL": fake.base_file_url,
        "POLL_TIMEOUT_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
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
        stderr=asyncio.subprocess.DEVNULL,
    )


async def run_chibo(plan: Plan, url: str, instances: int, cwd: Path) -> Summary:
    async with RemoteFake(Burst(plan)) as fake:
        processes = [await spawn(fake, url, cwd) for _ in range(instances)]
        try:
            deadline = time.monotonic() + START_SECONDS
            while await burst_fake.polls(fake) < 2 * instances:  # every instance is polling
                if time.monotonic() > deadline:
                    raise TimeoutError("chibo did not start")
                await asyncio.sleep(0.2)
            await burst_fake.burst(fake)
            return await burst_fake.wait_done(fake, SETTLE_SECONDS)
        finally:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 20)


MENU = ReplyKeyboardMarkup([[KeyboardButton("📢 Thông báo"), KeyboardButton("❓ Trợ giúp")]])


async def on_press(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    await query.answer("Cảm ơn đồng chí, đã ghi nhận xác nhận.")
    label = time.strftime("✅ Đã nhận lúc %H:%M %d/%m/%Y")
    await query.edit_message_reply_markup(
        {"inline_keyboard": [[{"text": label, "callback_data": query.data or "x"}]]}
    )


async def on_menu(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None:
        await update.message.reply_text("Menu chính", reply_markup=MENU)


async def run_bare(plan: Plan) -> Summary:
    async with RemoteFake(Burst(plan)) as fake:
        application = (
            Application.builder()
            .token(TOKEN)
            .base_url(fake.base_url)
            .concurrent_updates(True)
            .rate_limiter(AIORateLimiter(max_retries=3))
            .build()
        )
        application.add_handler(CallbackQueryHandler(on_press))
        application.add_handler(CommandHandler("menu", on_menu))
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0.0, timeout=1)
            await burst_fake.burst(fake)
            summary = await burst_fake.wait_done(fake, SETTLE_SECONDS)
            await application.updater.stop()
            await application.stop()
        return summary


def describe(name: str, s: Summary) -> str:
    return (
        f"{name}: presses answered {s.answered} (p50 {s.press_p50:.2f} s, p95 "
        f"{s.press_p95:.2f} s), expired {s.expired}; replies {s.replied} (p50 "
        f"{s.reply_p50:.2f} s, p95 {s.reply_p95:.2f} s); lost {s.lost}, doubled {s.doubled}, "
        f"429 {s.got_429}; calls {s.extra.get('calls')}"
    )


async def main(members: int, url: str | None, instances: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        if url is None:
            url = f"sqlite+aiosqlite:///{cwd / 'burst.sqlite3'}"
        else:
            await reset_postgres(url)
        await asyncio.to_thread(upgrade, url)
        plan = await seed(url, members)
        chibo = await run_chibo(plan, url, instances, cwd)
    print(describe("chibo", chibo), flush=True)
    bare = await run_bare(plan)
    print(describe("bare PTB, concurrent_updates, AIORateLimiter", bare), flush=True)
    print(
        f"burst: members={members} press_p95_s={chibo.press_p95:.2f} expired={chibo.expired} "
        f"reply_p50_s={chibo.reply_p50:.2f} reply_p95_s={chibo.reply_p95:.2f} "
        f"lost={chibo.lost} doubled={chibo.doubled} got_429={chibo.got_429} "
        f"bare_reply_p95_s={bare.reply_p95:.2f} instances={instances}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--instances", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.members, args.database_url, args.instances))
