"""The secretary's side of meetings: the list, live answers, changing the time or place,
cancelling (everyone invited is told), and the yearly attendance of the branch."""

from __future__ import annotations

from html import escape
from typing import Any, Literal

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can_anywhere, paths_for
from bot.fit import button_label
from bot.i18n import N_, Translator
from handlers.meetings import buttons
from handlers.meetings.actions import (
    Change,
    Closed,
    cancel_meeting,
    change_meeting,
    check_changeable,
    managed_meeting,
)
from handlers.meetings.answer import show_my_meetings
from handlers.meetings.buttons import MeetingRef, UnitRef
from handlers.meetings.compose import managed_units
from handlers.meetings.draft import EDIT_FLOW, FLOW, PLACE_LIMIT, TIME, EditDraft, parse_when
from handlers.meetings.messages import KIND_SHORT, html_card
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse
from handlers.shared.drafts import draft_text, with_cancel
from handlers.shared.usecase import NotAllowed, env_of
from storage.flows import clear_flow, get_flow, save_flow
from storage.meetings import Invitee, attendance_by_member, has_started, invitees, meetings_of
from storage.models import Attendance, FlowState, Meeting, MeetingAnswer
from storage.standing import members_counted
from storage.text import clean_text

MAX_NAMES = 40  # per list, so the answers fit one message
CLOSED = N_("The meeting has started or was cancelled: it can no longer be changed.")


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
    draft = await get_flow(context.db, user.id, FLOW)
    new = _("✍️ Continue the draft") if draft else _("➕ New meeting")
    rows = [[buttons.NEW.button(new)]]
    units = await managed_units(context)
    several = len(units) > 1  # the unit is named only when it tells the buttons apart
    for meeting in await meetings_of(context.db, paths, context.now()):
        label = _meeting_label(meeting, _, several)
        rows.append([buttons.DETAIL.button(label, MeetingRef(meeting.id))])
    year = _local_year(context)
    for unit in units:
        label = (
            button_label(_("📊 Attendance {year}: {unit}", year=year, unit=unit.name))
            if several
            else _("📊 Attendance {year}", year=year)
        )
        rows.append([buttons.UNIT_ATTENDANCE.button(label, UnitRef(unit.id))])
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


async def _managed_meeting(
    update: Update, context: Context, pressed: MeetingRef, reason: str
) -> Meeting | None:
    """The pressed meeting if the actor manages its unit; else a refusal."""
    try:
        return await managed_meeting(context.db, context.actor, pressed.meeting_id)
    except NotAllowed:
        await refuse(update, context, reason)
        return None


async def on_detail(update: Update, context: Context, pressed: MeetingRef) -> None:
    """The secretary sees the meeting and the answers so far, with what they can do next."""
    meeting = await _managed_meeting(update, context, pressed, "meeting_detail")
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
    ref = MeetingRef(meeting.id)
    rows = [[buttons.DETAIL.button(_("🔄 Refresh"), ref)]]
    if meeting.cancelled_at is None and not has_started(meeting, context.now()):
        rows.append(
            [
                buttons.EDIT_TIME.button(_("✏️ Time"), ref),
                buttons.EDIT_PLACE.button(_("✏️ Place"), ref),
            ]
        )
        rows.append([buttons.CANCEL.button(_("🚫 Cancel the meeting"), ref)])
    elif meeting.cancelled_at is None:
        rows.append([buttons.RECORD.button(_("📝 Record attendance"), ref)])
    return InlineKeyboardMarkup(rows)


async def _changeable(
    update: Update, context: Context, pressed: MeetingRef, reason: str
) -> Meeting | None:
    """A managed meeting that has neither started nor been cancelled."""
    meeting = await _managed_meeting(update, context, pressed, reason)
    if meeting is None or update.callback_query is None:
        return None
    try:
        check_changeable(meeting, env_of(context))
    except Closed:
        await ack(update.callback_query, context._(CLOSED), show_alert=True)
        return None
    return meeting


async def on_edit_time(update: Update, context: Context, pressed: MeetingRef) -> None:
    """The secretary is asked for the new time."""
    await _ask_edit(update, context, pressed, "time")


async def on_edit_place(update: Update, context: Context, pressed: MeetingRef) -> None:
    """The secretary is asked for the new place."""
    await _ask_edit(update, context, pressed, "place")


