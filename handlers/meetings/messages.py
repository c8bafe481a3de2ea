"""What the meeting handlers and jobs share: labels, the meeting card, the members'
messages (in each member's language), time input, and the reminders' schedule."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.access import Action, Actor, can
from bot.i18n import N_, Translator
from bot.settings import Settings
from handlers.readers import SEND_METHOD, reader_translator
from storage import outbox, schedule
from storage.meetings import Invitee, aware
from storage.models import Meeting, MeetingAnswer, MeetingAudience, MeetingKind, Unit
from storage.outbox import NewMessage, text_payload

FLOW = "meeting"  # composing a new meeting
EDIT_FLOW = "meeting_edit"  # changing the time or the place
ABSENCE_FLOW = "meeting_absence"  # the reason for an absence
PLACE_LIMIT = 500
AGENDA_LIMIT = 3000  # the card must fit Telegram's 4096 characters
REASON_LIMIT = 500
REASON_MIN = 2  # "Ốm" (ill) is a reason
REMINDER_JOB = "meeting_reminder"

KIND_LABELS = {
    MeetingKind.REGULAR: N_("Regular monthly meeting"),
    MeetingKind.THEMATIC: N_("Thematic meeting"),
    MeetingKind.COMMITTEE: N_("Committee meeting"),
    MeetingKind.EXTRAORDINARY: N_("Extraordinary meeting"),
    MeetingKind.ONLINE: N_("Online meeting"),
}
# The kind in a few words, for a meeting's button (the date and time come first).
KIND_SHORT = {
    MeetingKind.REGULAR: N_("Regular"),
    MeetingKind.THEMATIC: N_("Thematic"),
    MeetingKind.COMMITTEE: N_("Committee"),
    MeetingKind.EXTRAORDINARY: N_("Extraordinary"),
    MeetingKind.ONLINE: N_("Online"),
}
AUDIENCE_LABELS = {
    MeetingAudience.MEMBERS: N_("All members"),
    MeetingAudience.COMMITTEE: N_("The committee only"),
    MeetingAudience.WITH_RESIDENTS: N_("All + members living here"),
}
KINDS = list(MeetingKind)
AUDIENCES = list(MeetingAudience)


def may_manage(actor: Actor, unit: Unit | None) -> bool:
    return unit is not None and can(actor, Action.MANAGE_MEETINGS, unit.path)


def card(meeting: Meeting, unit_name: str, _: Translator, quote: Callable[[str], str]) -> str:
    """The meeting as members read it; `quote` escapes user text for HTML (or leaves it)."""
    return _(
        "📅 {kind}\n🏛 {unit}\n🕒 {weekday}, {when}\n📍 {place}\n\n📝 Agenda:\n{agenda}",
        kind=_(KIND_LABELS[meeting.kind]),
        unit=quote(unit_name),
        weekday=_.weekday_text(meeting.starts_at),
        when=_.datetime_text(meeting.starts_at),
        place=quote(meeting.place),
        agenda=quote(meeting.agenda),
    )


def html_card(meeting: Meeting, unit_name: str, _: Translator) -> str:
    return card(meeting, unit_name, _, escape)


def answer_markup(meeting_id: int, _: Translator) -> dict[str, Any]:
    """The Bot API JSON of the attending / absent buttons."""
    return {
        "inline_keyboard": [
            [
                {"text": _("✅ I will attend"), "callback_data": f"mat:{meeting_id}"},
                {"text": _("❌ I will be absent"), "callback_data": f"mab:{meeting_id}"},
            ]
        ]
    }


def answer_keyboard(meeting_id: int, _: Translator) -> InlineKeyboardMarkup:
    """The same buttons, for a reply the bot sends itself."""
    rows = answer_markup(meeting_id, _)["inline_keyboard"]
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
            for row in rows
        ]
    )


MessageText = Callable[[Meeting, str, Translator], str]


def messages_to(
    people: Sequence[Invitee],
    meeting: Meeting,
    unit_name: str,
    settings: Settings,
    text: MessageText,
    with_buttons: bool = True,
) -> list[NewMessage]:
    """One message to each person, in their language, sent without parse_mode (plain text)."""
    result = []
    for person in people:
        _ = reader_translator(person.account, settings)
        markup = answer_markup(meeting.id, _) if with_buttons else None
        payload = text_payload(text(meeting, unit_name, _), reply_markup=markup)
        chat_id = person.member.telegram_user_id or 0
        result.append(NewMessage(chat_id, payload, member_id=person.member.id))
    return result


def invitation_text(meeting: Meeting, unit_name: str, _: Translator) -> str:
    return "\n\n".join(
        [
            _("📨 You are invited to a meeting."),
            card(meeting, unit_name, _, str),
            _("Will you attend? You can change your answer until the meeting starts."),
        ]
    )


def reminder_text(meeting: Meeting, unit_name: str, _: Translator) -> str:
    return "\n\n".join([_("🔔 Reminder of the meeting:"), card(meeting, unit_name, _, str)])


def cancel_text(meeting: Meeting, unit_name: str, _: Translator) -> str:
    return _(
        "🚫 The meeting is cancelled: {kind}, {when}, {unit}.",
        kind=_(KIND_LABELS[meeting.kind]),
        when=_.datetime_text(meeting.starts_at),
        unit=unit_name,
    )


def attachment_messages(
    people: Sequence[Invitee], meeting: Meeting, settings: Settings
) -> list[NewMessage]:
    """The meeting's document or photo, after the invitation, with a caption saying which."""
    kind = meeting.attachment_kind
    if kind is None or meeting.attachment_file_id is None:
        return []
    result = []
    for person in people:
        _ = reader_translator(person.account, settings)
        caption = _("📎 For the meeting of {when}", when=_.datetime_text(meeting.starts_at))
        payload = {kind.value: meeting.attachment_file_id, "caption": caption}
        chat_id = person.member.telegram_user_id or 0
        result.append(NewMessage(chat_id, payload, SEND_METHOD[kind], member_id=person.member.id))
    return result


