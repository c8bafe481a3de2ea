"""Builders for delivery tests and the broadcast benchmark: a branch, its members on the fake
server, and a notice to all of them through the outbox."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.members import touch_account
from storage.models import Broadcast, Member, OutboxMessage, Role
from storage.outbox import NewMessage, text_payload
from tests.factories import member, tree
from tests.fakebot import FakeBotApi

SECRETARY_ID = 4000
FIRST_MEMBER_ID = 50_000
NOTICE = "Thông báo: sinh hoạt chi bộ thường kỳ lúc 19:30 ngày 05/12/2025."


@dataclass
class Branch:
    secretary: Member
    members: list[Member]
    unit_id: int


async def seed_branch(
    session: AsyncSession,
    fake: FakeBotApi,
    count: int,
    *,
    secretary_language: str = "vi",
    names: dict[int, str] | None = None,
) -> Branch:
    """A branch with a bound secretary and `count` bound members, all known to the fake."""
    units = await tree(session)
    branch = units["CB1"]
    secretary = await member(
        session,
        branch,
        "Bí thư Hà",
        "0900000001",
        telegram_id=SECRETARY_ID,
        role=Role.SECRETARY,
    )
    (await touch_account(session, SECRETARY_ID, None)).language = secretary_language
    fake.user(SECRETARY_ID, language_code=secretary_language)
    members = []
    for i in range(count):
        name = (names or {}).get(i, f"Đảng viên {i:04d}")
        user_id = FIRST_MEMBER_ID + i
        members.append(await member(session, branch, name, f"091{i:07d}", telegram_id=user_id))
        fake.user(user_id, language_code="vi")
    return Branch(secretary, members, branch.id)


async def send_notice(session: AsyncSession, branch: Branch, text: str = NOTICE) -> Broadcast:
    """What the notices feature will do: one row per member, one broadcast."""
    messages = [
        NewMessage(m.telegram_user_id, text_payload(text), member_id=m.id)
        for m in branch.members
        if m.telegram_user_id is not None
    ]
    return await outbox.enqueue_broadcast(
        session,
        "notice",
        messages,
        created_by_member_id=branch.secretary.id,
        unit_id=branch.unit_id,
    )


def notice_counts(fake: FakeBotApi, branch: Branch, text: str = NOTICE) -> Counter[int]:
    """How many times each member's chat got the notice."""
    counts: Counter[int] = Counter()
    wanted = {m.telegram_user_id for m in branch.members}
    for message in fake.sent:
        if message.text == text and message.chat_id in wanted:
            counts[message.chat_id] += 1
    return counts


def record_arrivals(fake: FakeBotApi) -> list[float]:
    """Monotonic arrival times of every sendMessage request at the fake (also refused ones)."""
    arrivals: list[float] = []
    dispatch = fake._dispatch

    async def timed(method, params, files):
        if method == "sendmessage":
            arrivals.append(time.monotonic())
        return await dispatch(method, params, files)

    fake._dispatch = timed  # type: ignore[method-assign]
    return arrivals


async def outbox_rows(session: AsyncSession, broadcast_id: int) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast_id)
    return list(await session.scalars(query.order_by(OutboxMessage.id)))
