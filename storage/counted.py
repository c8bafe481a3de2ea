"""Which members a figure counts: the one population every figure, overview and list of a
committee is computed over, so a rule about who counts (a status, a transfer) is written
here once and every figure follows it.

Who counts is `storage.standing.FIGURES` (the figure's standings on the date, from the
dated history; docs/populations.md); where is a subtree filter on the unit path, never a
list of ids bound as parameters: PostgreSQL refuses more than 32,767 of those, and SQL can
group a whole province by branch faster than Python can load it.

Ranking the history of a province takes longer than most figures themselves, so a report
of several figures (the scorecard) ranks it once into a `Snapshot` (a temporary table of
everyone's standing on the date) and every figure reads that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    Column,
    CursorResult,
    FromClause,
    Integer,
    MetaData,
    String,
    Subquery,
    Table,
    insert,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import set_for_transaction
from storage.hosted import hosted_taking_part
from storage.models import Unit
from storage.standing import (
    FIGURES,
    TAKING_PART,
    changed_between,
    counted,
    history_counted,
    standing_at,
)

WORK_MEM = "32MB"
REPORT_SETTINGS = {"work_mem": WORK_MEM, "jit": "off"}  # `snapshot` says why
# No primary key: every figure reads the whole table by hash, and keeping an index up to
# date cost a third of making the snapshot of a province.
_SNAPSHOT = Table(
    "standings_on_date",
    MetaData(),
    Column("member_id", Integer, nullable=False),
    Column("branch_id", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True)
class Snapshot:
    """Everyone's standing on `at` who can count under `unit_path` (`standing_at`), stored
    for the transaction: figures of that date at or under that unit read it."""

    unit_path: str
    at: date
    members: int = 0  # rows stored: a report may choose its plans by the size
    table: FromClause = _SNAPSHOT

    def serves(self, unit_path: str, at: date) -> bool:
        return at == self.at and unit_path.startswith(self.unit_path)


@asynccontextmanager
async def snapshot(session: AsyncSession, unit_path: str, at: date) -> AsyncIterator[Snapshot]:
    """Ranks the history once for the block; the table goes when it ends (a failure rolls
    the transaction back, and the table with it)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # A province's figures rank, hash and sort a row per member: in memory, not in
        # batches on disk; and without JIT compilation, which costs seconds when a plan's
        # estimate passes its threshold and saves little on these scans (this transaction
        # only).
        await set_for_transaction(session, REPORT_SETTINGS)
    await connection.run_sync(_SNAPSHOT.drop, checkfirst=True)
    await connection.run_sync(_SNAPSHOT.create)
    standing = standing_at(at, within=within(unit_path))
    columns = ("member_id", "branch_id", "status")
    rows = select(*(standing.c[name] for name in columns))
    stored = await session.execute(insert(_SNAPSHOT).from_select(columns, rows))
    if connection.dialect.name == "postgresql":  # autovacuum never analyses temporary tables
        await session.execute(text(f"ANALYZE {_SNAPSHOT.name}"))
    yield Snapshot(unit_path, at, max(cast(CursorResult[Any], stored).rowcount, 0))
    await connection.run_sync(_SNAPSHOT.drop)


def within(unit_path: str) -> str | None:
    """The subtree filter of the standings (`standing_at`, `history_counted`) for figures
    under `unit_path`: none for a root committee ("/1/"), which holds everyone, so the history
    is ranked without first finding who has a period there (a semi-join over the whole
    history that took a third of a province's snapshot). Ranking members of another root too
    is harmless: every figure keeps only the branches under its unit."""
    return None if unit_path.count("/") <= 2 else unit_path


@lru_cache(maxsize=256)
def counted_members(
    unit_path: str,
    figure: str,
    at: date,
    *,
    working_only: bool = False,
    snapshot: Snapshot | None = None,
) -> Subquery:
    """The members `figure` counts on `at` in the branches at or under `unit_path`: columns
    `member_id`, `branch_id`, `branch_path`, `status` (their standing that day) and
    `is_residential` (the branch's), the branch being the member's on that date (a member
    who moved counts where they were).

    `working_only` leaves out residential branches, whose members already live where they
    take part (the residence figures count working members). `snapshot`: read the
    standings from it where it serves this unit and date.

    Kept for reuse (SQL constructs never change once built): building this subquery costs
    more than a branch's figures take in the database.
    """
    if snapshot is not None and snapshot.serves(unit_path, at):
        stored = snapshot.table
        statuses = [s.value for s in FIGURES[figure].counts]
        stored_rows = select(stored.c.member_id, stored.c.branch_id, stored.c.status).where(
            stored.c.status.in_(statuses)
        )
        if FIGURES[figure].counts == TAKING_PART:  # and where they take part temporarily
            population: FromClause = union_all(stored_rows, hosted_taking_part(at)).subquery(
                f"counted_{figure}"
            )
        else:
            population = stored_rows.subquery(f"counted_{figure}")
    else:
        population = counted(figure, at, within=unit_path)
    query = (
        select(
            population.c.member_id,
            population.c.branch_id,
            Unit.path.label("branch_path"),
            population.c.status,
            Unit.is_residential.label("is_residential"),
        )
        .select_from(population)
        .join(Unit, Unit.id == population.c.branch_id)
        .where(Unit.is_branch, Unit.path.startswith(unit_path))
    )
    if working_only:
        query = query.where(Unit.is_residential.is_(False))
    return query.subquery("counted")


def counted_on(unit_path: str, figure: str, at: date, snapshot: Snapshot | None) -> Subquery:
    """`counted_members` of a date other than the snapshot's (the roster on 1 January for
    the admission rate) under the snapshot's unit: a member none of whose periods starts or
    ends between the two dates stands the same on both (and the members without history
    always do), so they are read from the snapshot; only the few others' history is ranked
    again, for that date. `figure` must not count the hosted (a population on the
    roster)."""
    if snapshot is None or not snapshot.serves(unit_path, snapshot.at):
        return counted_members(unit_path, figure, at)
    stored = snapshot.table
    statuses = [s.value for s in FIGURES[figure].counts]
    changed = changed_between(at, snapshot.at)
    same = select(stored.c.member_id, stored.c.branch_id, stored.c.status).where(
        stored.c.status.in_(statuses), stored.c.member_id.not_in(changed)
    )
    ranked_again = history_counted(figure, at, within(unit_path), members=changed)
    population = union_all(same, ranked_again).subquery(f"counted_{figure}")
    query = (
        select(
            population.c.member_id,
            population.c.branch_id,
            Unit.path.label("branch_path"),
            population.c.status,
        )
        .select_from(population)
        .join(Unit, Unit.id == population.c.branch_id)
        .where(Unit.is_branch, Unit.path.startswith(unit_path))
    )
    return query.subquery("counted")
