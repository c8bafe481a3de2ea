"""Drafts: the step and data of a half-finished conversation, one per Telegram user and flow.

Kept in the database (not in PTB's memory) so a restart, a deploy or a second worker never
loses what a person has typed; they continue where they were. A person may have several
drafts at once (a secretary composing a meeting is asked why she will miss another one):
a side question must not wipe the draft she was writing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FlowState


async def get_flow(
    session: AsyncSession, user_id: int, flow: str | None = None
) -> FlowState | None:
    """The user's draft of `flow`; without a flow, the draft they touched last and did not
    leave (where a message they type belongs), or None."""
    if flow is not None:
        return await session.get(FlowState, (user_id, flow))
    latest = (
        select(FlowState)
        .where(FlowState.user_id == user_id, FlowState.paused.is_(False))
        .order_by(FlowState.updated_at.desc(), FlowState.flow)
        .limit(1)
    )
    return (await session.scalars(latest)).first()


async def lock_flow(session: AsyncSession, user_id: int, flow: str) -> FlowState | None:
    """The user's draft of `flow`, locked until the caller's transaction ends (PostgreSQL).

    For the step that uses the draft up (send it, submit it): of two presses at once (two
    devices, a double tap, two instances), the second waits for the first to commit and then
    finds the draft gone, instead of sending it a second time. SQLite has one writer anyway.
    """
    query = (
        select(FlowState)
        .where(FlowState.user_id == user_id, FlowState.flow == flow)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def save_flow(
    session: AsyncSession, user_id: int, flow: str, step: str, data: dict[str, Any], now: datetime
) -> FlowState:
    """Stores the draft of `flow`, leaving the user's other drafts alone; it becomes the
    one their typed messages go to."""
    state = await session.get(FlowState, (user_id, flow))
    if state is None:
        state = FlowState(user_id=user_id, flow=flow)
        session.add(state)
    state.step, state.updated_at, state.paused = step, now, False
    state.data = dict(data)  # a new dict: the JSON column does not see in-place changes
    await session.flush()
    return state


async def touch_flow(session: AsyncSession, state: FlowState, now: datetime) -> None:
    """The person went back to this draft: what they type next belongs to it."""
    state.updated_at, state.paused = now, False
    await session.flush()


async def pause_flows(session: AsyncSession, user_id: int) -> list[FlowState]:
    """The person went elsewhere: their drafts stay, but no question waits for their typing
    any more. The drafts that were waiting, newest first."""
    waiting = (
        select(FlowState)
        .where(FlowState.user_id == user_id, FlowState.paused.is_(False))
        .order_by(FlowState.updated_at.desc(), FlowState.flow)
    )
    states = list((await session.scalars(waiting)).all())
    if states:
        await session.execute(
            update(FlowState).where(FlowState.user_id == user_id).values(paused=True)
        )
    return states


async def left_flow(session: AsyncSession, user_id: int) -> FlowState | None:
    """The draft the person left last (kept, waiting for them to come back), or None."""
    latest = (
        select(FlowState)
        .where(FlowState.user_id == user_id, FlowState.paused.is_(True))
        .order_by(FlowState.updated_at.desc(), FlowState.flow)
        .limit(1)
    )
    return (await session.scalars(latest)).first()


async def clear_flow(session: AsyncSession, user_id: int, flow: str) -> None:
    """Drops the user's draft of `flow`; their other drafts stay."""
    await session.execute(
        delete(FlowState).where(FlowState.user_id == user_id, FlowState.flow == flow)
    )
