"""The Resolution 21 scorecard in chat: a compact table per branch with the unit's totals
against the targets, and a chart."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can, can_anywhere
from bot.exports.scorecard_chart import Bar, render_scorecard
from bot.fit import button_label
from bot.i18n import N_, Translator
from handlers.reports import buttons
from handlers.reports.buttons import UnitRef
from handlers.reports.exports import report_units
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, refuse
from handlers.shared.transfer_text import overdue_line
from storage.models import Unit
from storage.scorecard import METRICS, TARGETS, Fraction, Scorecard, scorecards
from storage.transfers import overdue_transfers

# The table names branches by code (short and unique; names often share "Chi bộ Khu phố"),
# with the names listed under it: it fits a phone held upright.
NAME_WIDTH = 8
MAX_ROWS = 60  # branches in one message; the XLSX export has them all
LABELS = {
    "residence_registered": N_("Residence ties registered"),
    "residence_commented": N_("Residence comments received"),
    "plans_handed_in": N_("Yearly plans handed in"),
    "good_or_better": N_("Graded good or better"),
    "attendance": N_("Meeting attendance"),
    "survey_response": N_("Survey response"),
    "exempt": N_("Exempt from activity (not counted above)"),
    "away": N_("Away on a temporary transfer (not counted above)"),
    "admissions": N_("Admissions this year (of members on 1 January)"),
}
SHORT = {  # column headings of the table, three letters at most
    "residence_registered": N_("REG"),
    "residence_commented": N_("COM"),
    "plans_handed_in": N_("PLN"),
    "good_or_better": N_("GD+"),
    "attendance": N_("ATT"),
    "survey_response": N_("SRV"),
    "exempt": N_("EXM"),
    "away": N_("TMP"),
    "admissions": N_("ADM"),
}


async def on_scorecard(update: Update, context: Context, _pressed: object) -> None:
    """The committee member picks the unit (or sees it at once when there is one)."""
    _ = context._
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or not can_anywhere(context.actor, Action.VIEW_REPORTS):
        await refuse(update, context, "scorecard")
        return
    await ack(query)
    units = await report_units(context)
    if len(units) == 1:
        await _show(update, context, units[0])
        return
    rows = [[buttons.SCORECARD_UNIT.button(button_label(u.name), UnitRef(u.id))] for u in units]
    await chat.send_message(
        _("🎯 Resolution 21: which unit?"), reply_markup=InlineKeyboardMarkup(rows)
    )


async def _chosen_unit(update: Update, context: Context, pressed: UnitRef) -> Unit | None:
    """The unit named by the button, if the person's roles cover it; else the refusal."""
    query = update.callback_query
    unit = await context.db.get(Unit, pressed.unit_id)
    if query is None or unit is None or not can(context.actor, Action.VIEW_REPORTS, unit.path):
        await refuse(update, context, "scorecard_unit")
        return None
    await ack(query)
    return unit


async def on_unit(update: Update, context: Context, pressed: UnitRef) -> None:
    """The scorecard of the chosen unit, in words."""
    unit = await _chosen_unit(update, context, pressed)
    if unit is not None:
        await _show(update, context, unit)


async def on_table(update: Update, context: Context, pressed: UnitRef) -> None:
    """The compact table of the chosen unit."""
    unit = await _chosen_unit(update, context, pressed)
    if unit is not None:
        await _show_compact(update, context, unit)


async def _show(update: Update, context: Context, unit: Unit) -> None:
    """In words, a branch at a time (it reads on a phone), the compact table on request."""
    _ = context._
    chat = update.effective_chat
    if chat is None:
        return
    today = context.today()
    year = today.year
    branches, total = await scorecards(context.db, unit, year, context.settings.tz, today)
    compact = buttons.SCORECARD_TABLE.button(_("🔢 Compact table"), UnitRef(unit.id))
    text = _in_words(unit, year, branches, total, _)
    days = context.settings.transfer_confirm_days
    overdue = await overdue_transfers(context.db, unit.path, context.now(), days)
    if overdue:  # the members the seeds single out: transfers not completed as required
        text += "\n\n" + "\n".join(overdue_line(t, _, days) for t in overdue[:20])
    await chat.send_message(
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[compact]]),
    )
    bars = [Bar(_(LABELS[m]), _percent(getattr(total, m)), _target(m)) for m in METRICS]
    title = _("Resolution 21: {unit}, {year}", unit=unit.name, year=year)
    legend = (_("target"), _("target met"), _("target missed"))
    await chat.send_photo(render_scorecard(title, bars, _("no data"), legend))


