"""The audit log: every binding, role change, import and refusal leaves a row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


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
) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        actor_member_id=actor_member_id,
        actor_telegram_id=actor_telegram_id,
        actor_label=actor_label,
        unit_id=unit_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details,
    )
    session.add(entry)  # written with the caller's other changes, at its next flush or commit
    return entry


async def entries(session: AsyncSession, action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(await session.scalars(query))
