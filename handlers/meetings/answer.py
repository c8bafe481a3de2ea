"""Members and their meetings: what is coming with their answer, attending / absent (with a
reason) until the meeting starts, and their attendance history."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can
from handlers.common import Context, ack, callback_args, drop_buttons, edit_text, refuse
from handlers.drafts import cancel_button, draft_text
from handlers.meetings.messages import (
    ABSENCE_FLOW,
    KIND_LABELS,
    REASON_LIMIT,
    REASON_MIN,
    answer_keyboard,
    answer_text,
    card,
    with_answer,
)
from storage.flows import clear_flow, get_flow, save_flow
from storage.meetings import (
    get_meeting,
    has_started,
    invite_of,
    member_history,
    record_answer,
    unexcused_months,
    upcoming_for_member,
)
from storage.models import Attendance, FlowState, Meeting, MeetingAnswer, MeetingInvite
from storage.text import clean_text

SHOWN_UPCOMING = 5
TOAST_REASON = 120  # characters of a reason in a button's answer (Telegram shows 200)
ATTENDANCE_MARK = {Attendance.PRESENT: "✅", Attendance.EXCUSED: "🟡", Attendance.UNEXCUSED: "❌"}


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
    history = InlineKeyboardButton(_("📈 My attendance"), callback_data="mmy")
    await chat.send_message(
        _("Your attendance at past meetings:"), reply_markup=InlineKeyboardMarkup([[history]])
    )


async def _open_invite(update: Update, context: Context) -> tuple[Meeting, MeetingInvite] | None:
    """The pressed meeting and the actor's own invite, if they may still answer it; else a
    refusal (forged or foreign button) or the reason it is closed."""
    _ = context._
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    meeting = await get_meeting(context.db, args[0]) if args else None
    member_id = context.actor.member_id
    invite = (  # locked: two answers at once (two phones) are taken one after the other
        await invite_of(context.db, meeting.id, member_id, lock=True)
        if meeting and member_id
        else None
    )
    if (
        query is None
        or meeting is None
        or invite is None
        or not can(context.actor, Action.USE_MENU)
    ):
        await refuse(update, context, "meeting_answer")
        return None
    if meeting.cancelled_at is not None:
        await ack(query, _("This meeting has been cancelled."), show_alert=True)
        return None
    if has_started(meeting, context.now()):
        await ack(query, _("The meeting has started: answers are closed."), show_alert=True)
        return None
    return meeting, invite


async def on_attending(update: Update, context: Context) -> None:
    """The member will attend; they see it confirmed and may still change it."""
    found = await _open_invite(update, context)
    if found is None or update.callback_query is None:
        return
    meeting, invite = found
    query, _ = update.callback_query, context._
    record_answer(invite, MeetingAnswer.ATTENDING, None, context.now())
    state = await get_flow(context.db, context.actor.telegram_id, ABSENCE_FLOW)
    if state is not None:
        await clear_flow(context.db, state.user_id, state.flow)  # no reason needed any more
    await ack(query, _("Recorded: you will attend. Thank you!"))
    pressed = query.message.text if isinstance(query.message, Message) else None
    if pressed:  # the invitation itself shows the answer, and still lets it change
        text = with_answer(pressed, invite.answer, invite.reason, _)
        await edit_text(query, text, reply_markup=answer_keyboard(meeting.id, _))


async def on_absent(update: Update, context: Context) -> None:
    """The member will be absent and is asked for the reason; nothing changes until then."""
    _ = context._
    found = await _open_invite(update, context)
    chat = update.effective_chat
    if found is None or update.callback_query is None or chat is None:
        return
    meeting, invite = found
    await ack(update.callback_query)
    data = {"meeting_id": meeting.id}
    await save_flow(
        context.db, context.actor.telegram_id, ABSENCE_FLOW, "reason", data, context.now()
    )
    keep = InlineKeyboardButton(_("↩️ Keep my answer"), callback_data=f"mabx:{meeting.id}")
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


async def on_keep_answer(update: Update, context: Context) -> None:
    """The member will not write a reason after all: the question is dropped, and what they
    answered before (or no answer) stands; the toast says which. Only the presser's own
    question can be dropped, and only for a meeting they are invited to."""
    found = await _open_invite(update, context)
    if found is None or update.callback_query is None:
        return
    meeting, invite = found
    state = await get_flow(context.db, context.actor.telegram_id, ABSENCE_FLOW)
    if state is not None and int(state.data.get("meeting_id", -1)) == meeting.id:
        await clear_flow(context.db, state.user_id, state.flow)
    reason = (invite.reason or "")[:TOAST_REASON]
    await ack(update.callback_query, answer_text(invite.answer, reason, context._))
    await drop_buttons(update.callback_query)


async def on_reason_input(update: Update, context: Context, draft: FlowState) -> None:
    """The member's reason: the absence is recorded, or they are told why it is not."""
    _ = context._
    message = update.effective_message
    meeting = await get_meeting(context.db, int(draft.data.get("meeting_id", 0)))
    member_id = context.actor.member_id
    invite = (  # locked: two answers at once (two phones) are taken one after the other
        await invite_of(context.db, meeting.id, member_id, lock=True)
        if meeting and member_id
        else None
    )
    if message is None:
        return
    if meeting is None or invite is None or meeting.cancelled_at is not None:
        await clear_flow(context.db, draft.user_id, draft.flow)
        await message.reply_text(_("This meeting has been cancelled."))
        return
    if has_started(meeting, context.now()):
        await clear_flow(context.db, draft.user_id, draft.flow)
        await message.reply_text(_("The meeting has started: answers are closed."))
        return
    reason = clean_text(draft_text(message)).strip()
    problem = reason_problem(context, draft, reason)
    if problem is not None:
        await message.reply_text(problem)
        return
    record_answer(invite, MeetingAnswer.ABSENT, reason, context.now())
    await clear_flow(context.db, draft.user_id, draft.flow)
    await message.reply_text(
        _("Recorded: absent. You can change your answer until the meeting starts.")
    )


def reason_problem(context: Context, draft: FlowState, text: str) -> str | None:
    """Why the typed reason cannot be taken, or None."""
    reason = clean_text(text).strip()
    if REASON_MIN <= len(reason) <= REASON_LIMIT:
        return None
    return context._(
        "An absence needs a reason: please write it in {min} to {max} characters. "
        "Your answer has not changed yet.",
        min=REASON_MIN,
        max=REASON_LIMIT,
    )


async def on_my_attendance(update: Update, context: Context) -> None:
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


def meeting_answer_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_attending, pattern=r"^mat:"),
        CallbackQueryHandler(on_absent, pattern=r"^mab:"),
        CallbackQueryHandler(on_keep_answer, pattern=r"^mabx:"),
        CallbackQueryHandler(on_my_attendance, pattern=r"^mmy$"),
    ]
