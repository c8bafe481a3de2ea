"""The secretary's side of meetings: the list, live answers, changing the time or place,
cancelling (everyone invited is told), and the yearly attendance of the branch."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can_anywhere, paths_for
from bot.delivery.sender import wake_sender_after_commit
from bot.fit import button_label
from bot.i18n import Translator
from bot.scheduler import wake_scheduler_after_commit
from handlers.common import Context, ack, callback_args, edit_text, refuse
from handlers.drafts import draft_text, with_cancel
from handlers.meetings.answer import show_my_meetings
from handlers.meetings.compose import managed_units
from handlers.meetings.messages import (
    EDIT_FLOW,
    KIND_SHORT,
    PLACE_LIMIT,
    MessageText,
    broadcast,
    cancel_text,
    change_text_of,
    html_card,
    may_manage,
    messages_to,
    parse_when,
    schedule_reminders,
)
from storage import audit, schedule
from storage.flows import clear_flow, get_flow, save_flow
from storage.meetings import (
    Invitee,
    attendance_by_member,
    get_meeting,
    has_started,
    invitees,
    meetings_of,
    reachable,
)
from storage.models import Attendance, FlowState, Meeting, MeetingAnswer
from storage.standing import members_counted
from storage.text import clean_text

MAX_NAMES = 40  # per list, so the answers fit one message


async def show_meetings(update: Update, context: Context) -> None:
    """Members see their coming meetings; secretaries also their units' meetings to manage."""
    await show_my_meetings(update, context)
    if can_anywhere(context.actor, Action.MANAGE_MEETINGS):
        await _show_managed(update, context)


async def _show_managed(update: Update, context: Context) -> None:
    _ = context._
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    paths = paths_for(context.actor, Action.MANAGE_MEETINGS)
    draft = await get_flow(context.db, user.id, "meeting")
    new = _("✍️ Continue the draft") if draft else _("➕ New meeting")
    rows = [[InlineKeyboardButton(new, callback_data="mnew")]]
    units = await managed_units(context)
    several = len(units) > 1  # the unit is named only when it tells the buttons apart
    for meeting in await meetings_of(context.db, paths, context.now()):
        label = _meeting_label(meeting, _, several)
        rows.append([InlineKeyboardButton(label, callback_data=f"md:{meeting.id}")])
    year = _local_year(context)
    for unit in units:
        label = (
            button_label(_("📊 Attendance {year}: {unit}", year=year, unit=unit.name))
            if several
            else _("📊 Attendance {year}", year=year)
        )
        rows.append([InlineKeyboardButton(label, callback_data=f"my:{unit.id}")])
    await chat.send_message(
        _("🗓 Meetings of your units (coming first, then past):"),
        reply_markup=InlineKeyboardMarkup(rows),
    )


def _local_year(context: Context) -> int:
    return context.now().astimezone(context.settings.tz).year


def _meeting_label(meeting: Meeting, _: Translator, with_unit: bool) -> str:
    """`25/12 19:30 · Thematic`, and the unit when there are several, cut to fit a phone
    (the meeting's card shows it all)."""
    when = _.local(meeting.starts_at).strftime("%d/%m %H:%M")
    parts = [when, _(KIND_SHORT[meeting.kind])]
    if with_unit:
        parts.append(meeting.unit.name)
    return button_label(" · ".join(parts))


async def _managed_meeting(update: Update, context: Context, reason: str) -> Meeting | None:
    """The pressed meeting if the actor manages its unit; else a refusal."""
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    meeting = await get_meeting(context.db, args[0]) if args else None
    if query is None or meeting is None or not may_manage(context.actor, meeting.unit):
        await refuse(update, context, reason)
        return None
    return meeting


async def on_detail(update: Update, context: Context) -> None:
    """The secretary sees the meeting and the answers so far, with what they can do next."""
    meeting = await _managed_meeting(update, context, "meeting_detail")
    if meeting is None or update.callback_query is None:
        return
    _ = context._
    await ack(update.callback_query)
    people = await invitees(context.db, meeting.id)
    text = "\n\n".join([html_card(meeting, meeting.unit.name, _), _answers_text(people, _)])
    if meeting.cancelled_at is not None:
        text = _("🚫 Cancelled.") + "\n\n" + text
    await edit_text(
        update.callback_query,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=_detail_buttons(meeting, context),
    )


def _names(people: list[Invitee], with_reason: bool = False) -> str:
    shown = people[:MAX_NAMES]
    names = [
        escape(p.member.full_name) + (f" — {escape(p.invite.reason or '')}" if with_reason else "")
        for p in shown
    ]
    more = f"\n… +{len(people) - len(shown)}" if len(people) > len(shown) else ""
    return "\n".join(f"• {n}" for n in names) + more


