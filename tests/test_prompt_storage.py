"""Storage rules behind prompts and reminders: a left draft no longer takes typed text until
the person returns; who got a reminder of what, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import audit, clock
from storage.db import transaction
from storage.flows import get_flow, left_flow, pause_flows, save_flow, touch_flow
from storage.reminders import reminded_since

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


async def test_a_left_draft_takes_no_typed_text_until_the_person_returns(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        await save_flow(session, 7, "meeting", "place", {"unit_id": 1}, NOW)
        await save_flow(session, 7, "plan", "section", {"key": "study"}, NOW + timedelta(1))
        await save_flow(session, 8, "notice", "text", {}, NOW)
        waiting = await pause_flows(session, 7)
        assert [s.flow for s in waiting] == ["plan", "meeting"]  # newest first
        assert await get_flow(session, 7) is None  # typed text goes nowhere
        assert (await get_flow(session, 8)) is not None  # another person's draft is untouched
        left = await left_flow(session, 7)
        assert left is not None and left.flow == "plan" and left.data == {"key": "study"}
        assert await pause_flows(session, 7) == []  # nothing was waiting any more

        meeting = await get_flow(session, 7, "meeting")
        assert meeting is not None
        await touch_flow(session, meeting, NOW + timedelta(2))  # back from its menu
        current = await get_flow(session, 7)
        assert current is not None and current.flow == "meeting" and not current.paused
        await save_flow(session, 7, "plan", "section", {"key": "ethics"}, NOW + timedelta(3))
        current = await get_flow(session, 7)
        assert current is not None and current.flow == "plan"


async def test_reminded_since_names_who_got_this_reminder_and_when(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        for object_id, member_ids in ((5, [1, 2]), (5, [3]), (6, [4])):
            await audit.record(
                session,
                "notice_reminded",
                object_type="notice",
                object_id=object_id,
                details={"recipients": len(member_ids), "member_ids": member_ids},
            )
    now = clock.now()
    async with transaction(sessions) as session:
        recent = await reminded_since(session, "notice_reminded", "notice", 5, now - timedelta(1))
        assert recent.member_ids == {1, 2, 3} and recent.last_at is not None
        assert abs(recent.last_at - now) < timedelta(hours=1)
        later = await reminded_since(session, "notice_reminded", "notice", 5, now + timedelta(1))
        assert later.member_ids == set() and later.last_at is None  # the interval has passed
        other = await reminded_since(session, "survey_reminded", "notice", 5, now - timedelta(1))
        assert other.member_ids == set()