async def _show_compact(update: Update, context: Context, unit: Unit) -> None:
    _ = context._
    chat = update.effective_chat
    if chat is None:
        return
    today = context.today()
    year = today.year
    branches, total = await scorecards(context.db, unit, year, context.settings.tz, today)
    await chat.send_message(_table(unit, year, branches, total, _), parse_mode=ParseMode.HTML)


def _in_words(
    unit: Unit, year: int, branches: list[Scorecard], total: Scorecard, _: Translator
) -> str:
    lines = [_("🎯 <b>Resolution 21: {unit}, {year}</b>", unit=escape(unit.name), year=year)]
    for card in branches[:MAX_ROWS]:
        lines += ["", f"<b>{escape(card.unit.name)}</b>"]
        lines += [f"• {_(LABELS[m])}: {_share_text(getattr(card, m), _)}" for m in METRICS]
    if len(branches) > MAX_ROWS:
        lines.append(_("… and {count} more", count=len(branches) - MAX_ROWS))
    lines += ["", _("<b>Totals</b>")]
    lines += [_total_line(metric, getattr(total, metric), _, short=False) for metric in METRICS]
    return "\n".join(lines)


def _share_text(fraction: Fraction, _: Translator) -> str:
    share = fraction.share
    return _("no data") if share is None else f"{share * 100:.0f}%"


def _percent(fraction: Fraction) -> float | None:
    share = fraction.share
    return None if share is None else share * 100


def _target(metric: str) -> float | None:
    target = TARGETS.get(metric)
    return None if target is None else target * 100


def _cell(fraction: Fraction) -> str:
    share = fraction.share
    return "  —" if share is None else f"{share * 100:3.0f}"


def _row(card: Scorecard) -> str:
    code = card.unit.code
    short = code if len(code) <= NAME_WIDTH else code[: NAME_WIDTH - 1] + "…"
    cells = " ".join(_cell(getattr(card, m)) for m in METRICS)
    return f"{escape(short):<{NAME_WIDTH}} {cells}"


def _table(
    unit: Unit, year: int, branches: list[Scorecard], total: Scorecard, _: Translator
) -> str:
    """The table (percent per branch) in a monospaced block, then the totals with targets."""
    heading = " ".join(f"{_(SHORT[m]):>3}" for m in METRICS)
    shown = branches[:MAX_ROWS]
    rows = [_row(card) for card in shown]
    names = [f"{escape(c.unit.code)}: {escape(c.unit.name)}" for c in shown]
    if len(branches) > MAX_ROWS:
        names.append(_("… and {count} more", count=len(branches) - MAX_ROWS))
    lines = [
        _("🎯 <b>Resolution 21: {unit}, {year}</b>", unit=escape(unit.name), year=year),
        "<pre>" + "\n".join([" " * NAME_WIDTH + " " + heading, *rows]) + "</pre>",
        *names,
        "",
        _("<b>Totals</b>"),
    ]
    lines += [_total_line(metric, getattr(total, metric), _) for metric in METRICS]
    return "\n".join(lines)


def _total_line(metric: str, fraction: Fraction, _: Translator, short: bool = True) -> str:
    label = _(LABELS[metric])
    if short:
        label = _("{short}: {label}", short=_(SHORT[metric]), label=label)
    share = fraction.share
    if share is None:
        return _("{label}: no data", label=label)
    text = _(
        "{label}: {done}/{total} ({percent}%)",
        label=label,
        done=fraction.done,
        total=fraction.total,
        percent=round(share * 100),
    )
    target = TARGETS.get(metric)
    if target is None:
        return text
    mark = "✅" if share >= target else "❌"
    return _("{text} {mark} target {target}%", text=text, mark=mark, target=round(target * 100))


ROUTES: tuple[Route[Any], ...] = (
    buttons.SCORECARD.route(on_scorecard, "scorecard"),
    buttons.SCORECARD_UNIT.route(on_unit, "scorecard_unit"),
    buttons.SCORECARD_TABLE.route(on_table, "scorecard_unit"),
)
