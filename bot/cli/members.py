"""`chibo member status`: record a change of a member's party standing (dated, with the
decision's number), and `chibo member history`: the member's standing over time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.support import fail, load_settings, run_in_transaction
from bot.i18n import N_, Translator
from bot.settings import Settings
from storage import clock
from storage.members import find_member
from storage.models import Standing
from storage.standing import (
    DETAILS,
    Change,
    StandingError,
    end_period,
    history,
    open_overlay,
    record_change,
)

# The old flag's words still work: active is official, inactive removed from the roster.
LEGACY = {"active": Standing.OFFICIAL.value, "inactive": Standing.REMOVED.value}
STATUS_CHOICE = click.Choice([s.value for s in Standing] + list(LEGACY))
REASONS = sorted({d for kinds in DETAILS.values() for d in kinds})


def _day(value: str | None, today: date) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        raise click.BadParameter(value) from None


@click.group(help=N_("Members of the rosters."))
def member() -> None:
    pass


@member.command(
    "status",
    help=N_(
        "Record that PERSON (phone or party card number) is STATUS from a date. Statuses:"
        " probationary, official, exempt (--reason age|health|other), "
        "transferred_temporary, transferred_out (--note: the destination), removed "
        "(--reason xoa_ten|khai_tru|left|deceased). The history is kept; an exemption "
        "ends with `chibo member end-exemption`."
    ),
)
@click.argument("person")
@click.argument("status", type=STATUS_CHOICE)
@click.option("--from", "start", help=N_("From this date, dd/mm/yyyy (default: today)."))
@click.option("--until", "end", help=N_("Until this date (an exemption's end), dd/mm/yyyy."))
@click.option("--reason", type=click.Choice(REASONS), help=N_("Exemption reason or removal kind."))
@click.option("--note", help=N_("The reason in words, or where the member transferred to."))
@click.option("--decision", "decision_no", help=N_("The decision's number."))
def member_status(
    person: str,
    status: str,
    start: str | None,
    end: str | None,
    reason: str | None,
    note: str | None,
    decision_no: str | None,
) -> None:
    settings, _ = load_settings()
    today = clock.today(settings.tz)
    wanted = Standing(LEGACY.get(status, status))
    if wanted == Standing.REMOVED and reason is None and status == "inactive":
        reason = "xoa_ten"
    change = Change(
        wanted,
        _day(start, today) or today,
        _day(end, today),
        detail=reason if wanted in DETAILS else None,
        note=note,
        decision_no=decision_no,
        by_label="cli",
    )

    async def work(session: AsyncSession) -> str | None:
        found = await find_member(session, person)
        if found is None:
            return None
        await record_change(session, found, change, today)
        return found.full_name

    _change_standing(settings, work, person, _)


@member.command(
    "end-exemption",
    help=N_("End PERSON's exemption from activity (or temporary transfer) on a date."),
)
@click.argument("person")
@click.option(
    "--on", "on", help=N_("The exemption ends on this date, dd/mm/yyyy (default: today).")
)
def member_end_exemption(person: str, on: str | None) -> None:
    settings, _ = load_settings()
    today = clock.today(settings.tz)
    day = _day(on, today) or today

    async def work(session: AsyncSession) -> str | None:
        found = await find_member(session, person)
        if found is None:
            return None
        for kind in (Standing.EXEMPT, Standing.TRANSFERRED_TEMPORARY):
            period = await open_overlay(session, found.id, kind, day)
            if period is not None:
                await end_period(session, found, period, day, today, by_label="cli")
                return found.full_name
        raise StandingError("not_an_overlay")

    _change_standing(settings, work, person, _)


@member.command("history", help=N_("Show PERSON's party standing over time."))
@click.argument("person")
def member_history(person: str) -> None:
    settings, _ = load_settings()

    async def work(session: AsyncSession) -> list[str] | None:
        found = await find_member(session, person)
        if found is None:
            return None
        from bot.standing_text import period_line

        return [period_line(p, _) for p in await history(session, found.id)]

    lines = run_in_transaction(settings, work)
    if lines is None:
        fail(_("No member has the phone or party card number {person}.", person=person))
    click.echo("\n".join(lines) if lines else _("No status recorded."))


def _standing_problem(code: str, _: Translator) -> str:
    from bot.standing_text import PROBLEMS

    return _(PROBLEMS[code])


def _change_standing(
    settings: Settings,
    work: Callable[[AsyncSession], Awaitable[str | None]],
    person: str,
    _: Translator,
) -> None:
    """Runs a standing change on PERSON in one transaction and says how it went."""
    try:
        name = run_in_transaction(settings, work)
    except StandingError as error:
        fail(_standing_problem(error.code, _))
    if name is None:
        fail(_("No member has the phone or party card number {person}.", person=person))
    click.echo(_("Done: {name}.", name=name))
