"""Members and their meetings: what is coming with their answer, attending / absent (with a
reason) until the meeting starts, and their attendance history."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update

from bot.access import Action, can
from bot.i18n import N_, Translator
from handlers.meetings import buttons
from handlers.meetings.actions import (
    BadReason,
    Closed,
    attend,
    open_invite,
    reason_fits,
    record_absence,
)
from handlers.meetings.buttons import MeetingRef
from handlers.meetings.draft import ABSENCE_FLOW, REASON_LIMIT, REASON_MIN, AbsenceDraft
from handlers.meetings.messages import KIND_LABELS, answer_markup, answer_text, card, with_answer
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, drop_buttons, edit_text, refuse
from handlers.shared.drafts import cancel_button, draft_text
from handlers.shared.usecase import NotAllowed, env_of
from storage.flows import clear_flow, get_flow, save_flow
from storage.meetings import member_history, unexcused_months, upcoming_for_member
from storage.models import Attendance, FlowState, Meeting, MeetingInvite
from storage.text import clean_text

SHOWN_UPCOMING = 5
TOAST_REASON = 120  # characters of a reason in a button's answer (Telegram shows 200)
ATTENDANCE_MARK = {Attendance.PRESENT: "✅", Attendance.EXCUSED: "🟡", Attendance.UNEXCUSED: "❌"}
CANCELLED = N_("This meeting has been cancelled.")
STARTED = N_("The meeting has started: answers are closed.")


def answer_keyboard(meeting_id: int, _: Translator) -> InlineKeyboardMarkup:
    """The attending / absent buttons of the outbox's messages, for a reply the bot sends
    itself (one declaration: messages.answer_markup)."""
    return InlineKeyboardMarkup.de_json(answer_markup(meeting_id, _), None)


async def show_my_meetings(update: Update, context: Context) -> None:
    """The member sees their coming meetings, each with its answer buttons."""
    _ = context._
    chat, member_id = update.effective_chat, context.actor.member_id
    if chat is None or member_id is None:
        return
    coming = await upcoming_for_member(context.db, member_id, context.now())
    if not coming:
        await chat.send_message(_("You have no meetings coming up."))
    for meeting, invite in coming[:SHOWN_UPCOMING]:
        text = with_answer(
            card(meeting, meeting.unit.name, _, str), invite.answer, invite.reason, _
        )
        markup = answer_keyboard(meeting.id, _)
        await chat.send_message(text, reply_markup=markup)
    history = buttons.MY_ATTENDANCE.button(_("📈 My attendance"))
    await chat.send_message(
        _("Your attendance at past meetings:"), reply_markup=InlineKeyboardMarkup([[history]])
    )


async def _open_invite(
    update: Update, context: Context, pressed: MeetingRef
) -> tuple[Meeting, MeetingInvite] | None:
    """The pressed meeting and the actor's own invite, if they may still answer it; else a
    refusal (forged or foreign button) or the reason it is closed."""
    try:
        return await open_invite(context.db, context.actor, pressed.meeting_id, env_of(context))
    except NotAllowed:
        await refuse(update, context, "meeting_answer")
    except Closed as closed:
        await _closed(update, context, closed)
    return None


async def _closed(update: Update, context: Context, closed: Closed) -> None:
    if update.callback_query is not None:
        text = CANCELLED if closed.cancelled else STARTED
        await ack(update.callback_query, context._(text), show_alert=True)


async def on_attending(update: Update, context: Context, pressed: MeetingRef) -> None:
    """The member will attend; they see it confirmed and may still change it."""
    query, _ = update.callback_query, context._
    if query is None:
        return
    try:
        meeting, invite = await attend(
            context.db, context.actor, pressed.meeting_id, env_of(context)
        )
    except NotAllowed:
        await refuse(update, context, "meeting_answer")
        return
    except Closed as closed:
        await _closed(update, context, closed)
        return
    state = await get_flow(context.db, context.actor.telegram_id, ABSENCE_FLOW)
    if state is not None:
        await clear_flow(context.db, state.user_id, state.flow)  # no reason needed any more
    await ack(query, _("Recorded: you will attend. Thank you!"))
    text = query.message.text if isinstance(query.message, Message) else None
    if text:  # the invitation itself shows the answer, and still lets it change
        text = with_answer(text, invite.answer, invite.reason, _)
        await edit_text(query, text, reply_markup=answer_keyboard(meeting.id, _))


async def on_absent(update: Update, context: Context, pressed: MeetingRef) -> None:
    """The member will be absent and is asked for the reason; nothing changes until then."""
    _ = context._
    found = await _open_invite(update, context, pressed)
    chat = update.effective_chat
    if found is None or update.callback_query is None or chat is None:
        return
    meeting, invite = found
    await ack(update.callback_query)
    draft = AbsenceDraft(meeting.id)
    user_id = context.actor.telegram_id
    await save_flow(context.db, user_id, ABSENCE_FLOW, draft.step, draft.dump(), context.now())
    keep = buttons.KEEP_ANSWER.button(_("↩️ Keep my answer"), MeetingRef(meeting.id))
    # Someone who never answered has no answer to keep: they may only leave the question.
    out = keep if invite.answer is not None else cancel_button(_)
    await chat.send_message(
        _(
            "Please write the reason for your absence from the meeting of {when}. The "
            "secretary will see it.",
            when=_.datetime_text(meeting.starts_at),
        ),
        reply_markup=InlineKeyboardMarkup([[out]]),
    )


async def on_keep_answer(update: Update, context: Context, pressed: MeetingRef) -> None:
    """The member will not write a reason after all: the question is dropped, and what they
    answered before (or no answer) stands; the toast says which. Only the presser's own
    question can be dropped, and only for a meeting they are invited to."""
    found = await _open_invite(update, context, pressed)
    if found is None or update.callback_query is None:
        return
    meeting, invite = found
    state = await get_flow(context.db, context.actor.telegram_id, ABSENCE_FLOW)
    if state is not None and AbsenceDraft.load(state.data).meeting_id == meeting.id:
        await clear_flow(context.db, state.user_id, state.flow)
    reason = (invite.reason or "")[:TOAST_REASON]
    await ack(update.callback_query, answer_text(invite.answer, reason, context._))
    await drop_buttons(update.callback_query)


async def on_reason_input(update: Update, context: Context, state: FlowState) -> None:
    """The member's reason: the absence is recorded, or they are told why it is not."""
    _ = context._
    message = update.effective_message
    if message is None:
        return
    draft = AbsenceDraft.load(state.data)
    reason = clean_text(draft_text(message)).strip()
    try:
        await record_absence(context.db, context.actor, draft.meeting_id, reason, env_of(context))
    except Closed as closed:
        await clear_flow(context.db, state.user_id, state.flow)
        await message.reply_text(_(CANCELLED if closed.cancelled else STARTED))
        return
    except BadReason:
        await message.reply_text(str(reason_problem(context, state, reason)))
        return
    await clear_flow(context.db, state.user_id, state.flow)
    await message.reply_text(
        _("Recorded: absent. You can change your answer until the meeting starts.")
    )


