"""Update throughput: the full chibo stack beside a bare python-telegram-bot echo bot.

Both run against the same fake Bot API server on 127.0.0.1, in this process. The stack
makes its Bot API calls over aiohttp (bot/delivery/http.py), the bare bot over PTB's
default httpx; an extra line measures the bare bot on aiohttp too. The stack's
interaction is a secretary's button press that makes an invite link: durable inbox ->
actor and role lookup -> access check -> two rows written -> answer + reply, one
transaction per update. The bare bot answers each text message with one sendMessage.

    python -m bench.updates [--updates N] [--users M] [--rounds R] [--database-url URL]

Ends with: updates: stack_per_s=... bare_per_s=... ratio=...
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.delivery.http import AiohttpRequest
from storage.db import create_engine, session_factory, transaction
from storage.migrate import upgrade
from storage.models import Role
from tests.factories import member, tree
from tests.fakebot import FakeBotApi
from tests.harness import TOKEN, RunningBot, bot_settings


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message and update.message.text:
        await update.message.reply_text(update.message.text)


async def answer_and_reply(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query and query.message:
        await query.answer()
        await query.get_bot().send_message(query.message.chat.id, "ok")


@dataclass
class Rate:
    """Updates per second of wall-clock time, and per second of this process's CPU time
    (all threads): on a shared machine the second is the steadier figure."""

    wall: float
    cpu: float


class Stopwatch:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rate(self, updates: int) -> Rate:
        wall, cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        return Rate(updates / wall, updates / cpu)


async def measure_bare(updates: int, users: int, buttons: bool, aiohttp: bool = False) -> Rate:
    """Plain PTB: echo each text (`buttons` False) or answer + reply to each button press;
    on PTB's default httpx transport, or (`aiohttp`) on the one the stack uses."""
    async with FakeBotApi() as fake:
        builder = Application.builder().token(TOKEN).base_url(fake.base_url)
        if aiohttp:
            builder = builder.request(AiohttpRequest(8)).get_updates_request(AiohttpRequest(1))
        app = builder.base_file_url(fake.base_file_url).build()
        app.add_handler(MessageHandler(filters.TEXT, echo))
        app.add_handler(CallbackQueryHandler(answer_and_reply))
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=2)
        chats = [fake.user(10_000 + i) for i in range(users)]
        if buttons:
            for chat in chats:
                await app.bot.send_message(chat.chat_id, "menu")
        before = fake.count("sendMessage")
        watch = Stopwatch()
        for i in range(updates):
            chat = chats[i % users]
            await (chat.press_data("x") if buttons else chat.send_text(f"hello {i}"))
        await fake.wait_until(lambda: fake.count("sendMessage") - before >= updates, timeout=600)
        rate = watch.rate(updates)
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    return rate


async def seed(url: str, users: int) -> list[tuple[int, int]]:
    """Each of `users` secretaries (one branch each) with one member not yet linked."""
    engine = create_engine(url)
    pairs = []
    async with transaction(session_factory(engine)) as session:
        units = await tree(session)
        for i in range(users):
            from storage.units import add_unit

            branch = await add_unit(session, f"B{i}", f"Chi bộ {i}", "HU", True)
            await member(
                session,
                branch,
                f"Bí thư {i}",
                f"0912{i:06d}",
                telegram_id=20_000 + i,
                role=Role.SECRETARY,
            )
            target = await member(session, branch, f"Đảng viên {i}", f"0913{i:06d}")
            pairs.append((20_000 + i, target.id))
        assert units
    await engine.dispose()
    return pairs


async def measure_stack(updates: int, users: int, folder: Path, url: str | None = None) -> Rate:
    """The full stack; on a fresh SQLite file unless `url` names an empty database."""
    url = url or f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, url).result()
    pairs = await seed(url, users)
    async with FakeBotApi() as fake:
        running = RunningBot(fake, bot_settings(fake, url))
        await running.start()
        chats = [fake.user(user_id, language_code="vi") for user_id, _ in pairs]
        for chat in chats:  # each secretary has a message to press a button on
            await chat.send_text("/menu")
        await fake.wait_until(lambda: all(c.messages for c in chats), timeout=60)
        sent_before = fake.count("sendMessage")
        watch = Stopwatch()
        for i in range(updates):
            _user_id, target = pairs[i % users]
            await chats[i % users].press_data(f"inv:{target}")
        await fake.wait_until(
            lambda: fake.count("sendMessage") - sent_before >= updates, timeout=600
        )
        rate = watch.rate(updates)
        await running.stop()
    return rate


def median_rate(rates: list[Rate]) -> Rate:
    return Rate(statistics.median(r.wall for r in rates), statistics.median(r.cpu for r in rates))


async def measure_round(updates: int, users: int, url: str | None) -> list[Rate]:
    """Stack, bare echo, bare with the stack's calls, bare echo on aiohttp: one of each."""
    with tempfile.TemporaryDirectory() as folder:
        stack = await measure_stack(updates, users, Path(folder), url)
    return [
        stack,
        await measure_bare(updates, users, buttons=False),
        await measure_bare(updates, users, buttons=True),
        await measure_bare(updates, users, buttons=False, aiohttp=True),
    ]


async def main(updates: int, users: int, url: str | None, rounds: int) -> None:
    # Rounds alternate the four, so a burst of load from elsewhere hits all of them alike.
    measured = [await measure_round(updates, users, url) for _ in range(rounds)]
    stack, bare, bare_buttons, bare_aiohttp = (
        median_rate([one[i] for one in measured]) for i in range(4)
    )
    if rounds > 1:
        ratios = ", ".join(f"{one[0].wall / one[1].wall:.2f}" for one in measured)
        print(f"rounds: {rounds}, medians below; stack/bare per round: {ratios}")
    database = "PostgreSQL" if url and url.startswith("postgresql") else "SQLite"
    print(
        f"stack: {updates} button presses on {database} (inbox, access check, 2 rows written, "
        "2 Bot API calls)"
    )
    print(f"bare:  {updates} text messages echoed by python-telegram-bot (1 Bot API call)")
    same = bare_buttons.wall
    print(
        f"same-calls baseline: bare PTB answering {updates} button presses with the stack's "
        f"2 Bot API calls: {same:.1f}/s, stack/that={stack.wall / same:.2f}"
    )
    print(
        f"same-transport baseline: bare PTB echo on aiohttp (the stack's transport): "
        f"{bare_aiohttp.wall:.1f}/s, stack/that={stack.wall / bare_aiohttp.wall:.2f}"
    )
    print(
        f"per CPU second: stack={stack.cpu:.1f} bare={bare.cpu:.1f} "
        f"same-calls={bare_buttons.cpu:.1f} same-transport={bare_aiohttp.cpu:.1f} "
        f"ratio={stack.cpu / bare.cpu:.2f}"
    )
    print(
        f"updates: stack_per_s={stack.wall:.1f} bare_per_s={bare.wall:.1f} "
        f"ratio={stack.wall / bare.wall:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--database-url", help="an EMPTY database to use instead of SQLite")
    parser.add_argument(
        "--rounds", type=int, default=3, help="repeat and print medians (SQLite only)"
    )
    args = parser.parse_args()
    if args.database_url and args.rounds > 1:
        parser.error("--rounds > 1 needs a fresh database per round: SQLite only")
    asyncio.run(main(args.updates, args.users, args.database_url, args.rounds))
