"""`chibo plan season`: a unit's calendar of yearly plans (and its commitment text)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import fail, load_settings, run_in_transaction
from bot.i18n import N_, Translator
from bot.settings import Settings
from storage import audit, clock
from storage.plan_schedule import schedule_reminders
from storage.plan_seasons import Season, season_for, set_season
from storage.text import TextTooLong, clean_text
from storage.units import get_unit

COMMITMENT_LIMIT = 3500  # shown in one message with the heading


def _date(value: str | None) -> date | None:
    """dd/mm/yyyy, as people write it, or yyyy-mm-dd."""
    if value is None:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    raise click.BadParameter(value)


def _days(value: str | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    try:
        days = sorted({int(part) for part in value.split(",") if part.strip()}, reverse=True)
    except ValueError:
        raise click.BadParameter(value) from None
    if any(d < 0 or d > 366 for d in days):
        raise click.BadParameter(value)
    return tuple(days)


@click.group(help=N_("Yearly plans: each unit's calendar, applying to the units under it."))
def plan() -> None:
    pass


@plan.command(
    "season",
    help=N_("Set a unit's plan calendar for YEAR; what is not given stays as it applies now."),
)
@click.option(
    "--unit", "unit_code", required=True, help=N_("Code of the unit (and those under it).")
)
@click.option("--year", type=int, required=True)
@click.option("--opens", help=N_("First day plans can be written (dd/mm/yyyy)."))
@click.option("--deadline", help=N_("Last day to submit plans (dd/mm/yyyy)."))
@click.option("--reminders", help=N_("Days before the deadline to remind, e.g. 7,1."))
@click.option("--assessment-opens", help=N_("First day of the self-assessment (dd/mm/yyyy)."))
@click.option("--assessment-closes", help=N_("Last day of the self-assessment (dd/mm/yyyy)."))
@click.option("--commitment-vi", help=N_("The commitment text in Vietnamese."))
@click.option("--commitment-en", help=N_("The commitment text in English."))
def plan_season(unit_code: str, year: int, **options: str | None) -> None:
    settings, _ = load_settings()

    async def work(session: AsyncSession) -> Season | None:
        unit = await get_unit(session, unit_code)
        if unit is None:
            return None
        current = await season_for(session, unit.path, year, settings.plan_season_defaults())
        season = _changed(current, options)
        if season.opens_on > season.deadline or (
            season.assessment_opens_on > season.assessment_closes_on
        ):
            fail(_("The season's first day must not be after its last day."))
        await set_season(session, unit, season)
        await audit.record(
            session, "plan_season", actor_label="cli", unit_id=unit.id, details={"year": year}
        )
        await schedule_reminders(
            session,
            settings.plan_season_defaults(),
            tz=settings.tz,
            hour=settings.plan_reminder_hour,
            now=clock.now(),
            also=year,
        )
        return season

    season = run_in_transaction(settings, work)
    if season is None:
        fail(_("There is no unit with the code {code}.", code=unit_code))
    click.echo(_season_text(unit_code, season, settings, _))


def _changed(current: Season, options: dict[str, str | None]) -> Season:
    commitment = dict(current.commitment) if current.unit_id is not None else {}
    for language in ("vi", "en"):
        text = options.get(f"commitment_{language}")
        if text:
            try:
                commitment[language] = clean_text(text, COMMITMENT_LIMIT)
            except TextTooLong:
                raise click.BadParameter(f"--commitment-{language}: > {COMMITMENT_LIMIT}") from None
    return replace(
        current,
        opens_on=_date(options.get("opens")) or current.opens_on,
        deadline=_date(options.get("deadline")) or current.deadline,
        reminder_days=_days(options.get("reminders")) or current.reminder_days,
        assessment_opens_on=_date(options.get("assessment_opens")) or current.assessment_opens_on,
        assessment_closes_on=_date(options.get("assessment_closes"))
        or current.assessment_closes_on,
        commitment=commitment,
    )


def _season_text(code: str, season: Season, settings: Settings, _: Translator) -> str:
    return _(
        "Plans of {year} for {code} and the units under it: from {opens} to {deadline}, "
        "reminders {days} days before; self-assessment from {assessment_opens} to "
        "{assessment_closes}.",
        year=season.year,
        code=code,
        opens=_.date_text(season.opens_on),
        deadline=_.date_text(season.deadline),
        days=", ".join(str(d) for d in season.reminder_days),
        assessment_opens=_.date_text(season.assessment_opens_on),
        assessment_closes=_.date_text(season.assessment_closes_on),
    )
