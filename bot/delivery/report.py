"""The delivery report a broadcast's creator gets, through the outbox, when it finishes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.fit import shorten
from bot.i18n import N_, Translator, pick_language, translator
from bot.settings import Settings
from storage import outbox
from storage.models import Broadcast, DeliveryStatus, Member, Notice, Survey, TelegramAccount
from storage.outbox import NewMessage, PersonDelivery, text_payload

# A long list is hard to act on; longer lists end with "and N more".
MAX_NAMES = 60


async def enqueue_reports(
    session: AsyncSession, broadcasts: Sequence[Broadcast], settings: Settings, now: datetime
) -> int:
    """Queues the report of each finished broadcast whose creator can read it; marks it sent."""
    queued = 0
    for broadcast in broadcasts:
        if broadcast.report_sent_at is not None or broadcast.created_by_member_id is None:
            continue
        creator = await session.get(Member, broadcast.created_by_member_id)
        account = await _account(session, creator)
        if creator is None or account is None:
            continue  # not bound to Telegram: the report would have nowhere to go
        language = pick_language(
            account.language, account.telegram_language, settings.default_locale
        )
        text = await report_text(session, broadcast, translator(language, settings.tz))
        message = NewMessage(account.user_id, text_payload(text, "HTML"), member_id=creator.id)
        await outbox.enqueue(session, message, now)
        broadcast.report_sent_at = now
        queued += 1
    return queued


async def _account(session: AsyncSession, member: Member | None) -> TelegramAccount | None:
    if member is None or member.telegram_user_id is None:
        return None
    return await session.get(TelegramAccount, member.telegram_user_id)


async def report_text(session: AsyncSession, broadcast: Broadcast, _: Translator) -> str:
    """What was sent, how many people it reached, and who it did not reach, why, and what
    the secretary can do about it (names escaped: the report is HTML)."""
    people = await outbox.people_delivered(session, broadcast.id)
    unreached = [p for p in people if p.status != DeliveryStatus.SENT]
    subject = broadcast.subject or await _subject(session, broadcast, _)
    lines = [
        _(
            "<b>📬 Delivery report</b>: {subject}, sent at {time}",
            subject=escape(subject),
            time=_.datetime_text(broadcast.created_at),
        ),
        _.plural(
            "Reached {reached} of {count} member.",
            "Reached {reached} of {count} members.",
            len(people),
            reached=len(people) - len(unreached),
        ),
    ]
    if unreached:
        lines += ["", _("Could not reach:")]
        lines += [_person_line(person, _) for person in unreached[:MAX_NAMES]]
        if len(unreached) > MAX_NAMES:
            lines.append(_("… and {count} more", count=len(unreached) - MAX_NAMES))
        lines += ["", *_next_steps(unreached, _)]
    return "\n".join(lines)


# What each broadcast kind sent, when its creator gave no subject.
KIND_NAMES = {
    "notice": N_("a notice"),
    "meeting": N_("a meeting invitation"),
    "survey": N_("a survey invitation"),
    "residence_reminder": N_("residence registration reminders"),
}


async def _subject(session: AsyncSession, broadcast: Broadcast, _: Translator) -> str:
    """A subject for a broadcast stored without one: a notice's opening words, a survey's
    title, else its kind."""
    if broadcast.kind == "notice":
        text = await session.scalar(select(Notice.text).where(Notice.broadcast_id == broadcast.id))
        if text:
            return _("the notice «{title}»", title=shorten(text, None, 80))
    if broadcast.kind == "survey":
        title = await session.scalar(
            select(Survey.title).where(Survey.broadcast_id == broadcast.id)
        )
        if title:
            return _("the invitation to the survey «{title}»", title=title)
    return _(KIND_NAMES.get(broadcast.kind, N_("a message")))


def _reason(person: PersonDelivery, _: Translator) -> str:
    if person.status == DeliveryStatus.UNREACHABLE:
        return _("blocked the bot")
    if person.last_error == "BadRequest":
        return _("never opened the bot")
    if person.status == DeliveryStatus.FAILED:
        return _("Telegram did not accept the message")
    return _("still being sent")


def _person_line(person: PersonDelivery, _: Translator) -> str:
    name = escape(person.name or _("(not on the roster)"))
    return f"• {name} — {_reason(person, _)}"


def _next_steps(unreached: list[PersonDelivery], _: Translator) -> list[str]:
    steps = []
    if any(p.status == DeliveryStatus.UNREACHABLE for p in unreached):
        steps.append(
            _(
                "Next step: tell those who blocked the bot in person, and ask them to open the "
                "bot and press Restart (unblock it) so they get the next messages."
            )
        )
    if any(p.status != DeliveryStatus.UNREACHABLE for p in unreached):
        steps.append(
            _(
                "Next step: tell the others in person, and ask them to open the bot from their "
                "invite link and press Start."
            )
        )
    return steps
