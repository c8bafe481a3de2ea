"""Export: 100,000 survey-answer-shaped rows to XLSX through the export machinery (Dataset
streamed from the database, cell maker with formula escaping, XlsxWriter in constant_memory
mode, the audit row), beside the same rows read with sqlite3 and written directly with
XlsxWriter, in the same run.

The survey-answers table is not on this branch yet: the rows live in a benchmark-only table
(`bench_answers`, in the bench's own SQLite file, beside the migrated schema and a unit
tree), read by a dataset built exactly as the real ones are. The lead switches the bench to
the real survey-answers dataset when the surveys branch is merged.

Each measurement runs in a fresh child process; peak memory is that process's
`ru_maxrss` (resource.getrusage: the interpreter, the imports and the export together),
not tracemalloc, which would slow the export it measures.

    python -m bench.export [--rows N] [--repeat R (default 3)]

Ends with one line:
    export: rows=... seconds=... direct_seconds=... ratio=... peak_mb=...
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sqlite3
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import xlsxwriter
from sqlalchemy import Column as SAColumn
from sqlalchemy import DateTime, Integer, MetaData, String, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.exports.dataset import (
    Column,
    Dataset,
    DatasetSpec,
    ExportScope,
    Kind,
    in_scope,
    stream_batches,
)
from storage.exports.writers import DATETIME_FORMAT, ExportFormat
from storage.models import Unit

BRANCHES = 20
QUESTIONS = 20
TZ_OFFSET = timedelta(hours=7)  # Asia/Ho_Chi_Minh, as the export writes local times

bench_metadata = MetaData()
answers = Table(
    "bench_answers",
    bench_metadata,
    SAColumn("id", Integer, primary_key=True),
    SAColumn("branch_id", Integer, index=True),  # units.id (no foreign key: not in the schema)
    SAColumn("survey", String(255)),
    SAColumn("question_no", Integer),
    SAColumn("question", Text),
    SAColumn("member_name", String(255)),
    SAColumn("answered_at", DateTime(timezone=True)),
    SAColumn("answer", Text),
    SAColumn("score", Integer),
)
COLUMNS = (
    Column("Survey", width=30),
    Column("Question no.", Kind.NUMBER, width=8),
    Column("Question", width=40),
    Column("Full name", width=28),
    Column("Branch", width=28),
    Column("Answered at", Kind.DATETIME, width=17),
    Column("Answer", width=50),
    Column("Score", Kind.NUMBER, width=8),
)
QUERY_SQL = (
    "SELECT a.survey, a.question_no, a.question, a.member_name, u.name, a.answered_at, "
    "a.answer, a.score FROM bench_answers a JOIN units u ON u.id = a.branch_id "
    "WHERE u.path LIKE ? ORDER BY u.name_folded, u.id, a.member_name, a.question_no, a.id"
)


async def answers_dataset(session: AsyncSession, scope: ExportScope) -> Dataset:
    """Shaped as the surveys' dataset will be: one row per answer, member columns included."""
    query = (
        select(
            answers.c.survey,
            answers.c.question_no,
            answers.c.question,
            answers.c.member_name,
            Unit.name,
            answers.c.answered_at,
            answers.c.answer,
            answers.c.score,
        )
        .join(Unit, Unit.id == answers.c.branch_id)
        .where(in_scope(Unit.path, scope))
        .order_by(
            Unit.name_folded, Unit.id, answers.c.member_name, answers.c.question_no, answers.c.id
        )
    )
    return Dataset("Survey answers", COLUMNS, stream_batches(session, query, tuple))


SPEC = DatasetSpec("bench_answers", "Survey answers", answers_dataset)


# --- the data -----------------------------------------------------------------------------


def seed(path: Path, rows: int) -> None:
    """A migrated database, a committee with BRANCHES branches, and `rows` answers."""
    from storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO units (id, code, name, name_folded, is_branch, path) "
            "VALUES (1, 'HU', 'Đảng bộ Phường 1', 'dang bo phuong 1', 0, '/1/')"
        )
        db.executemany(
            "INSERT INTO units (id, code, name, name_folded, parent_id, is_branch, path) "
            "VALUES (?, ?, ?, ?, 1, 1, ?)",
            [
                (i, f"CB{i}", f"Chi bộ Khu phố {i}", f"chi bo khu pho {i}", f"/1/{i}/")
                for i in range(2, BRANCHES + 2)
            ],
        )
    _create_answers(path, rows)


def _create_answers(path: Path, rows: int) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    bench_metadata.create_all(engine)
    engine.dispose()
    start = datetime(2025, 3, 1, 1, 30, tzinfo=UTC)
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO bench_answers (branch_id, survey, question_no, question, member_name, "
            "answered_at, answer, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (_answer(i, start) for i in range(rows)),
        )


