"""The committee's overview of the yearly plans: per committee and per branch, handed in /
accepted / returned / missing and the grades, against the targets."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode

from bot.access import Action, can_anywhere
from bot.i18n import Translator
from handlers.plans import buttons
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, refuse
from handlers.shared.plan_seasons import season_at
from handlers.shared.plan_words import GRADE_NAMES
from handlers.shared.readers import split_message
from storage.models import Grade, Unit
from storage.plan_reports import PlanCounts, branch_counts
from storage.units import units_by_id


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _mark(met: bool) -> str:
    return "✅" if met else "⚠️"


def counts_text(title: str, counts: PlanCounts, _: Translator) -> str:
    """One unit's figures against the targets (100% handed in, 90% good or better)."""
    grades = ", ".join(f"{_(GRADE_NAMES[grade])}: {counts.grades[grade]}" for grade in Grade)
    lines = [
        f"<b>{escape(title)}</b>",
        _("Members: {count}", count=counts.members),
        _(
            "{mark} Handed in: {done}/{total} ({percent}; target 100%)",
            mark=_mark(counts.meets_submission_target),
            done=counts.handed_in,
            total=counts.members,
            percent=_percent(counts.handed_in_share),
        ),
        _(
            "Awaiting review: {submitted} · accepted: {accepted} · returned: {returned} · "
            "missing: {missing}",
            submitted=counts.submitted,
            accepted=counts.accepted,
            returned=counts.returned,
            missing=counts.missing,
        ),
        _("Grades: {grades}", grades=grades),
        _(
            "{mark} Good or better: {percent} (target at least 90%)",
            mark=_mark(counts.meets_grade_target),
            percent=_percent(counts.good_or_better_share),
        ),
    ]
    return "\n".join(lines)


async def unit_overview(context: Context, unit: Unit, year: int) -> list[str]:
    """A branch's figures; for a committee, its total and then each branch's."""
    _ = context._
    today = context.today()
    per_branch = await branch_counts(context.db, unit.path, year, today)
    total = PlanCounts()
    for _branch, counts in per_branch:
        total.merge(counts)
    paragraphs = [counts_text(unit.name, total, _)]
    if not unit.is_branch:
        paragraphs += [counts_text(branch.name, counts, _) for branch, counts in per_branch]
    return paragraphs


async def on_overview(update: Update, context: Context, _pressed: object) -> None:
    """The committee member sees the plan figures of every unit their roles cover."""
    _ = context._
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or not can_anywhere(context.actor, Action.VIEW_REPORTS):
        await refuse(update, context, "plan_overview")
        return
    await ack(query)
    year = (await season_at(context, context.actor.branch_path)).year
    grant_ids = {g.unit_id for g in context.actor.grants}
    units = sorted((await units_by_id(context.db, grant_ids)).values(), key=lambda u: u.path)
    # A unit under another of the actor's units is already in that one's figures.
    tops = [u for u in units if not any(o is not u and u.path.startswith(o.path) for o in units)]
    paragraphs = [_("<b>📊 Yearly plans {year}</b>", year=year)]
    for unit in tops:
        paragraphs += await unit_overview(context, unit, year)
    for text in split_message(paragraphs):
        await chat.send_message(text, parse_mode=ParseMode.HTML)


ROUTES: tuple[Route[None], ...] = (buttons.OVERVIEW.route(on_overview, "plan_overview"),)
