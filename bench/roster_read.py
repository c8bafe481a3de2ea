"""Roster reading: a generated roster of 200,000 rows (XLSX and CSV) read and checked by
`storage.roster_file.read_roster` (streamed, with progress), beside the former reader in the
same run (openpyxl's rows loaded into lists, values and formulas, then checked).

Also a zip bomb (300 MB of spaces in under 1 MB) given to the roster and survey readers.

Each measurement runs in a fresh child process; peak memory is that process's `ru_maxrss`
(the interpreter, the imports and the read together). "first progress" is the time until
the first progress report (PROGRESS_FIRST rows); the former reader had none before
its end.

    python -m bench.roster_read [--rows N]

Ends with one line:
    roster_read: rows=... xlsx_s=... xlsx_first_progress_s=... xlsx_peak_mb=...
    former_xlsx_s=... former_xlsx_peak_mb=... csv_s=... csv_peak_mb=... bomb_s=... bomb_peak_mb=...
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter

HEADER = ["Họ và tên", "Số điện thoại", "Số thẻ đảng viên", "Ngày sinh", "Chức vụ"]
TODAY = date(2026, 11, 1)


def _row(i: int) -> list[Any]:
    return [f"Nguyễn Văn Thành {i}", f"09{i:08d}", f"C{i:07d}", "02/01/1970", ""]


def write_xlsx(path: Path, rows: int) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    for i in range(1, rows + 1):
        sheet.write_row(i, 0, _row(i))
    book.close()


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join(HEADER) + "\n")
        for i in range(1, rows + 1):
            out.write(",".join(_row(i)) + "\n")


def reset_peak() -> None:
    """A spawned child starts with its parent's peak (ru_maxrss); Linux resets it so."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_new(path: str) -> tuple[float, float, float, int]:
    from storage.roster_file import read_roster

    reset_peak()
    start = time.perf_counter()
    first: list[float] = []

    def progress(_rows: int) -> None:
        if not first:
            first.append(time.perf_counter() - start)

    roster = read_roster(Path(path), TODAY, progress)
    return time.perf_counter() - start, first[0] if first else -1.0, peak_mb(), len(roster.rows)


def read_former(path: str) -> tuple[float, float, float, int]:
    """What the reader did before: every row of both readings in lists, then checked."""
    from openpyxl import load_workbook

    from storage.roster_file import _computed_row, check_table

    reset_peak()
    start = time.perf_counter()
    tables = []
    for data_only in (True, False):
        book = load_workbook(path, read_only=True, data_only=data_only)
        tables.append([list(row) for row in book.worksheets[0].iter_rows(values_only=True)])
        book.close()
    table = [_computed_row(v, f) for v, f in zip(tables[0], tables[1], strict=False)]
    roster = check_table(table, TODAY)
    return time.perf_counter() - start, -1.0, peak_mb(), len(roster.rows)


def read_bomb(path: str) -> tuple[float, float, float, int]:
    from storage.file_limits import FileTooLarge
    from storage.roster_file import read_roster
    from storage.survey_xlsx import read_survey_xlsx

    reset_peak()
    start = time.perf_counter()
    refused = 0
    try:
        read_roster(Path(path), TODAY)
    except FileTooLarge:
        refused += 1
    problems = read_survey_xlsx(Path(path).read_bytes(), __import__("datetime").UTC)
    refused += isinstance(problems, list) and problems[0].code == "unpacked_too_large"
    return time.perf_counter() - start, -1.0, peak_mb(), refused


def in_child(fn: Any, path: str) -> tuple[float, float, float, int]:
    context = multiprocessing.get_context("spawn")  # a fresh process: its own peak memory
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(fn, path).result()  # type: ignore[no-any-return]


def main(rows: int) -> None:
    from tests.test_hostile_files import zip_bomb

    with tempfile.TemporaryDirectory() as folder:
        xlsx, csv_path, bomb = Path(folder, "r.xlsx"), Path(folder, "r.csv"), Path(folder, "b.xlsx")
        write_xlsx(xlsx, rows)
        write_csv(csv_path, rows)
        bomb.write_bytes(zip_bomb())
        sizes = [path.stat().st_size / 1e6 for path in (xlsx, csv_path, bomb)]
        shown = "roster of {} rows: xlsx {:.1f} MB, csv {:.1f} MB; bomb {:.2f} MB"
        print(shown.format(rows, *sizes))
        figures = {}
        for name, fn, path in (
            ("xlsx", read_new, xlsx),
            ("former_xlsx", read_former, xlsx),
            ("csv", read_new, csv_path),
            ("bomb", read_bomb, bomb),
        ):
            seconds, first, peak, count = in_child(fn, str(path))
            figures[name] = (seconds, first, peak)
            shown = f", first progress after {first:.2f} s" if first >= 0 else ""
            print(f"{name:12} {seconds:6.2f} s{shown}, peak RSS {peak:.0f} MB, result {count}")
    print(
        f"roster_read: rows={rows} xlsx_s={figures['xlsx'][0]:.2f} "
        f"xlsx_first_progress_s={figures['xlsx'][1]:.2f} xlsx_peak_mb={figures['xlsx'][2]:.0f} "
        f"former_xlsx_s={figures['former_xlsx'][0]:.2f} "
        f"former_xlsx_peak_mb={figures['former_xlsx'][2]:.0f} "
        f"csv_s={figures['csv'][0]:.2f} csv_peak_mb={figures['csv'][2]:.0f} "
        f"bomb_s={figures['bomb'][0]:.2f} bomb_peak_mb={figures['bomb'][2]:.0f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    main(parser.parse_args().rows)
