"""Housekeeping: outbox rows past OUTBOX_RETENTION_DAYS are deleted, or (a notice's status
still counts them) keep only their outcome; SQLite gets planner statistics at start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.maintenance import Maintenance
from bot.settings import Settings
from storage.db import create_engine, session_factory, transaction
from storage.models import DeliveryStatus, NoticeReceipt, OutboxMessage
from storage.notices import add_notice, notice_status
from tests.factories import member, tree

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=31)
RECENT = NOW - timedelta(days=29)


def row(label: str, status: DeliveryStatus, created_at: datetime, member_id: int) -> OutboxMessage:
    return OutboxMessage(
        chat_id=100,
        member_id=member_id,
        method="sendMessage",
        payload={"text": label},
        status=status,
        next_attempt_at=created_at,
        created_at=created_at,
    )


async def test_old_rows_go_and_a_notices_rows_keep_their_outcome_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    settings = Settings(_env_file=None, outbox_retention_days=30)
    async with transaction(sessions) as session:
        units = await tree(session)
        someone = await member(session, units["CB1"], "Lê An", "0915000001", telegram_id=100)
        rows = {
            "old sent": row("old sent", DeliveryStatus.SENT, OLD, someone.id),
            "old failed": row("old failed", DeliveryStatus.FAILED, OLD, someone.id),
            "old pending": row("old pending", DeliveryStatus.PENDING, OLD, someone.id),
            "recent sent": row("recent sent", DeliveryStatus.SENT, RECENT, someone.id),
            "old notice": row("old notice", DeliveryStatus.SENT, OLD, someone.id),
        }
        session.add_all(rows.values())
        await session.flush()
        notice = await add_notice(session, units["CB1"].id, None, "Họp")
        receipt = NoticeReceipt(
            notice_id=notice.id, member_id=someone.id, outbox_message_id=rows["old notice"].id
        )
        session.add(receipt)
    maintenance = Maintenance(sessions, settings, clock=lambda: NOW)
    pruned = await maintenance.run_once()
    again = await maintenance.run_once()
    async with transaction(sessions) as session:
        left = {r.id: r for r in await session.scalars(select(OutboxMessage))}
        status = await notice_status(session, notice.id)
    assert (pruned.deleted, pruned.blanked) == (2, 1)
    assert (again.deleted, again.blanked) == (0, 0)
    kept = {r.payload.get("text", "(blanked)") for r in left.values()}
    assert kept == {"old pending", "recent sent", "(blanked)"}
    assert left[rows["old notice"].id].status == DeliveryStatus.SENT
    assert (status.total, status.delivered) == (1, 1)  # the status still counts it


async def test_sqlite_gets_planner_statistics_when_the_bot_starts(
    sqlite_url: str,
) -> None:
    engine = create_engine(sqlite_url)
    sessions = session_factory(engine)
    await Maintenance(sessions, Settings(_env_file=None)).run_once()
    async with transaction(sessions) as session:
        stats = await session.execute(text("SELECT count(*) FROM sqlite_stat1"))
        analysed = stats.scalar()
    await engine.dispose()
    assert analysed
