"""The status of a notice just queued to many. Until PostgreSQL's statistics are gathered
again (autovacuum: a minute later, or, in a large table, not for one write), the planner takes
the new notice for a single receipt. A plan built on that which reads the whole notice again
for every receipt took over ten minutes at 300,000 members (bench/scale); the status must read
each side once. And a notice to many gets its statistics in the transaction that wrote it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import and_, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.scale_seed import MEMBERS_PER_BRANCH, seed_org
from storage import notices
from storage.db import analyse_now, transaction
from storage.models import DeliveryStatus, Member, Notice, NoticeReceipt, OutboxMessage, Unit
from storage.notices import add_notice, notice_status, queue_notice
from tests.query_plans import explained, nodes, on_postgres

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
MESSAGES = {"vi": ("sendMessage", {"text": "Thông báo"})}
MEMBERS = 10 * MEMBERS_PER_BRANCH
SIDES = ("notice_receipts", "outbox_messages")


async def seeded_then_new_notice(sessions: async_sessionmaker[AsyncSession]) -> Notice:
    """An organisation with a notice to everyone, statistics gathered; then a second notice
    to everyone, queued as the product does."""
    async with transaction(sessions) as session:
        seeded = await seed_org(session, MEMBERS)
    async with transaction(sessions) as session:
        await analyse_now(session, notices.RECEIPTS, notices.OUTBOX)
    async with transaction(sessions) as session:
        root = await session.get(Unit, seeded.root.id)
        assert root is not None
        notice = await add_notice(session, root.id, None, "Họp toàn Đảng bộ")
        await queue_notice(session, notice, root, MESSAGES, default="vi", now=NOW)
    return notice


async def estimated_receipts(session: AsyncSession, notice_id: int) -> int:
    query = f"EXPLAIN (FORMAT JSON) SELECT * FROM notice_receipts WHERE notice_id = {notice_id}"
    plan = (await session.execute(text(query))).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def rereads_the_notice(plan: dict[str, Any]) -> bool:
    """A loop that scans the notice's receipts or its broadcast's rows once per row of its
    other side, filtering them by the join condition (not looking up one row by key)."""
    for node in nodes(plan):
        if node["Node Type"] != "Nested Loop" or "Join Filter" not in node:
            continue
        inner = next(c for c in node["Plans"] if c["Parent Relationship"] == "Inner")
        for scan in nodes(inner):
            conditions = f"{scan.get('Index Cond', '')} {scan.get('Filter', '')}"
            if scan["Node Type"] == "Seq Scan" and scan.get("Relation Name") in SIDES:
                return True
            if "notice_id =" in conditions or "broadcast_id =" in conditions:
                return True
    return False


async def test_a_notice_the_statistics_have_not_seen_is_counted_reading_each_side_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    notice = await seeded_then_new_notice(sessions)
    postgres = on_postgres(sessions)
    async with transaction(sessions) as session:
        linked = (
            await session.execute(select(func.count()).where(Member.telegram_user_id.is_not(None)))
        ).scalar_one()
        if postgres:  # what this test is about: the planner takes the notice for one receipt
            assert await estimated_receipts(session, notice.id) < 10
        async with explained(sessions, "notice_receipts") as plans:
            status = await notice_status(session, notice.id)
    assert (status.total, status.sending) == (MEMBERS, linked)
    assert status.never_linked_count == MEMBERS - linked > 0
    assert len(status.never_linked) == min(notices.STATUS_NAMES, MEMBERS - linked)
    assert status.delivered == status.not_acknowledged_count == len(status.blocked) == 0
    if postgres:
        assert plans  # the counts, then the list of never linked (the others are empty)
        assert [plan for plan in plans if rereads_the_notice(plan)] == []


@pytest.mark.postgres
async def test_a_notice_to_many_gets_its_statistics_with_its_rows(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not on_postgres(sessions):
        pytest.skip("PostgreSQL's planner statistics")
    monkeypatch.setattr(notices, "ANALYSE_FROM", MEMBERS // 2)
    notice = await seeded_then_new_notice(sessions)
    async with transaction(sessions) as session:
        assert await estimated_receipts(session, notice.id) >= MEMBERS // 2


@pytest.mark.parametrize("few", [0, 10**6], ids=["walking-the-names", "from-the-notice"])
async def test_each_list_names_its_first_members_by_name_however_it_is_read(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    """A list is read walking the members in name order, or, when short, from the notice's
    own rows and then its members by id: the same names either way."""
    monkeypatch.setattr(notices, "FEW", few)
    async with transaction(sessions) as session:
        seeded = await seed_org(session, 2 * MEMBERS)  # every list over two pages
        assert seeded.notice_id is not None
        broadcast = await session.scalar(
            select(Notice.broadcast_id).where(Notice.id == seeded.notice_id)
        )
        blocked = update(OutboxMessage).where(
            OutboxMessage.broadcast_id == broadcast, OutboxMessage.member_id % 4 == 0
        )
        await session.execute(blocked.values(status=DeliveryStatus.UNREACHABLE))
    async with transaction(sessions) as session:
        status = await notice_status(session, seeded.notice_id, names=25)
        expected = {}
        for name, which in (
            ("blocked", OutboxMessage.status == DeliveryStatus.UNREACHABLE),
            ("never_linked", NoticeReceipt.outbox_message_id.is_(None)),
            (
                "not_acknowledged",
                and_(
                    OutboxMessage.status == DeliveryStatus.SENT,
                    NoticeReceipt.acknowledged_at.is_(None),
                ),
            ),
        ):
            everyone = (
                select(Member.full_name, Member.name_folded, Member.id)
                .join(NoticeReceipt, NoticeReceipt.member_id == Member.id)
                .outerjoin(OutboxMessage, OutboxMessage.id == NoticeReceipt.outbox_message_id)
                .where(NoticeReceipt.notice_id == seeded.notice_id, which)
            )
            rows = sorted((await session.execute(everyone)).all(), key=lambda r: (r[1], r[2]))
            expected[name] = (len(rows), [full_name for full_name, *_ in rows])
    for name, (count, in_order) in expected.items():
        listed = notices.NoticeList(name)
        assert count > 50, name  # every list is longer than two pages
        assert status.count_of(listed) == count, name
        assert [m.full_name for m in status.names_of(listed)] == in_order[:25], name
        async with transaction(sessions) as session:
            for page in (1, 2):
                shown = await notices.notice_list_page(session, seeded.notice_id, listed, page, 25)
                assert shown[:2] == (count, page), name
                names = [m.full_name for m in shown[2]]
                assert names == in_order[page * 25 : (page + 1) * 25], (name, page)
