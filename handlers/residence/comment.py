"""The yearly comment (nhận xét) of the residence branch on each member tied to it: within
the window, member by member, three yes/no points and a free-text comment, then Send.

A sent comment is final; outside the window nothing can be written, and the leader is told
when the window is.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can_anywhere, paths_for
from bot.i18n import N_
from handlers.common import Context, ack, callback_args, edit_text, refuse, send
from handlers.residence.common import (
    COMMENT_FLOW,
    cancel_markup,
    comment_year,
    local_today,
    may_host,
)
from handlers.shared.residence_words import comment_text
from handlers.typed_input import typed_text
from storage import audit
from storage.flows import clear_flow, get_flow, save_flow
from storage.models import FlowState, ResidenceTie, TieStatus
from storage.residence import ResidenceError, activities_of, get_tie
from storage.residence_comments import CommentForm, comment_of, comments_to_write, save_comment
from storage.units import branches_under

MAX_LISTED = 40
QUESTIONS = {
    "takes_part": N_("Does {name} take part in the meetings of your branch?"),
    "sets_example": N_(
        "Does {name} set an example where they live, with their family following the "
        "Party's guidelines and the law?"
    ),
    "keeps_contact": N_("Does {name} keep close contact with the people where they live?"),
}
POINTS = tuple(QUESTIONS)


async def _window_closed(update: Update, context: Context) -> None:
    """Tells the leader when comments can be written (the window is a setting)."""
    _ = context._
    year = context.now().astimezone(context.settings.tz).year
    opens, closes = context.settings.residence_comment_window(year)
    text = _(
        "Yearly residence comments are written from {opens} to {closes}; the window is closed now.",
        opens=_.date_text(opens),
        closes=_.date_text(closes),
    )
    if update.callback_query is not None:
        await ack(update.callback_query, text, show_alert=True)
    else:
        await send(update, text)


async def on_comment_list(update: Update, context: Context) -> None:
    """The leader sees the members still waiting for their comment, each a button."""
    _ = context._
    query = update.callback_query
    if query is None or not can_anywhere(context.actor, Action.HOST_RESIDENCE):
        await refuse(update, context, "residence_comment_list")
        return
    year = comment_year(context)
    if year is None:
        await _window_closed(update, context)
        return
    await ack(query)
    branches = await branches_under(context.db, paths_for(context.actor, Action.HOST_RESIDENCE))
    ties = await comments_to_write(context.db, [b.id for b in branches], year, local_today(context))
    if not ties:
        await send(update, _("All yearly comments for {year} have been sent.", year=year))
        return
    rows = [[_member_button(t)] for t in ties[:MAX_LISTED]]
    await send(
        update,
        _("✍️ Yearly comments for {year} still to write: {count}", year=year, count=len(ties)),
        InlineKeyboardMarkup(rows),
    )


def _member_button(tie: ResidenceTie) -> InlineKeyboardButton:
    label = f"{tie.member.full_name} · {tie.member.branch.name}"
    return InlineKeyboardButton(label, callback_data=f"rcm:{tie.id}")


async def _commentable(context: Context, tie: ResidenceTie | None, year: int) -> bool:
    return (
        tie is not None
        and may_host(context.actor, tie)
        and tie.status == TieStatus.CONFIRMED
        and tie.ended_at is None
        and await comment_of(context.db, tie.member_id, year) is None
    )


async def on_comment_start(update: Update, context: Context) -> None:
    """The leader starts the comment on one member: the first yes/no question."""
    query, user = update.callback_query, update.effective_user
    args = callback_args(query, 1) if query else None
    tie = await get_tie(context.db, args[0]) if args else None
    if await _told_why_not(update, context, tie):
        return
    year = comment_year(context) or 0
    if query is None or user is None or not await _commentable(context, tie, year):
        await refuse(update, context, "residence_comment")
        return
    assert tie is not None
    await ack(query)
    data = {"tie_id": tie.id, "year": year}
    await save_flow(context.db, user.id, COMMENT_FLOW, POINTS[0], data, context.now())
    await _ask_point(update, context, tie, POINTS[0], year)


async def _told_why_not(update: Update, context: Context, tie: ResidenceTie | None) -> bool:
    """For the tie's own residence leaders: the window is closed, or the comment was sent
    (final); True when they were told."""
    _ = context._
    if tie is None or not may_host(context.actor, tie):
        return False
    year = comment_year(context)
    if year is None:
        await _window_closed(update, context)
        return True
    sent = await comment_of(context.db, tie.member_id, year)
    if sent is None or update.callback_query is None:
        return False
    text = _(
        "The comment on {name} for {year} was sent on {date}; a sent comment cannot be changed.",
        name=tie.member.full_name,
        year=year,
        date=_.date_text(sent.sent_at),
    )
    await ack(update.callback_query, text, show_alert=True)
    return True


async def _ask_point(
    update: Update, context: Context, tie: ResidenceTie, point: str, year: int
) -> None:
    _ = context._
    lines = [_(QUESTIONS[point], name=f"<b>{escape(tie.member.full_name)}</b>")]
    if point == POINTS[0]:
        done = await activities_of(context.db, tie.member_id, year)
        confirmed = sum(1 for a in done if a.confirmed_at is not None)
        lines.append(
            _(
                "Residence activities recorded for {year}: {count}, of which {confirmed} "
                "confirmed.",
                year=year,
                count=len(done),
                confirmed=confirmed,
            )
        )
    buttons = [
        InlineKeyboardButton(_("Yes"), callback_data="rcy:1"),
        InlineKeyboardButton(_("No"), callback_data="rcy:0"),
        InlineKeyboardButton(_("❌ Cancel"), callback_data="rcancel"),
    ]
    await send(update, "\n".join(lines), InlineKeyboardMarkup([buttons]))


async def _draft(
    update: Update, context: Context, steps: tuple[str, ...]
) -> tuple[FlowState, ResidenceTie, int] | None:
    """The leader's comment draft at one of `steps`, its tie, and the year, still allowed."""
    user = update.effective_user
    state = await get_flow(context.db, user.id, COMMENT_FLOW) if user else None
    if state is None or state.step not in steps:
        await refuse(update, context, "residence_comment_draft")
        return None
    tie = await get_tie(context.db, int(state.data.get("tie_id", 0)))
    year = int(state.data.get("year", 0))
    if comment_year(context) != year:
        await clear_flow(context.db, state.user_id, state.flow)
        await _window_closed(update, context)
        return None
    if not await _commentable(context, tie, year):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "residence_comment_gone")
        return None
    assert tie is not None
    return state, tie, year


