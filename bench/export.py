"""Export: 100,000 survey answers (responses) to XLSX through the export machinery (the
survey-answers dataset streamed from the database, cells with formula escaping, XlsxWriter in
constant_memory mode, the audit row), beside the same rows read with sqlite3 and written
directly with XlsxWriter, in the same run.

The survey is a named one with a question of each kind that fills a cell (single and multiple
choice, rating, yes/no, number, date, short and long text), answered by 100,000 members of 20
branches: one row per response, member and branch first, as a committee exports it.

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
import json
import multiprocessing
import resource
import sqlite3
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter

from storage.exports.registry import dataset_spec
from storage.exports.writers import DATE_FORMAT, ExportFormat
from storage.survey_questions import Kind, Question

BRANCHES = 20
SURVEY_ID = 1
QUESTIONS = [
    Question(
        "Đồng chí đánh giá chất lượng sinh hoạt chi bộ thế nào?",
        Kind.SINGLE,
        options=("Tốt", "Khá", "Trung bình", "=Kém"),
    ),
    Question(
        "Nội dung nào cần tăng cường?",
        Kind.MULTIPLE,
        options=("Học tập nghị quyết", "Sinh hoạt chuyên đề", "Tự phê bình"),
    ),
    Question("Chấm điểm buổi sinh hoạt", Kind.RATING),
    Question("Đồng chí có tham gia sinh hoạt nơi cư trú không?", Kind.YESNO),
    Question("Số giờ học tập trong tháng", Kind.NUMBER),
    Question("Ngày thuận tiện cho buổi chuyên đề", Kind.DATE),
    Question("Đề xuất ngắn", Kind.TEXT),
    Question("Ý kiến khác", Kind.LONGTEXT, required=False),
]
HEADERS = ["Họ và tên", "Chi bộ", *[q.text for q in QUESTIONS]]
YES_NO = {True: "Có", False: "Không"}
QUERY_SQL = (
    "SELECT r.answers, m.full_name, u.name FROM survey_responses r "
    "JOIN members m ON m.id = r.member_id JOIN units u ON u.id = m.branch_id "
    "WHERE r.survey_id = ? ORDER BY m.name_folded, m.id"
)


# --- the data -----------------------------------------------------------------------------


def seed(path: Path, rows: int) -> None:
    """A migrated database, a committee with BRANCHES branches, `rows` members and as many
    responses to one named survey."""
    from storage.migrate import upgrade

    upgrade(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO units (id, code, name, name_folded, is_branch, is_residential, path) "
            "VALUES (1, 'HU', 'Đảng bộ Phường 1', 'dang bo phuong 1', 0, 0, '/1/')"
        )
        db.executemany(
            "INSERT INTO units (id, code, name, name_folded, parent_id, is_branch, "
            "is_residential, path) VALUES (?, ?, ?, ?, 1, 1, 0, ?)",
            [
                (i, f"CB{i}", f"Chi bộ Khu phố {i}", f"chi bo khu pho {i}", f"/1/{i}/")
                for i in range(2, BRANCHES + 2)
            ],
        )
        db.executemany(
            "INSERT INTO members (id, full_name, name_folded, phone, branch_id, status) "
            "VALUES (?, ?, ?, ?, ?, 'active')",
            (_member(i) for i in range(1, rows + 1)),
        )
        db.execute(
            "INSERT INTO surveys (id, unit_id, title, questions, anonymous, min_responses, "
            "opens_at) VALUES (?, 1, ?, ?, 0, 5, '2026-03-01 00:00:00.000000')",
            (
                SURVEY_ID,
                "Phiếu lấy ý kiến về chất lượng sinh hoạt chi bộ",
                json.dumps([q.to_json() for q in QUESTIONS]),
            ),
        )
        db.executemany(
            "INSERT INTO survey_responses (id, survey_id, member_id, answers) VALUES (?, ?, ?, ?)",
            (_response(i) for i in range(1, rows + 1)),
        )


def _member(i: int) -> tuple[Any, ...]:
    name = f"Nguyễn Văn Đảng Viên {i:06d}"
    return (i, name, f"nguyen van dang vien {i:06d}", f"+8491{i:07d}", 2 + i % BRANCHES)


def _response(i: int) -> tuple[Any, ...]:
    answers = {
        "0": i % 4,
        "1": [0, 2] if i % 2 else [1],
        "2": i % 5 + 1,
        "3": bool(i % 3),
        "4": i % 40,
        "5": f"2026-04-{i % 28 + 1:02d}",
        "6": "Tăng cường lắng nghe ý kiến nhân dân" if i % 3 else "=Không có",
        "7": "Chi bộ cần đổi mới nội dung, hình thức sinh hoạt cho phù hợp." if i % 2 else None,
    }
    return (f"{i:032x}", SURVEY_ID, i, json.dumps(answers, ensure_ascii=False))


# --- the two measurements, each in a fresh process ----------------------------------------


Measured = tuple[float, int, float, float]  # wall seconds, rows, peak MB, CPU seconds


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_export(db_path: str, target: str) -> Measured:
    """Through the machinery, as `chibo export` does: produce, then record."""
    return asyncio.run(_export(Path(db_path), Path(target)))


async def _export(db_path: Path, target: Path) -> Measured:
    from bot.exports.run import produce, record
    from bot.i18n import translator
    from storage.db import create_engine, session_factory
    from storage.exports.log import Exporter

    engine = create_engine(f"sqlite+aiosqlite:///{db_path}")
    sessions = session_factory(engine)
    started, cpu = time.perf_counter(), time.process_time()
    spec = dataset_spec("surveys")
    assert spec is not None
    produced = await produce(
        sessions, spec, 1, ExportFormat.XLSX, translator("vi"), target, choice=SURVEY_ID
    )
    assert produced is not None
    await record(sessions, produced, Exporter(label="bench"))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await engine.dispose()
    return elapsed, produced.rows, peak_mb(), cpu


def run_direct(db_path: str, target: str) -> Measured:
    """The same rows read with sqlite3 and written with XlsxWriter: the JSON answers turned
    into the same cells (option texts, yes/no words, real dates), no machinery at all."""
    started, cpu = time.perf_counter(), time.process_time()
    book = xlsxwriter.Workbook(target, {"constant_memory": True})
    sheet = book.add_worksheet("Câu trả lời khảo sát")
    day = book.add_format({"num_format": DATE_FORMAT})
    sheet.write_row(0, 0, HEADERS, book.add_format({"bold": True}))
    for index in range(len(HEADERS)):
        sheet.set_column(index, index, 24)
    row = 0
    with sqlite3.connect(db_path) as db:
        for raw, name, branch in db.execute(QUERY_SQL, (SURVEY_ID,)):
            row += 1
            answers = json.loads(raw)
            sheet.write_string(row, 0, name)
            sheet.write_string(row, 1, branch)
            _write_answers(sheet, row, answers, day)
    book.close()
    return time.perf_counter() - started, row, peak_mb(), time.process_time() - cpu


def _write_answers(sheet: Any, row: int, answers: dict[str, Any], day: Any) -> None:
    single, multiple = QUESTIONS[0].options, QUESTIONS[1].options
    option = single[answers["0"]]
    sheet.write_string(row, 2, "'" + option if option.startswith("=") else option)
    sheet.write_string(row, 3, "; ".join(multiple[i] for i in answers["1"]))
    sheet.write_number(row, 4, answers["2"])
    sheet.write_string(row, 5, YES_NO[answers["3"]])
    sheet.write_number(row, 6, answers["4"])
    sheet.write_datetime(row, 7, date.fromisoformat(answers["5"]), day)
    text = answers["6"]
    sheet.write_string(row, 8, "'" + text if text.startswith("=") else text)
    if answers["7"] is not None:
        sheet.write_string(row, 9, answers["7"])


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
