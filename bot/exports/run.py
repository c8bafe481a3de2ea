"""Running an export: read in a read-only transaction into a file, then record it.

Shared by the command line (which writes the file where the operator says) and the chat
(`bot.exports.worker`, which sends it as a document).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import Action, Actor, can
from bot.i18n import Translator
from storage import clock
from storage.db import read_transaction, transaction
from storage.exports.dataset import DatasetSpec, ExportScope
from storage.exports.log import Exporter, branch_codes, record_export
from storage.exports.writers import ExportFormat, write_datasets
from storage.members import member_with_roles
from storage.models import Unit

Permission = Callable[[AsyncSession, Unit], Awaitable[bool]]
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Produced:
    """A written export file, not yet recorded."""

    spec: DatasetSpec
    unit: Unit
    fmt: ExportFormat
    path: Path
    rows: int
    branches: list[str]
    choice: int | None = None


def file_name(spec: DatasetSpec, unit: Unit, fmt: ExportFormat, _: Translator) -> str:
    """`roster-CB1-20251123-1405.xlsx`: ASCII, so every mail client and OS keeps it."""
    stamp = _.local(clock.now()).strftime("%Y%m%d-%H%M")
    return _UNSAFE_NAME.sub("_", f"{spec.key}-{unit.code}-{stamp}") + f".{fmt.value}"


def member_may_export(member_id: int, telegram_id: int) -> Permission:
    """Asked again when the export runs: a role may have been taken away since the button."""

    async def allowed(session: AsyncSession, unit: Unit) -> bool:
        member = await member_with_roles(session, member_id)
        return can(Actor.of(telegram_id, member), Action.VIEW_REPORTS, unit.path)

    return allowed


async def produce(
    sessions: async_sessionmaker[AsyncSession],
    spec: DatasetSpec,
    unit_id: int,
    fmt: ExportFormat,
    _: Translator,
    target: Path,
    allowed: Permission | None = None,
    choice: int | None = None,
) -> Produced | None:
    """Writes the dataset of the unit to `target`; None if the unit is gone, not allowed, or
    the choice is not one of the unit's."""
    async with read_transaction(sessions) as session:
        unit = await session.get(Unit, unit_id)
        if unit is None or (allowed is not None and not await allowed(session, unit)):
            return None
        if not await spec.valid_choice(session, unit, choice):
            return None
        branches = await branch_codes(session, unit)
        dataset = await spec.build(session, ExportScope(unit, _, choice))
        rows = await write_datasets(target, fmt, [dataset], _, _.tz)
    return Produced(spec, unit, fmt, target, rows, branches, choice)


async def record(
    sessions: async_sessionmaker[AsyncSession], produced: Produced, exporter: Exporter
) -> None:
    """The audit row, committed before the file leaves (an unrecorded export never does)."""
    async with transaction(sessions) as session:
        await record_export(
            session,
            exporter,
            produced.spec.key,
            produced.unit,
            produced.fmt.value,
            produced.rows,
            produced.branches,
            produced.choice,
        )