async def on_point_answer(update: Update, context: Context) -> None:
    """A yes or no to the current point; then the next point, or the free-text comment."""
    _ = context._
    query = update.callback_query
    found = await _draft(update, context, POINTS)
    args = callback_args(query, 1, limit=1) if query and found else None
    if query is None or found is None or args is None:
        if found is not None:
            await refuse(update, context, "residence_comment_answer")
        return
    state, tie, year = found
    await ack(query)
    data = {**state.data, state.step: bool(args[0])}
    following = POINTS.index(state.step) + 1
    step = POINTS[following] if following < len(POINTS) else "text"
    await save_flow(context.db, state.user_id, COMMENT_FLOW, step, data, context.now())
    if step != "text":
        await _ask_point(update, context, tie, step, year)
        return
    await send(
        update,
        _(
            "Now your comment on {name} in a few sentences (up to {limit} characters).",
            name=f"<b>{escape(tie.member.full_name)}</b>",
            limit=context.settings.residence_comment_limit,
        ),
        cancel_markup(_),
    )


async def on_comment_input(update: Update, context: Context, state: FlowState) -> None:
    """The typed comment: a preview with Send and Cancel."""
    _ = context._
    found = await _draft(update, context, ("text", "preview"))
    if found is None:
        return
    state, tie, year = found
    text = await typed_text(
        update, context, context.settings.residence_comment_limit, N_("The comment")
    )
    if text is None:
        return
    data = {**state.data, "comment": text}
    await save_flow(context.db, state.user_id, COMMENT_FLOW, "preview", data, context.now())
    buttons = [
        InlineKeyboardButton(_("📤 Send"), callback_data="rcsend"),
        InlineKeyboardButton(_("❌ Cancel"), callback_data="rcancel"),
    ]
    preview = comment_text(tie.member.full_name, year, _form(data), _)
    ask = _("Send this comment? Once sent it cannot be changed.")
    await send(update, f"{preview}\n\n{ask}", InlineKeyboardMarkup([buttons]))


def _form(data: dict[str, object]) -> CommentForm:
    return CommentForm(
        takes_part=bool(data.get("takes_part")),
        sets_example=bool(data.get("sets_example")),
        keeps_contact=bool(data.get("keeps_contact")),
        comment=str(data.get("comment", "")),
    )


async def on_comment_send(update: Update, context: Context) -> None:
    """The comment is stored for the member's year record; the workplace committee sees it."""
    _ = context._
    query = update.callback_query
    found = await _draft(update, context, ("preview",))
    if query is None or found is None:
        return
    state, tie, year = found
    try:
        comment = await save_comment(
            context.db, tie, year, _form(state.data), context.actor.member_id, context.now()
        )
    except ResidenceError:
        await refuse(update, context, "residence_comment_sent")
        return
    await ack(query)
    await clear_flow(context.db, state.user_id, state.flow)
    await audit.record(
        context.db,
        "residence_comment_sent",
        actor_member_id=context.actor.member_id,
        unit_id=tie.residence_branch_id,
        object_type="residence_comment",
        object_id=comment.id,
    )
    more = InlineKeyboardButton(_("✍️ Next member"), callback_data="rcl")
    sent = _("📤 Sent. Thank you.")
    await edit_text(
        query,
        f"{comment_text(tie.member.full_name, year, _form(state.data), _)}\n\n{sent}",
        parse_mode="HTML",
        reply_markup=InlineKeyboardMarkup([[more]]),
    )


def comment_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_comment_list, pattern=r"^rcl$"),
        CallbackQueryHandler(on_comment_start, pattern=r"^rcm:"),
        CallbackQueryHandler(on_point_answer, pattern=r"^rcy:"),
        CallbackQueryHandler(on_comment_send, pattern=r"^rcsend$"),
    ]
