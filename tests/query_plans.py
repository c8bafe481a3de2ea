"""What PostgreSQL plans for the statements a block runs: for tests that a figure reads each
row once, whatever the planner's estimates (timing such a thing would be a flaky test)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def on_postgres(sessions: async_sessionmaker[AsyncSession]) -> bool:
    return bool(sessions.kw["bind"].dialect.name == "postgresql")


@asynccontextmanager
async def explained(
    sessions: async_sessionmaker[AsyncSession], touching: str
) -> AsyncIterator[list[dict[str, Any]]]:
    """The plans (EXPLAIN's JSON, the top node) of the SELECT statements touching the table
    `touching` that run in the block, each explained on its own connection just before it
    runs (so with the transaction's settings). Nothing on SQLite."""
    plans: list[dict[str, Any]] = []
    if not on_postgres(sessions):
        yield plans
        return
    engine = sessions.kw["bind"].sync_engine

    def explain(conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if touching not in statement or not statement.lstrip().startswith("SELECT"):
            return
        own = conn.connection.cursor()
        own.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        found = own.fetchone()[0]
        plans.append((json.loads(found) if isinstance(found, str) else found)[0]["Plan"])

    event.listen(engine, "before_cursor_execute", explain)
    try:
        yield plans
    finally:
        event.remove(engine, "before_cursor_execute", explain)


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)
