"""The workplace committee's side: per branch, who is registered, confirmed, exempt or
missing and whose yearly comment is in; one tap reminds everyone missing; exemptions."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can, can_anywhere, paths_for
from bot.delivery.sender import wake_sender_after_commit
from bot.fit import button_label
from bot.i18n import N_, Translator
from handlers.common import Context, ack, callback_args, edit_text, refuse, send
from handlers.readers import excerpt, reader_translator
from handlers.reminder_guard import (
    not_yet_reminded,
    recently_reminded,
    skipped_text,
    too_soon_text,
)
from handlers.residence.common import (
    button,
    comment_year,
    local_today,
)
from handlers.shared.residence_words import EXEMPTION_LABELS, STATUS_LABELS, comment_text
from storage import audit, outbox
from storage.models import Member, Unit
from storage.outbox import NewMessage, text_payload
from storage.residence_comments import (
    BranchResidence,
    MemberResidence,
    ResidenceFigures,
    branch_residence,
    hosts_owing_comments,
    residence_overview,
)

TEXT_BUDGET = 3800  # Telegram sends at most 4096 characters; room for the "more" line
COMMENT_EXCERPT = 80


def report_year(context: Context) -> int:
    """The year the figures are about: the open comment window's, else this year."""
    return comment_year(context) or local_today(context).year


async def on_overview(update: Update, context: Context) -> None:
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
        [InlineKeyboardButton(button_label(b.name), callback_data=f"rovb:{b.id}")]
        for b, _f in branches
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


async def _viewed_branch(update: Update, context: Context, action: Action) -> Unit | None:
    """The workplace branch named by the button, if the presser's role covers it."""
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    unit = await context.db.get(Unit, args[0]) if args else None
    if unit is None or not unit.is_branch or not can(context.actor, action, unit.path):
        await refuse(update, context, f"residence_branch_{action.value}")
        return None
    return unit


async def on_branch_detail(update: Update, context: Context) -> None:
    """The committee sees each member of the branch: tie, exemption, comment."""
    _ = context._
    query = update.callback_query
    unit = await _viewed_branch(update, context, Action.VIEW_RESIDENCE)
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
        missing = len(await _reminder_targets(context, branch))
        remind = _("🔔 Remind everyone missing ({count})", count=missing)
        rows.append([InlineKeyboardButton(remind, callback_data=f"rrm:{unit.id}")])
        rows.append([InlineKeyboardButton(_("🛡 Exemptions"), callback_data=f"rex:{unit.id}")])
    if branch.comments_received:
        read = _("📄 Read the comments ({count})", count=branch.comments_received)
        rows.append([InlineKeyboardButton(read, callback_data=f"rcv:{unit.id}")])
    rows.append([InlineKeyboardButton(_("📊 All branches"), callback_data="rov")])
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


async def _reminder_targets(context: Context, branch: BranchResidence) -> list[NewMessage]:
    """Reminders to send now: each missing member with Telegram; and, while the comment
    window is open, each residence branch leader who owes comments on this branch."""
    messages = [_register_reminder(m.member, context) for m in branch.members if m.missing]
    messages = [m for m in messages if m is not None]
    year = comment_year(context)
    if year is not None:
        owing = await hosts_owing_comments(context.db, branch.members)
        for host, count in owing.values():
            messages.append(_comment_reminder(host, count, year, context))
    return [m for m in messages if m is not None]


def _register_reminder(member: Member, context: Context) -> NewMessage | None:
    if member.telegram_user_id is None:
        return None
    _ = reader_translator(member.account, context.settings)
    text = _(
        "🔔 Reminder: please register your residence tie (Quy định 213): open the menu, "
        "🏠 Residence ties, and press the button below."
    )
    markup = {"inline_keyboard": [[button(_("📝 Register my residence"), "rreg")]]}
    payload = text_payload(text, reply_markup=markup)
    return NewMessage(member.telegram_user_id, payload, member_id=member.id)