def _answers_text(people: list[Invitee], _: Translator) -> str:
    attending = [p for p in people if p.invite.answer == MeetingAnswer.ATTENDING]
    absent = [p for p in people if p.invite.answer == MeetingAnswer.ABSENT]
    silent = [p for p in people if p.invite.answer is None]
    parts = [_("<b>Attending: {count}</b>", count=len(attending)), _names(attending)]
    parts += [_("<b>Absent: {count}</b>", count=len(absent)), _names(absent, with_reason=True)]
    parts += [_("<b>No answer: {count}</b>", count=len(silent)), _names(silent)]
    return "\n".join(p for p in parts if p)


def _detail_buttons(meeting: Meeting, context: Context) -> InlineKeyboardMarkup:
    _ = context._
    rows = [[InlineKeyboardButton(_("🔄 Refresh"), callback_data=f"md:{meeting.id}")]]
    if meeting.cancelled_at is None and not has_started(meeting, context.now()):
        rows.append(
            [
                InlineKeyboardButton(_("✏️ Time"), callback_data=f"met:{meeting.id}"),
                InlineKeyboardButton(_("✏️ Place"), callback_data=f"mep:{meeting.id}"),
            ]
        )
        rows.append(
            [InlineKeyboardButton(_("🚫 Cancel the meeting"), callback_data=f"mc:{meeting.id}")]
        )
    elif meeting.cancelled_at is None:
        rows.append(
            [InlineKeyboardButton(_("📝 Record attendance"), callback_data=f"mrec:{meeting.id}")]
        )
    return InlineKeyboardMarkup(rows)


async def _changeable(update: Update, context: Context, reason: str) -> Meeting | None:
    """A managed meeting that has neither started nor been cancelled."""
    meeting = await _managed_meeting(update, context, reason)
    if meeting is None or update.callback_query is None:
        return None
    if meeting.cancelled_at is not None or has_started(meeting, context.now()):
        await ack(
            update.callback_query,
            context._("The meeting has started or was cancelled: it can no longer be changed."),
            show_alert=True,
        )
        return None
    return meeting


async def on_edit(update: Update, context: Context) -> None:
    """The secretary is asked for the new time or the new place."""
    query, chat = update.callback_query, update.effective_chat
    meeting = await _changeable(update, context, "meeting_edit")
    if meeting is None or query is None or chat is None:
        return
    _ = context._
    await ack(query)
    field = "time" if (query.data or "").startswith("met:") else "place"
    data = {"meeting_id": meeting.id}
    await save_flow(context.db, context.actor.telegram_id, EDIT_FLOW, field, data, context.now())
    if field == "time":
        question = _("Send the new date and time, for example 25/12/2026 19:30.")
    else:
        question = _("Send the new place or link.")
    await chat.send_message(question, reply_markup=with_cancel(_))


async def on_edit_input(update: Update, context: Context, draft: FlowState) -> None:
    """The new time or place: stored, everyone invited is told, reminders follow the time."""
    _ = context._
    message = update.effective_message
    meeting = await get_meeting(context.db, int(draft.data.get("meeting_id", 0)))
    if message is None:
        return
    if meeting is None or not may_manage(context.actor, meeting.unit):
        await clear_flow(context.db, draft.user_id, draft.flow)
        await refuse(update, context, "meeting_edit_forbidden")
        return
    if meeting.cancelled_at is not None or has_started(meeting, context.now()):
        await clear_flow(context.db, draft.user_id, draft.flow)
        await message.reply_text(
            _("The meeting has started or was cancelled: it can no longer be changed.")
        )
        return
    old_when, old_place = meeting.starts_at, meeting.place
    problem = _apply_change(meeting, draft, draft_text(message), context)
    if problem is not None:
        await message.reply_text(problem)
        return
    await clear_flow(context.db, draft.user_id, draft.flow)
    changed = change_text_of(old_when, old_place)
    count = await _tell_everyone(context, meeting, "meeting_changed", changed)
    await schedule_reminders(context.db, meeting, context.settings, context.now())
    wake_scheduler_after_commit(context.bot_data)
    await message.reply_text(
        _.plural("Changed. {count} member is told.", "Changed. {count} members are told.", count)
    )


def edit_problem(context: Context, draft: FlowState, text: str) -> str | None:
    """Why the typed time or place cannot be taken, or None."""
    _ = context._
    if draft.step == "time":
        when = parse_when(text, context.settings.tz, context.now())
        if when is None:
            return _("I could not read that. Please send it like 25/12/2026 19:30.")
        if when <= context.now():
            return _("That time has passed. Please send a time in the future.")
        return None
    place = clean_text(text).strip()
    if not place or len(place) > PLACE_LIMIT:
        return _("Please send the place in 1 to {limit} characters.", limit=PLACE_LIMIT)
    return None


