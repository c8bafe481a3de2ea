"""Hostile files: zip bombs, lying sizes, deep YAML, huge cells, rows and columns are refused
before being parsed in full, with a sentence naming the limit; nothing is created."""

from __future__ import annotations

import asyncio
import io
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

import storage.roster_file as roster_file
import storage.survey_xlsx as survey_xlsx
from bot.cli.main import main
from storage.db import create_engine, session_factory, transaction
from storage.file_limits import FileTooLarge, Limits
from storage.models import Member, Survey
from storage.survey_file import read_survey_file
from storage.survey_xlsx import read_survey_xlsx
from tests.harness import RunningBot
from tests.survey_helpers import SON, seed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 11, 1)
BOMB_MB = 300  # more than any reader allows unpacked (the roster's 256 MB)
MEMORY_BOUND = 100 * 1024 * 1024


def zip_bomb(unpacked_mb: int = BOMB_MB) -> bytes:
    """An XLSX-looking zip under 1 MB whose sheet unpacks to `unpacked_mb` MB of spaces."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b" " * (1 << 20)
            for _ in range(unpacked_mb):
                sheet.write(chunk)
    return buffer.getvalue()


def lying_bomb(bomb: bytes) -> bytes:
    """The same bomb declaring its sheet unpacks to 1 KB (local and central headers)."""
    data = bytearray(bomb)
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                struct.pack_into("<I", data, start + size_at, 1024)
            start += 4
    return bytes(data)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zip_bomb()


def refused_cheaply(read: Callable[[], Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Runs `read`; openpyxl must never be asked to open the file, and Python's memory
    must grow by less than MEMORY_BOUND (tracemalloc counts every allocation, so the
    figure does not depend on the machine's load)."""

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(survey_xlsx, "load_workbook", never)
    monkeypatch.setattr(openpyxl, "load_workbook", never)
    tracemalloc.start()
    try:
        result = read()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, peak
    return result


def test_the_bomb_is_small_enough_to_send(bomb: bytes) -> None:
    assert len(bomb) < survey_xlsx.MAX_XLSX_BYTES  # the bot's limit on the file itself
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert sum(i.file_size for i in archive.infolist()) > BOMB_MB * 1_000_000