def _comment_reminder(host: Member, count: int, year: int, context: Context) -> NewMessage:
    _ = reader_translator(host.account, context.settings)
    text = _.plural(
        "🔔 Reminder: {count} member tied to your branch is waiting for their yearly residence "
        "comment for {year}.",
        "🔔 Reminder: {count} members tied to your branch are waiting for their yearly residence "
        "comment for {year}.",
        count,
        year=year,
    )
    markup = {"inline_keyboard": [[button(_("✍️ Write the comments"), "rcl")]]}
    payload = text_payload(text, reply_markup=markup)
    return NewMessage(host.telegram_user_id or 0, payload, member_id=host.id)


async def on_remind(update: Update, context: Context) -> None:
    """Everyone missing in the branch gets a reminder through the outbox; the committee
    sees how many, and who must be told in person (no Telegram)."""
    _ = context._
    query, chat = update.callback_query, update.effective_chat
    unit = await _viewed_branch(update, context, Action.MANAGE_RESIDENCE)
    if unit is None or query is None or chat is None:
        return
    [branch] = await branch_residence(
        context.db, [unit], report_year(context), local_today(context)
    )
    everyone = await _reminder_targets(context, branch)
    unlinked = [m.member for m in branch.members if m.missing and not m.member.telegram_user_id]
    if not everyone and not unlinked:
        await ack(query, _("Nobody is missing in this branch."), show_alert=True)
        return
    reminded = await recently_reminded(context, "residence_reminded", "unit", unit.id)
    messages = not_yet_reminded(everyone, reminded)
    if everyone and not messages:
        await ack(query, too_soon_text(context, reminded), show_alert=True)
        return
    await ack(query)
    if messages:
        await _send_reminders(context, unit, messages)
    lines = [
        _.plural(
            "🔔 A reminder is on its way to {count} person.",
            "🔔 A reminder is on its way to {count} people.",
            len(messages),
        )
    ]
    if len(messages) < len(everyone):
        lines.append(skipped_text(context, reminded, len(everyone) - len(messages)))
    if unlinked:
        names = ", ".join(escape(m.full_name) for m in unlinked)
        lines.append(
            _("Missing but not linked to Telegram, to be told in person: {names}", names=names)
        )
    await chat.send_message("\n".join(lines), parse_mode=ParseMode.HTML)


async def _send_reminders(context: Context, unit: Unit, messages: list[NewMessage]) -> None:
    await outbox.enqueue_broadcast(
        context.db,
        "residence_reminder",
        messages,
        created_by_member_id=context.actor.member_id,
        unit_id=unit.id,
        now=context.now(),
        subject=context._("the residence reminders of {unit}", unit=unit.name),
    )
    await audit.record(
        context.db,
        "residence_reminded",
        actor_member_id=context.actor.member_id,
        unit_id=unit.id,
        object_type="unit",
        object_id=unit.id,
        details={"recipients": len(messages), "member_ids": [m.member_id for m in messages]},
    )
    wake_sender_after_commit(context.bot_data)


async def on_read_comments(update: Update, context: Context) -> None:
    """The committee reads the branch's yearly comments in full, one message each."""
    query = update.callback_query
    unit = await _viewed_branch(update, context, Action.VIEW_RESIDENCE)
    if unit is None or query is None:
        return
    await ack(query)
    year = report_year(context)
    [branch] = await branch_residence(context.db, [unit], year, local_today(context))
    for entry in branch.members:
        if entry.comment is not None:
            text = comment_text(entry.member.full_name, year, entry.comment, context._)
            await send(update, text)


def committee_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_read_comments, pattern=r"^rcv:"),
        CallbackQueryHandler(on_overview, pattern=r"^rov$"),
        CallbackQueryHandler(on_branch_detail, pattern=r"^rovb:"),
        CallbackQueryHandler(on_remind, pattern=r"^rrm:"),
    ]
