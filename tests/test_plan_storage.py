"""Yearly plan rules and figures on a real database (SQLite, and PostgreSQL when set), the
reminder schedule, text cleaning, and `chibo plan season`."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage import schedule
from storage.db import create_engine, session_factory, transaction
from storage.models import Grade, PlanSeason, PlanStatus, Role
from storage.plan_reports import (
    branch_counts,
    committee_of,
    export_rows,
    missing_members,
    unit_counts,
)
from storage.plan_schedule import schedule_plan_reminders
from storage.plan_seasons import (
    Season,
    SeasonDefaults,
    current_season,
    season_for,
    set_season,
)
from storage.plans import (
    PlanError,
    accept_commitment,
    edit_refusal,
    plan_to_edit,
    record_grade,
    review_plan,
    revisions,
    save_section,
    submit_plan,
)
from storage.text import TextTooLong, clean_text
from tests.factories import member, tree
from tests.plan_helpers import put_plan
from tests.test_cli import cli

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
DEFAULTS = SeasonDefaults()


def season(deadline: date, **changes: object) -> Season:
    values: dict[str, object] = {
        "year": deadline.year,
        "opens_on": date(deadline.year, 1, 1),
        "deadline": deadline,
        "reminder_days": (7, 1),
        "assessment_opens_on": date(deadline.year, 12, 1),
        "assessment_closes_on": date(deadline.year, 12, 31),
        "commitment": {},
    }
    values.update(changes)
    return Season(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "today", "reason"),
    [
        (None, date(2027, 3, 31), None),
        (None, date(2027, 4, 1), "closed"),
        (PlanStatus.DRAFT, date(2026, 12, 31), "not_open"),
        (PlanStatus.SUBMITTED, date(2027, 3, 1), None),
        (PlanStatus.SUBMITTED, date(2027, 4, 1), "closed"),
        (PlanStatus.RETURNED, date(2027, 4, 1), None),  # the committee asked for it
        (PlanStatus.ACCEPTED, date(2027, 3, 1), "accepted"),
    ],
)
def test_when_a_plan_may_be_changed(
    status: PlanStatus | None, today: date, reason: str | None
) -> None:
    from storage.models import YearlyPlan

    plan = None if status is None else YearlyPlan(status=status)
    assert edit_refusal(plan, season(date(2027, 3, 31)), today) == reason


def test_clean_text_strips_invisible_and_control_characters_and_names_the_limit() -> None:
    assert clean_text("  A\u200bn\u200d\x07 \ufeffB\u202e\n", 10) == "An B"
    assert clean_text("Ho\u0300a", 10) == "Hòa"  # NFD from some keyboards becomes NFC
    with pytest.raises(TextTooLong) as error:
        clean_text("x" * 11, 10)
    assert (error.value.length, error.value.limit) == (11, 10)


async def test_nearest_ancestor_season_wins_else_the_defaults(sessions) -> None:
    async with transaction(sessions) as session:
        units = await tree(session)
        await set_season(session, units["HU"], season(date(2027, 3, 15), commitment={"vi": "A"}))
        await set_season(session, units["CB2"], season(date(2027, 4, 30)))
        cb1 = await season_for(session, units["CB1"].path, 2027, DEFAULTS)
        cb2 = await season_for(session, units["CB2"].path, 2027, DEFAULTS)
        cb9 = await season_for(session, units["CB9"].path, 2027, DEFAULTS)
        other_year = await season_for(session, units["CB1"].path, 2028, DEFAULTS)
        # A new date keeps the commitment text set before.
        await set_season(session, units["HU"], season(date(2027, 3, 20)))
        again = await season_for(session, units["CB1"].path, 2027, DEFAULTS)
    assert (cb1.deadline, cb1.unit_id, cb1.commitment) == (
        date(2027, 3, 15),
        units["HU"].id,
        {"vi": "A"},
    )
    assert (cb2.deadline, cb2.unit_id) == (date(2027, 4, 30), units["CB2"].id)
    assert (cb9.deadline, cb9.unit_id, cb9.reminder_days) == (date(2027, 3, 31), None, (7, 1))
    assert other_year.deadline == date(2028, 3, 31)
    assert (again.deadline, again.commitment) == (date(2027, 3, 20), {"vi": "A"})


@pytest.mark.parametrize(
    ("today", "year"),
    [
        (date(2026, 6, 1), 2026),
        (date(2026, 12, 20), 2026),
        (date(2027, 1, 10), 2026),  # the 2026 self-assessment runs into January
        (date(2027, 1, 15), 2026),
        (date(2027, 1, 16), 2027),  # then the new year's plans
        (date(2028, 1, 10), 2028),  # 2027 kept the default window, within its year
    ],
)
async def test_the_current_season_is_last_years_while_its_assessment_runs(
    sessions, today: date, year: int
) -> None:
    async with transaction(sessions) as session:
        units = await tree(session)
        across = {"assessment_closes_on": date(2027, 1, 15)}
        await set_season(session, units["HU"], season(date(2026, 3, 31), **across))
        current = await current_season(session, units["CB1"].path, today, DEFAULTS)
    assert current.year == year


async def test_plan_life_and_its_history(sessions) -> None:
    async with transaction(sessions) as session:
        units = await tree(session)
        an = await member(session, units["CB1"], "An", "0912000001")
        son = await member(session, units["CB1"], "Sơn", "0912000002")
        plan = await plan_to_edit(session, an.id, 2027)
        save_section(plan, "ideology", "Học tập")
        with pytest.raises(PlanError, match="incomplete"):
            await submit_plan(session, plan, NOW)
        for key in ("ethics", "work", "residence"):
            save_section(plan, key, key)
        with pytest.raises(PlanError, match="no_commitment"):
            await submit_plan(session, plan, NOW)
        accept_commitment(plan, "Tôi xin cam kết", NOW)
        await submit_plan(session, plan, NOW)
        save_section(plan, "work", "changed")  # a submitted plan changed is a draft again
        assert plan.status == PlanStatus.DRAFT
        with pytest.raises(PlanError, match="not_submitted"):
            await review_plan(session, plan, son.id, NOW)
        await submit_plan(session, plan, NOW)
        await review_plan(session, plan, son.id, NOW, "Cụ thể hơn")
        await submit_plan(session, plan, NOW)
        await review_plan(session, plan, son.id, NOW)
        with pytest.raises(PlanError, match="accepted"):
            save_section(plan, "work", "too late")
        with pytest.raises(PlanError, match="not_assessed"):
            await record_grade(session, plan, Grade.GOOD, son.id, NOW)
        history = [
            (r.event, r.comment, r.sections["work"]) for r in await revisions(session, plan.id)
        ]
    assert history == [
        ("submitted", None, "work"),
        ("submitted", None, "changed"),
        ("returned", "Cụ thể hơn", "changed"),
        ("submitted", None, "changed"),
        ("accepted", None, "changed"),
    ]


async def test_counts_missing_members_committee_and_export(sessions) -> None:
    async with transaction(sessions) as session:
        u = await tree(session)
        people = {
            key: await member(session, u[code], name, f"09120000{i:02d}", telegram_id=900 + i)
            for i, (key, code, name) in enumerate(
                [
                    ("an", "CB1", "An"),
                    ("binh", "CB1", "Bình"),
                    ("cuong", "CB1", "Cường"),
                    ("dung", "CB2", "Dũng"),
                    ("ha", "CB2", "Hà"),
                ]
            )
        }
        excellent = await put_plan(session, people["an"].id, PlanStatus.ACCEPTED, year=2027)
        excellent.final_grade = Grade.EXCELLENT
        good = await put_plan(session, people["dung"].id, PlanStatus.ACCEPTED, year=2027)
        good.final_grade = Grade.GOOD
        await put_plan(session, people["ha"].id, PlanStatus.SUBMITTED, year=2027)
        await put_plan(session, people["binh"].id, PlanStatus.DRAFT, year=2027)
        await put_plan(session, people["cuong"].id, PlanStatus.ACCEPTED, year=2026)  # last year
        from storage.roles import grant_role

        await grant_role(session, people["ha"], Role.SECRETARY, u["HU"])
        hu = await unit_counts(session, u["HU"].path, 2027)
        cb2 = dict((b.code, c) for b, c in await branch_counts(session, u["HU"].path, 2027))["CB2"]
        missing = [p.member.full_name for p in await missing_members(session, u["CB1"].id, 2027)]
        committee = [p.member.full_name for p in await committee_of(session, u["CB1"])]
        rows = await export_rows(session, u["HU"].path, 2027)
    assert (hu.members, hu.handed_in, hu.accepted, hu.submitted, hu.missing) == (5, 3, 2, 1, 2)
    assert hu.good_or_better_share == 0.4 and not hu.meets_grade_target
    assert cb2.meets_submission_target and cb2.good_or_better_share == 0.5
    assert missing == ["Bình", "Cường"]
    assert committee == ["Hà"]  # CB1 has no committee of its own: HU's answers for it
    assert [(r.branch, r.full_name, r.status, r.final_grade) for r in rows] == [
        ("Chi bộ Khu phố 1", "An", PlanStatus.ACCEPTED, Grade.EXCELLENT),
        ("Chi bộ Khu phố 1", "Bình", PlanStatus.DRAFT, None),
        ("Chi bộ Khu phố 1", "Cường", None, None),
        ("Chi bộ Khu phố 2", "Dũng", PlanStatus.ACCEPTED, Grade.GOOD),
        ("Chi bộ Khu phố 2", "Hà", PlanStatus.SUBMITTED, None),
    ]


async def test_reminder_jobs_are_idempotent_and_follow_the_season(sessions) -> None:
    async def plan_jobs(now: datetime = NOW) -> dict[str, datetime]:
        async with transaction(sessions) as session:
            await schedule_plan_reminders(session, DEFAULTS, 2027, tz=TZ, hour=8, now=now)
            jobs = await schedule.jobs_with_prefix(session, "plan_reminder:")
            return {j.key: j.due_at.replace(tzinfo=UTC) for j in jobs if j.done_at is None}

    async with transaction(sessions) as session:
        u = await tree(session)
        await set_season(session, u["CB2"], season(date(2027, 3, 20), reminder_days=(3,)))
    hu, hx, cb2 = u["HU"].id, u["HX"].id, u["CB2"].id
    first = await plan_jobs()
    assert first == {
        f"plan_reminder:{hu}:2027:7": datetime(2027, 3, 24, 1, 0, tzinfo=UTC),  # 08:00 +07
        f"plan_reminder:{hu}:2027:1": datetime(2027, 3, 30, 1, 0, tzinfo=UTC),
        f"plan_reminder:{hx}:2027:7": datetime(2027, 3, 24, 1, 0, tzinfo=UTC),
        f"plan_reminder:{hx}:2027:1": datetime(2027, 3, 30, 1, 0, tzinfo=UTC),
        f"plan_reminder:{cb2}:2027:3": datetime(2027, 3, 17, 1, 0, tzinfo=UTC),
    }
    assert await plan_jobs() == first
    async with transaction(sessions) as session:  # the seven-day reminder went out
        [sent] = await schedule.jobs_with_prefix(session, f"plan_reminder:{hu}:2027:7")
        sent.done_at = NOW
    assert f"plan_reminder:{hu}:2027:7" not in await plan_jobs()  # not sent again
    async with transaction(sessions) as session:  # the deadline moved, the 1-day one dropped
        await set_season(session, u["HU"], season(date(2027, 4, 15), reminder_days=(7,)))
    moved = await plan_jobs()
    assert moved[f"plan_reminder:{hu}:2027:7"] == datetime(2027, 4, 8, 1, 0, tzinfo=UTC)
    assert f"plan_reminder:{hu}:2027:1" not in moved
    # A reminder whose time passed before it was planned is not made up.
    async with transaction(sessions) as session:
        await set_season(session, u["CB1"], season(date(2027, 3, 20), reminder_days=(3, 1)))
    late = await plan_jobs(datetime(2027, 3, 18, tzinfo=UTC))
    cb1 = u["CB1"].id
    assert f"plan_reminder:{cb1}:2027:3" not in late and f"plan_reminder:{cb1}:2027:1" in late


def test_cli_sets_a_season_and_schedules_its_reminders(sqlite_url: str) -> None:
    assert cli(sqlite_url, "unit", "add", "HU", "Đảng bộ Phường 1").exit_code == 0
    result = cli(
        sqlite_url,
        "plan", "season", "--unit", "HU", "--year", "2099", "--deadline", "15/04/2099",
        "--reminders", "10,2", "--commitment-vi", "Tôi xin cam kết\u200b giữ gìn.",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "từ 01/01/2099 đến 15/04/2099, nhắc nhở trước hạn 10, 2 ngày" in result.output
    assert cli(sqlite_url, "plan", "season", "--unit", "NOPE", "--year", "2099").exit_code == 1
    bad = cli(sqlite_url, "plan", "season", "--unit", "HU", "--year", "2099", "--opens", "1/5/2099")
    assert bad.exit_code == 1 and "Ngày bắt đầu không được sau ngày kết thúc." in bad.output

    async def stored() -> tuple[PlanSeason | None, list[str]]:
        engine = create_engine(sqlite_url)
        try:
            async with transaction(session_factory(engine)) as session:
                row = await session.scalar(select(PlanSeason))
                jobs = await schedule.jobs_with_prefix(session, "plan_reminder:")
                return row, [job.key for job in jobs]
        finally:
            await engine.dispose()

    row, keys = asyncio.run(stored())
    assert row is not None and row.deadline == date(2099, 4, 15)
    assert row.reminder_days == [10, 2] and row.commitment_vi == "Tôi xin cam kết giữ gìn."
    assert sorted(k for k in keys if ":2099:" in k) == [
        "plan_reminder:1:2099:10",
        "plan_reminder:1:2099:2",
    ]
