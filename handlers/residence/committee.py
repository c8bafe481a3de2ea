"""The workplace committee's side: per branch, who is registered, confirmed, exempt or
missing and whose yearly comment is in; one tap reminds everyone missing; exemptions."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can, can_anywhere, paths_for
from bot.fit import button_label
from bot.i18n import N_, Translator
from handlers.residence import buttons
from handlers.residence.actions import remind_missing, reminder_targets
from handlers.residence.actions import report_year as report_year_of
from handlers.residence.buttons import UnitRef
from handlers.residence.common import local_today
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse, send
from handlers.shared.readers import excerpt
from handlers.shared.reminder_guard import skipped_text, too_soon_text
from handlers.shared.residence_words import EXEMPTION_LABELS, STATUS_LABELS, comment_text
from handlers.shared.usecase import env_of
from storage.models import Unit
from storage.residence_comments import (
    MemberResidence,
    ResidenceFigures,
    branch_residence,
    residence_overview,
)

TEXT_BUDGET = 3800  # Telegram sends at most 4096 characters; room for the "more" line
COMMENT_EXCERPT = 80


def report_year(context: Context) -> int:
    """The year the figures are about: the open comment window's, else this year."""
    return report_year_of(env_of(context))


async def on_overview(update: Update, context: Context, _pressed: object) -> None:
    """The committee sees the figures of each of its workplace branches, each a button."""
    _ = context._
    query = update.callback_query
    if query is None or not can_anywhere(context.actor, Action.VIEW_RESIDENCE):
        await refuse(update, context, "residence_overview")
        return
    await ack(query)
    year = report_year(context)
    paths = paths_for(context.actor, Action.VIEW_RESIDENCE)
    minimum = context.settings.residence_min_activities
    branches = await residence_overview(context.db, paths, year, minimum, local_today(context))
    if not branches:
        await edit_text(query, _("No workplace branches under your roles."))
        return
    lines = [_("📊 <b>Residence ties, {year}</b>", year=year)]
    lines += _fit([_figures(b, f, minimum, _) for b, f in branches], _, len(lines[0]))
    rows = [
        [buttons.BRANCH_DETAIL.button(button_label(b.name), UnitRef(b.id))] for b, _f in branches
    ]
    markup = InlineKeyboardMarkup(rows)
    await edit_text(query, "\n\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=markup)


def _figures(branch: Unit, f: ResidenceFigures, minimum: int, _: Translator) -> str:
    return "\n".join(
        [
            f"<b>{escape(branch.name)}</b>",
            _(
                "Working members: {total} · registered: {registered} · confirmed: "
                "{confirmed} · exempt: {exempt} · missing: {missing}",
                total=f.members,
                registered=f.registered,
                confirmed=f.confirmed,
                exempt=f.exempt,
                missing=f.missing,
            ),
            _(
                "Yearly comments received: {received} · missing: {missing}",
                received=f.comments_received,
                missing=f.comments_missing,
            ),
            _(
                "Tied members with fewer than {minimum} confirmed residence activities this "
                "year: {count}",
                minimum=minimum,
                count=f.below_minimum,
            ),
        ]
    )


def _reason(action: Action) -> str:
    """The refusal reason of a branch button, by the permission it needs."""
    return f"residence_branch_{action.value}"


async def _viewed_branch(
    update: Update, context: Context, pressed: UnitRef, action: Action
) -> Unit | None:
    """The workplace branch named by the button, if the presser's role covers it."""
    unit = await context.db.get(Unit, pressed.unit_id)
    if unit is None or not unit.is_branch or not can(context.actor, action, unit.path):
        await refuse(update, context, _reason(action))
        return None
    return unit


async def on_branch_detail(update: Update, context: Context, pressed: UnitRef) -> None:
    """The committee sees each member of the branch: tie, exemption, comment."""
    _ = context._
    query = update.callback_query
    unit = await _viewed_branch(update, context, pressed, Action.VIEW_RESIDENCE)
    if unit is None or query is None:
        return
    await ack(query)
    year = report_year(context)
    [branch] = await branch_residence(context.db, [unit], year, local_today(context))
    minimum = context.settings.residence_min_activities
    lines = [_figures(unit, branch.figures(minimum), minimum, _), ""]
    lines += _fit([_member_line(m, minimum, _) for m in branch.members], _, len(lines[0]))
    rows = []
    if can(context.actor, Action.MANAGE_RESIDENCE, unit.path):
        missing = len(await reminder_targets(context.db, branch, env_of(context)))
        remind = _("🔔 Remind everyone missing ({count})", count=missing)
        rows.append([buttons.REMIND.button(remind, UnitRef(unit.id))])
        rows.append([buttons.EXEMPTIONS.button(_("🛡 Exemptions"), UnitRef(unit.id))])
    if branch.comments_received:
        read = _("📄 Read the comments ({count})", count=branch.comments_received)
        rows.append([buttons.READ_COMMENTS.button(read, UnitRef(unit.id))])
    rows.append([buttons.OVERVIEW.button(_("📊 All branches"))])
    text, markup = "\n".join(lines), InlineKeyboardMarkup(rows)
    await edit_text(query, text, parse_mode=ParseMode.HTML, reply_markup=markup)


def _fit(blocks: list[str], _: Translator, used: int) -> list[str]:
    """As many blocks as fit in one message, then how many were left out."""
    kept: list[str] = []
    for block in blocks:
        used += len(block) + 2
        if used > TEXT_BUDGET:
            return [*kept, _("… and {count} more", count=len(blocks) - len(kept))]
        kept.append(block)
    return kept


def _member_line(m: MemberResidence, minimum: int, _: Translator) -> str:
    name = escape(m.member.full_name)
    if m.exemption is not None:
        state = _("exempt: {category}", category=_(EXEMPTION_LABELS[m.exemption.kind]))
    elif m.tie is None:
        state = _("❗ not registered")
    else:
        state = _(STATUS_LABELS[m.tie.status])
    line = f"• {name}: {state}"
    if m.registered and m.exemption is None:
        mark = "❗ " if m.below(minimum) else ""
        line += "\n  " + mark + _("activities confirmed: {count}", count=m.activities)
    if m.comment is not None:
        c = m.comment
        answers = zip(COMMENT_POINTS, (c.takes_part, c.sets_example, c.keeps_contact), strict=True)
        marks = "; ".join(f"{_(point)}: {_('yes') if v else _('no')}" for point, v in answers)
        line += "\n  " + _(
            "comment ({marks}): {text}",
            marks=marks,
            text=escape(excerpt(c.comment, _, COMMENT_EXCERPT)),
        )
    return line


# The three yes/no points of a residence comment, short, for the committee's list.
COMMENT_POINTS = (N_("takes part"), N_("sets an example"), N_("keeps contact"))


async def on_remind(update: Update, context: Context, pressed: UnitRef) -> None:
    """Everyone missing in the branch gets a reminder through the outbox; the committee
    sees how many, and who must be told in person (no Telegram)."""
    _ = context._
    query, chat = update.callback_query, update.effective_chat
    unit = await _viewed_branch(update, context, pressed, Action.MANAGE_RESIDENCE)
    if unit is None or query is None or chat is None:
        return
    subject = _("the residence reminders of {unit}", unit=unit.name)
    reminder = await remind_missing(context.db, context.actor, unit, subject, env_of(context))
    if not reminder.targets and not reminder.unlinked:
        await ack(query, _("Nobody is missing in this branch."), show_alert=True)
        return
    if reminder.targets and not reminder.sent:
        assert reminder.reminded is not None
        await ack(query, too_soon_text(context, reminder.reminded), show_alert=True)
        return
    await ack(query)
    lines = [
        _.plural(
            "🔔 A reminder is on its way to {count} person.",
            "🔔 A reminder is on its way to {count} people.",
            reminder.sent,
        )
    ]
    if reminder.sent < reminder.targets and reminder.reminded is not None:
        lines.append(skipped_text(context, reminder.reminded, reminder.targets - reminder.sent))
    if reminder.unlinked:
        names = ", ".join(escape(m.full_name) for m in reminder.unlinked)
        lines.append(
            _("Missing but not linked to Telegram, to be told in person: {names}", names=names)
        )
    await chat.send_message("\n".join(lines), parse_mode=ParseMode.HTML)


async def on_read_comments(update: Update, context: Context, pressed: UnitRef) -> None:
    """The committee reads the branch's yearly comments in full, one message each."""
    query = update.callback_query
    unit = await _viewed_branch(update, context, pressed, Action.VIEW_RESIDENCE)
    if unit is None or query is None:
        return
    await ack(query)
    year = report_year(context)
    [branch] = await branch_residence(context.db, [unit], year, local_today(context))
    for entry in branch.members:
        if entry.comment is not None:
            text = comment_text(entry.member.full_name, year, entry.comment, context._)
            await send(update, text)


# The committee's buttons, and what a press of each does (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.READ_COMMENTS.route(on_read_comments, _reason(Action.VIEW_RESIDENCE)),
    buttons.OVERVIEW.route(on_overview, "residence_overview"),
    buttons.BRANCH_DETAIL.route(on_branch_detail, _reason(Action.VIEW_RESIDENCE)),
    buttons.REMIND.route(on_remind, _reason(Action.MANAGE_RESIDENCE)),
)
