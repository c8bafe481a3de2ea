"""Recording attendance after a meeting: pre-filled from the answers, one tap per member
to correct (a page at a time), then saved; members reaching the yearly threshold of months
with an unexcused absence are flagged."""

from __future__ import annotations

from html import escape

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from handlers.common import Context, ack, callback_args, edit_buttons, edit_text, refuse
from handlers.meetings.answer import ATTENDANCE_MARK
from handlers.meetings.messages import may_manage
from storage import audit
from storage.meetings import (
    NEXT_ATTENDANCE,
    Invitee,
    get_invite,
    get_meeting,
    has_started,
    invitees,
    prefill_attendance,
    unexcused_months,
)
from storage.models import Attendance, Meeting
from storage.standing import members_counted

# Telegram allows 100 buttons per keyboard: a page of members, then paging and Save.
PAGE_SIZE = 40
UNSET_MARK = "▫️"  # a resident of the area who did not answer: not counted here


async def _recordable(update: Update, context: Context, meeting: Meeting | None) -> bool:
    """The actor manages the meeting, which has started and was not cancelled."""
    query = update.callback_query
    if query is None or meeting is None or not may_manage(context.actor, meeting.unit):
        await refuse(update, context, "meeting_attendance")
        return False
    if meeting.cancelled_at is not None or not has_started(meeting, context.now()):
        await ack(
            query,
            context._("Attendance can be recorded once the meeting has started."),
            show_alert=True,
        )
        return False
    return True


def _label(person: Invitee) -> str:
    attendance = person.invite.attendance
    mark = ATTENDANCE_MARK[attendance] if attendance is not None else UNSET_MARK
    return f"{mark} {person.member.full_name}"


