"""Reports: a committee member exports data of their units as XLSX or CSV; a secretary sees
who exported their units' data recently."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can, can_anywhere, paths_for
from bot.exports.worker import ChatExport, export_after_commit
from bot.i18n import Translator
from handlers.reports import buttons
from handlers.reports.buttons import DatasetChoice, DatasetFormat, DatasetRef, DatasetUnit
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse
from storage.exports.dataset import DatasetSpec
from storage.exports.log import ExportRecord, recent_exports
from storage.exports.registry import all_datasets, dataset_spec
from storage.exports.writers import ExportFormat
from storage.models import Unit
from storage.units import units_under

MAX_UNITS = 40  # buttons in one message; a province's tree is exported from its top
MAX_CHOICES = 20  # the newest items (surveys) of the unit
LABEL_LIMIT = 60  # characters of an item's title on its button
FORMATS = (ExportFormat.XLSX, ExportFormat.CSV)  # the button data holds the index
FORMAT_LABELS = {ExportFormat.XLSX: "📗 Excel (XLSX)", ExportFormat.CSV: "📄 CSV"}


async def show_reports(update: Update, context: Context) -> None:
    """The committee member sees what they can export and the scorecard; a secretary also the
    recent exports."""
    _ = context._
    chat = update.effective_chat
    if chat is None:
        return
    rows = [
        [buttons.DATASET.button(_("⬇️ {title}", title=_(s.title)), DatasetRef(s.key))]
        for s in all_datasets()
    ]
    rows.append([buttons.SCORECARD.button(_("🎯 Resolution 21 scorecard"))])
    if can_anywhere(context.actor, Action.VIEW_EXPORT_LOG):
        rows.append([buttons.LOG.button(_("🕘 Recent exports"))])
    await chat.send_message(
        _("📊 Reports: export data of your units to Excel (XLSX) or CSV. What do you need?"),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def report_units(context: Context) -> list[Unit]:
    """The units (committees and branches, in tree order) the actor may report on."""
    paths = paths_for(context.actor, Action.VIEW_REPORTS)
    units = await units_under(context.db, paths, MAX_UNITS)
    return [u for u in units if can(context.actor, Action.VIEW_REPORTS, u.path)]


def _unit_label(unit: Unit, _: Translator) -> str:
    return unit.name if unit.is_branch else _("{name} (all branches)", name=unit.name)


async def on_dataset(update: Update, context: Context, pressed: DatasetRef) -> None:
    """The committee member picked what to export and picks the unit (if they have several)."""
    _ = context._
    spec, query = dataset_spec(pressed.dataset), update.callback_query
    if spec is None or query is None or not can_anywhere(context.actor, Action.VIEW_REPORTS):
        await refuse(update, context, "export_dataset")
        return
    await ack(query)
    units = await report_units(context)
    if len(units) == 1:
        await _after_unit(update, context, spec, units[0])
        return
    if not units:
        await edit_text(query, _("There are no branches under your roles yet."))
        return
    rows = [[buttons.UNIT.button(_unit_label(u, _), DatasetUnit(spec.key, u.id))] for u in units]
    await edit_text(
        query,
        _("{title}: of which unit?", title=_(spec.title)),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def _allowed_unit(context: Context, unit_id: int) -> Unit | None:
    unit = await context.db.get(Unit, unit_id)
    if unit is None or not can(context.actor, Action.VIEW_REPORTS, unit.path):
        return None
    return unit


async def on_unit(update: Update, context: Context, pressed: DatasetUnit) -> None:
    """The committee member picked the unit and picks the item (a survey) or the format."""
    spec, query = dataset_spec(pressed.dataset), update.callback_query
    unit = await _allowed_unit(context, pressed.unit_id) if spec else None
    if spec is None or query is None or unit is None:
        await refuse(update, context, "export_unit")
        return
    await ack(query)
    await _after_unit(update, context, spec, unit)


async def _after_unit(update: Update, context: Context, spec: DatasetSpec, unit: Unit) -> None:
    """The list to pick from, for a dataset about one item among several; else the format."""
    _ = context._
    query = update.callback_query
    if query is None:
        return
    if spec.choices is None:
        await _ask_format(update, context, spec, unit, None)
        return
    choices = (await spec.choices(context.db, unit))[:MAX_CHOICES]
    if not choices:
        await edit_text(query, _("There is nothing of this kind to export in the unit yet."))
        return
    rows = [
        [buttons.CHOICE.button(c.label[:LABEL_LIMIT], DatasetChoice(spec.key, unit.id, c.id))]
        for c in choices
    ]
    await edit_text(
        query,
        _("{title} — {unit}: which one?", title=_(spec.title), unit=_unit_label(unit, _)),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def on_choice(update: Update, context: Context, pressed: DatasetChoice) -> None:
    """The committee member picked the item (a survey) and picks the file format."""
    spec, query = dataset_spec(pressed.dataset), update.callback_query
    unit = await _allowed_unit(context, pressed.unit_id) if spec else None
    if spec is None or query is None or unit is None:
        await refuse(update, context, "export_choice")
        return
    if not await spec.valid_choice(context.db, unit, pressed.choice):
        await refuse(update, context, "export_choice")
        return
    await ack(query)
    await _ask_format(update, context, spec, unit, pressed.choice)


async def _ask_format(
    update: Update, context: Context, spec: DatasetSpec, unit: Unit, choice: int | None
) -> None:
    _ = context._
    query = update.callback_query
    if query is None:
        return
    row = [
        buttons.FORMAT.button(FORMAT_LABELS[fmt], DatasetFormat(spec.key, unit.id, i, choice))
        for i, fmt in enumerate(FORMATS)
    ]
    text = _("{title} — {unit}: which format?", title=_(spec.title), unit=_unit_label(unit, _))
    await edit_text(query, text, reply_markup=InlineKeyboardMarkup([row]))


async def on_format(update: Update, context: Context, pressed: DatasetFormat) -> None:
    """The committee member is told the file is being prepared; it arrives as a document."""
    _ = context._
    spec, query, chat = dataset_spec(pressed.dataset), update.callback_query, update.effective_chat
    unit = await _allowed_unit(context, pressed.unit_id) if spec else None
    member_id = context.actor.member_id
    if spec is None or query is None or chat is None or unit is None or member_id is None:
        await refuse(update, context, "export_format")
        return
    fmt_index, choice = pressed.format, pressed.choice
    if fmt_index >= len(FORMATS) or not await spec.valid_choice(context.db, unit, choice):
        await refuse(update, context, "export_format")
        return
    await ack(query)
    fmt, telegram_id = FORMATS[fmt_index], context.actor.telegram_id
    request = ChatExport(
        spec.key, unit.id, fmt, chat.id, member_id, telegram_id, _.language, choice
    )
    export_after_commit(context.bot_data, request)
    await edit_text(
        query,
        _(
            "⏳ Preparing {title} — {unit}. The file will arrive here in a moment.",
            title=_(spec.title),
            unit=_unit_label(unit, _),
        ),
    )


async def on_log(update: Update, context: Context, _pressed: object) -> None:
    """The secretary sees the latest exports holding data of their units, and who made them."""
    _ = context._
    query = update.callback_query
    if query is None or not can_anywhere(context.actor, Action.VIEW_EXPORT_LOG):
        await refuse(update, context, "export_log")
        return
    await ack(query)
    paths = paths_for(context.actor, Action.VIEW_EXPORT_LOG)
    records = await recent_exports(context.db, paths)
    if not records:
        await edit_text(query, _("Nobody has exported data of your units yet."))
        return
    lines = [_("<b>🕘 Recent exports of your units' data</b>")]
    lines += [_record_line(r, _) for r in records]
    await edit_text(query, "\n".join(lines), parse_mode=ParseMode.HTML)


def _record_line(record: ExportRecord, _: Translator) -> str:
    spec = dataset_spec(record.dataset)
    who = record.who or (_("command line") if record.label == "cli" else "—")
    return _.plural(
        "• {time} · {who}: {title}, {unit}, {rows} row ({format})",
        "• {time} · {who}: {title}, {unit}, {rows} rows ({format})",
        record.rows,
        time=_.datetime_text(record.at),
        who=escape(who),
        title=escape(_(spec.title) if spec else record.dataset),
        unit=escape(record.unit_name),
        rows=record.rows,
        format=record.fmt.upper(),
    )


ROUTES: tuple[Route[Any], ...] = (
    buttons.DATASET.route(on_dataset, "export_dataset"),
    buttons.UNIT.route(on_unit, "export_unit"),
    buttons.CHOICE.route(on_choice, "export_choice"),
    buttons.FORMAT.route(on_format, "export_format"),
    buttons.LOG.route(on_log, "export_log"),
)
