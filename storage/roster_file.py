"""Reading a roster file (CSV or XLSX) into checked rows, before anything is stored."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from storage.file_limits import (
    FileTooLarge,
    Limits,
    NotAZip,
    bounded_rows,
    check_zip,
    csv_lines,
    csv_rows,
)
from storage.models import Role, Standing
from storage.text import clean_name, fold, normalize_phone

HEADERS = {
    "full_name": "full_name", "ho va ten": "full_name", "ho ten": "full_name",
    "phone": "phone", "so dien thoai": "phone", "dien thoai": "phone",
    "party_card_no": "party_card_no", "so the dang vien": "party_card_no",
    "so the": "party_card_no",
    "date_of_birth": "date_of_birth", "ngay sinh": "date_of_birth",
    "role": "role", "chuc vu": "role",
    "admission_date": "admitted_on", "ngay vao dang": "admitted_on", "ngay ket nap": "admitted_on",
    "admission date": "admitted_on",
    # The roster export's English headers (storage/exports/roster.py): it reads back.
    "full name": "full_name", "party card no.": "party_card_no", "date of birth": "date_of_birth",
    "official_date": "official_on", "ngay chinh thuc": "official_on",
    "official date": "official_on",
    "status": "standing", "tinh trang": "standing", "trang thai": "standing",
}  # fmt: skip
REQUIRED = ("full_name", "phone")
ROLES: dict[str, Role | None] = {
    "": None, "member": None, "dang vien": None,
    "committee_member": Role.COMMITTEE_MEMBER, "chi uy vien": Role.COMMITTEE_MEMBER,
    "deputy_secretary": Role.DEPUTY_SECRETARY, "pho bi thu": Role.DEPUTY_SECRETARY,
    "secretary": Role.SECRETARY, "bi thu": Role.SECRETARY,
}  # fmt: skip
# Folded status cell -> (standing, detail). Exempt by import has no stated reason: "other".
STANDINGS: dict[str, tuple[Standing, str | None] | None] = {
    "": None,
    "probationary": (Standing.PROBATIONARY, None), "du bi": (Standing.PROBATIONARY, None),
    "dang vien du bi": (Standing.PROBATIONARY, None),
    "official": (Standing.OFFICIAL, None), "chinh thuc": (Standing.OFFICIAL, None),
    "dang vien chinh thuc": (Standing.OFFICIAL, None),
    "exempt": (Standing.EXEMPT, "other"), "mien sinh hoat": (Standing.EXEMPT, "other"),
    "mien cong tac va sinh hoat dang": (Standing.EXEMPT, "other"),
    "transferred temporary": (Standing.TRANSFERRED_TEMPORARY, None),
    "chuyen sinh hoat tam thoi": (Standing.TRANSFERRED_TEMPORARY, None),
    "transferred out": (Standing.TRANSFERRED_OUT, None),
    "chuyen sinh hoat di": (Standing.TRANSFERRED_OUT, None),
    "removed": (Standing.REMOVED, "xoa_ten"), "xoa ten": (Standing.REMOVED, "xoa_ten"),
    "khai tru": (Standing.REMOVED, "khai_tru"),
    "left": (Standing.REMOVED, "left"), "ra khoi dang": (Standing.REMOVED, "left"),
    "deceased": (Standing.REMOVED, "deceased"), "tu tran": (Standing.REMOVED, "deceased"),
    # As the roster export writes them (storage/exports/roster.py), in both languages.
    "probationary member": (Standing.PROBATIONARY, None),
    "full member": (Standing.OFFICIAL, None),
    "exempt from activity": (Standing.EXEMPT, "other"),
    "transferred temporarily": (Standing.TRANSFERRED_TEMPORARY, None),
    "removed from the roster": (Standing.REMOVED, "xoa_ten"),
    "ra khoi danh sach": (Standing.REMOVED, "xoa_ten"),
}  # fmt: skip
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
# Column sizes in storage.models.Member: longer values are refused by PostgreSQL (not SQLite).
MAX_LENGTHS = {"full_name": 255, "party_card_no": 32}
DELIMITERS = ",;\t"
# What a roster file may hold (the command line imports up to hundreds of thousands of rows).
LIMITS = Limits(unpacked_bytes=256_000_000, rows=500_000, columns=50, cell_chars=1_000)
# Rows between two progress reports: soon at first (checking a row takes about 0.3 ms,
# mostly the phone number's), then sparser, so a large file prints a few dozen lines.
PROGRESS_FIRST, PROGRESS_EVERY = 1_000, 10_000
SNIFF_CHARS = 65_536


@dataclass(frozen=True)
class Problem:
    """What is wrong with one line of the file; `code` is translated by the caller."""

    line: int
    code: str
    value: str = ""


@dataclass(frozen=True, slots=True)  # slots: a large roster holds many of them
class RosterRow:
    line: int
    full_name: str
    phone: str
    party_card_no: str | None
    date_of_birth: date | None
    role: Role | None
    # Party standing, where the file has the columns; empty cells leave history alone.
    admitted_on: date | None = None
    official_on: date | None = None
    standing: tuple[Standing, str | None] | None = None


@dataclass
class Roster:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class Uncomputed:
    """An XLSX formula cell saved without its result (files written by tools, not Excel)."""

    def __repr__(self) -> str:
        return "UNCOMPUTED"


UNCOMPUTED = Uncomputed()
# Checks that would misreport a cell whose value is unknown rather than empty.
_EMPTY_CHECKS = {"name_missing": "full_name", "phone_invalid": "phone"}


class RosterFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, headers)."""

    def __init__(self, code: str, value: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.value = value


def read_roster(
    path: Path, today: date, progress: Callable[[int], None] = lambda _rows: None
) -> Roster:
    """The checked roster, read a row at a time; `progress(rows)` as rows are read (every
    PROGRESS_FIRST rows, then every PROGRESS_EVERY) and at the end.

    Raises RosterFileError for a file that cannot be read, FileTooLarge for one past LIMITS.
    """
    reader = _xlsx_rows if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows
    with reader(path) as rows:
        return check_table(_counted(bounded_rows(rows, LIMITS), progress), today)


def _counted(rows: Iterator[Sequence[Any]], progress: Callable[[int], None]) -> Iterator[Any]:
    count = 0
    for count, row in enumerate(rows, start=1):
        if count % (PROGRESS_FIRST if count < PROGRESS_EVERY else PROGRESS_EVERY) == 0:
            progress(count)
        yield row
    progress(count)


@contextmanager
def _csv_rows(path: Path) -> Iterator[Iterator[Sequence[Any]]]:
    if path.stat().st_size > LIMITS.unpacked_bytes:
        raise FileTooLarge("unpacked_too_large", LIMITS.unpacked_bytes)
    # newline="": the csv module reads line breaks inside quoted cells itself.
    with path.open(encoding="utf-8-sig", newline="") as text:  # Excel adds a BOM
        try:
            start = text.read(SNIFF_CHARS)
            text.seek(0)
            lines = csv_lines(text, LIMITS)
            yield _decoded(csv_rows(lines, _dialect(start), LIMITS)) if start.strip() else iter(())
        except UnicodeDecodeError as error:
            raise RosterFileError("not_utf8") from error


def _decoded(rows: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """Rows, a bad byte further on (decoded as the rows are read) reported as not UTF-8."""
    try:
        yield from rows
    except UnicodeDecodeError as error:
        raise RosterFileError("not_utf8") from error
    except csv.Error as error:
        raise RosterFileError("not_csv") from error


def _dialect(start: str) -> Any:
    try:
        return csv.Sniffer().sniff(start[:4096], delimiters=DELIMITERS)
    except csv.Error:  # rows of different lengths: hand-made files leave optional columns off
        return _header_dialect(start.splitlines()[0])


def _header_dialect(header: str) -> type[csv.Dialect]:
    """The delimiter used most in the header line, which names every column."""
    counts = sorted(((header.count(d), d) for d in DELIMITERS), reverse=True)
    (best, delimiter), (runner_up, _) = counts[0], counts[1]
    if best == 0 or best == runner_up:  # a tie is a guess, and a wrong guess misreads every row
        raise RosterFileError("no_delimiter")
    return type("HeaderDialect", (csv.excel,), {"delimiter": delimiter})


@contextmanager
def _xlsx_rows(path: Path) -> Iterator[Iterator[Sequence[Any]]]:
    """Rows streamed from the first sheet, with UNCOMPUTED for a formula without a value.

    Read twice in step: the cached results, and the formulas, to tell "empty" from "never
    computed". openpyxl's read-only mode parses the sheet as it goes.
    """
    with path.open("rb") as source:
        try:
            check_zip(source, LIMITS)
        except NotAZip as error:
            raise RosterFileError("not_xlsx") from error
    with _sheet(path, data_only=True) as values, _sheet(path, data_only=False) as formulas:
        pairs = zip(values, formulas, strict=False)
        yield (_computed_row(row, raw) for row, raw in pairs)


@contextmanager
def _sheet(path: Path, data_only: bool) -> Iterator[Iterator[tuple[Any, ...]]]:
    from openpyxl import load_workbook  # imported here: only the XLSX path needs it

    try:
        book = load_workbook(path, read_only=True, data_only=data_only)
        sheet = book.worksheets[0]
    except Exception as error:  # openpyxl raises several unrelated types for a bad file
        raise RosterFileError("not_xlsx") from error
    try:
        sheet.reset_dimensions()  # the size the file declares: not trusted, not padded to
        yield sheet.iter_rows(values_only=True)
    finally:
        book.close()


def _computed_row(values: Sequence[Any], raw: Sequence[Any]) -> list[Any]:
    """Cached values, with UNCOMPUTED where a formula has none (read as None otherwise)."""
    return [
        UNCOMPUTED if value is None and _is_formula(raw[col] if col < len(raw) else None) else value
        for col, value in enumerate(values)
    ]


def _is_formula(raw: Any) -> bool:
    from openpyxl.worksheet.formula import ArrayFormula  # only the XLSX path needs it

    return isinstance(raw, ArrayFormula) or (isinstance(raw, str) and raw.startswith("="))


def check_table(table: Iterable[Sequence[Any]], today: date) -> Roster:
    """Rows checked one by one as they are read; every problem is kept so the secretary sees
    them all at once."""
    rows = iter(table)
    header = next(rows, [])
    columns = _columns(header)
    titles = {name: str(header[col]).strip() for name, col in columns.items()}
    roster = Roster()
    seen_phone: dict[str, int] = {}
    seen_card: dict[str, int] = {}
    for index, raw in enumerate(rows, start=2):
        cells = {name: _cell(raw, col) for name, col in columns.items()}
        pending = [name for name, value in cells.items() if value is UNCOMPUTED]
        if not pending and not any(cells.values()):
            continue  # blank lines between blocks are common in hand-made sheets
        roster.problems += [Problem(index, "formula_not_computed", titles[n]) for n in pending]
        known = {name: None if name in pending else value for name, value in cells.items()}
        row, problems = _check_row(index, known, today, titles)
        roster.problems += [p for p in problems if _EMPTY_CHECKS.get(p.code) not in pending]
        if row is None or pending:
            continue
        for key, seen, code in ((row.phone, seen_phone, "duplicate_phone"),
                                (row.party_card_no, seen_card, "duplicate_card")):  # fmt: skip
            if key and key in seen:
                roster.problems.append(Problem(index, code, str(seen[key])))
            elif key:
                seen[key] = index
        roster.rows.append(row)
    return roster


def _columns(header: Sequence[Any]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for col, title in enumerate(header):
        name = HEADERS.get(fold(str(title or "")).replace("_", " ").strip()) or HEADERS.get(
            str(title or "").strip().lower()
        )
        if name and name not in columns:
            columns[name] = col
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise RosterFileError("missing_columns", ", ".join(missing))
    return columns


def _cell(raw: Sequence[Any], col: int) -> Any:
    value = raw[col] if col < len(raw) else None
    if isinstance(value, str):
        value = value.strip()
    return value if value not in ("", None) else None


def _check_row(
    line: int, cells: dict[str, Any], today: date, titles: dict[str, str]
) -> tuple[RosterRow | None, list[Problem]]:
    problems: list[Problem] = []
    name = clean_name(str(cells.get("full_name") or ""))
    if not name:
        problems.append(Problem(line, "name_missing"))
    phone_raw = _text(cells.get("phone"))
    phone = normalize_phone(phone_raw)
    if phone is None:
        problems.append(Problem(line, "phone_invalid", phone_raw))
    born, born_ok = _date(cells.get("date_of_birth"), today)
    if not born_ok:
        problems.append(Problem(line, "date_invalid", _text(cells.get("date_of_birth"))))
    role_raw = _text(cells.get("role"))
    role_key = fold(role_raw).replace("_", " ")
    known = role_key in ROLES or role_raw.lower() in ROLES
    if not known:
        problems.append(Problem(line, "role_unknown", role_raw))
    card = _text(cells.get("party_card_no")) or None
    problems += _too_long(line, {"full_name": name, "party_card_no": card}, titles)
    dates, standing, more = _check_standing(line, cells, today)
    problems += more
    if problems or phone is None:
        return None, problems
    role = ROLES.get(role_key, ROLES.get(role_raw.lower()))
    return RosterRow(line, name, phone, card, born, role, *dates, standing), []


def _check_standing(
    line: int, cells: dict[str, Any], today: date
) -> tuple[tuple[date | None, date | None], tuple[Standing, str | None] | None, list[Problem]]:
    problems: list[Problem] = []
    admitted, ok = _date(cells.get("admitted_on"), today)
    if not ok:
        problems.append(Problem(line, "admission_invalid", _text(cells.get("admitted_on"))))
    official, ok = _date(cells.get("official_on"), today)
    if not ok:
        problems.append(Problem(line, "official_invalid", _text(cells.get("official_on"))))
    if admitted and official and official < admitted:
        problems.append(Problem(line, "official_before_admission"))
    raw = _text(cells.get("standing"))
    key = fold(raw).replace("_", " ")
    if key not in STANDINGS:
        problems.append(Problem(line, "status_unknown", raw))
    return (admitted, official), STANDINGS.get(key), problems


def _too_long(line: int, values: dict[str, str | None], titles: dict[str, str]) -> list[Problem]:
    """The value is not named: it may be personal data, and the column says enough."""
    return [
        Problem(line, "value_too_long", titles.get(name, name))
        for name, value in values.items()
        if value and len(value) > MAX_LENGTHS[name]
    ]


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores card and phone numbers as numbers
    return "" if value is None else clean_name(str(value))


def _date(value: Any, today: date) -> tuple[date | None, bool]:
    if value is None:
        return None, True
    if isinstance(value, datetime):
        parsed: date | None = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        parsed = _parse_date(str(value).strip())
    ok = parsed is not None and date(1900, 1, 1) <= parsed <= today
    return (parsed if ok else None), ok


def _parse_date(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
