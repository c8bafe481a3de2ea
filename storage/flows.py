"""Drafts: the step and data of a half-finished conversation, one per Telegram user.

Kept in the database (not in PTB's memory) so a restart, a deploy or a second worker never
loses what a person has typed; they continue where they were.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FlowState


async def get_flow(
    session: AsyncSession, user_id: int, flow: str | None = None
) -> FlowState | None:
    """The user's draft (of `flow`, when given), or None."""
    state = await session.get(FlowState, user_id)
    if state is None or (flow is not None and state.flow != flow):
        return None
    return state


async def save_flow(
    session: AsyncSession, user_id: int, flow: str, step: str, data: dict[str, Any], now: datetime
) -> FlowState:
    """Stores the draft, replacing any other draft of the user (one conversation at a time)."""
    state = await session.get(FlowState, user_id)
    if state is None:
        state = FlowState(user_id=user_id)
        session.add(state)
    state.flow, state.step, state.updated_at = flow, step, now
    state.data = dict(data)  # a new dict: the JSON column does not see in-place changes
    await session.flush()
    return state


async def clear_flow(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(FlowState).where(FlowState.user_id == user_id))
