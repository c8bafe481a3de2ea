"""When plan reminders go out: one stored job per season owner, year and offset.

A season owner is a unit with a stored season of the year, or a top-level unit (whose
branches follow the defaults). Each job reminds the branches whose season is the owner's.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import schedule
from storage.models import PlanSeason, Unit
from storage.plan_seasons import SeasonDefaults, season_for

KIND = "plan_reminder"


def reminder_key(unit_id: int, year: int, days: int) -> str:
    return f"{KIND}:{unit_id}:{year}:{days}"


async def season_owners(session: AsyncSession, year: int) -> list[Unit]:
    """Top-level units and units with a stored season of the year, in tree order."""
    stored = select(PlanSeason.unit_id).where(PlanSeason.year == year)
    query = select(Unit).where(Unit.parent_id.is_(None) | Unit.id.in_(stored))
    return list(await session.scalars(query.order_by(Unit.path)))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops it


async def schedule_plan_reminders(
    session: AsyncSession,
    defaults: SeasonDefaults,
    year: int,
    *,
    tz: tzinfo,
    hour: int,
    now: datetime,
) -> None:
    """(Re)schedules the reminder jobs of the year at `hour` local time. A reminder already
    sent stays sent unless its day moved; past ones are not made up; offsets no longer
    configured are dropped."""
    for unit in await season_owners(session, year):
        season = await season_for(session, unit.path, year, defaults)
        prefix = f"{KIND}:{unit.id}:{year}:"
        existing = {job.key: job for job in await schedule.jobs_with_prefix(session, prefix)}
        wanted = set()
        for days in season.reminder_days:
            day = season.deadline - timedelta(days=days)
            due = datetime.combine(day, time(hour), tz).astimezone(UTC)
            key = reminder_key(unit.id, year, days)
            wanted.add(key)
            job = existing.get(key)
            if due <= now or (job is not None and _aware(job.due_at) == due):
                continue  # past, or already set for that moment (sent or waiting)
            payload = {"unit_id": unit.id, "year": year, "days": days}
            await schedule.schedule(session, KIND, key, due, payload)
        for key in existing.keys() - wanted:
            await schedule.cancel(session, key)


async def schedule_reminders(
    session: AsyncSession,
    defaults: SeasonDefaults,
    *,
    tz: tzinfo,
    hour: int,
    now: datetime,
    also: int | None = None,
) -> None:
    """Plans the reminder jobs of this year and the next (run at start and after a season
    changes: a bot running across New Year has next year's already), and of year `also`."""
    year = now.astimezone(tz).year
    for each in sorted({year, year + 1} | ({also} if also else set())):
        await schedule_plan_reminders(
            session, defaults, each, tz=tz, hour=hour, now=now.astimezone(UTC)
        )