STATUS_MARK = "👉 "  # starts the paragraph that shows the member's answer on a message


def with_answer(text: str, answer: MeetingAnswer | None, reason: str | None, _: Translator) -> str:
    """A meeting message, its last paragraph showing the answer given (replaced, not
    repeated, when the member answers again)."""
    body = text.split("\n\n" + STATUS_MARK)[0]
    status = answer_text(answer, reason, _) + " " + _("You can change it until the meeting starts.")
    return f"{body}\n\n{STATUS_MARK}{status}"


def change_text_of(old_when: datetime, old_place: str) -> MessageText:
    """What changed, old → new, for the change notice (the agenda is not repeated)."""

    def text(meeting: Meeting, unit_name: str, _: Translator) -> str:
        lines = [
            _(
                "✏️ The meeting has changed: {kind}, {unit}.",
                kind=_(KIND_LABELS[meeting.kind]),
                unit=unit_name,
            )
        ]
        if aware(old_when) != aware(meeting.starts_at):
            lines.append(
                _(
                    "🕒 Time: {old} → {new}",
                    old=_.datetime_text(old_when),
                    new=_.datetime_text(meeting.starts_at),
                )
            )
        if old_place != meeting.place:
            lines.append(_("📍 Place: {old} → {new}", old=old_place, new=meeting.place))
        return "\n".join(lines) + "\n\n" + _("Please check your answer.")

    return text


def answer_text(answer: MeetingAnswer | None, reason: str | None, _: Translator) -> str:
    if answer == MeetingAnswer.ATTENDING:
        return _("Your answer: attending.")
    if answer == MeetingAnswer.ABSENT:
        return _("Your answer: absent ({reason}).", reason=reason or "—")
    return _("You have not answered yet.")


# 25/12/2026 19:30, 25-12 19h30, 25.12.2026 7:05 ...
_WHEN = re.compile(
    r"^\s*(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?\s*(?:,|lúc|at)?\s*"
    r"(\d{1,2})\s*[:hHgG]\s*(\d{2})?\s*$"
)


def parse_when(text: str, tz: tzinfo, now: datetime) -> datetime | None:
    """A local date and time typed by a person, as a UTC moment; None if unreadable.
    Without a year: this year, or next year if that date has passed."""
    match = _WHEN.match(text)
    if match is None:
        return None
    day, month, year, hour, minute = match.groups()
    local_now = now.astimezone(tz)
    full_year = int(year) + (2000 if year and len(year) == 2 else 0) if year else local_now.year
    try:
        moment = datetime(full_year, int(month), int(day), int(hour), int(minute or 0), tzinfo=tz)
    except ValueError:
        return None
    if year is None and moment < local_now:
        moment = moment.replace(year=full_year + 1)
    return moment.astimezone(UTC)


def reminder_key(meeting_id: int, hours: float) -> str:
    return f"meeting:{meeting_id}:remind:{int(hours * 3600)}"


async def schedule_reminders(
    session: AsyncSession, meeting: Meeting, settings: Settings, now: datetime
) -> None:
    """One job per reminder time still ahead; a time already passed (the meeting moved
    closer) gets no reminder rather than one at once."""
    for hours in settings.meeting_reminder_hours:
        key = reminder_key(meeting.id, hours)
        due = aware(meeting.starts_at) - timedelta(hours=hours)
        if due > now:
            await schedule.schedule(session, REMINDER_JOB, key, due, {"meeting_id": meeting.id})
        else:
            await schedule.cancel(session, key)


async def broadcast(
    session: AsyncSession,
    kind: str,
    messages: Sequence[NewMessage],
    meeting: Meeting,
    now: datetime,
    creator_id: int | None,
    subject: str | None = None,
) -> None:
    """The messages as one outbox broadcast; its creator (if any) gets a delivery report."""
    await outbox.enqueue_broadcast(
        session,
        kind,
        messages,
        created_by_member_id=creator_id,
        unit_id=meeting.unit_id,
        now=now,
        subject=subject,
    )
