"""Roster files: normalisation, every bad row named, all-or-nothing import, re-import."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.cli import main
from storage.db import transaction
from storage.models import Member, Role, RoleAssignment
from storage.roster import import_roster
from storage.roster_file import check_table, read_roster
from storage.units import add_unit
from tests.factories import tree

TODAY = date(2026, 11, 23)
HEADER = ["Họ và tên", "Số điện thoại", "Số thẻ đảng viên", "Ngày sinh", "Chức vụ"]


@pytest.mark.parametrize(
    "phone", ["0912 345 678", "+84912345678", "84912345678", "0912.345.678", "(091) 234-5678"]
)
def test_phone_formats_are_one_number(phone: str) -> None:
    roster = check_table([HEADER, ["An", phone, "", "", ""]], TODAY)
    assert roster.problems == []
    assert roster.rows[0].phone == "+84912345678"


def test_nfd_name_is_stored_nfc_with_collapsed_spaces() -> None:
    nfd = unicodedata.normalize("NFD", "  Nguyễn   Thị  Ánh ")
    roster = check_table([HEADER, [nfd, "0912345678", "", "", ""]], TODAY)
    assert roster.rows[0].full_name == "Nguyễn Thị Ánh"
    assert unicodedata.is_normalized("NFC", roster.rows[0].full_name)


def test_english_headers_roles_and_dates() -> None:
    header = ["full_name", "phone", "party_card_no", "date_of_birth", "role"]
    roster = check_table(
        [
            header,
            ["An", "0912345678", "93.001", "05/03/1961", "secretary"],
            ["Bình", "0912345679", "", "1990-12-31", "Phó bí thư"],
        ],
        TODAY,
    )
    assert roster.problems == []
    assert [r.role for r in roster.rows] == [Role.SECRETARY, Role.DEPUTY_SECRETARY]
    assert [r.date_of_birth for r in roster.rows] == [date(1961, 3, 5), date(1990, 12, 31)]


def test_every_bad_row_is_named() -> None:
    roster = check_table(
        [
            HEADER,
            ["An", "0912345678", "1", "", ""],
            ["", "12345", "", "31/02/1990", "Thủ quỹ"],
            ["Cường", "+84912345678", "1", "", ""],
        ],
        TODAY,
    )
    found = {(p.line, p.code) for p in roster.problems}
    assert found == {
        (3, "name_missing"),
        (3, "phone_invalid"),
        (3, "date_invalid"),
        (3, "role_unknown"),
        (4, "duplicate_phone"),
        (4, "duplicate_card"),
    }


async def test_import_adds_then_reimport_updates_without_duplicates(sessions) -> None:
    async with transaction(sessions) as session:
        units = await tree(session)
        first = check_table(
            [HEADER, ["An", "0912345678", "A1", "", "Bí thư"], ["Bình", "0912345679", "", "", ""]],
            TODAY,
        )
        summary = await import_roster(session, units["CB1"], first)
        assert (summary.added, summary.updated, summary.unchanged) == (2, 0, 0)
    async with transaction(sessions) as session:
        # Same card, new phone and spelling: an update of the same member, not a new one.
        second = check_table(
            [
                HEADER,
                ["Nguyễn Văn An", "0987654321", "A1", "", "Bí thư"],
                ["Bình", "+84 912 345 679", "", "", ""],
                ["Chi", "0912000111", "", "", ""],
            ],
            TODAY,
        )
        summary = await import_roster(session, units["CB1"], second)
        assert (summary.added, summary.updated, summary.unchanged) == (1, 1, 1)
    async with transaction(sessions) as session:
        names = sorted(await session.scalars(select(Member.full_name)))
        assert names == ["Bình", "Chi", "Nguyễn Văn An"]
        an = await session.scalar(select(Member).where(Member.party_card_no == "A1"))
        assert an is not None and an.phone == "+84987654321"
        roles = await session.scalar(select(func.count()).select_from(RoleAssignment))
        assert roles == 1


async def test_member_of_another_branch_is_a_problem(sessions) -> None:
    async with transaction(sessions) as session:
        units = await tree(session)
        await import_roster(
            session, units["CB1"], check_table([HEADER, ["An", "0912345678"]], TODAY)
        )
    async with transaction(sessions) as session:
        other = await add_unit(session, "CB3", "Chi bộ 3", "HU", True)
        summary = await import_roster(
            session, other, check_table([HEADER, ["An", "0912345678"]], TODAY)
        )
        assert [(p.line, p.code) for p in summary.problems] == [(2, "other_branch")]


def _cli(url: str, *args: str):
    runner = CliRunner()
    return runner.invoke(main, list(args), env={"DATABASE_URL": url, "DEFAULT_LOCALE": "vi"})


def _count_members(url: str) -> int:
    import asyncio

    from storage.db import create_engine, session_factory

    async def count() -> int:
        engine = create_engine(url)
        async with transaction(session_factory(engine)) as session:
            total = await session.scalar(select(func.count()).select_from(Member))
        await engine.dispose()
        return int(total or 0)

    return asyncio.run(count())


def test_cli_bad_file_imports_nothing_and_names_rows(sqlite_url: str, tmp_path: Path) -> None:
    assert _cli(sqlite_url, "unit", "add", "CB1", "Chi bộ 1", "--branch").exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\ufeffHọ và tên,Số điện thoại\nAn,0912345678\nBình,không có\nCường,0912345678\n",
        encoding="utf-8",
    )
    result = _cli(sqlite_url, "roster", "import", str(bad), "--branch", "CB1")
    assert result.exit_code == 1
    assert "Chưa nhập dữ liệu nào" in result.output
    assert 'dòng 3: "không có" không phải số điện thoại hợp lệ' in result.output
    assert "dòng 4: trùng số điện thoại với dòng 2" in result.output
    assert _count_members(sqlite_url) == 0


def test_cli_xlsx_dry_run_then_import(sqlite_url: str, tmp_path: Path) -> None:
    _cli(sqlite_url, "unit", "add", "CB1", "Chi bộ 1", "--branch")
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["Lê Thị Hoa", 912345678, 93001, date(1970, 1, 2), "Chi ủy viên"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    dry = _cli(sqlite_url, "roster", "import", str(path), "--branch", "CB1", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "chạy thử" in dry.output and _count_members(sqlite_url) == 0
    real = _cli(sqlite_url, "roster", "import", str(path), "--branch", "CB1")
    assert "Thêm mới: 1" in real.output
    assert _count_members(sqlite_url) == 1
    parsed = read_roster(path, TODAY).rows[0]
    assert (parsed.phone, parsed.party_card_no) == ("+84912345678", "93001")


def test_cli_unknown_branch_and_missing_columns(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("name,tel\nAn,0912345678\n", encoding="utf-8")
    result = _cli(sqlite_url, "roster", "import", str(path), "--branch", "CB1")
    assert result.exit_code == 1
    assert "Tệp thiếu cột: full_name, phone" in result.output
