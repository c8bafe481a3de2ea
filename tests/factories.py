"""Small builders for test data, through the same storage functions the bot uses."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import clock
from storage.members import touch_account
from storage.models import Member, Role, Unit
from storage.roles import grant_role
from storage.text import fold, normalize_phone
from storage.units import add_unit


async def tree(session: AsyncSession) -> dict[str, Unit]:
    """A district committee HU with branches CB1 and CB2, and a lone committee HX with CB9."""
    units = {"HU": await add_unit(session, "HU", "Đảng bộ Phường 1", None, False)}
    units["CB1"] = await add_unit(session, "CB1", "Chi bộ Khu phố 1", "HU", True)
    units["CB2"] = await add_unit(session, "CB2", "Chi bộ Khu phố 2", "HU", True)
    units["HX"] = await add_unit(session, "HX", "Đảng bộ Xã 2", None, False)
    units["CB9"] = await add_unit(session, "CB9", "Chi bộ Thôn 9", "HX", True)
    return units


async def member(
    session: AsyncSession,
    branch: Unit,
    name: str,
    phone: str,
    *,
    telegram_id: int | None = None,
    role: Role | None = None,
    role_unit: Unit | None = None,
) -> Member:
    e164 = normalize_phone(phone)
    assert e164, phone
    created = Member(full_name=name, name_folded=fold(name), phone=e164, branch_id=branch.id)
    session.add(created)
    await session.flush()
    if telegram_id is not None:
        account = await touch_account(session, telegram_id, "vi")
        account.consent_at = clock.now()
        created.telegram_user_id = telegram_id
        created.bound_at = clock.now()
    if role is not None:
        await grant_role(session, created, role, role_unit or branch)
    await session.flush()
    return created
