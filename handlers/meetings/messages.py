"""What the meeting handlers and use cases share: labels, the meeting card, and the members'
messages (in each member's language) with their answer buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from typing import Any

from bot.i18n import N_, Translator
from bot.settings import Settings
from handlers.meetings.buttons import ABSENT, ATTEND, MeetingRef
from handlers.shared.readers import SEND_METHOD, reader_translator
from storage.meetings import Invitee, aware
from storage.models import Meeting, MeetingAnswer, MeetingAudience, MeetingKind
from storage.outbox import NewMessage, text_payload

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
    """The Bot API JSON of the attending / absent buttons (a reply the bot sends itself
    reads it with InlineKeyboardMarkup.de_json)."""
    meeting = MeetingRef(meeting_id)
    return {
        "inline_keyboard": [
            [
                ATTEND.json(_("✅ I will attend"), meeting),
                ABSENT.json(_("❌ I will be absent"), meeting),
            ]
        ]
    }


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
