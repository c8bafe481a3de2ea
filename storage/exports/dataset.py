"""What an export is made of: a `Dataset` (a sheet: typed columns and streamed rows).

The contract for a new dataset (survey answers, residence ties, plans, attendance): write one
async function

    async def my_dataset(session: AsyncSession, scope: ExportScope) -> Dataset

and add a `DatasetSpec` for it to `storage.exports.registry.DATASETS`. The function

- covers only the data of `scope.unit` and every unit under it (`in_scope(Unit.path, scope)`);
  who may export which unit is decided before it is called (chat: `bot.access`; the command
  line is an operator's);
- when the dataset is about one item among several (one survey of the unit), gives the spec a
  `choices` function listing them (`Choice`: id and label, newest first); the person then
  picks one (chat: a button; command line: `--choice ID`), it arrives as `scope.choice`, and
  the machinery refuses an id that `choices` did not list for that unit (forged buttons);
- chooses its columns (`Column`: a header msgid marked with `N_`, a kind, a width) and may
  leave some out, e.g. a survey marked anonymous has no member columns at all;
- returns rows as `batches`, an async iterator of lists of tuples, one value per column, read
  with `stream_batches(session, query, convert)` so they are never all in memory;
- gives plain values: `str`, `int`/`float`, `date`, `datetime` (UTC), `bool`, or `None`;
  a `labels` column translates its stored codes; nothing else is translated or escaped there:
  the writers do that for every dataset in one place (`storage.exports.cells`).

Writers read each dataset once, as a sheet of an XLSX workbook or as one CSV file.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Member, Unit

Gettext = Callable[..., str]
Row = tuple[Any, ...]
Batches = AsyncIterator[list[Row]]
YIELD_PER = 1000  # rows fetched at once: memory stays flat, round trips stay few


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (translated when the file is written)."""
    return msgid


class Kind(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"  # stored in UTC, written in the deployment's time zone
    YES_NO = "yes_no"  # a bool, written as the translated "Yes" / "No"


@dataclass(frozen=True)
class Column:
    header: str  # an English msgid, translated into the exporter's language
    kind: Kind = Kind.TEXT
    width: int = 20  # in characters, as Excel counts them
    labels: Mapping[str, str] | None = None  # stored code -> msgid (statuses, grades)


@dataclass
class Dataset:
    """One sheet: its title (a msgid), its columns, and its rows in batches."""

    title: str
    columns: Sequence[Column]
    batches: Batches


@dataclass(frozen=True)
class ExportScope:
    """What is exported: the data of `unit` and every unit under it (and `choice`, for a
    dataset with choices: the id of the item picked, already checked against the list)."""

    unit: Unit
    gettext: Gettext  # the exporter's language, for values built from several parts
    choice: int | None = None


@dataclass(frozen=True)
class Choice:
    id: int
    label: str  # shown as it is (a survey's title): user text, escaped where shown


Builder = Callable[[AsyncSession, ExportScope], Awaitable[Dataset]]
Chooser = Callable[[AsyncSession, Unit], Awaitable[list[Choice]]]


@dataclass(frozen=True)
class DatasetSpec:
    key: str  # in buttons, the command line and the audit log: short, ASCII, stable
    title: str  # msgid shown on the button
    build: Builder
    choices: Chooser | None = None  # the items of the unit to pick one from, if any
    by_year: bool = False  # the choices are years; the command line takes this year by default

    async def valid_choice(self, session: AsyncSession, unit: Unit, choice: int | None) -> bool:
        """A choice listed for the unit when the dataset has choices, else none at all."""
        if self.choices is None:
            return choice is None
        return choice is not None and any(c.id == choice for c in await self.choices(session, unit))


def in_scope(path: InstrumentedAttribute[str], scope: ExportScope) -> ColumnElement[bool]:
    """The condition "this unit path is the scope's unit or under it"."""
    return path.startswith(scope.unit.path)


async def stream_batches(
    session: AsyncSession, query: Select[*tuple[Any, ...]], convert: Callable[[Any], Row]
) -> Batches:
    """The query's rows converted, `YIELD_PER` at a time, streamed from the database."""
    # Core, not ORM: these are plain columns, and the ORM's row handling doubled the cost.
    connection = await session.connection()
    result = await connection.stream(query.execution_options(yield_per=YIELD_PER))
    async for partition in result.partitions(YIELD_PER):
        yield [convert(row) for row in partition]


def year_choices(years: set[int], current: int) -> list[Choice]:
    """Years to pick from, newest first, always including the current one."""
    return [Choice(year, str(year)) for year in sorted(years | {current}, reverse=True)]


async def member_years(
    session: AsyncSession,
    unit: Unit,
    year: InstrumentedAttribute[int],
    member_id: InstrumentedAttribute[int],
) -> set[int]:
    """The distinct years of a per-member table (`year`, `member_id`) for members of branches
    at or under `unit`."""
    query = (
        select(year)
        .distinct()
        .join(Member, Member.id == member_id)
        .join(Unit, Unit.id == Member.branch_id)
        .where(Unit.path.startswith(unit.path))
    )
    return set(await session.scalars(query))
