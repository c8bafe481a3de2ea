"""The residence menu entry: the member's own tie, its history and their residence activities;
below it, the tasks of residence branch leaders and of the workplace committee."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can, can_anywhere, paths_for
from bot.i18n import N_, Translator
from handlers.residence import buttons
from handlers.residence.actions import is_current, record_activity
from handlers.residence.common import cancel_markup, comment_year, local_today
from handlers.residence.draft import DATE, FLOWS, ActivityDraft, save_draft
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse, send
from handlers.shared.drafts import saved_echo
from handlers.shared.residence_words import EXEMPTION_LABELS, branch_label, tie_text
from handlers.shared.typed_input import parse_day, typed_text
from handlers.shared.usecase import env_of
from storage.flows import clear_flow, get_flow
from storage.models import FlowState, ResidenceTie, TieStatus
from storage.residence import (
    activities_of,
    activities_to_confirm,
    current_exemption,
    current_tie,
    pending_ties,
    tie_history,
)
from storage.residence_comments import comments_to_write, working_branches
from storage.units import branches_under


async def show_residence(update: Update, context: Context) -> None:
    """The member sees their residence tie and buttons to register, record or look back;
    leaders then see what waits for them."""
    _ = context._
    chat, member = update.effective_chat, context.member
    if chat is None or member is None:
        return
    text, rows = await _my_residence(context)
    await chat.send_message(
        text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows) if rows else None
    )
    leader = await _leader_tasks(context)
    if leader is not None:
        await chat.send_message(
            leader[0], parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(leader[1])
        )


Rows = list[list[InlineKeyboardButton]]


async def _my_residence(context: Context) -> tuple[str, Rows]:
    """The member's own part: the tie (or why none is needed), activities, buttons."""
    _ = context._
    member = context.member
    assert member is not None
    if member.branch.is_residential:
        return _("🏠 Your branch is a residential branch: you need no residence tie."), []
    tie = await current_tie(context.db, member.id)
    exemption = await current_exemption(context.db, member.id)
    lines = [_("🏠 <b>Your residence tie</b>")]
    if exemption is not None:
        lines.append(_("Exempt: {category}", category=_(EXEMPTION_LABELS[exemption.kind])))
    if tie is None:
        lines.append(_("You have not registered your residence tie yet."))
        return "\n".join(lines), [[buttons.REGISTER.button(_("📝 Register my residence"))]]
    lines += [tie_text(tie, _), "", await _activities_line(context, tie)]
    again = _("📝 Register again") if tie.status == TieStatus.DECLINED else _("🚚 I moved")
    rows = [[buttons.REGISTER.button(again), buttons.HISTORY.button(_("📜 History"))]]
    if tie.status != TieStatus.DECLINED:
        rows.insert(0, [buttons.ACTIVITY.button(_("➕ Record an activity"))])
    return "\n".join(lines), rows


async def _activities_line(context: Context, tie: ResidenceTie) -> str:
    _ = context._
    year = local_today(context).year
    done = await activities_of(context.db, tie.member_id, year)
    confirmed = sum(1 for a in done if a.confirmed_at is not None)
    return _(
        "Residence activities in {year}: {count} recorded, {confirmed} confirmed (expected: "
        "at least {minimum} a year).",
        year=year,
        count=len(done),
        confirmed=confirmed,
        minimum=context.settings.residence_min_activities,
    )


async def _leader_tasks(context: Context) -> tuple[str, Rows] | None:
    """Counts and buttons for residence branch leaders and workplace committees, or None."""
    _ = context._
    actor, rows, lines = context.actor, [], [_("🏛 <b>Residence ties: your tasks</b>")]
    if can_anywhere(actor, Action.HOST_RESIDENCE):
        paths = paths_for(actor, Action.HOST_RESIDENCE)
        pending = len(await pending_ties(context.db, paths))
        lines.append(_("Ties waiting for your confirmation: {count}", count=pending))
        rows.append([buttons.PENDING.button(_("⏳ Ties to confirm ({count})", count=pending))])
        activities = len(await activities_to_confirm(context.db, paths, context.actor.member_id))
        if activities:
            lines.append(_("Activities waiting for your confirmation: {count}", count=activities))
            label = _("🤝 Activities to confirm ({count})", count=activities)
            rows.append([buttons.PENDING_ACTIVITIES.button(label)])
        year = comment_year(context)
        if year is not None:
            ids = [b.id for b in await branches_under(context.db, paths)]
            owed = len(await comments_to_write(context.db, ids, year, local_today(context)))
            lines.append(_("Yearly comments to write for {year}: {count}", year=year, count=owed))
            rows.append([buttons.COMMENTS.button(_("✍️ Comments to write ({count})", count=owed))])
    viewed = paths_for(actor, Action.VIEW_RESIDENCE)
    if viewed and await working_branches(context.db, viewed):  # not for residential ones
        rows.append([buttons.OVERVIEW.button(_("📊 My branches' residence"))])
    return ("\n".join(lines), rows) if rows else None


