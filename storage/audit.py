"""The audit log: every binding, role change, import and refusal leaves a row."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import execute_core
from storage.models import AuditEntry

_INSERT = insert(cast(Table, AuditEntry.__table__))


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor_member_id: int | None = None,
    actor_telegram_id: int | None = None,
    actor_label: str | None = None,
    unit_id: int | None = None,
    object_type: str | None = None,
    object_id: object = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Writes one audit row now, in the caller's transaction."""
    row = {
        "action": action,
        "actor_member_id": actor_member_id,
        "actor_telegram_id": actor_telegram_id,
        "actor_label": actor_label,
        "unit_id": unit_id,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "details": details,
    }
    # A Core insert: most updates write an audit row, and the ORM's unit of work costs
    # several times what the insert itself does.
    await execute_core(session, _INSERT, row)


async def entries(session: AsyncSession, action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(await session.scalars(query))
