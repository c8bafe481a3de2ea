"""Every export leaves an audit row (who, what, which units, how many rows, when), and a
unit's secretary can list the recent ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import audit
from storage.models import AuditEntry, Member, Unit

ACTION = "export"


@dataclass(frozen=True)
class Exporter:
    """Who asked: a member in chat, or an operator on the command line (`label="cli"`)."""

    member_id: int | None = None
    telegram_id: int | None = None
    label: str | None = None


@dataclass(frozen=True)
class ExportRecord:
    at: datetime
    who: str | None  # the member's name; None for the command line
    label: str | None
    dataset: str
    unit_name: str
    rows: int
    fmt: str


async def branch_codes(session: AsyncSession, unit: Unit) -> list[str]:
    """The codes of the branches whose data an export of `unit` holds."""
    query = select(Unit.code).where(Unit.is_branch, Unit.path.startswith(unit.path))
    return list(await session.scalars(query.order_by(Unit.code)))


async def record_export(
    session: AsyncSession,
    exporter: Exporter,
    dataset: str,
    unit: Unit,
    fmt: str,
    rows: int,
    branches: list[str],
    choice: int | None = None,
) -> None:
    details: dict[str, object] = {
        "dataset": dataset,
        "format": fmt,
        "unit": unit.code,
        "branches": branches,
        "rows": rows,
    }
    if choice is not None:
        details["choice"] = choice
    await audit.record(
        session,
        ACTION,
        actor_member_id=exporter.member_id,
        actor_telegram_id=exporter.telegram_id,
        actor_label=exporter.label,
        unit_id=unit.id,
        object_type="dataset",
        object_id=dataset,
        details=details,
    )


async def recent_exports(
    session: AsyncSession, unit_paths: set[str], limit: int = 20
) -> list[ExportRecord]:
    """The latest exports that held data of these units: of them, of units under them, or of
    committees above them (whose exports include their branches)."""
    if not unit_paths:
        return []
    exported = aliased(Unit)
    touches = [
        or_(exported.path.startswith(path), literal(path).startswith(exported.path))
        for path in unit_paths
    ]
    query = (
        select(AuditEntry, exported.name, Member.full_name)
        .join(exported, exported.id == AuditEntry.unit_id)
        .outerjoin(Member, Member.id == AuditEntry.actor_member_id)
        .where(AuditEntry.action == ACTION, or_(*touches))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return [
        _record(entry, unit_name, who) for entry, unit_name, who in await session.execute(query)
    ]


def _record(entry: AuditEntry, unit_name: str, who: str | None) -> ExportRecord:
    details = entry.details or {}
    return ExportRecord(
        at=entry.at,
        who=who,
        label=entry.actor_label,
        dataset=str(details.get("dataset", entry.object_id)),
        unit_name=unit_name,
        rows=int(details.get("rows", 0)),
        fmt=str(details.get("format", "")),
    )
