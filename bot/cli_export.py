"""`chibo export DATASET --unit CODE`: an operator's export to a file, and `chibo export log`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli_support import fail, load_settings, migrate
from bot.exports import Produced, file_name, produce, record
from bot.i18n import Translator
from bot.settings import Settings
from storage.db import create_engine, read_transaction, session_factory
from storage.exports.dataset import DatasetSpec
from storage.exports.log import Exporter, ExportRecord, recent_exports
from storage.exports.registry import DATASETS, dataset_spec
from storage.exports.writers import ExportFormat
from storage.units import get_unit

T = TypeVar("T")
CLI_EXPORTER = Exporter(label="cli")


class ExportGroup(click.Group):
    """One subcommand per registered dataset, and `log`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [spec.key for spec in DATASETS] + ["log"]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "log":
            return export_log
        spec = dataset_spec(cmd_name)
        return _dataset_command(spec) if spec else None


@click.group(cls=ExportGroup)
def export() -> None:
    """Export data of a unit (and every unit under it) to XLSX or CSV; recorded in the audit log."""


def _dataset_command(spec: DatasetSpec) -> click.Command:
    @click.command(spec.key, help=f"Export: {spec.title}, of the unit CODE and the units under it.")
    @click.option("--unit", "unit_code", required=True, help="Code of the unit.")
    @click.option(
        "--format", "fmt", type=click.Choice([f.value for f in ExportFormat]), default="xlsx"
    )
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="The file.")
    def command(unit_code: str, fmt: str, output: Path | None) -> None:
        settings, _ = load_settings()
        produced = _run(
            settings, lambda s: _export(s, spec, unit_code, ExportFormat(fmt), output, _)
        )
        if produced is None:
            fail(_("There is no unit with the code {code}.", code=unit_code))
        click.echo(_("Exported {rows} rows to {path}.", rows=produced.rows, path=produced.path))

    return command


async def _export(
    sessions: async_sessionmaker[AsyncSession],
    spec: DatasetSpec,
    unit_code: str,
    fmt: ExportFormat,
    output: Path | None,
    _: Translator,
) -> Produced | None:
    """Writes beside the output first: a file appears only once its export is recorded."""
    async with read_transaction(sessions) as session:
        unit = await get_unit(session, unit_code)
    if unit is None:
        return None
    final = output or Path(file_name(spec, unit, fmt, _))
    partial = final.with_name(final.name + ".part")
    produced = await produce(sessions, spec, unit.id, fmt, _, partial)
    if produced is None:
        return None
    await record(sessions, produced, CLI_EXPORTER)
    partial.replace(final)
    return Produced(spec, produced.unit, fmt, final, produced.rows, produced.branches)


@click.command("log")
@click.option("--unit", "unit_code", required=True, help="Code of the unit.")
@click.option("--limit", default=20, show_default=True, help="How many exports to list.")
def export_log(unit_code: str, limit: int) -> None:
    """List the latest exports that held data of the unit CODE."""
    settings, _ = load_settings()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[ExportRecord] | None:
        async with read_transaction(sessions) as session:
            unit = await get_unit(session, unit_code)
            return None if unit is None else await recent_exports(session, {unit.path}, limit)

    records = _run(settings, work)
    if records is None:
        fail(_("There is no unit with the code {code}.", code=unit_code))
    if not records:
        click.echo(_("Nobody has exported data of this unit yet."))
    for r in records:
        who = r.who or (_("command line") if r.label == "cli" else "—")
        spec = dataset_spec(r.dataset)
        title = _(spec.title) if spec else r.dataset
        click.echo(
            f"{_.datetime_text(r.at)}  {who}  {title}  {r.unit_name}  "
            + _("{rows} rows", rows=r.rows)
            + f"  {r.fmt.upper()}"
        )


def _run(settings: Settings, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    migrate(settings)

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except DBAPIError:
        # The driver's message quotes the statement's values: never print it.
        _ = load_settings()[1]
        fail(_("The database refused the change; nothing was stored."))
