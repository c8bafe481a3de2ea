"""Scale: an organisation of realistic shape (committees of 10 branches of 30 members, with a
year of activity: bench/scale_seed.py) at 3,000, 30,000 and 300,000 members, timed through
the project's own functions, median of `--repeat` runs:

- scorecard_root_s / scorecard_branch_s: `storage.scorecard.scorecards` of the whole
  organisation and of one 30-member branch;
- not_acked_root_s: `storage.notices.notice_status` of a notice to everyone (the counts and
  the first page of names the secretary sees);
- queue_all_s: a new notice to everyone queued (broadcast rows and receipts), as the stored
  job `bulk_send` does it; remind_all_s: a survey's reminder to everyone who has not answered
  (half the organisation), the same way;
- export_roster_s: the roster of the whole organisation to XLSX through the export machinery.

SQLite runs up to 30,000 members, PostgreSQL (when `--database-url` names one; its public
schema is dropped and recreated!) every size. Each size is seeded in one child process and
measured in another, so `peak_mb` (ru_maxrss) is the measuring process's own. While the
notice is queued, a member's update (acknowledging a notice: one small write transaction)
runs every 20 ms; the longest it waited is printed on a `scale-note:` line, and so is
not_acked_new_s: the status of the notice just queued (before any of it is sent, with the
statistics the queueing left), and survey_status_root_s: the status of the survey to everyone
(half answered), its counts and first page of who has not answered.

    python -m bench.scale [--sizes 3000,30000,300000] [--database-url URL] [--repeat 3]
                          [--skip-sqlite] [--reuse]

`--reuse` (PostgreSQL, one size) measures the organisation a previous run seeded in that
database (its ids are kept in a table `bench_scale_seed`) instead of seeding it again.

Prints, per backend and size:
    scale: members=... scorecard_root_s=... scorecard_branch_s=... not_acked_root_s=...
    queue_all_s=... remind_all_s=... export_roster_s=... peak_mb=...
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

SQLITE_MAX = 30_000
UPDATE_EVERY_SECONDS = 0.02


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- seeding (child process) --------------------------------------------------------------


def seed(url: str, members: int) -> dict[str, int]:
    return asyncio.run(_seed(url, members))


async def _seed(url: str, members: int) -> dict[str, int]:
    from sqlalchemy import text

    from bench.scale_seed import seed_org
    from storage.db import create_engine, refresh_statistics, session_factory, transaction
    from storage.migrate import upgrade

    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await asyncio.to_thread(upgrade, url)
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        seeded = await seed_org(session, members)
    async with transaction(sessions) as session:  # what the bot does at start (SQLite)
        await refresh_statistics(session)
    if engine.dialect.name == "postgresql":  # autovacuum would, a little later
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE"))
    assert seeded.survey_id is not None and seeded.notice_id is not None
    ids = {
        "root": seeded.root.id,
        "branch": seeded.branches[len(seeded.branches) // 2],
        "survey": seeded.survey_id,
        "notice": seeded.notice_id,
        "members": seeded.members,
    }
    async with engine.connect() as connection:  # what --reuse removes again: later than this
        ids["outbox_seeded"] = int(
            await connection.scalar(text("SELECT coalesce(max(id), 0) FROM outbox_messages")) or 0
        )
    async with engine.begin() as connection:  # for --reuse
        await connection.execute(text("DROP TABLE IF EXISTS bench_scale_seed"))
        await connection.execute(text("CREATE TABLE bench_scale_seed (name TEXT, value INTEGER)"))
        await connection.execute(
            text("INSERT INTO bench_scale_seed VALUES (:name, :value)"),
            [{"name": name, "value": value} for name, value in ids.items()],
        )
    await engine.dispose()
    return ids


def seeded_ids(url: str) -> dict[str, int]:
    return asyncio.run(_seeded_ids(url))


async def _seeded_ids(url: str) -> dict[str, int]:
    from sqlalchemy import text

    from storage.db import create_engine

    engine = create_engine(url)
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT name, value FROM bench_scale_seed"))).all()
    ids = {name: value for name, value in rows}
    async with engine.begin() as connection:
        # Every run queues a notice to everyone and reminds everyone (at 300k, 300,000 receipts
        # and 600,000 outbox rows): removed again, or each run measures a bigger database
        # (40 runs: 12 million receipts, the notice status 0.6 s instead of 0.45).
        await connection.execute(
            text("DELETE FROM notices WHERE id > :seeded"), {"seeded": ids["notice"]}
        )  # their receipts go with them (ON DELETE CASCADE)
        if "outbox_seeded" in ids:  # organisations seeded before it was noted keep theirs
            await connection.execute(
                text("DELETE FROM outbox_messages WHERE id > :seeded"),
                {"seeded": ids["outbox_seeded"]},
            )
    async with engine.connect() as connection:
        # Fresh statistics, as autovacuum would gather in production (this machine's
        # PostgreSQL runs without): stale, the notice status took 1.9 s instead of 0.44 s.
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))
    await engine.dispose()
    return ids


# --- measuring (another child process) ----------------------------------------------------


def measure(url: str, ids: dict[str, int], repeat: int) -> dict[str, float]:
    return asyncio.run(_measure(url, ids, repeat))


async def _measure(url: str, ids: dict[str, int], repeat: int) -> dict[str, float]:
    from bench.scale_seed import YEAR
    from bot.settings import Settings
    from handlers.notices.messages import NOTICE
    from handlers.surveys.messages import SURVEY_REMINDER
    from storage.db import create_engine, session_factory, transaction
    from storage.models import Unit
    from storage.notices import STATUS_NAMES, add_notice, notice_status
    from storage.scorecard import scorecards
    from storage.surveys import audience_counts, first_non_respondents, get_survey

    settings = Settings(_env_file=None, database_url=url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    tz = settings.tz

    async def scorecard(unit_id: int) -> None:
        async with transaction(sessions) as session:
            unit = await session.get(Unit, unit_id)
            assert unit is not None
            await scorecards(session, unit, YEAR, tz)

    async def not_acked(notice_id: int) -> None:
        async with transaction(sessions) as session:
            await notice_status(session, notice_id)

    async def survey_status() -> None:  # as handlers/surveys/actions.py survey_status
        async with transaction(sessions) as session:
            survey = await get_survey(session, ids["survey"])
            assert survey is not None
            if (await audience_counts(session, survey)).waiting:
                await first_non_respondents(session, survey, STATUS_NAMES)

    queued: list[int] = []

    async def queue_all() -> None:
        async with transaction(sessions) as session:
            notice = await add_notice(session, ids["root"], None, "Thông báo toàn Đảng bộ")
            notice_id = notice.id
        queued.append(notice_id)
        async with transaction(sessions) as session:  # the job's own transaction
            await NOTICE.queue(session, notice_id, settings, _now(), None)

    async def remind_all() -> None:
        async with transaction(sessions) as session:
            await SURVEY_REMINDER.queue(session, ids["survey"], settings, _now(), None)

    results = {
        "scorecard_root_s": await _median(repeat, lambda: scorecard(ids["root"])),
        "scorecard_branch_s": await _median(repeat, lambda: scorecard(ids["branch"])),
        "not_acked_root_s": await _median(repeat, lambda: not_acked(ids["notice"])),
    }
    waits: list[float] = []
    results["queue_all_s"] = await _median(repeat, lambda: _beside(queue_all, sessions, waits))
    results["member_update_max_s"] = max(waits, default=0.0)
    # The secretary looks at once: nothing sent yet, the statistics as the queueing left them.
    results["not_acked_new_s"] = await _median(repeat, lambda: not_acked(queued[-1]))
    results["survey_status_root_s"] = await _median(repeat, survey_status)
    results["remind_all_s"] = await _median(repeat, remind_all)
    results["export_roster_s"] = await _median(repeat, lambda: _export(sessions, ids["root"]))
    await engine.dispose()
    results["peak_mb"] = peak_mb()
    return results


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def _median(repeat: int, run: Callable[[], Awaitable[None]]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def _beside(run: Callable[[], Awaitable[None]], sessions: Any, waits: list[float]) -> None:
    """Runs `run` while a member's small update (one write transaction) is due every 20 ms
    beside it; records how late each one finished (0 when nothing held it up). On SQLite a
    statement runs on the event loop's thread, so lateness includes the time the loop was
    busy, not only the wait for the write lock."""
    from sqlalchemy import update

    from storage.db import transaction
    from storage.models import NoticeReceipt

    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def member_updates() -> None:
        due = loop.time()
        while not done.is_set():
            async with transaction(sessions) as session:
                await session.execute(
                    update(NoticeReceipt).where(NoticeReceipt.id == 1).values(acknowledged_at=None)
                )
            waits.append(max(0.0, loop.time() - due))
            due = loop.time() + UPDATE_EVERY_SECONDS
            await asyncio.sleep(UPDATE_EVERY_SECONDS)

    beside = asyncio.create_task(member_updates())
    await asyncio.sleep(0)  # the member's first update is due as the queueing starts
    try:
        await run()
    finally:
        done.set()
        await beside


async def _export(sessions: Any, root_id: int) -> None:
    from bot.exports.run import produce
    from bot.i18n import translator
    from storage.exports.registry import dataset_spec
    from storage.exports.writers import ExportFormat

    spec = dataset_spec("roster")
    assert spec is not None
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "roster.xlsx"
        produced = await produce(
            sessions, spec, root_id, ExportFormat.XLSX, translator("vi"), target
        )
        assert produced is not None


# --- the run ------------------------------------------------------------------------------


def run_size(url: str, members: int, repeat: int, reuse: bool = False) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        seeding = pool.submit(seeded_ids, url) if reuse else pool.submit(seed, url, members)
        ids = seeding.result()
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return {"members": ids["members"], **pool.submit(measure, url, ids, repeat).result()}


FIELDS = (
    "scorecard_root_s",
    "scorecard_branch_s",
    "not_acked_root_s",
    "queue_all_s",
    "remind_all_s",
    "export_roster_s",
)


def report(backend: str, result: dict[str, float]) -> None:
    figures = " ".join(f"{name}={result[name]:.3f}" for name in FIELDS)
    print(f"scale: members={int(result['members'])} {figures} peak_mb={result['peak_mb']:.0f}")
    print(
        f"scale-note: backend={backend} members={int(result['members'])} "
        f"member_update_late_max_s={result['member_update_max_s']:.3f} "
        "(a member's update, due every 20 ms while a notice is queued to everyone)",
    )
    print(
        f"scale-note: backend={backend} members={int(result['members'])} "
        f"not_acked_new_s={result['not_acked_new_s']:.3f} "
        "(the status of the notice just queued to everyone, before any of it is sent)",
    )
    print(
        f"scale-note: backend={backend} members={int(result['members'])} "
        f"survey_status_root_s={result['survey_status_root_s']:.3f} "
        "(a survey to everyone, half answered: its counts and first page of who is waiting)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="3000,30000,300000")
    parser.add_argument("--database-url", help="PostgreSQL (its public schema is recreated)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the organisation already seeded (PostgreSQL)"
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            for n, size in enumerate(s for s in sizes if s <= SQLITE_MAX):
                url = f"sqlite+aiosqlite:///{folder}/scale{n}.sqlite3"
                report("sqlite", run_size(url, size, args.repeat))
    if args.database_url:
        for size in sizes:
            report("postgresql", run_size(args.database_url, size, args.repeat, args.reuse))


if __name__ == "__main__":
    main()
