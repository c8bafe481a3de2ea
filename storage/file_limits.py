"""Bounds on what a file may unpack to, checked before it is parsed in full.

A spreadsheet is a zip: a 0.3 MB file can unpack to gigabytes (a "zip bomb"), so the limit
on the file people send says nothing about what parsing it costs. Every reader of user
files checks, before parsing: the zip's members and their declared sizes, then the real
unpacked size by reading each member through with a counter (declared sizes can lie); and
while reading, the rows, the columns of each row and the length of each cell. A file over a
limit is refused as a whole with `FileTooLarge`, whose `code` and `limit` the caller turns
into a translated sentence; nothing is created from it.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Limits:
    unpacked_bytes: int  # a zip's members together, unpacked; a CSV's size
    rows: int
    columns: int
    cell_chars: int
    members: int = 1000  # files inside the zip (an XLSX has a dozen or so)


class FileTooLarge(ValueError):
    """The file passes a limit: `code` is one of unpacked_too_large, too_many_rows,
    too_many_columns, cell_too_long, too_deep; `row` is where, when known."""

    def __init__(self, code: str, limit: int, row: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.limit = limit
        self.row = row

    def values(self) -> dict[str, int]:
        """The placeholders of the sentence the user reads: a size in MB, counts as they are."""
        if self.code == "unpacked_too_large":
            return {"limit": self.limit // 1_000_000}
        return {"limit": self.limit}


class NotAZip(ValueError):
    """Not a zip archive, or a damaged one."""


def check_zip(source: IO[bytes], limits: Limits) -> None:
    """Refuses a zip whose members would unpack past `limits.unpacked_bytes`: first from
    the sizes it declares, then by unpacking each through a counter, a chunk at a time (so
    memory stays at one chunk whatever the archive holds)."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            if len(members) > limits.members:
                raise FileTooLarge("unpacked_too_large", limits.unpacked_bytes)
            if sum(member.file_size for member in members) > limits.unpacked_bytes:
                raise FileTooLarge("unpacked_too_large", limits.unpacked_bytes)
            left = limits.unpacked_bytes
            for member in members:
                left = _read_through(archive, member, left, limits.unpacked_bytes)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise NotAZip() from error
    finally:
        source.seek(0)


def _read_through(archive: zipfile.ZipFile, member: zipfile.ZipInfo, left: int, cap: int) -> int:
    with archive.open(member) as stream:
        while chunk := stream.read(min(CHUNK_BYTES, left + 1)):
            left -= len(chunk)
            if left < 0:
                raise FileTooLarge("unpacked_too_large", cap)
    return left


def bounded_rows(rows: Iterable[Sequence[Any]], limits: Limits) -> Iterator[Sequence[Any]]:
    """The rows as they come, refused at the first one past a limit."""
    for number, row in enumerate(rows, start=1):
        if number > limits.rows:
            raise FileTooLarge("too_many_rows", limits.rows, number)
        if len(row) > limits.columns and any(
            cell not in (None, "") for cell in row[limits.columns :]
        ):
            raise FileTooLarge("too_many_columns", limits.columns, number)
        for cell in row:
            if isinstance(cell, str) and len(cell) > limits.cell_chars:
                raise FileTooLarge("cell_too_long", limits.cell_chars, number)
        yield row[: limits.columns]


def _filled(cell: Any) -> bool:
    return cell is not None and cell != ""  # sheets are often padded with empty cells


def csv_lines(text: IO[str], limits: Limits) -> Iterator[str]:
    """Lines of a text file, none longer than a full row may be (read that far, no more)."""
    longest = limits.columns * (limits.cell_chars + 3)  # quotes and a separator per cell
    read = 0
    while line := text.readline(longest + 1):
        read += len(line)
        if len(line) > longest:
            raise FileTooLarge("cell_too_long", limits.cell_chars)
        if read > limits.unpacked_bytes:
            raise FileTooLarge("unpacked_too_large", limits.unpacked_bytes)
        yield line


def csv_rows(lines: Iterator[str], dialect: Any, limits: Limits) -> Iterator[Sequence[Any]]:
    """csv.reader's rows; its own field limit (131,072 characters, a `_csv.Error`) is
    reported as a long cell, other `_csv.Error`s are left to the caller."""
    reader = csv.reader(lines, dialect)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field limit" not in str(error):
                raise
            raise FileTooLarge("cell_too_long", limits.cell_chars, reader.line_num) from error
        yield row
