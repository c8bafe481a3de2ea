"""The message slots every instance shares on PostgreSQL (storage/send_pace.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.shared_pace import SharedPace
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
    assert first.taken and first.wait < 0.05  # nothing sent yet: at once
    assert other_chat.taken and 0.05 < other_chat.wait <= 0.1  # the next overall slot
    # The same chat: not before its next slot, a second after its first; it asks again then.
    assert not same_chat.taken and 0.9 < same_chat.wait <= 1.0


async def test_a_chat_not_due_holds_up_no_other_chat(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A reply then the next question to one person: the second waits for its chat's slot
    alone, and a message to someone else still gets the next overall slot."""
    async with transaction(sessions) as session:
        await send_pace.reserve_slot(session, 42, 0.1, 1.0)
        overall_before = await next_at(session, send_pace.OVERALL)
        chat_before = await next_at(session, 42)
        same_chat = await send_pace.reserve_slot(session, 42, 0.1, 1.0)
        assert await next_at(session, send_pace.OVERALL) == overall_before  # nothing taken
        assert await next_at(session, 42) == chat_before
        other_chat = await send_pace.reserve_slot(session, 43, 0.1, 1.0)
    assert not same_chat.taken and same_chat.wait > 0.9
    assert other_chat.taken and other_chat.wait <= 0.1  # not after 42's slot


async def test_a_chat_due_takes_the_next_overall_slot(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Asking again once its chat is due, a message takes the overall slot then, and its
    chat's next slot is a chat interval after that one."""
    async with transaction(sessions) as session:
        await send_pace.reserve_slot(session, 42, 1.0, 2.0)
        due = SendPace.next_at - timedelta(seconds=2)  # its first slot: due now
        await session.execute(update(SendPace).where(SendPace.key == 42).values(next_at=due))
        overall = await next_at(session, send_pace.OVERALL)
        again = await send_pace.reserve_slot(session, 42, 1.0, 2.0)
        chat_after = await next_at(session, 42)
    assert again.taken and 0.5 < again.wait <= 1.0
    assert chat_after == overall + timedelta(seconds=2.0)


async def test_turn_lets_other_chats_go_while_a_chat_waits(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """End to end: the second message to a chat goes a chat interval after its first, and a
    message to another chat asked for meanwhile goes before it, not after it."""
    pace = SharedPace(sessions, per_second=24)  # overall slots 0.05 s apart
    pace.set_chat_rate(2)  # a chat's slots 0.6 s apart
    loop = asyncio.get_running_loop()
    gone: dict[str, float] = {}

    async def send(name: str, chat_id: int) -> None:
        await pace.turn(chat_id)
        gone[name] = loop.time()

    await send("first", 42)
    second = asyncio.create_task(send("second", 42))
    await asyncio.sleep(0.05)  # the second asks first
    await send("other", 43)
    await second
    assert gone["first"] < gone["other"] < gone["second"]
    assert gone["second"] - gone["first"] >= pace.chat_seconds - 0.05


async def test_two_instances_waiting_for_one_chat_go_a_chat_interval_apart(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two instances' messages to one chat wait for the same slot and ask again at once: the
    rows' lock lets one take it, and the other waits for the chat's next."""
    instances = [SharedPace(sessions, per_second=24) for _ in range(2)]
    for pace in instances:
        pace.set_chat_rate(2)  # a chat's slots 0.6 s apart
    loop = asyncio.get_running_loop()

    async def send(pace: SharedPace) -> float:
        await pace.turn(42)
        return loop.time()

    first = await send(instances[0])
    later = sorted(await asyncio.gather(*(send(pace) for pace in instances)))
    gaps = [b - a for a, b in pairwise([first, *later])]
    assert all(gap >= instances[0].chat_seconds - 0.05 for gap in gaps), gaps


async def next_at(session: AsyncSession, key: int) -> datetime:
    return (await session.get_one(SendPace, key, populate_existing=True)).next_at


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