def _apply_change(meeting: Meeting, draft: FlowState, text: str, context: Context) -> str | None:
    """Sets the time or place from the text; or says why it cannot (nothing changes)."""
    problem = edit_problem(context, draft, text)
    if problem is not None:
        return problem
    if draft.step == "time":
        when = parse_when(text, context.settings.tz, context.now())
        assert when is not None
        meeting.starts_at = when
    else:
        meeting.place = clean_text(text).strip()
    return None


async def _tell_everyone(
    context: Context, meeting: Meeting, action: str, text: MessageText = cancel_text
) -> int:
    """A change or cancel message to every reachable invitee, and an audit row."""
    people = reachable(await invitees(context.db, meeting.id))
    cancelled = meeting.cancelled_at is not None
    messages = messages_to(
        people, meeting, meeting.unit.name, context.settings, text, not cancelled
    )
    await broadcast(context.db, action, messages, meeting, context.now(), None)
    wake_sender_after_commit(context.bot_data)
    await audit.record(
        context.db,
        action,
        actor_member_id=context.actor.member_id,
        unit_id=meeting.unit_id,
        object_type="meeting",
        object_id=meeting.id,
        details={"told": len(messages)},
    )
    return len(messages)


async def on_cancel(update: Update, context: Context) -> None:
    """The secretary is asked to confirm the cancellation."""
    meeting = await _changeable(update, context, "meeting_cancel")
    if meeting is None or update.callback_query is None:
        return
    _ = context._
    await ack(update.callback_query)
    buttons = [
        InlineKeyboardButton(_("🚫 Yes, cancel it"), callback_data=f"mcy:{meeting.id}"),
        InlineKeyboardButton(_("↩️ No"), callback_data=f"md:{meeting.id}"),
    ]
    await edit_text(
        update.callback_query,
        _("Cancel this meeting? Everyone invited will be told."),
        reply_markup=InlineKeyboardMarkup([buttons]),
    )


async def on_cancel_confirmed(update: Update, context: Context) -> None:
    """The meeting is cancelled, its reminders dropped, everyone invited told."""
    meeting = await _changeable(update, context, "meeting_cancel")
    if meeting is None or update.callback_query is None:
        return
    _ = context._
    await ack(update.callback_query)
    meeting.cancelled_at = context.now()
    await schedule.cancel_prefix(context.db, f"meeting:{meeting.id}:")
    count = await _tell_everyone(context, meeting, "meeting_cancelled")
    await edit_text(
        update.callback_query,
        _.plural(
            "The meeting is cancelled. {count} member is told.",
            "The meeting is cancelled. {count} members are told.",
            count,
        ),
    )


async def on_unit_attendance(update: Update, context: Context) -> None:
    """The secretary sees this year's attendance per member, flagging unexcused absences."""
    _ = context._
    query = update.callback_query
    args = callback_args(query, 1) if query else None
    units = {u.id: u for u in await managed_units(context)}
    unit = units.get(args[0]) if args else None
    if query is None or unit is None:
        await refuse(update, context, "meeting_attendance_view")
        return
    await ack(query)
    year, tz = _local_year(context), context.settings.tz
    threshold = context.settings.meeting_absence_warning
    lines = [
        _("📊 Attendance in {year}, {unit}:", year=year, unit=escape(unit.name)),
        _(
            "✅ present · 🟡 excused · ❌ unexcused, at meetings of the member's own branch; "
            "⚠️ {threshold} or more months with an unexcused absence",
            threshold=threshold,
        ),
    ]
    rows = await attendance_by_member(context.db, unit.path, year, tz)
    today = context.now().astimezone(tz).date()
    warned = await members_counted(context.db, "invitations", [r.member.id for r in rows], today)
    for row in rows:
        counts = row.counts
        flag = " ⚠️" if row.unexcused_months >= threshold and row.member.id in warned else ""
        lines.append(
            f"{escape(row.member.full_name)}: ✅ {counts[Attendance.PRESENT]} · "
            f"🟡 {counts[Attendance.EXCUSED]} · ❌ {counts[Attendance.UNEXCUSED]}{flag}"
        )
    if len(lines) == 2:
        lines.append(_("No attendance has been recorded this year."))
    await edit_text(query, "\n".join(lines), parse_mode=ParseMode.HTML)


def meeting_manage_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_detail, pattern=r"^md:"),
        CallbackQueryHandler(on_edit, pattern=r"^me[tp]:"),
        CallbackQueryHandler(on_cancel, pattern=r"^mc:"),
        CallbackQueryHandler(on_cancel_confirmed, pattern=r"^mcy:"),
        CallbackQueryHandler(on_unit_attendance, pattern=r"^my:"),
    ]
