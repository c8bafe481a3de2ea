"""Figures at the size of a province: computed in SQL over a subtree of the organisation, so
an organisation with more members than a statement may bind parameters (32,767 on
PostgreSQL) gets its scorecard, and a branch's figures do not depend on what else is in the
database. Seeded with bulk inserts (bench/scale_seed.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.scale_seed import (
    MEMBERS_PER_BRANCH,
    YEAR,
    has_answered,
    has_comment,
    is_exempt,
    is_present,
    plan_status,
    seed_org,
    tie_status,
)
from bot.i18n import translator
from storage import scorecard
from storage.db import transaction
from storage.models import Member, PlanStatus, Standing, TieStatus, Unit
from storage.residence_comments import residence_overview
from storage.scorecard import METRICS, Fraction, Scorecard, scorecards
from storage.standing import Change, record_change

TZ = translator("vi").tz
# Tens of thousands of rows: one such test at a time (tests/conftest.py), and a longer guard.
pytestmark = [pytest.mark.processes, pytest.mark.timeout(180)]
PARAMETER_LIMIT = 32_767


def expected(members: range) -> dict[str, Fraction]:
    """The scorecard figures of the seeded members numbered `members`."""
    n = len(members)
    exempt = sum(1 for i in members if is_exempt(i))
    registered = sum(1 for i in members if tie_status(i) is not None or is_exempt(i))
    commented = sum(1 for i in members if tie_status(i) == TieStatus.CONFIRMED and has_comment(i))
    handed_in = (PlanStatus.SUBMITTED, PlanStatus.ACCEPTED, PlanStatus.RETURNED)
    return {
        "residence_registered": Fraction(registered, n),
        "residence_commented": Fraction(commented, n - exempt),
        "plans_handed_in": Fraction(sum(1 for i in members if plan_status(i) in handed_in), n),
        "good_or_better": Fraction(
            sum(1 for i in members if plan_status(i) == PlanStatus.ACCEPTED), n
        ),
        "attendance": Fraction(sum(1 for i in members if is_present(i)), n),
        "survey_response": Fraction(sum(1 for i in members if has_answered(i)), n),
    }


def figures(card: Scorecard) -> dict[str, Fraction]:
    return {name: getattr(card, name) for name in expected(range(1))}


async def test_scorecard_of_an_organisation_larger_than_the_parameter_limit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    members = PARAMETER_LIMIT + 1 + MEMBERS_PER_BRANCH  # whole branches, past the limit
    async with transaction(sessions) as session:
        seeded = await seed_org(session, members)
        branches, total = await scorecards(session, seeded.root, YEAR, TZ)
        overview = await residence_overview(session, {seeded.root.path}, YEAR, 2)
    assert seeded.members > PARAMETER_LIMIT
    assert figures(total) == expected(range(seeded.members))
    assert len(branches) == len(seeded.branches)
    first = next(card for card in branches if card.unit.id == seeded.branches[0])
    assert figures(first) == expected(range(MEMBERS_PER_BRANCH))
    assert sum(f.members for _branch, f in overview) == seeded.members
    assert sum(f.exempt for _branch, f in overview) == sum(
        1 for i in range(seeded.members) if is_exempt(i)
    )


async def test_a_branch_figure_does_not_change_when_members_join_elsewhere(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        seeded = await seed_org(session, 10 * MEMBERS_PER_BRANCH, "A")
        branch = await session.get(Unit, seeded.branches[3])
        assert branch is not None
        [before], _total = await scorecards(session, branch, YEAR, TZ)
        await seed_org(session, 10_000, "Z", parent=seeded.root)  # a sibling committee
        [after], _total = await scorecards(session, branch, YEAR, TZ)
        _branches, root_after = await scorecards(session, seeded.root, YEAR, TZ)
    own = range(3 * MEMBERS_PER_BRANCH, 4 * MEMBERS_PER_BRANCH)
    assert figures(before) == figures(after) == expected(own)
    assert root_after.plans_handed_in.total == 10 * MEMBERS_PER_BRANCH + 10_020


@pytest.mark.parametrize("many_members", [scorecard.MANY_MEMBERS, 0], ids=["few", "many"])
async def test_a_committees_cards_match_each_branchs_own_with_a_mixed_history(
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    many_members: int,
) -> None:
    """A committee's scorecard reads one snapshot of the standings, a branch's ranks its
    members' history in each query: both give every figure the same, for members with a
    history (half the seeded ones), without one (their flag), exempt, removed and admitted.
    "many": the committee counts as a large one, whose records are read table by table and
    joined to its members once, where a branch's are looked up per member."""
    monkeypatch.setattr(scorecard, "MANY_MEMBERS", many_members)
    on = date(YEAR, 12, 31)
    async with transaction(sessions) as session:
        seeded = await seed_org(session, 3 * MEMBERS_PER_BRANCH, "M")
        ids = list(await session.scalars(select(Member.id).order_by(Member.id)))
        changes = {
            ids[0]: Change(Standing.EXEMPT, date(YEAR, 3, 1), detail="health"),  # no history
            ids[1]: Change(Standing.EXEMPT, date(YEAR, 3, 1), detail="age"),  # history
            ids[32]: Change(Standing.REMOVED, date(YEAR, 5, 1), detail="left"),
            ids[33]: Change(Standing.PROBATIONARY, date(YEAR, 2, 1)),
            ids[64]: Change(Standing.TRANSFERRED_TEMPORARY, date(YEAR, 4, 1)),
        }
        for member_id, change in changes.items():
            someone = await session.get(Member, member_id)
            assert someone is not None
            await record_change(session, someone, change, on)
        committee, _total = await scorecards(session, seeded.root, YEAR, TZ)
        own = {}
        for branch_id in seeded.branches:
            branch = await session.get(Unit, branch_id)
            assert branch is not None
            [own[branch_id]], _ = await scorecards(session, branch, YEAR, TZ)
    for card in committee:
        assert all_figures(card) == all_figures(own[card.unit.id])
    first = next(card for card in committee if card.unit.id == seeded.branches[0])
    assert first.exempt == Fraction(2, MEMBERS_PER_BRANCH)
    second = next(card for card in committee if card.unit.id == seeded.branches[1])
    assert second.admissions.done == 1
    assert second.plans_handed_in.total == MEMBERS_PER_BRANCH - 1  # the removed one is out