async def _ask_edit(
    update: Update, context: Context, pressed: MeetingRef, field: Literal["time", "place"]
) -> None:
    query, chat = update.callback_query, update.effective_chat
    meeting = await _changeable(update, context, pressed, "meeting_edit")
    if meeting is None or query is None or chat is None:
        return
    _ = context._
    await ack(query)
    draft = EditDraft(meeting.id, field)
    user_id = context.actor.telegram_id
    await save_flow(context.db, user_id, EDIT_FLOW, draft.step, draft.dump(), context.now())
    if field == "time":
        question = _("Send the new date and time, for example 25/12/2026 19:30.")
    else:
        question = _("Send the new place or link.")
    await chat.send_message(question, reply_markup=with_cancel(_))


async def on_edit_input(update: Update, context: Context, state: FlowState) -> None:
    """The new time or place: stored, everyone invited is told, reminders follow the time."""
    _ = context._
    message = update.effective_message
    draft = EditDraft.load(state.data, state.step)
    if message is None:
        return
    env = env_of(context)
    try:
        check_changeable(await managed_meeting(context.db, context.actor, draft.meeting_id), env)
    except NotAllowed:
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "meeting_edit_forbidden")
        return
    except Closed:
        await clear_flow(context.db, state.user_id, state.flow)
        await message.reply_text(_(CLOSED))
        return
    text = draft_text(message)
    problem = edit_problem(context, state, text)
    if problem is not None:
        await message.reply_text(problem)
        return
    await clear_flow(context.db, state.user_id, state.flow)
    count = await change_meeting(
        context.db, context.actor, draft.meeting_id, _change(draft, text, context), env
    )
    await message.reply_text(
        _.plural("Changed. {count} member is told.", "Changed. {count} members are told.", count)
    )


def edit_problem(context: Context, state: FlowState, text: str) -> str | None:
    """Why the typed time or place cannot be taken, or None."""
    _ = context._
    if state.step == TIME:
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


def _change(draft: EditDraft, text: str, context: Context) -> Change:
    """The typed time or place (edit_problem found nothing wrong with it)."""
    if draft.field == "time":
        when = parse_when(text, context.settings.tz, context.now())
        assert when is not None
        return Change(starts_at=when)
    return Change(place=clean_text(text).strip())


async def on_cancel(update: Update, context: Context, pressed: MeetingRef) -> None:
    """The secretary is asked to confirm the cancellation."""
    meeting = await _changeable(update, context, pressed, "meeting_cancel")
    if meeting is None or update.callback_query is None:
        return
    _ = context._
    await ack(update.callback_query)
    ref = MeetingRef(meeting.id)
    row = [
        buttons.CANCEL_CONFIRMED.button(_("🚫 Yes, cancel it"), ref),
        buttons.DETAIL.button(_("↩️ No"), ref),
    ]
    await edit_text(
        update.callback_query,
        _("Cancel this meeting? Everyone invited will be told."),
        reply_markup=InlineKeyboardMarkup([row]),
    )


async def on_cancel_confirmed(update: Update, context: Context, pressed: MeetingRef) -> None:
    """The meeting is cancelled, its reminders dropped, everyone invited told."""
    meeting = await _changeable(update, context, pressed, "meeting_cancel")
    if meeting is None or update.callback_query is None:
        return
    _ = context._
    await ack(update.callback_query)
    count = await cancel_meeting(context.db, context.actor, meeting.id, env_of(context))
    await edit_text(
        update.callback_query,
        _.plural(
            "The meeting is cancelled. {count} member is told.",
            "The meeting is cancelled. {count} members are told.",
            count,
        ),
    )


async def on_unit_attendance(update: Update, context: Context, pressed: UnitRef) -> None:
    """The secretary sees this year's attendance per member, flagging unexcused absences."""
    _ = context._
    query = update.callback_query
    units = {u.id: u for u in await managed_units(context)}
    unit = units.get(pressed.unit_id)
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


# The secretary's buttons, and what a press of each does (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.DETAIL.route(on_detail, "meeting_detail"),
    buttons.EDIT_TIME.route(on_edit_time, "meeting_edit"),
    buttons.EDIT_PLACE.route(on_edit_place, "meeting_edit"),
    buttons.CANCEL.route(on_cancel, "meeting_cancel"),
    buttons.CANCEL_CONFIRMED.route(on_cancel_confirmed, "meeting_cancel"),
    buttons.UNIT_ATTENDANCE.route(on_unit_attendance, "meeting_attendance_view"),
)
