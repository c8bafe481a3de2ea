"""The Resolution 21 scorecard as a sheet: one row per branch and a row for the whole unit,
each figure as done, total and percent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage import clock
from storage.exports.dataset import N_, Column, Dataset, ExportScope, Kind, Row
from storage.scorecard import METRICS, Fraction, Scorecard, scorecards

HEADERS = {
    "residence_registered": N_("Residence ties registered (%)"),
    "residence_commented": N_("Residence comments received (%)"),
    "plans_handed_in": N_("Yearly plans handed in (%)"),
    "good_or_better": N_("Graded good or better (%)"),
    "attendance": N_("Meeting attendance (%)"),
    "survey_response": N_("Survey response (%)"),
    "exempt": N_("Exempt from activity (%)"),
    "away": N_("Away on a temporary transfer (%)"),
    "admissions": N_("Admissions this year (%)"),
}
COLUMNS = (
    Column(N_("Unit"), width=30),
    *(Column(HEADERS[m], Kind.NUMBER, width=14) for m in METRICS),
)


def _percent(fraction: Fraction) -> float | None:
    share = fraction.share
    return None if share is None else round(share * 100, 1)


def _row(card: Scorecard, name: str) -> Row:
    return (name, *(_percent(getattr(card, m)) for m in METRICS))


async def scorecard_dataset(session: AsyncSession, scope: ExportScope) -> Dataset:
    """The current year's figures of the branches at or under the scope's unit, then the total."""
    # The exporter's translator carries the deployment's time zone (meeting years are local).
    tz: tzinfo = getattr(scope.gettext, "tz", UTC)
    today = clock.today(tz)
    year = today.year
    branches, total = await scorecards(session, scope.unit, year, tz, today)
    title = scope.gettext("{unit}, total {year}", unit=scope.unit.name, year=year)

    async def batches() -> AsyncIterator[list[Row]]:
        yield [_row(card, card.unit.name) for card in branches] + [_row(total, title)]

    return Dataset(N_("Resolution 21 scorecard"), COLUMNS, batches())
