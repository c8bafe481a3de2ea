"""The plan season that applies to the actor or a unit today, for every screen that shows it
(the plans feature, the main menu's calendar)."""

from __future__ import annotations

from datetime import date

from bot.settings import Settings
from handlers.shared.common import Context
from storage.plan_seasons import Season, SeasonDefaults, current_season, planning_season


def season_defaults(settings: Settings) -> SeasonDefaults:
    return settings.plan_season_defaults()


def today(context: Context) -> date:
    """The local date: deadlines are days in the branch's time zone."""
    return context.today()


async def own_season(context: Context) -> Season:
    """The season the actor's own branch is in now (last year's while its self-assessment
    runs into January)."""
    return await season_at(context, context.actor.branch_path)


async def own_plan_season(context: Context) -> Season:
    """The season whose plan the actor writes now: next year's once it has opened."""
    return await plan_season_at(context, context.actor.branch_path)


async def plan_season_at(context: Context, unit_path: str | None) -> Season:
    """The season whose plans are written and reviewed now in the unit."""
    return await planning_season(
        context.db, unit_path or "/", today(context), season_defaults(context.settings)
    )


async def season_at(context: Context, unit_path: str | None) -> Season:
    """The season the unit is in today: the year plans, lists and figures are about."""
    return await current_season(
        context.db, unit_path or "/", today(context), season_defaults(context.settings)
    )
