"""Plan seasons: when a unit's members write their yearly plan and their self-assessment.

A season stored for a unit applies to it and every unit under it; the nearest ancestor's
wins. Where none is stored, the defaults (from settings) apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PlanSeason, Unit


def month_day(value: str, year: int) -> date:
    """The day `value` (MM-DD) of `year`; 02-29 is the 28th in other years."""
    month, day = (int(part) for part in value.split("-"))
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


@dataclass(frozen=True)
class Season:
    """One year's plan calendar as it applies to a unit."""

    year: int
    opens_on: date
    deadline: date
    reminder_days: tuple[int, ...]
    assessment_opens_on: date
    assessment_closes_on: date
    commitment: dict[str, str]  # language -> text, only the languages configured
    unit_id: int | None = None  # whose stored season this is; None: the defaults

    def plans_open(self, today: date) -> bool:
        return self.opens_on <= today <= self.deadline

    def assessment_open(self, today: date) -> bool:
        return self.assessment_opens_on <= today <= self.assessment_closes_on


@dataclass(frozen=True)
class SeasonDefaults:
    """The calendar of a year where no unit has stored a season (MM-DD of that year)."""

    opens_on: str = "01-01"
    deadline: str = "03-31"
    reminder_days: tuple[int, ...] = (7, 1)
    assessment_opens_on: str = "12-01"
    assessment_closes_on: str = "12-31"

    def season(self, year: int) -> Season:
        return Season(
            year=year,
            opens_on=month_day(self.opens_on, year),
            deadline=month_day(self.deadline, year),
            reminder_days=self.reminder_days,
            assessment_opens_on=month_day(self.assessment_opens_on, year),
            assessment_closes_on=month_day(self.assessment_closes_on, year),
            commitment={},
        )


def _season_of(row: PlanSeason) -> Season:
    commitment = {
        language: text
        for language, text in (("vi", row.commitment_vi), ("en", row.commitment_en))
        if text
    }
    return Season(
        year=row.year,
        opens_on=row.opens_on,
        deadline=row.deadline,
        reminder_days=tuple(row.reminder_days),
        assessment_opens_on=row.assessment_opens_on,
        assessment_closes_on=row.assessment_closes_on,
        commitment=commitment,
        unit_id=row.unit_id,
    )


def ancestor_ids(unit_path: str) -> list[int]:
    """The ids in a unit path, the unit itself last: '/1/4/9/' -> [1, 4, 9]."""
    return [int(part) for part in unit_path.strip("/").split("/") if part]


async def season_for(
    session: AsyncSession, unit_path: str, year: int, defaults: SeasonDefaults
) -> Season:
    """The season that applies to the unit at `unit_path`: its own or its nearest ancestor's
    stored season, else the defaults."""
    ids = ancestor_ids(unit_path)
    rows = await session.scalars(
        select(PlanSeason).where(PlanSeason.unit_id.in_(ids), PlanSeason.year == year)
    )
    by_unit = {row.unit_id: row for row in rows}
    for unit_id in reversed(ids):
        if unit_id in by_unit:
            return _season_of(by_unit[unit_id])
    return defaults.season(year)


async def current_season(
    session: AsyncSession, unit_path: str, today: date, defaults: SeasonDefaults
) -> Season:
    """The season the unit is in on `today`: last year's while its self-assessment window
    is still open (a window may run from December into January), else this year's."""
    this_year = await season_for(session, unit_path, today.year, defaults)
    if this_year.assessment_opens_on <= today <= this_year.assessment_closes_on:
        return this_year
    last_year = await season_for(session, unit_path, today.year - 1, defaults)
    if last_year.assessment_opens_on <= today <= last_year.assessment_closes_on:
        return last_year
    return this_year


async def stored_season(session: AsyncSession, unit_id: int, year: int) -> PlanSeason | None:
    return await session.scalar(
        select(PlanSeason).where(PlanSeason.unit_id == unit_id, PlanSeason.year == year)
    )


async def set_season(
    session: AsyncSession, unit: Unit, season: Season, *, keep_commitment: bool = True
) -> PlanSeason:
    """Stores the unit's season for `season.year`, replacing the dates of an existing one;
    commitment texts not given are kept (with `keep_commitment`)."""
    row = await stored_season(session, unit.id, season.year)
    if row is None:
        row = PlanSeason(unit_id=unit.id, year=season.year)
        session.add(row)
    row.opens_on, row.deadline = season.opens_on, season.deadline
    row.reminder_days = list(season.reminder_days)
    row.assessment_opens_on = season.assessment_opens_on
    row.assessment_closes_on = season.assessment_closes_on
    for language in ("vi", "en"):
        text = season.commitment.get(language)
        if text or not keep_commitment:
            setattr(row, f"commitment_{language}", text)
    await session.flush()
    return row


async def stored_seasons(session: AsyncSession, year: int) -> list[tuple[Unit, PlanSeason]]:
    """Every unit's stored season of the year, in tree order."""
    rows = await session.execute(
        select(Unit, PlanSeason)
        .join(PlanSeason, PlanSeason.unit_id == Unit.id)
        .where(PlanSeason.year == year)
        .order_by(Unit.path)
    )
    return [(unit, season) for unit, season in rows.tuples()]


async def planning_season(
    session: AsyncSession, unit_path: str, today: date, defaults: SeasonDefaults
) -> Season:
    """The season whose plans are written now: next year's once its season has opened (a
    season for next year may open in December), else the current one."""
    following = await season_for(session, unit_path, today.year + 1, defaults)
    if following.opens_on <= today:
        return following
    return await current_season(session, unit_path, today, defaults)
