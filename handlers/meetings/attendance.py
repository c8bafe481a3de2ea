"""Recording attendance after a meeting: pre-filled from the answers, one tap per member
to correct (a page at a time), then saved; members reaching the yearly threshold of months
with an unexcused absence are flagged."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.i18n import Translator
from handlers.meetings import buttons
from handlers.meetings.actions import (
    NotStarted,
    Saved,
    open_attendance,
    recordable_meeting,
    save_attendance,
    toggle_attendance,
)
from handlers.meetings.answer import ATTENDANCE_MARK
from handlers.meetings.buttons import InvitePage, MeetingPage, MeetingRef
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_buttons, edit_text, refuse
from handlers.shared.usecase import NotAllowed, env_of
from storage.meetings import Invitee, get_meeting, invitees
from storage.models import Attendance, Meeting

# Telegram allows 100 buttons per keyboard: a page of members, then paging and Save.
PAGE_SIZE = 40
UNSET_MARK = "▫️"  # a resident of the area who did not answer: not counted here
Taken = tuple[Meeting, list[Invitee]]


async def _taken(
    update: Update, context: Context, action: Callable[[], Awaitable[Taken]]
) -> tuple[CallbackQuery, Meeting, list[Invitee]] | None:
    """The press and what the use case returned, if the actor may record that meeting's
    attendance now; else a refusal or the reason (the meeting has not started)."""
    query = update.callback_query
    try:
        meeting, people = await action()
    except NotAllowed:
        await refuse(update, context, "meeting_attendance")
        return None
    except NotStarted:
        if query is not None:
            text = context._("Attendance can be recorded once the meeting has started.")
            await ack(query, text, show_alert=True)
        return None
    if query is None:
        return None
    return query, meeting, people


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
    rows = [[buttons.TOGGLE.button(_label(p), InvitePage(p.invite.id, page))] for p in shown]
    paging = []
    if page > 0:
        paging.append(buttons.PAGE.button("◀️", MeetingPage(meeting.id, page - 1)))
    if page + 1 < pages:
        paging.append(buttons.PAGE.button("▶️", MeetingPage(meeting.id, page + 1)))
    save = buttons.SAVE.button(_("💾 Save attendance"), MeetingRef(meeting.id))
    return InlineKeyboardMarkup([*rows, *([paging] if paging else []), [save]])


async def on_record(update: Update, context: Context, pressed: MeetingRef) -> None:
    """The secretary sees everyone invited, pre-filled from their answers, to correct."""
    taken = await _taken(
        update,
        context,
        lambda: open_attendance(context.db, context.actor, pressed.meeting_id, env_of(context)),
    )
    if taken is None:
        return
    query, meeting, people = taken
    _ = context._
    await ack(query)
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


async def on_page(update: Update, context: Context, pressed: MeetingPage) -> None:
    """Another page of the members invited."""
    taken = await _taken(update, context, lambda: _invited(context, pressed.meeting_id))
    if taken is None:
        return
    query, meeting, people = taken
    await ack(query)
    await edit_buttons(query, _keyboard(meeting, people, pressed.page, context))


async def _invited(context: Context, meeting_id: int) -> Taken:
    """Everyone invited, as recorded so far (nothing written)."""
    meeting = await recordable_meeting(
        context.db, context.actor, await get_meeting(context.db, meeting_id), env_of(context)
    )
    return meeting, await invitees(context.db, meeting.id)


async def on_toggle(update: Update, context: Context, pressed: InvitePage) -> None:
    """One member's attendance moves to the next state; the buttons show it."""
    taken = await _taken(
        update,
        context,
        lambda: toggle_attendance(context.db, context.actor, pressed.invite_id, env_of(context)),
    )
    if taken is None:
        return
    query, meeting, people = taken
    await ack(query)
    await edit_buttons(query, _keyboard(meeting, people, pressed.page, context))


async def on_save(update: Update, context: Context, pressed: MeetingRef) -> None:
    """Attendance is saved; the secretary sees the totals and who reached the threshold."""
    query = update.callback_query
    try:
        saved = await save_attendance(
            context.db, context.actor, pressed.meeting_id, env_of(context)
        )
    except NotAllowed:
        await refuse(update, context, "meeting_attendance")
        return
    except NotStarted:
        if query is not None:
            text = context._("Attendance can be recorded once the meeting has started.")
            await ack(query, text, show_alert=True)
        return
    if query is None:
        return
    await ack(query)
    lines = [_summary(saved.people, context), *_warnings(saved, context._)]
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


def _warnings(saved: Saved, _: Translator) -> list[str]:
    """One line per member of the unit absent without excuse who has reached the yearly
    threshold of months (actions.save_attendance found them)."""
    return [
        _(
            "⚠️ {name} has missed branch meetings without a reason in {count} months of "
            "{year}. Under the Party Charter, a member who misses branch meetings for three "
            "months in a year without a good reason is considered for removal.",
            name=escape(person.member.full_name),
            count=months,
            year=saved.year,
        )
        for person, months in saved.warned
    ]


# The attendance sheet's buttons (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.RECORD.route(on_record, "meeting_attendance"),
    buttons.PAGE.route(on_page, "meeting_attendance"),
    buttons.TOGGLE.route(on_toggle, "meeting_attendance"),
    buttons.SAVE.route(on_save, "meeting_attendance"),
)
