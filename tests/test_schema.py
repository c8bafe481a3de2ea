"""The migrated schema: every foreign key has an index whose first columns are its own, so
joins through it and deletes of the rows it points to never scan the referring table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Base


def _unindexed_foreign_keys(connection: Any) -> list[str]:
    inspector = inspect(connection)
    missing = []
    for table in inspector.get_table_names():
        leading = [list(i["column_names"]) for i in inspector.get_indexes(table)]
        leading += [list(u["column_names"]) for u in inspector.get_unique_constraints(table)]
        leading.append(list(inspector.get_pk_constraint(table)["constrained_columns"]))
        for fk in inspector.get_foreign_keys(table):
            columns = list(fk["constrained_columns"])
            if not any(index[: len(columns)] == columns for index in leading):
                missing.append(f"{table}.{','.join(columns)}")
    return missing


async def test_every_foreign_key_has_an_index(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        connection = await session.connection()
        missing = await connection.run_sync(_unindexed_foreign_keys)
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert missing == []
    assert set(Base.metadata.tables) <= tables  # the check saw every table of the model
