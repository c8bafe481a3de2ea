"""Broadcast delivery: a notice to every member of a branch through the outbox, against the
fake Bot API server enforcing Telegram's limits (30/s overall, 1/s per chat, 20/min per group).

1. Free mode: the achieved rate as a fraction of 30/s, the 429 answers received after the
   first second, duplicates and losses.
   Again, with Telegram 80 ms away (+-60 ms of jitter): latency must not cost rate or 429s.
2. Paid mode (allow_paid_broadcast, limit 1000/s): the achieved rate of the sender, beside a
   naive loop over `bot.send_message` with python-telegram-bot's AIORateLimiter (same fake
   settings, same run).

The fake server runs in a process of its own, as Telegram would (bench/remote_fake.py); the
bot and its SQLite file run in this one.

    python -m bench.broadcast [--members N] [--paid-members M] [--far-members K]

Ends with one line (got_429, duplicates and lost add up all three sender runs):
    broadcast: fraction=... got_429=... duplicates=... lost=... paid_per_s=... naive_per_s=...
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot

from bench.remote_fake import NoticeTally, RemoteFake, stats, wait_everyone
from storage.db import create_engine, session_factory, transaction
from storage.migrate import upgrade
from tests.fakebot import FakeBotApi
from tests.harness import TOKEN, RunningBot, bot_settings
from tests.outbox_helpers import NOTICE, SECRETARY_ID, Branch, seed_branch, send_notice

FREE_LIMIT = 30
PAID_LIMIT = 1000
FAR = (0.08, 0.06)  # a round trip to Telegram and its jitter, seconds: a far data centre
LIMITS = {"global_per_s": FREE_LIMIT, "paid_global_per_s": PAID_LIMIT}


@dataclass
class Run:
    per_s: float
    got_429_late: int
    duplicates: int
    lost: int


async def prepared(folder: Path, name: str, members: int) -> tuple[str, Branch]:
    """A migrated SQLite file with a branch of `members` bound members."""
    url = f"sqlite+aiosqlite:///{folder / name}"
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, url).result()
    engine = create_engine(url)
    async with transaction(session_factory(engine)) as session:
        branch = await seed_branch(session, FakeBotApi(), members)  # never started: ids only
    await engine.dispose()
    return url, branch


async def measure_sender(
    folder: Path, members: int, paid: bool, latency: tuple[float, float] | None = None
) -> Run:
    """The outbox sender: enqueue one broadcast, time it until every member has it."""
    url, branch = await prepared(folder, f"paid{paid}{bool(latency)}.sqlite3", members)
    chat_ids = [m.telegram_user_id or 0 for m in branch.members]
    async with RemoteFake(NoticeTally(chat_ids, [SECRETARY_ID], latency, **LIMITS)) as fake:
        running = RunningBot(fake, bot_settings(fake, url, outbox_paid_broadcast=paid))  # type: ignore[arg-type]
        await running.start()
        started = time.monotonic()
        engine = create_engine(url)
        async with transaction(session_factory(engine)) as session:
            await send_notice(session, branch)
        await engine.dispose()
        assert running.chibo is not None
        running.chibo.sender.wake()
        tally = await wait_everyone(fake, timeout=members / 10 + 120)
        assert tally.completed_at is not None
        await asyncio.sleep(1.0)  # anything sent twice would arrive now
        tally = await stats(fake)
        await running.stop()
    assert tally.completed_at is not None
    elapsed = tally.completed_at - started
    first = tally.first_at or started
    late = [t for t in tally.got_429_times if t > first + 1.0]
    return Run(members / elapsed, len(late), tally.duplicates, tally.lost)


async def measure_naive(members: int) -> float:
    """`for chat in chats: await bot.send_message(...)` with PTB's AIORateLimiter."""
    chats = [90_000 + i for i in range(members)]
    async with RemoteFake(NoticeTally(chats, **LIMITS)) as fake:
        limiter: AIORateLimiter = AIORateLimiter(overall_max_rate=PAID_LIMIT, max_retries=3)
        bot: Bot = ExtBot(
            TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url, rate_limiter=limiter
        )
        async with bot:
            started = time.perf_counter()
            for chat_id in chats:
                await bot.send_message(chat_id, NOTICE, allow_paid_broadcast=True)
            elapsed = time.perf_counter() - started
    return members / elapsed


async def main(members: int, paid_members: int, far_members: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        free = await measure_sender(Path(folder), members, paid=False)
        far = await measure_sender(Path(folder), far_members, paid=False, latency=FAR)
        paid = await measure_sender(Path(folder), paid_members, paid=True)
    naive = await measure_naive(paid_members)
    fraction = free.per_s / FREE_LIMIT
    print(
        f"free mode: {members} members at {free.per_s:.2f}/s = {fraction:.3f} of {FREE_LIMIT}/s, "
        f"429 after the first second: {free.got_429_late}, "
        f"duplicates {free.duplicates}, lost {free.lost}"
    )
    print(
        f"free mode, Telegram {FAR[0] * 1000:.0f} ms away (round trip, +-{FAR[1] * 1000:.0f} ms): "
        f"{far_members} members at {far.per_s / FREE_LIMIT:.3f} of {FREE_LIMIT}/s, "
        f"429 after the first second: {far.got_429_late}, "
        f"duplicates {far.duplicates}, lost {far.lost}"
    )
    print(
        f"paid mode: {paid_members} members at {paid.per_s:.0f}/s (limit {PAID_LIMIT}/s), "
        f"duplicates {paid.duplicates}, lost {paid.lost}; naive send_message loop with "
        f"AIORateLimiter: {naive:.0f}/s"
    )
    runs = (free, far, paid)
    print(
        f"broadcast: fraction={fraction:.3f} got_429={sum(r.got_429_late for r in runs)} "
        f"duplicates={sum(r.duplicates for r in runs)} lost={sum(r.lost for r in runs)} "
        f"paid_per_s={paid.per_s:.0f} naive_per_s={naive:.0f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--members", type=int, default=3000, help="free mode (100 s at 30/s)")
    parser.add_argument("--paid-members", type=int, default=3000)
    parser.add_argument(
        "--far-members", type=int, default=900, help="free mode with latency (30 s at 30/s)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.members, args.paid_members, args.far_members))