@pytest.mark.parametrize("lying", [False, True])
def test_survey_reader_refuses_a_zip_bomb(
    bomb: bytes, lying: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = lying_bomb(bomb) if lying else bomb
    problems = refused_cheaply(lambda: read_survey_xlsx(content, TZ), monkeypatch)
    expected = "not_xlsx" if lying else "unpacked_too_large"  # a lie shows as a damaged file
    assert [(p.code, p.values) for p in problems] == [
        (expected, {"limit": 10} if not lying else {})
    ]


@pytest.mark.parametrize("lying", [False, True])
def test_roster_reader_refuses_a_zip_bomb(
    bomb: bytes, lying: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(lying_bomb(bomb) if lying else bomb)

    def read() -> str:
        try:
            roster_file.read_roster(path, TODAY)
        except FileTooLarge as error:
            return error.code
        except roster_file.RosterFileError as error:
            return error.code
        return "read"

    assert refused_cheaply(read, monkeypatch) == ("not_xlsx" if lying else "unpacked_too_large")


def asyncio_run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def cli(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": url, "BOT_TOKEN": ""})


async def members(url: str) -> int:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            return int(await session.scalar(select(func.count()).select_from(Member)) or 0)
    finally:
        await engine.dispose()


def test_cli_import_of_a_bomb_says_the_limit_and_imports_nothing(
    sqlite_url: str, tmp_path: Path, bomb: bytes
) -> None:
    cli(sqlite_url, "unit", "add", "CB1", "Chi bộ 1", "--branch")
    path = tmp_path / "roster.xlsx"
    path.write_bytes(bomb)
    result = cli(sqlite_url, "roster", "import", str(path), "--branch", "CB1")
    assert result.exit_code == 1
    assert "Chưa nhập dữ liệu nào." in result.output
    assert "giải nén ra hơn 256 MB" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("length", [5_000, 131_073, 2_000_000])
def test_cli_csv_with_a_huge_field_is_a_clear_error(
    sqlite_url: str, tmp_path: Path, length: int
) -> None:
    cli(sqlite_url, "unit", "add", "CB1", "Chi bộ 1", "--branch")
    path = tmp_path / "roster.csv"
    huge = '"' + "A" * length + '"'
    path.write_text(f"Họ và tên,Số điện thoại\nAn,0912345678\n{huge},0912345679\n")
    result = cli(sqlite_url, "roster", "import", str(path), "--branch", "CB1")
    assert result.exit_code == 1, result.output
    assert "Tệp có một ô hoặc một dòng dài hơn 1000 ký tự." in result.output
    assert "Traceback" not in result.output and "_csv" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_roster_rows_and_columns_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = Limits(10_000_000, rows=5, columns=4, cell_chars=50)
    monkeypatch.setattr(roster_file, "LIMITS", limits)
    path = tmp_path / "roster.csv"
    rows = ["Họ và tên,Số điện thoại"] + [f"An {i},091234567{i}" for i in range(6)]
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(FileTooLarge) as too_many:
        roster_file.read_roster(path, TODAY)
    assert (too_many.value.code, too_many.value.limit) == ("too_many_rows", 5)
    path.write_text("Họ và tên,Số điện thoại,a,b\nAn,0912345678,,,x\n")
    with pytest.raises(FileTooLarge) as too_wide:
        roster_file.read_roster(path, TODAY)
    assert (too_wide.value.code, too_wide.value.row) == ("too_many_columns", 2)
    path.write_text("Họ và tên,Số điện thoại,a,b,,,,\nAn,0912345678,,,,,,\n")  # padded: fine
    assert len(roster_file.read_roster(path, TODAY).rows) == 1


def test_yaml_nested_50000_deep_is_a_clear_problem() -> None:
    deep = "title: x\nquestions: " + "[" * 50_000 + "]" * 50_000 + "\n"
    problems = read_survey_file(deep.encode(), TZ)
    assert isinstance(problems, list)
    assert [(p.line, p.code, p.values) for p in problems] == [(2, "too_deep", {"limit": 10})]


def sheet_bytes(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_survey_sheet_cells_and_columns_are_bounded() -> None:
    long_cell = sheet_bytes([["title", "x" * 10_001]])
    assert [(p.line, p.code) for p in read_survey_xlsx(long_cell, TZ)] == [(1, "cell_too_long")]
    wide = sheet_bytes([["title", "x"], ["text", "type", *["x"] * 30]])
    assert [(p.line, p.code) for p in read_survey_xlsx(wide, TZ)] == [(2, "too_many_columns")]


async def test_the_bot_refuses_a_bomb_sent_as_a_survey(fast_bot: RunningBot, bomb: bytes) -> None:
    await seed(fast_bot)
    son = fast_bot.fake.user(SON)
    await son.send_text("🗳 Khảo sát")
    await son.wait_for_message()
    await son.press("📄 Tạo phiếu từ tệp")
    await son.wait_for_messages(3)
    await son.send_media("document", file_name="Khảo sát.xlsx", content=bomb)
    reply = (await son.wait_for_message()).text or ""
    assert "chưa tạo phiếu nào" in reply
    assert "Tệp giải nén ra hơn 10 MB" in reply
    async with fast_bot.db() as session:
        assert list(await session.scalars(select(Survey))) == []


def big_csv(path: Path, rows: int, bad_line: int | None = None) -> None:
    lines = ["Họ và tên,Số điện thoại"]
    lines += [f"Đảng viên {i},09{i:08d}" for i in range(1, rows + 1)]
    if bad_line is not None:
        lines[bad_line - 1] = "Đảng viên sai,không có"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.processes  # one at a time: tests/conftest.py
def test_cli_import_of_a_large_roster_shows_progress_from_the_start(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roster_file, "PROGRESS_FIRST", 100)
    monkeypatch.setattr(roster_file, "PROGRESS_EVERY", 200)
    cli(sqlite_url, "unit", "add", "CB1", "Chi bộ 1", "--branch")
    path = tmp_path / "roster.csv"
    big_csv(path, 650, bad_line=651)  # the last row is wrong: nothing is imported
    bad = cli(sqlite_url, "roster", "import", str(path), "--branch", "CB1")
    assert bad.exit_code == 1
    progress = [line for line in bad.output.splitlines() if line.startswith("Đã đọc và kiểm tra")]
    assert progress == [
        f"Đã đọc và kiểm tra {n} dòng…" for n in (100, 200, 400, 600, 651)
    ]  # lines, the header too
    assert 'dòng 651: "không có" không phải số điện thoại hợp lệ' in bad.output
    assert asyncio_run(members(sqlite_url)) == 0
    big_csv(path, 650)
    good = cli(sqlite_url, "roster", "import", str(path), "--branch", "CB1")
    lines = good.output.splitlines()
    assert lines.index("Đã đọc và kiểm tra 100 dòng…") < len(lines) - 1
    assert "Thêm mới: 650" in lines[-1]
    assert asyncio_run(members(sqlite_url)) == 650


def test_xlsx_roster_is_checked_while_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress comes while openpyxl is still reading the sheet: the rows are streamed, not
    loaded first (which is what took memory and showed nothing for seconds)."""
    monkeypatch.setattr(roster_file, "PROGRESS_FIRST", 500)
    rows_read = 0
    real = roster_file._computed_row

    def counting(values: Any, raw: Any) -> list[Any]:
        nonlocal rows_read
        rows_read += 1
        return real(values, raw)

    monkeypatch.setattr(roster_file, "_computed_row", counting)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["Họ và tên", "Số điện thoại"])
    for i in range(1, 2001):
        sheet.append([f"Đảng viên {i}", f"09{i:08d}"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    seen: list[tuple[int, int]] = []
    roster = roster_file.read_roster(path, TODAY, lambda rows: seen.append((rows, rows_read)))
    assert len(roster.rows) == 2000
    assert seen[0] == (500, 500)  # 500 rows read when 500 are reported, of 2001
    assert seen[-1] == (2001, 2001)
