"""`chibo export DATASET --unit CODE`: an operator's export to a file, and `chibo export log`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.i18n import TranslatedContext, cli_translator
from bot.cli.support import fail, load_settings, migrate
from bot.exports.run import Produced, file_name, produce, record
from bot.i18n import N_, Translator
from bot.settings import Settings
from storage import clock
from storage.db import create_engine, read_transaction, session_factory
from storage.exports.dataset import Choice, DatasetSpec
from storage.exports.log import Exporter, ExportRecord, recent_exports
from storage.exports.registry import all_datasets, dataset_spec
from storage.exports.writers import ExportFormat
from storage.units import get_unit

T = TypeVar("T")
CLI_EXPORTER = Exporter(label="cli")


class ExportGroup(click.Group):
    """One subcommand per registered dataset, and `log`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [spec.key for spec in all_datasets()] + ["log"]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "log":
            return export_log
        spec = dataset_spec(cmd_name)
        return _dataset_command(spec) if spec else None


@click.group(
    cls=ExportGroup,
    help=N_(
        "Export data of a unit (and every unit under it) to XLSX or CSV; recorded in the audit log."
    ),
)
def export() -> None:
    pass


def _dataset_command(spec: DatasetSpec) -> click.Command:
    _ = cli_translator()  # built when asked for: its help is written in the reader's language
    help_text = _("Export: {title}, of the unit CODE and the units under it.", title=_(spec.title))

    @click.command(spec.key, help=help_text)
    @click.option("--unit", "unit_code", required=True, help=N_("Code of the unit."))
    @click.option(
        "--format", "fmt", type=click.Choice([f.value for f in ExportFormat]), default="xlsx"
    )
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help=N_("The file."))
    @click.option("--choice", type=int, help=_(_choice_help(spec)))
    def command(unit_code: str, fmt: str, output: Path | None, choice: int | None) -> None:
        settings, _ = load_settings()
        if choice is None and spec.by_year:
            choice = clock.today(settings.tz).year
        request = Request(spec, unit_code, ExportFormat(fmt), output, choice)
        produced = _run(settings, lambda s: _export(s, request, _))
        if isinstance(produced, list):
            _show_choices(produced, _)
            return
        if produced is None:
            fail(_("There is no unit with the code {code}.", code=unit_code))
        click.echo(
            _.plural(
                "Exported {rows} row to {path}.",
                "Exported {rows} rows to {path}.",
                produced.rows,
                rows=produced.rows,
                path=produced.path,
            )
        )

    command.context_class = TranslatedContext
    return command


def _choice_help(spec: DatasetSpec) -> str:
    if spec.by_year:
        return N_("The year (default: this year).")
    return N_("Which item (e.g. survey); omit it to list them.")


@dataclass(frozen=True)
class Request:
    spec: DatasetSpec
    unit_code: str
    fmt: ExportFormat
    output: Path | None
    choice: int | None


async def _export(
    sessions: async_sessionmaker[AsyncSession], request: Request, _: Translator
) -> Produced | list[Choice] | None:
    """Writes beside the output first: a file appears only once its export is recorded.
    A dataset with choices and no valid `--choice` gives the list to pick from."""
    spec = request.spec
    async with read_transaction(sessions) as session:
        unit = await get_unit(session, request.unit_code)
        valid = unit is not None and await spec.valid_choice(session, unit, request.choice)
        if unit is not None and not valid and spec.choices is not None:
            return await spec.choices(session, unit)
    if unit is None or not valid:
        return None
    final = request.output or Path(file_name(spec, unit, request.fmt, _))
    partial = final.with_name(final.name + ".part")
    try:
        produced = await produce(
            sessions, spec, unit.id, request.fmt, _, partial, None, request.choice
        )
        if produced is None:
            return None
        await record(sessions, produced, CLI_EXPORTER)
    except BaseException:
        partial.unlink(missing_ok=True)  # nothing unrecorded is left behind
        raise
    partial.replace(final)
    return replace(produced, path=final)


def _show_choices(choices: list[Choice], _: Translator) -> None:
    if not choices:
        fail(_("There is nothing of this kind to export in the unit yet."))
    click.echo(_("Choose one with --choice ID:"))
    for choice in choices:
        click.echo(f"{choice.id}  {choice.label}")
    sys.exit(1)


@click.command("log", help=N_("List the latest exports that held data of the unit CODE."))
@click.option("--unit", "unit_code", required=True, help=N_("Code of the unit."))
@click.option("--limit", default=20, show_default=True, help=N_("How many exports to list."))
def export_log(unit_code: str, limit: int) -> None:
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
            + _.plural("{rows} row", "{rows} rows", r.rows, rows=r.rows)
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
