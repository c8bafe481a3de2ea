"""Reading a survey spreadsheet (XLSX, see docs/surveys.md) by turning it into the node tree a
YAML survey file gives, so both are checked by the same rules and problems name their row.

Layout of the first sheet: "key | value" rows (title, anonymous, ...), then a header row
starting with `text` (text | type | required | options | min | max | scale | labels), then one
question per row; options and labels are separated by line breaks or ";".
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from openpyxl import load_workbook
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from storage.file_limits import FileTooLarge, Limits, NotAZip, bounded_rows, check_zip
from storage.survey_file import FileProblem, SurveySpec, check_survey

MAX_XLSX_BYTES = 1_000_000
MAX_ROWS = 200  # a survey has at most 50 questions; more rows are not read
# Unpacked, a survey sheet is a few hundred KB; a cell holds at most a question's options.
LIMITS = Limits(unpacked_bytes=10_000_000, rows=MAX_ROWS, columns=20, cell_chars=10_000)
LIST_KEYS = ("options", "labels")
LIST_SEPARATOR = re.compile(r"\s*(?:\n|;)\s*")
STR = "tag:yaml.org,2002:str"


def read_survey_xlsx(content: bytes, tz: tzinfo) -> SurveySpec | list[FileProblem]:
    """The survey in the spreadsheet, or every problem found, by row."""
    if len(content) > MAX_XLSX_BYTES:
        return [FileProblem(1, "file_too_large", {"limit": MAX_XLSX_BYTES // 1000})]
    try:
        check_zip(io.BytesIO(content), LIMITS)  # before openpyxl unpacks anything
        rows = _rows(content)
    except FileTooLarge as error:
        return [FileProblem(error.row or 1, error.code, error.values())]
    except (NotAZip, zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError):
        return [FileProblem(1, "not_xlsx")]
    return check_survey(_tree(rows), tz)


def _rows(content: bytes) -> list[Sequence[Any]]:
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the size the file declares: not trusted, not padded to
        return list(bounded_rows(sheet.iter_rows(max_row=MAX_ROWS, values_only=True), LIMITS))
    finally:
        workbook.close()


def _mark(row: int) -> Mark:
    return Mark("xlsx", 0, row - 1, 0, None, 0)


def _scalar(value: str, row: int) -> ScalarNode:
    return ScalarNode(STR, value, start_mark=_mark(row), end_mark=_mark(row))


def _cell(value: Any) -> str:
    """A cell as the text a YAML file would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _tree(rows: list[Sequence[Any]]) -> MappingNode:
    pairs: list[tuple[Node, Node]] = []
    header: list[str] | None = None
    questions: list[Node] = []
    for number, row in enumerate(rows, start=1):
        cells = [_cell(value) for value in row]
        if not any(cells):
            continue
        if header is not None:
            questions.append(_question(header, cells, number))
        elif cells[0].lower() == "text":
            header = [cell.lower() for cell in cells]
            pairs.append((_scalar("questions", number), _sequence(questions, number)))
        elif len(cells) > 1 and cells[1]:  # a setting left blank is not set
            pairs.append((_scalar(cells[0], number), _scalar(cells[1], number)))
    return MappingNode("tag:yaml.org,2002:map", pairs, start_mark=_mark(1), end_mark=_mark(1))


def _sequence(items: list[Node], row: int) -> SequenceNode:
    # The list is filled in as the question rows are read.
    return SequenceNode("tag:yaml.org,2002:seq", items, start_mark=_mark(row), end_mark=_mark(row))


def _question(header: list[str], cells: list[str], row: int) -> MappingNode:
    pairs: list[tuple[Node, Node]] = []
    for key, value in zip(header, cells, strict=False):
        if not key or not value:
            continue
        node: Node = _scalar(value, row)
        if key in LIST_KEYS:
            parts = [part for part in LIST_SEPARATOR.split(value) if part]
            node = _sequence([_scalar(part, row) for part in parts], row)
        pairs.append((_scalar(key, row), node))
    return MappingNode("tag:yaml.org,2002:map", pairs, start_mark=_mark(row), end_mark=_mark(row))
