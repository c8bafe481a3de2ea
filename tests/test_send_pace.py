"""The message slots every instance shares on PostgreSQL (storage/send_pace.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import send_pace
from storage.db import transaction
from storage.models import SendPace

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


async def test_slots_are_spaced_per_chat_and_overall(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        first = await send_pace.reserve_slot(session, 42, 0.1, 1.0)
        other_chat = await send_pace.reserve_slot(session, 43, 0.1, 1.0)
        same_chat = await send_pace.reserve_slot(session, 42, 0.1, 1.0)
    assert first < 0.05  # nothing sent yet: at once
    assert 0.05 < other_chat <= 0.1  # another chat: the next overall slot
    assert 0.9 < same_chat <= 1.0  # the same chat: its next slot, a second after its first


async def test_old_chat_slots_are_forgotten_and_the_overall_one_stays(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        await send_pace.reserve_slot(session, 42, 0.1, 1.0)
        await send_pace.reserve_slot(session, 43, 0.1, 1.0)
        old = SendPace.next_at - timedelta(hours=1)
        await session.execute(update(SendPace).where(SendPace.key == 42).values(next_at=old))
        forgotten = await send_pace.forget_old(session, timedelta(minutes=5))
        keys = set(await session.scalars(select(SendPace.key)))
    assert forgotten == 1
    assert keys == {send_pace.OVERALL, 43}