def _answer(i: int, start: datetime) -> tuple[Any, ...]:
    member, question = divmod(i, QUESTIONS)
    text = (
        "Đồng ý, chi bộ cần tăng cường sinh hoạt chuyên đề và lắng nghe ý kiến của nhân dân"
        if i % 3
        else f"=Rất hài lòng ({i % 5 + 1}/5)"  # formula-like answers get escaped
    )
    answered = start + timedelta(minutes=member % 5000, seconds=question)
    return (
        2 + member % BRANCHES,
        "Phiếu lấy ý kiến về chất lượng sinh hoạt chi bộ năm 2025",
        question + 1,
        f"Câu {question + 1}: Đồng chí đánh giá thế nào về nội dung sinh hoạt chi bộ?",
        f"Nguyễn Văn Đảng Viên {member:05d}",
        answered.strftime("%Y-%m-%d %H:%M:%S.%f"),
        text,
        i % 5 + 1,
    )


# --- the two measurements, each in a fresh process ----------------------------------------


Measured = tuple[float, int, float, float]  # wall seconds, rows, peak MB, CPU seconds


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_export(db_path: str, target: str) -> Measured:
    """Through the machinery, as `chibo export` does: produce, then record."""
    return asyncio.run(_export(Path(db_path), Path(target)))


async def _export(db_path: Path, target: Path) -> Measured:
    from bot.exports import produce, record
    from bot.i18n import translator
    from storage.db import create_engine, session_factory
    from storage.exports.log import Exporter

    engine = create_engine(f"sqlite+aiosqlite:///{db_path}")
    sessions = session_factory(engine)
    started, cpu = time.perf_counter(), time.process_time()
    produced = await produce(sessions, SPEC, 1, ExportFormat.XLSX, translator("vi"), target)
    assert produced is not None
    await record(sessions, produced, Exporter(label="bench"))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await engine.dispose()
    return elapsed, produced.rows, peak_mb(), cpu


def run_direct(db_path: str, target: str) -> Measured:
    """The same rows read with sqlite3 and written with XlsxWriter: no machinery at all."""
    started, cpu = time.perf_counter(), time.process_time()
    book = xlsxwriter.Workbook(target, {"constant_memory": True})
    sheet = book.add_worksheet("Survey answers")
    when = book.add_format({"num_format": DATETIME_FORMAT})
    for index, column in enumerate(COLUMNS):
        sheet.set_column(index, index, column.width)
    sheet.write_row(0, 0, [c.header for c in COLUMNS], book.add_format({"bold": True}))
    row = 0
    with sqlite3.connect(db_path) as db:
        for survey, no, question, name, branch, at, answer, score in db.execute(
            QUERY_SQL, ("/1/%",)
        ):
            row += 1
            sheet.write_string(row, 0, survey)
            sheet.write_number(row, 1, no)
            sheet.write_string(row, 2, question)
            sheet.write_string(row, 3, name)
            sheet.write_string(row, 4, branch)
            sheet.write_datetime(row, 5, datetime.fromisoformat(at) + TZ_OFFSET, when)
            sheet.write_string(row, 6, answer)
            sheet.write_number(row, 7, score)
    book.close()
    return time.perf_counter() - started, row, peak_mb(), time.process_time() - cpu


def in_child(fn: Any, *args: str) -> Measured:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        result: Measured = pool.submit(fn, *args).result()
        return result


def main(rows: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.sqlite3"
        seed(db_path, rows)
        targets = {
            "export": str(Path(folder) / "export.xlsx"),
            "direct": str(Path(folder) / "d.xlsx"),
        }
        runs: dict[str, list[Measured]] = {"export": [], "direct": []}
        for round_no in range(repeat):
            # Alternated, so a busy neighbour on the machine hurts both alike; the best counts.
            order = ("export", "direct") if round_no % 2 else ("direct", "export")
            for name in order:
                fn = run_export if name == "export" else run_direct
                runs[name].append(in_child(fn, str(db_path), targets[name]))
        sizes = {name: Path(target).stat().st_size / 2**20 for name, target in targets.items()}
    seconds, written, peak, cpu = min(runs["export"])
    direct_seconds, direct_rows, direct_peak, direct_cpu = min(runs["direct"])
    assert written == direct_rows == rows, (written, direct_rows, rows)
    print(f"export: {written} answers through the machinery (Dataset, cells, XlsxWriter, audit)")
    print(
        f"        {seconds:.2f} s (CPU {cpu:.2f} s), peak RSS {peak:.0f} MB, "
        f"file {sizes['export']:.1f} MB"
    )
    print("direct: sqlite3 + XlsxWriter constant_memory, same rows and formats")
    print(
        f"        {direct_seconds:.2f} s (CPU {direct_cpu:.2f} s), peak RSS {direct_peak:.0f} MB, "
        f"file {sizes['direct']:.1f} MB"
    )
    print(f"best of {repeat} runs each; all wall times: {_times(runs)}")
    print(
        f"export: rows={written} seconds={seconds:.2f} direct_seconds={direct_seconds:.2f} "
        f"ratio={seconds / direct_seconds:.2f} peak_mb={peak:.0f}"
    )


def _times(runs: dict[str, list[Measured]]) -> str:
    return "; ".join(
        f"{name} " + " ".join(f"{m[0]:.1f}" for m in measured) for name, measured in runs.items()
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()
    main(args.rows, args.repeat)