async def on_history(update: Update, context: Context, _pressed: object) -> None:
    """The member sees every residence tie they registered, newest first."""
    _ = context._
    query, member = update.callback_query, context.member
    if query is None or member is None or not can(context.actor, Action.VIEW_OWN_RECORD):
        await refuse(update, context, "residence_history")
        return
    await ack(query)
    ties = await tie_history(context.db, member.id)
    blocks = [_history_block(t, _) for t in ties] or [_("No residence tie registered yet.")]
    text = "\n\n".join([_("📜 <b>Your residence ties, newest first</b>"), *blocks])
    await edit_text(query, text, parse_mode=ParseMode.HTML)


def _history_block(tie: ResidenceTie, _: Translator) -> str:
    period = _(
        "From {start} to {end}",
        start=_.date_text(tie.created_at),
        end=_.date_text(tie.ended_at) if tie.ended_at else _("now"),
    )
    return f"<b>{escape(branch_label(tie, _))}</b> · {period}\n{tie_text(tie, _)}"


async def on_cancel(update: Update, context: Context, _pressed: object) -> None:
    """Whatever residence form the person was filling is discarded."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await ack(query)
    drafts = [d for f in FLOWS if (d := await get_flow(context.db, user.id, f)) is not None]
    if drafts:  # the form the person touched last is the one on screen
        latest = max(drafts, key=lambda d: d.updated_at)
        await clear_flow(context.db, user.id, latest.flow)
    await edit_text(query, _("Cancelled. Nothing was saved."))


async def _open_tie(context: Context) -> ResidenceTie | None:
    """The member's current tie, if activities can be recorded on it."""
    member = context.member
    if member is None or not can(context.actor, Action.USE_MENU):
        return None
    tie = await current_tie(context.db, member.id)
    return tie if tie is not None and is_current(tie) else None


async def on_record_activity(update: Update, context: Context, _pressed: object) -> None:
    """The member is asked for the date of the residence activity they took part in."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    tie = await _open_tie(context)
    if query is None or user is None or tie is None:
        await refuse(update, context, "residence_activity")
        return
    await ack(query)
    await save_draft(context.db, user.id, ActivityDraft(tie.id), context.now())
    await send(
        update,
        _(
            "When was the activity? Send the date as day/month/year, for example 05/11/2026, "
            "or “today”, “yesterday”."
        ),
        cancel_markup(_),
    )


async def on_activity_input(update: Update, context: Context, state: FlowState) -> None:
    """The date, then what the activity was; then it is recorded and the residence branch
    leaders are asked to confirm it."""
    _ = context._
    message, tie = update.effective_message, await _open_tie(context)
    draft = ActivityDraft.load(state.data)
    if message is None:
        return
    if tie is None or tie.id != draft.tie_id or context.member is None:
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "residence_activity_draft")
        return
    if draft.step == DATE:
        await _activity_date(update, context, state, draft)
        return
    what = await typed_text(
        update, context, context.settings.residence_note_limit, N_("The activity")
    )
    if what is None or draft.held_on is None:
        return
    await record_activity(
        context.db, context.actor, context.member, tie, draft.held_on, what, env_of(context)
    )
    await clear_flow(context.db, state.user_id, state.flow)
    echo = saved_echo(_, _("the activity"), what)
    text = _("Recorded. The residence branch secretary can confirm it.") + "\n" + echo
    await message.reply_text(text, parse_mode=ParseMode.HTML)


async def _activity_date(
    update: Update, context: Context, state: FlowState, draft: ActivityDraft
) -> None:
    _ = context._
    message = update.effective_message
    assert message is not None
    day = parse_day(message.text or "", local_today(context))
    if day is None or day > local_today(context):
        await message.reply_text(
            _(
                "Please send a date that is not in the future, as day/month/year, for example "
                "05/11/2026."
            )
        )
        return
    await save_draft(context.db, state.user_id, ActivityDraft(draft.tie_id, day), context.now())
    echo = saved_echo(_, _("the date"), _.date_text(day), html=False)
    await message.reply_text(
        echo
        + "\n\n"
        + _(
            "What was it? For example: residence branch meeting, neighbourhood clean-up "
            "(up to {limit} characters).",
            limit=context.settings.residence_note_limit,
        ),
        reply_markup=cancel_markup(_),
    )


# The member's buttons, and what a press of each does (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.HISTORY.route(on_history, "residence_history"),
    buttons.CANCEL.route(on_cancel, "residence_cancel"),
    buttons.ACTIVITY.route(on_record_activity, "residence_activity"),
)
