"""Roster files: normalisation, every bad row named, all-or-nothing import, re-import."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.cli.main import main
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


# --- Re-import matching, conflicts and file reading (review fixes) ---


async def _store(sessions, *rows: list[str]) -> dict:
    """Imports `rows` into CB1 of a fresh tree and commits; returns the units."""
    async with transaction(sessions) as session:
        units = await tree(session)
        summary = await import_roster(session, units["CB1"], check_table([HEADER, *rows], TODAY))
        assert summary.problems == []
    return units


async def _stored(sessions) -> list[tuple[str, str, str | None]]:
    async with transaction(sessions) as session:
        members = await session.scalars(select(Member).order_by(Member.phone))
        return [(m.full_name, m.phone, m.party_card_no) for m in members]


async def test_two_rows_for_one_stored_member_change_nothing(sessions) -> None:
    units = await _store(sessions, ["An", "0912345678", "C1"])
    async with transaction(sessions) as session:
        second = check_table(
            [HEADER, ["An", "0987654321", "C1"], ["Trần Thị Bình", "0912345678", ""]], TODAY
        )
        summary = await import_roster(session, units["CB1"], second)
        # Row 2 takes An by card, row 3 by phone: applying both would merge two people.
        assert [(p.line, p.code, p.value) for p in summary.problems] == [(3, "same_member", "2")]
    assert await _stored(sessions) == [("An", "+84912345678", "C1")]


@pytest.mark.parametrize(
    ("row", "code"),
    [
        (["An", "0912345678", "C9"], "card_mismatch"),  # phone matches An, card is not An's
        (["An", "0912345679", "C1"], "phone_taken"),  # card matches An, phone is Bình's
    ],
)
async def test_row_conflicting_with_stored_members_is_a_problem(
    sessions, row: list[str], code: str
) -> None:
    units = await _store(sessions, ["An", "0912345678", "C1"], ["Bình", "0912345679", ""])
    async with transaction(sessions) as session:
        summary = await import_roster(session, units["CB1"], check_table([HEADER, row], TODAY))
        assert [(p.line, p.code) for p in summary.problems] == [(2, code)]
    assert await _stored(sessions) == [
        ("An", "+84912345678", "C1"),
        ("Bình", "+84912345679", None),
    ]


async def test_file_problems_and_conflicts_are_reported_together(sessions) -> None:
    await _store(sessions, ["An", "0912345678", "C1"])
    async with transaction(sessions) as session:
        other = await add_unit(session, "CB3", "Chi bộ 3", "HU", True)
        roster = check_table(
            [HEADER, ["Bình", "12345", ""], ["An", "0912345678", "C1"], ["Chi", "0912000111", ""]],
            TODAY,
        )
        summary = await import_roster(session, other, roster)
        assert {(p.line, p.code) for p in summary.problems} == {
            (2, "phone_invalid"),
            (3, "other_branch"),
        }


def test_over_long_values_are_row_problems() -> None:
    roster = check_table(
        [HEADER, ["A" * 256, "0912345678", "9" * 44], ["B" * 255, "0912345679", "9" * 32]], TODAY
    )
    assert [(p.line, p.code, p.value) for p in roster.problems] == [
        (2, "value_too_long", "Họ và tên"),
        (2, "value_too_long", "Số thẻ đảng viên"),
    ]
    assert [r.line for r in roster.rows] == [3]


def _names_line(output: str, line: int) -> bool:
    # New texts print in English until the lead adds them to the catalogs.
    return f"dòng {line}:" in output or f"line {line}:" in output


def _database_url_cli(url: str, tmp_path: Path, text: str) -> tuple[int, str]:
    _cli(url, "unit", "add", "CB1", "Chi bộ 1", "--branch")
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    result = _cli(url, "roster", "import", str(path), "--branch", "CB1")
    return result.exit_code, result.output


def test_cli_over_long_card_is_named_without_personal_data(
    database_url: str, tmp_path: Path
) -> None:
    card = "1234567890" * 4 + "1234"
    code, output = _database_url_cli(
        database_url, tmp_path, f"Họ và tên,Số điện thoại,Số thẻ đảng viên\nAn,0912345678,{card}\n"
    )
    assert code == 1
    assert _names_line(output, 2) and card not in output and "0912345678" not in output
    assert _count_members(database_url) == 0


def test_cli_two_rows_for_one_member_import_nothing(sqlite_url: str, tmp_path: Path) -> None:
    header = "Họ và tên,Số điện thoại,Số thẻ đảng viên\n"
    code, _ = _database_url_cli(sqlite_url, tmp_path, header + "An,0912345678,C1\n")
    assert code == 0
    code, output = _database_url_cli(
        sqlite_url, tmp_path, header + "An,0987654321,C1\nTrần Thị Bình,0912345678,\n"
    )
    assert code == 1 and _names_line(output, 3)
    assert _count_members(sqlite_url) == 1


def test_database_refusal_prints_no_personal_data(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import text

    from bot.cli.support import run_in_transaction
    from bot.settings import Settings

    monkeypatch.setenv("DEFAULT_LOCALE", "en")

    async def work(session) -> None:
        await session.execute(text("INSERT INTO members (full_name) VALUES ('Nguyễn Văn An')"))

    with pytest.raises(SystemExit) as exit_info:
        run_in_transaction(Settings(database_url=sqlite_url), work)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "The database refused the change; nothing was stored." in err
    assert "Nguyễn" not in err and "members" not in err


def _uncomputed_formula_book(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["Lê Thị Hoa", "0912345678"])
    sheet.append(["=A2", "=B2"])  # openpyxl stores no cached value: data_only reads None
    sheet.append(["Phạm Văn Đức", "=B2", "=C2"])
    sheet.append([])
    book.save(path)


def test_xlsx_formula_without_value_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "formulas.xlsx"
    _uncomputed_formula_book(path)
    roster = read_roster(path, TODAY)
    assert [(p.line, p.code, p.value) for p in roster.problems] == [
        (3, "formula_not_computed", "Họ và tên"),
        (3, "formula_not_computed", "Số điện thoại"),
        (4, "formula_not_computed", "Số điện thoại"),
        (4, "formula_not_computed", "Số thẻ đảng viên"),
    ]
    assert [r.line for r in roster.rows] == [2]


def test_cli_xlsx_formula_without_value_imports_nothing(sqlite_url: str, tmp_path: Path) -> None:
    _cli(sqlite_url, "unit", "add", "CB1", "Chi bộ 1", "--branch")
    path = tmp_path / "formulas.xlsx"
    _uncomputed_formula_book(path)
    result = _cli(sqlite_url, "roster", "import", str(path), "--branch", "CB1")
    assert result.exit_code == 1
    assert _names_line(result.output, 3) and _names_line(result.output, 4)
    assert _count_members(sqlite_url) == 0


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_csv_rows_leaving_optional_columns_off(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "short.csv"
    lines = [HEADER[:3], ["An", "0912345678"], ["Bình", "0912345679", "B1"]]
    path.write_text("".join(sep.join(cells) + "\n" for cells in lines), encoding="utf-8")
    roster = read_roster(path, TODAY)
    assert roster.problems == []
    assert [(r.full_name, r.party_card_no) for r in roster.rows] == [("An", None), ("Bình", "B1")]


def test_cli_csv_without_delimiter_is_a_translated_error(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("Họ và tên\nAn\nBình 0912345679\n", encoding="utf-8")
    result = _cli(sqlite_url, "roster", "import", str(path), "--branch", "CB1")
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and result.output.strip()
