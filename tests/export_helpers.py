"""A dataset with choices (one item among several, as survey answers will be), for tests."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from storage.exports import registry
from storage.exports.dataset import Choice, Dataset, DatasetSpec, ExportScope
from storage.exports.roster import roster_dataset
from storage.models import Unit
from storage.units import branches_under


async def branches_of(session: AsyncSession, unit: Unit) -> list[Choice]:
    return [Choice(b.id, b.name) for b in await branches_under(session, {unit.path})]


async def one_branch_roster(session: AsyncSession, scope: ExportScope) -> Dataset:
    """A dataset about one item among several, as the survey answers will be."""
    assert scope.choice is not None
    branch = await session.get(Unit, scope.choice)
    assert branch is not None
    return await roster_dataset(session, ExportScope(branch, scope.gettext))


ONE_BRANCH = DatasetSpec("one_branch", "Test: one branch", one_branch_roster, branches_of)


@pytest.fixture
def with_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "DATASETS", (*registry.DATASETS, ONE_BRANCH))