def reason_problem(context: Context, state: FlowState, text: str) -> str | None:
    """Why the typed reason cannot be taken, or None."""
    if reason_fits(clean_text(text).strip()):
        return None
    return context._(
        "An absence needs a reason: please write it in {min} to {max} characters. "
        "Your answer has not changed yet.",
        min=REASON_MIN,
        max=REASON_LIMIT,
    )


async def on_my_attendance(update: Update, context: Context, _pressed: object) -> None:
    """The member sees their recent recorded attendance and this year's months with an
    unexcused absence."""
    _ = context._
    query, member_id = update.callback_query, context.actor.member_id
    if query is None or member_id is None or not can(context.actor, Action.VIEW_OWN_RECORD):
        await refuse(update, context, "meeting_my_attendance")
        return
    await ack(query)
    year = context.now().astimezone(context.settings.tz).year
    months = await unexcused_months(context.db, [member_id], year, context.settings.tz)
    lines = [_("📈 Your attendance (latest meetings first):")]
    for meeting, invite in await member_history(context.db, member_id):
        mark = ATTENDANCE_MARK.get(invite.attendance, "·") if invite.attendance else "·"
        kind = _(KIND_LABELS[meeting.kind])
        lines.append(f"{mark} {_.datetime_text(meeting.starts_at)} {kind}")
    if len(lines) == 1:
        lines.append(_("No attendance has been recorded for you yet."))
    lines += [
        "",
        _(
            "Months of {year} with an unexcused absence from your branch's meetings: {count}",
            year=year,
            count=months.get(member_id, 0),
        ),
    ]
    await edit_text(query, "\n".join(lines))


# The members' buttons, and what a press of each does (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.ATTEND.route(on_attending, "meeting_answer"),
    buttons.ABSENT.route(on_absent, "meeting_answer"),
    buttons.KEEP_ANSWER.route(on_keep_answer, "meeting_answer"),
    buttons.MY_ATTENDANCE.route(on_my_attendance, "meeting_my_attendance"),
)
