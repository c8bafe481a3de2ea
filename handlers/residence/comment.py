"""The yearly comment (nhận xét) of the residence branch on each member tied to it: within
the window, member by member, three yes/no points and a free-text comment, then Send.

A sent comment is final; outside the window nothing can be written, and the leader is told
when the window is.
"""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.access import Action, can_anywhere, paths_for
from bot.i18n import N_
from handlers.residence import buttons
from handlers.residence.actions import may_host, send_comment
from handlers.residence.buttons import PointAnswer, TieRef
from handlers.residence.common import cancel_markup, comment_year, local_today
from handlers.residence.draft import COMMENT_FLOW, POINTS, PREVIEW, TEXT, CommentDraft, save_draft
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse, send
from handlers.shared.residence_words import comment_text
from handlers.shared.typed_input import typed_text
from handlers.shared.usecase import env_of
from storage.flows import clear_flow, get_flow
from storage.models import FlowState, ResidenceTie, TieStatus
from storage.residence import ResidenceError, activities_of, get_tie
from storage.residence_comments import comment_of, comments_to_write
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


async def on_comment_list(update: Update, context: Context, _pressed: object) -> None:
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
    return buttons.COMMENT.button(label, TieRef(tie.id))


async def _commentable(context: Context, tie: ResidenceTie | None, year: int) -> bool:
    return (
        tie is not None
        and may_host(context.actor, tie)
        and tie.status == TieStatus.CONFIRMED
        and tie.ended_at is None
        and await comment_of(context.db, tie.member_id, year) is None
    )


async def on_comment_start(update: Update, context: Context, pressed: TieRef) -> None:
    """The leader starts the comment on one member: the first yes/no question."""
    query, user = update.callback_query, update.effective_user
    tie = await get_tie(context.db, pressed.tie_id)
    if await _told_why_not(update, context, tie):
        return
    year = comment_year(context) or 0
    if query is None or user is None or not await _commentable(context, tie, year):
        await refuse(update, context, "residence_comment")
        return
    assert tie is not None
    await ack(query)
    await save_draft(context.db, user.id, CommentDraft(tie.id, year), context.now())
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
    row = [
        buttons.POINT.button(_("Yes"), PointAnswer(1)),
        buttons.POINT.button(_("No"), PointAnswer(0)),
        buttons.CANCEL.button(_("❌ Cancel")),
    ]
    await send(update, "\n".join(lines), InlineKeyboardMarkup([row]))


async def _draft(
    update: Update, context: Context, steps: tuple[str, ...]
) -> tuple[FlowState, CommentDraft, ResidenceTie] | None:
    """The leader's comment draft at one of `steps` and its tie, still allowed."""
    user = update.effective_user
    state = await get_flow(context.db, user.id, COMMENT_FLOW) if user else None
    draft = CommentDraft.load(state.data) if state else None
    if state is None or draft is None or draft.step not in steps:
        await refuse(update, context, "residence_comment_draft")
        return None
    tie = await get_tie(context.db, draft.tie_id)
    if comment_year(context) != draft.year:
        await clear_flow(context.db, state.user_id, state.flow)
        await _window_closed(update, context)
        return None
    if not await _commentable(context, tie, draft.year):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "residence_comment_gone")
        return None
    assert tie is not None
    return state, draft, tie


async def on_point_answer(update: Update, context: Context, pressed: PointAnswer) -> None:
    """A yes or no to the current point; then the next point, or the free-text comment."""
    _ = context._
    query = update.callback_query
    found = await _draft(update, context, POINTS)
    if query is None or found is None:
        return
    state, draft, tie = found
    await ack(query)
    draft = draft.answered(bool(pressed.answer))
    await save_draft(context.db, state.user_id, draft, context.now())
    if draft.step != TEXT:
        await _ask_point(update, context, tie, draft.step, draft.year)
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
    found = await _draft(update, context, (TEXT, PREVIEW))
    if found is None:
        return
    state, draft, tie = found
    text = await typed_text(
        update, context, context.settings.residence_comment_limit, N_("The comment")
    )
    if text is None:
        return
    draft = CommentDraft(draft.tie_id, draft.year, draft.answers, text)
    await save_draft(context.db, state.user_id, draft, context.now())
    row = [buttons.SEND_COMMENT.button(_("📤 Send")), buttons.CANCEL.button(_("❌ Cancel"))]
    preview = comment_text(tie.member.full_name, draft.year, draft.form(), _)
    ask = _("Send this comment? Once sent it cannot be changed.")
    await send(update, f"{preview}\n\n{ask}", InlineKeyboardMarkup([row]))


async def on_comment_send(update: Update, context: Context, _pressed: object) -> None:
    """The comment is stored for the member's year record; the workplace committee sees it."""
    _ = context._
    query = update.callback_query
    found = await _draft(update, context, (PREVIEW,))
    if query is None or found is None:
        return
    state, draft, tie = found
    try:
        await send_comment(
            context.db, context.actor, tie, draft.year, draft.form(), env_of(context)
        )
    except ResidenceError:
        await refuse(update, context, "residence_comment_sent")
        return
    await ack(query)
    await clear_flow(context.db, state.user_id, state.flow)
    more = buttons.COMMENTS.button(_("✍️ Next member"))
    sent = _("📤 Sent. Thank you.")
    await edit_text(
        query,
        f"{comment_text(tie.member.full_name, draft.year, draft.form(), _)}\n\n{sent}",
        parse_mode="HTML",
        reply_markup=InlineKeyboardMarkup([[more]]),
    )


# The comment's buttons, and what a press of each does (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.COMMENTS.route(on_comment_list, "residence_comment_list"),
    buttons.COMMENT.route(on_comment_start, "residence_comment"),
    buttons.POINT.route(on_point_answer, "residence_comment_answer"),
    buttons.SEND_COMMENT.route(on_comment_send, "residence_comment_draft"),
)