def _keyboard(
    meeting: Meeting, people: list[Invitee], page: int, context: Context
) -> InlineKeyboardMarkup:
    _ = context._
    pages = max(1, -(-len(people) // PAGE_SIZE))
    page = min(page, pages - 1)
    shown = people[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = [
        [InlineKeyboardButton(_label(p), callback_data=f"mra:{p.invite.id}:{page}")] for p in shown
    ]
    paging = []
    if page > 0:
        paging.append(InlineKeyboardButton("◀️", callback_data=f"mrp:{meeting.id}:{page - 1}"))
    if page + 1 < pages:
        paging.append(InlineKeyboardButton("▶️", callback_data=f"mrp:{meeting.id}:{page + 1}"))
    save = InlineKeyboardButton(_("💾 Save attendance"), callback_data=f"mrs:{meeting.id}")
    return InlineKeyboardMarkup([*rows, *([paging] if paging else []), [save]])


async def _pressed(
    update: Update, context: Context, count: int
) -> tuple[CallbackQuery, Meeting, list[int]] | None:
    """The press, its meeting (the first of `count` arguments) and the arguments, if the
    actor may record that meeting's attendance now; else a refusal or the reason."""
    query = update.callback_query
    args = callback_args(query, count) if query else None
    meeting = await get_meeting(context.db, args[0]) if args else None
    if not await _recordable(update, context, meeting) or query is None or args is None:
        return None
    assert meeting is not None
    return query, meeting, args


async def on_record(update: Update, context: Context) -> None:
    """The secretary sees everyone invited, pre-filled from their answers, to correct."""
    pressed = await _pressed(update, context, 1)
    if pressed is None:
        return
    query, meeting, _args = pressed
    _ = context._
    await ack(query)
    people = await invitees(context.db, meeting.id)
    prefill_attendance(people, meeting)
    text = _(
        "📝 Attendance, pre-filled from the answers. Tap a name to change it "
        "(✅ present → 🟡 excused → ❌ unexcused), then save."
    )
    if any(not p.belongs_to(meeting) for p in people):
        text += "\n" + _(
            "▫️ marks residents of the area who did not answer: their own branch keeps "
            "their record, so they count only if you mark them."
        )
    await edit_text(query, text, reply_markup=_keyboard(meeting, people, 0, context))


async def on_page(update: Update, context: Context) -> None:
    """Another page of the members invited."""
    pressed = await _pressed(update, context, 2)
    if pressed is None:
        return
    query, meeting, args = pressed
    await ack(query)
    people = await invitees(context.db, meeting.id)
    await edit_buttons(query, _keyboard(meeting, people, args[1], context))


async def on_toggle(update: Update, context: Context) -> None:
    """One member's attendance moves to the next state; the buttons show it."""
    query = update.callback_query
    args = callback_args(query, 2) if query else None
    invite = await get_invite(context.db, args[0]) if args else None
    meeting = await get_meeting(context.db, invite.meeting_id) if invite else None
    if not await _recordable(update, context, meeting) or query is None or args is None:
        return
    assert invite is not None and meeting is not None
    await ack(query)
    invite.attendance = NEXT_ATTENDANCE[invite.attendance or Attendance.UNEXCUSED]
    people = await invitees(context.db, meeting.id)
    await edit_buttons(query, _keyboard(meeting, people, args[1], context))


async def on_save(update: Update, context: Context) -> None:
    """Attendance is saved; the secretary sees the totals and who reached the threshold."""
    pressed = await _pressed(update, context, 1)
    if pressed is None:
        return
    query, meeting, _args = pressed
    await ack(query)
    people = await invitees(context.db, meeting.id)
    prefill_attendance(people, meeting)  # anyone added since the list was opened
    meeting.attendance_recorded_at = context.now()
    await context.db.flush()
    lines = [_summary(people, context), *await _warnings(people, meeting, context)]
    await audit.record(
        context.db,
        "meeting_attendance",
        actor_member_id=context.actor.member_id,
        unit_id=meeting.unit_id,
        object_type="meeting",
        object_id=meeting.id,
    )
    await edit_text(query, "\n".join(lines), parse_mode=ParseMode.HTML)


def _summary(people: list[Invitee], context: Context) -> str:
    count = {a: sum(1 for p in people if p.invite.attendance == a) for a in Attendance}
    return context._(
        "💾 Attendance saved: ✅ {present} present, 🟡 {excused} excused, ❌ {unexcused} "
        "unexcused.",
        present=count[Attendance.PRESENT],
        excused=count[Attendance.EXCUSED],
        unexcused=count[Attendance.UNEXCUSED],
    )


async def _warnings(people: list[Invitee], meeting: Meeting, context: Context) -> list[str]:
    """One line per member of the unit absent without excuse who has reached the yearly
    threshold of months (residents are their own branch's to follow)."""
    _, settings = context._, context.settings
    absent = [
        p for p in people if p.invite.attendance == Attendance.UNEXCUSED and p.belongs_to(meeting)
    ]
    year = _.local(meeting.starts_at).year
    day = _.local(meeting.starts_at).date()
    # Exempt (or temporarily transferred) members are not warned about: docs/populations.md.
    warned = await members_counted(context.db, "invitations", [p.member.id for p in absent], day)
    absent = [p for p in absent if p.member.id in warned]
    months = await unexcused_months(context.db, [p.member.id for p in absent], year, settings.tz)
    threshold = settings.meeting_absence_warning
    return [
        _(
            "⚠️ {name} has missed branch meetings without a reason in {count} months of "
            "{year}. Under the Party Charter, a member who misses branch meetings for three "
            "months in a year without a good reason is considered for removal.",
            name=escape(p.member.full_name),
            count=months.get(p.member.id, 0),
            year=year,
        )
        for p in absent
        if months.get(p.member.id, 0) >= threshold
    ]


def meeting_attendance_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_record, pattern=r"^mrec:"),
        CallbackQueryHandler(on_page, pattern=r"^mrp:"),
        CallbackQueryHandler(on_toggle, pattern=r"^mra:"),
        CallbackQueryHandler(on_save, pattern=r"^mrs:"),
    ]