def all_figures(card: Scorecard) -> dict[str, Fraction]:
    return {name: getattr(card, name) for name in METRICS}


async def test_a_large_committees_records_read_on_another_connection_give_the_same_cards(
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL a large committee's records are read on a connection of their own, in a
    transaction reading the session's snapshot of the database, beside the other passes: the
    cards are those read on one connection. A transaction that has written reads everything
    itself (another connection would not see its writes), and so does SQLite."""
    monkeypatch.setattr(scorecard, "MANY_MEMBERS", 0)
    monkeypatch.setattr(scorecard, "APART_BRANCHES", 0)
    apart_calls = []
    read_apart = scorecard._duties_apart

    async def spy(*args: Any, **kwargs: Any) -> Any:
        apart_calls.append(args[1])
        return await read_apart(*args, **kwargs)

    monkeypatch.setattr(scorecard, "_duties_apart", spy)
    on = date(YEAR, 12, 31)
    async with transaction(sessions) as session:
        seeded = await seed_org(session, 3 * MEMBERS_PER_BRANCH, "P")
        ids = list(await session.scalars(select(Member.id).order_by(Member.id)))
        someone = await session.get(Member, ids[40])
        assert someone is not None
        await record_change(
            session, someone, Change(Standing.EXEMPT, date(YEAR, 3, 1), detail="age"), on
        )
        written, written_total = await scorecards(session, seeded.root, YEAR, TZ)
    assert apart_calls == []
    async with transaction(sessions) as session:
        root = await session.get(Unit, seeded.root.id)
        assert root is not None
        apart, apart_total = await scorecards(session, root, YEAR, TZ)
        monkeypatch.setattr(scorecard, "APART_BRANCHES", 10**9)
        alone, alone_total = await scorecards(session, root, YEAR, TZ)
    postgres = sessions.kw["bind"].dialect.name == "postgresql"
    assert len(apart_calls) == (1 if postgres else 0)
    assert [all_figures(card) for card in apart] == [all_figures(card) for card in alone]
    assert [all_figures(card) for card in apart] == [all_figures(card) for card in written]
    assert all_figures(apart_total) == all_figures(alone_total) == all_figures(written_total)
    assert apart_total.exempt == Fraction(1, seeded.members)  # the one made exempt
