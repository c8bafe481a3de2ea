"""Exports: formula escaping, the roster dataset and its scope, XLSX and CSV files, the audit
log and its listing, and the command line (storage parts on SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.main import main
from bot.exports.run import member_may_export, produce, record
from bot.i18n import translator
from storage import audit, clock
from storage.db import transaction
from storage.exports import dataset as dataset_module
from storage.exports.cells import escape_formula
from storage.exports.dataset import ExportScope
from storage.exports.log import Exporter, recent_exports
from storage.exports.registry import dataset_spec
from storage.exports.roster import roster_dataset
from storage.exports.writers import ExportFormat, sheet_name
from storage.models import Member, MemberStatus, Role, Standing, Unit
from storage.roster import import_roster
from storage.roster_file import read_roster
from storage.standing import Change, history, record_change, status_of
from tests.export_helpers import with_choices  # noqa: F401 (a fixture)
from tests.factories import member, tree

FORMULA = '=HYPERLINK("http://evil.example","Bấm vào")'
ROSTER = dataset_spec("roster")
assert ROSTER is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+84912345678", "'+84912345678"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t'=1"),  # a tab is a separator too: both parts are escaped
        ("\r=1", "'\r'=1"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("a=b", "a=b"),
        ("", ""),
        # A CSV opened with another separator splits the cell there: each part is checked.
        ("Lê An;=1+1", "Lê An;'=1+1"),
        ("An, +84912", "An, '+84912"),
        ("=1;@SUM(A1)|-2", "'=1;'@SUM(A1)|'-2"),
        ("An\t=1", "An\t'=1"),
        ("An\n=1", "An\n'=1"),
        ("An;\t=1", "An;\t'=1"),
        ("An; Bình", "An; Bình"),
    ],
)
def test_text_a_spreadsheet_would_run_is_escaped(text: str, expected: str) -> None:
    assert escape_formula(text) == expected


def test_sheet_names_are_what_excel_accepts() -> None:
    taken: set[str] = set()
    # Cut after a whole word, single spaces: it reads sensibly on the sheet's tab.
    assert sheet_name("Danh sách: đảng viên/2025 [chi bộ] rất dài quá mức", taken) == (
        "Danh sách đảng viên 2025 chi bộ"
    )
    assert sheet_name("Giữ mối liên hệ với tổ chức đảng nơi cư trú", taken) == (
        "Giữ mối liên hệ với tổ chức"
    )
    assert sheet_name("Danh sách", taken) == "Danh sách"
    assert sheet_name("danh sách", taken) == "danh sách 2"


async def seed(session: AsyncSession) -> dict[str, Unit]:
    """CB1: secretary Sơn (linked, card, born 02/01/1970), a formula-named member; CB2: Bình
    (inactive), deputy Phương of HU; CB9 (another committee): Chín."""
    units = await tree(session)
    son = await member(
        session, units["CB1"], "Trần Sơn", "0912000001", telegram_id=801, role=Role.SECRETARY
    )
    son.party_card_no, son.date_of_birth = "093001", date(1970, 1, 2)
    await member(session, units["CB1"], FORMULA, "0912000002")
    binh = await member(session, units["CB2"], "Phạm Bình", "0912000003")
    binh.status = MemberStatus.INACTIVE
    await member(
        session,
        units["CB2"],
        "Ngô Phương",
        "0912000004",
        role=Role.DEPUTY_SECRETARY,
        role_unit=units["HU"],
    )
    await member(session, units["CB9"], "Lý Chín", "0912000009")
    return units


async def seeded(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Unit]:
    async with transaction(sessions) as session:
        return await seed(session)


async def test_xlsx_of_a_committee_holds_its_branches_with_typed_cells(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    units = await seeded(sessions)
    async with transaction(sessions) as session:
        son_row = await session.scalar(select(Member).where(Member.full_name == "Trần Sơn"))
        assert son_row is not None
        for status, start in ((Standing.PROBATIONARY, date(1999, 5, 19)),
                              (Standing.OFFICIAL, date(2000, 5, 19))):  # fmt: skip
            await record_change(session, son_row, Change(status, start), date(2026, 12, 1))
    target = tmp_path / "hu.xlsx"
    produced = await produce(
        sessions, ROSTER, units["HU"].id, ExportFormat.XLSX, translator("vi"), target
    )
    assert produced is not None and produced.rows == 4
    assert produced.branches == ["CB1", "CB2"]
    sheet = openpyxl.load_workbook(target).active
    assert sheet.title == "Danh sách đảng viên"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "Họ và tên",
        "Số điện thoại",
        "Số thẻ đảng viên",
        "Ngày sinh",
        "Chi bộ",
        "Tình trạng",
        "Ngày vào Đảng",
        "Ngày chính thức",
        "Đã liên kết Telegram",
        "Chức vụ đang giữ",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"Trần Sơn", "'" + FORMULA, "Phạm Bình", "Ngô Phương"}  # no CB9
    son = by_name["Trần Sơn"]
    assert son == [
        "Trần Sơn",
        "0912 000 001",
        "093001",
        datetime(1970, 1, 2),
        "Chi bộ Khu phố 1",
        "Đảng viên chính thức",
        datetime(1999, 5, 19),
        datetime(2000, 5, 19),
        "Có",
        "Bí thư (Chi bộ Khu phố 1)",
    ]
    assert sheet["D2"].number_format == "dd/mm/yyyy" or sheet["D3"].number_format == "dd/mm/yyyy"
    assert by_name["Phạm Bình"][5:10] == ["Ra khỏi danh sách", None, None, "Không", None]
    assert by_name["Ngô Phương"][5:7] == ["Đảng viên chính thức", None]  # since before history
    assert by_name["Ngô Phương"][9] == "Phó bí thư (Đảng bộ Phường 1)"
    formula_cell = next(c for c in sheet["A"] if c.value == "'" + FORMULA)
    assert formula_cell.data_type == "s"  # stored as text, never as a formula
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["B"].width


async def test_csv_has_a_bom_english_headers_and_only_the_branch(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    units = await seeded(sessions)
    target = tmp_path / "cb1.csv"
    produced = await produce(
        sessions, ROSTER, units["CB1"].id, ExportFormat.CSV, translator("en"), target
    )
    assert produced is not None and produced.rows == 2
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so that Excel reads UTF-8 Vietnamese
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Full name", "Phone", "Party card no.", "Date of birth"]
    assert sorted(rows[1:]) == [
        [
            "'" + FORMULA,
            "0912 000 002",
            "",
            "",
            "Chi bộ Khu phố 1",
            "Full member",
            "",
            "",
            "No",
            "",
        ],
        [
            "Trần Sơn",
            "0912 000 001",
            "093001",
            "02/01/1970",
            "Chi bộ Khu phố 1",
            "Full member",
            "",
            "",
            "Yes",
            "Secretary (Chi bộ Khu phố 1)",
        ],
    ]


async def test_rows_are_streamed_in_batches(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    units = await seeded(sessions)
    monkeypatch.setattr(dataset_module, "YIELD_PER", 2)
    async with transaction(sessions) as session:
        scope = ExportScope(units["HU"], translator("vi"))
        dataset = await roster_dataset(session, scope)
        sizes = [len(batch) async for batch in dataset.batches]
    assert sizes == [2, 2]


async def test_the_export_is_asked_again_whether_the_member_may(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """A button pressed before a role was taken away exports nothing."""
    units = await seeded(sessions)
    async with transaction(sessions) as session:
        plain = await member(session, units["CB1"], "Lê An", "0912000010", telegram_id=810)
        secretary = await member(
            session, units["CB2"], "Đỗ Hà", "0912000011", telegram_id=811, role=Role.SECRETARY
        )
    target = tmp_path / "x.xlsx"
    _ = translator("vi")
    cb1 = units["CB1"].id
    denied = member_may_export(plain.id, 810)
    assert await produce(sessions, ROSTER, cb1, ExportFormat.XLSX, _, target, denied) is None
    other = member_may_export(secretary.id, 811)
    assert await produce(sessions, ROSTER, cb1, ExportFormat.XLSX, _, target, other) is None
    own = member_may_export(secretary.id, 811)
    cb2 = units["CB2"].id
    assert await produce(sessions, ROSTER, cb2, ExportFormat.XLSX, _, target, own) is not None


async def test_recent_exports_are_those_holding_the_units_data(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    units = await seeded(sessions)
    _ = translator("vi")
    for code in ("CB1", "CB2", "HU", "CB9"):
        produced = await produce(
            sessions, ROSTER, units[code].id, ExportFormat.CSV, _, tmp_path / f"{code}.csv"
        )
        assert produced is not None
        await record(sessions, produced, Exporter(label="cli"))
    async with transaction(sessions) as session:
        [entry, *_rest] = await audit.entries(session, "export")
        of_branch = await recent_exports(session, {units["CB1"].path})
        of_committee = await recent_exports(session, {units["HU"].path})
    assert entry.actor_label == "cli" and entry.unit_id == units["CB1"].id
    assert entry.details == {
        "dataset": "roster",
        "format": "csv",
        "unit": "CB1",
        "branches": ["CB1"],
        "rows": 2,
    }
    # The branch sees its own export and the committee's (which held its members), newest first.
    assert [r.unit_name for r in of_branch] == ["Đảng bộ Phường 1", "Chi bộ Khu phố 1"]
    assert [r.unit_name for r in of_committee] == [
        "Đảng bộ Phường 1",
        "Chi bộ Khu phố 2",
        "Chi bộ Khu phố 1",
    ]
    assert of_branch[0].rows == 4 and of_branch[0].label == "cli"


def cli(url: str, *args: str):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": url, "BOT_TOKEN": ""})


def test_command_line_export_is_audited_as_cli(sqlite_url: str, tmp_path: Path) -> None:
    cli(sqlite_url, "unit", "add", "HU", "Đảng bộ Phường 1")
    cli(sqlite_url, "unit", "add", "CB1", "Chi bộ 1", "--parent", "HU", "--branch")
    roster = tmp_path / "r.csv"
    roster.write_text("Họ và tên,Số điện thoại\n@An,0912345678\nBình,0912345679\n", "utf-8")
    assert cli(sqlite_url, "roster", "import", str(roster), "--branch", "CB1").exit_code == 0
    output = tmp_path / "out.csv"
    args = ("export", "roster", "--unit", "HU", "--format", "csv", "--output", str(output))
    result = cli(sqlite_url, *args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Đã xuất 2 dòng ra tệp {output}."
    text = output.read_text("utf-8-sig")
    assert text.startswith("Họ và tên,") and "'@An," in text
    assert not list(tmp_path.glob("*.part"))

    log = cli(sqlite_url, "export", "log", "--unit", "CB1")
    assert "dòng lệnh  Danh sách đảng viên  Đảng bộ Phường 1  2 dòng  CSV" in log.output
    unknown = cli(sqlite_url, "export", "roster", "--unit", "NOPE")
    assert unknown.exit_code == 1 and "Không có đơn vị nào có mã NOPE" in unknown.output
    cli(sqlite_url, "unit", "add", "HX", "Đảng bộ Xã 2")
    assert "Chưa ai xuất dữ liệu" in cli(sqlite_url, "export", "log", "--unit", "HX").output


@pytest.mark.usefixtures("with_choices")
def test_command_line_lists_the_choices_and_exports_one(sqlite_url: str, tmp_path: Path) -> None:
    cli(sqlite_url, "unit", "add", "HU", "Đảng bộ Phường 1")
    cli(sqlite_url, "unit", "add", "CB1", "Chi bộ 1", "--parent", "HU", "--branch")
    cli(sqlite_url, "unit", "add", "CB2", "Chi bộ 2", "--parent", "HU", "--branch")
    roster = tmp_path / "r.csv"
    roster.write_text("Họ và tên,Số điện thoại\nAn,0912345678\n", "utf-8")
    cli(sqlite_url, "roster", "import", str(roster), "--branch", "CB2")
    listing = cli(sqlite_url, "export", "one_branch", "--unit", "HU")
    assert listing.exit_code == 1
    assert listing.output.splitlines() == [
        "Hãy chọn một mục bằng --choice ID:",
        "2  Chi bộ 1",
        "3  Chi bộ 2",
    ]
    output = tmp_path / "one.csv"
    args = ("--unit", "HU", "--choice", "3", "--format", "csv", "--output", str(output))
    assert cli(sqlite_url, "export", "one_branch", *args).exit_code == 0
    assert output.read_text("utf-8-sig").splitlines()[1].startswith("An,")
    outside = cli(sqlite_url, "export", "one_branch", "--unit", "CB1", "--choice", "3")
    assert outside.exit_code == 1 and "2  Chi bộ 1" in outside.output


async def test_a_formula_after_a_separator_is_not_live_in_any_csv_reading(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with transaction(sessions) as session:
        units = await tree(session)
        await member(session, units["CB1"], "Lê An;=1+1", "0912000005")
        await member(session, units["CB1"], "Bình,@SUM(A1)", "0912000006")
    target = tmp_path / "cb1.csv"
    await produce(sessions, ROSTER, units["CB1"].id, ExportFormat.CSV, translator("en"), target)
    text = target.read_bytes().decode("utf-8-sig")
    for delimiter in ",;":  # Excel in a Vietnamese or European locale splits at ";"
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            live = [cell for cell in row if cell.lstrip(' "').startswith(("=", "+", "-", "@"))]
            assert live == [], (delimiter, row)


@pytest.mark.parametrize(("fmt", "language"), [(ExportFormat.XLSX, "vi"), (ExportFormat.CSV, "en")])
async def test_a_reimported_roster_export_rewrites_no_history(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path, fmt: ExportFormat, language: str
) -> None:
    """The export names each member's standing, admission and official dates in words the
    import reads back; importing it into the branch again changes nobody's history."""
    today = clock.today(translator("vi").tz)
    async with transaction(sessions) as session:
        units = await tree(session)
        cb1 = units["CB1"]
        people = {
            key: await member(session, cb1, name, f"091300000{n}", role=role)
            for n, (key, name, role) in enumerate([
                ("an", "Lê An", Role.SECRETARY), ("binh", "Phạm Bình", None),
                ("cuong", "Vũ Cường", None), ("dung", "Đỗ Dũng", None), ("em", "Hà Em", None),
            ])
        }  # fmt: skip
        changes = [
            ("an", Change(Standing.PROBATIONARY, date(2025, 3, 1), decision_no="12-QĐ")),
            ("an", Change(Standing.OFFICIAL, date(2026, 3, 1))),
            ("binh", Change(Standing.OFFICIAL, date(2010, 1, 1))),
            ("binh", Change(Standing.EXEMPT, date(2026, 6, 1), detail="health")),
            ("cuong", Change(Standing.REMOVED, date(2026, 8, 1), detail="deceased")),
            ("em", Change(Standing.TRANSFERRED_TEMPORARY, date(2026, 9, 1), note="Tỉnh X")),
        ]
        for key, change in changes:
            await record_change(session, people[key], change, today)
    ids = {key: m.id for key, m in people.items()}

    async def histories() -> dict[str, list[tuple[object, ...]]]:
        async with transaction(sessions) as session:
            return {
                key: [
                    (p.status, p.branch_id, p.valid_from, p.valid_to, p.detail, p.decision_no)
                    for p in await history(session, member_id)
                ]
                for key, member_id in ids.items()
            }

    before = await histories()
    target = tmp_path / f"cb1.{fmt.value}"
    produced = await produce(sessions, ROSTER, cb1.id, fmt, translator(language), target)
    assert produced is not None and produced.rows == 5
    roster = read_roster(target, today)
    assert roster.problems == []
    by_phone = {row.full_name: row for row in roster.rows}
    assert by_phone["Lê An"].admitted_on == date(2025, 3, 1)
    assert by_phone["Lê An"].official_on == date(2026, 3, 1)
    assert by_phone["Phạm Bình"].standing == (Standing.EXEMPT, "other")
    async with transaction(sessions) as session:
        summary = await import_roster(session, cb1, roster, today=today)
    assert (summary.problems, summary.added, summary.updated) == ([], 0, 0)
    after = await histories()
    assert after == before | {"dung": [(Standing.OFFICIAL, cb1.id, None, None, None, None)]}
    async with transaction(sessions) as session:
        assert await status_of(session, ids["binh"], today) == Standing.EXEMPT
        assert await status_of(session, ids["em"], today) == Standing.TRANSFERRED_TEMPORARY
