"""The status of a survey most of a province has answered. PostgreSQL hashes a NOT IN list
only while it fits its working memory (about 150,000 answers by default), and otherwise reads
the whole list again for every member: the status of a survey to 300,000 members, all but a few
answered, ran for ten minutes. The answers must be read once, however little memory the
database may use: here, with 64 kB, 1,500 answers are already too many to hash."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.scale_seed import has_answered, seed_org
from storage.db import transaction
from storage.surveys import audience_counts, first_non_respondents, get_survey
from tests.query_plans import explained, nodes, on_postgres

MEMBERS = 3_000


def rereads_the_answers(plan: dict[str, Any]) -> bool:
    """A subquery evaluated per row (not hashed once) that scans the answers."""
    for node in nodes(plan):
        name = node.get("Subplan Name", "")
        if node.get("Parent Relationship") != "SubPlan" or name.startswith("hashed"):
            continue
        scans = [scan for scan in nodes(node) if "Scan" in scan["Node Type"]]
        answers = [scan for scan in scans if scan.get("Relation Name") == "survey_participations"]
        if answers and not any("Index Cond" in scan for scan in answers):
            return True
    return False


async def test_a_survey_status_reads_the_answers_once_however_little_memory(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        seeded = await seed_org(session, MEMBERS)
    assert seeded.survey_id is not None
    async with transaction(sessions) as session:
        if on_postgres(sessions):
            await session.execute(text("SET LOCAL work_mem = '64kB'"))
            await session.execute(text("SET LOCAL hash_mem_multiplier = 1"))
        survey = await get_survey(session, seeded.survey_id)
        assert survey is not None
        async with explained(sessions, "survey_participations") as plans:
            counts = await audience_counts(session, survey)
            waiting = await first_non_respondents(session, survey, 25)
    answered = sum(1 for i in range(seeded.members) if has_answered(i))
    assert (counts.members, counts.waiting) == (seeded.members, seeded.members - answered)
    assert len(waiting) == 25
    assert [m.name_folded for m in waiting] == sorted(m.name_folded for m in waiting)
    if on_postgres(sessions):
        assert len(plans) == 2
        assert [plan for plan in plans if rereads_the_answers(plan)] == []
