"""The organisation tree: party committees (đảng bộ) containing branches (chi bộ)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Unit
from storage.text import clean_name, fold


class UnitError(ValueError):
    """A unit operation that cannot be done; `code` names the reason for translation."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.code = reason
        self.values = values


async def get_unit(session: AsyncSession, code: str) -> Unit | None:
    return await session.scalar(select(Unit).where(Unit.code == code.strip()))


async def add_unit(
    session: AsyncSession,
    code: str,
    name: str,
    parent_code: str | None,
    is_branch: bool,
    is_residential: bool = False,
) -> Unit:
    """A committee or a branch; a residential branch (its members live there) is a branch."""
    code = code.strip()
    if not code or await get_unit(session, code):
        raise UnitError("unit_exists", code=code)
    parent = None
    if parent_code:
        parent = await get_unit(session, parent_code)
        if parent is None:
            raise UnitError("parent_missing", code=parent_code)
        if parent.is_branch:
            raise UnitError("parent_is_branch", code=parent_code)
    unit = Unit(code=code, name=clean_name(name), name_folded=fold(name))
    unit.is_branch, unit.is_residential = is_branch or is_residential, is_residential
    unit.parent_id = parent.id if parent else None
    session.add(unit)
    await session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    await session.flush()
    return unit


async def list_units(session: AsyncSession) -> list[Unit]:
    """All units in tree order (a parent before its children)."""
    return list(await session.scalars(select(Unit).order_by(Unit.path)))


async def units_by_id(session: AsyncSession, ids: set[int]) -> dict[int, Unit]:
    if not ids:
        return {}
    rows = await session.scalars(select(Unit).where(Unit.id.in_(ids)))
    return {unit.id: unit for unit in rows}


def depth(unit: Unit) -> int:
    return unit.path.count("/") - 2


async def branches_under(session: AsyncSession, paths: set[str]) -> list[Unit]:
    """Branches at or under any of the given unit paths, by name."""
    if not paths:
        return []
    query = (
        select(Unit)
        .where(Unit.is_branch, or_(*(Unit.path.startswith(path) for path in paths)))
        .order_by(Unit.name_folded, Unit.id)
    )
    return list(await session.scalars(query))


async def units_under(session: AsyncSession, paths: set[str], limit: int) -> list[Unit]:
    """Units (committees and branches) at or under any of the given paths, in tree order."""
    if not paths:
        return []
    query = (
        select(Unit)
        .where(or_(*(Unit.path.startswith(path) for path in paths)))
        .order_by(Unit.path)
        .limit(limit)
    )
    return list(await session.scalars(query))
