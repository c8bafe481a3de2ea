"""What a secretary and a member do with notices, without Telegram: send a notice, remind
the members who have not acknowledged it, acknowledge it. A handler, a job, the command line
or a test calls these with a session, the actor and typed arguments; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Action, Actor, can
from handlers.bulk_send import NOTICE, NOTICE_REMINDER, queue_or_book
from handlers.notices.draft import NoticeContent
from handlers.usecase import Env
from storage import audit
from storage.models import Notice, Unit
from storage.notices import acknowledge, add_notice, audience_counts, receipt_of, reminder_count
from storage.reminders import Reminded, reminded_since


class NotAllowed(PermissionError):
    """The actor may not do this (any more): nothing was written."""


def may_send(actor: Actor, unit: Unit | None) -> bool:
    return unit is not None and can(actor, Action.SEND_NOTICES, unit.path)


@dataclass(frozen=True)
class Sent:
    notice_id: int
    recipients: int  # the members with Telegram linked, who get it


async def send_notice(
    session: AsyncSession, actor: Actor, unit: Unit, content: NoticeContent, env: Env
) -> Sent:
    """Stores the notice, queues it to the unit's members (or books the job that does, for
    many) and audits it."""
    if not may_send(actor, unit):
        raise NotAllowed(f"send a notice to unit {unit.id}")
    attachment = (str(content.file_id), content.kind) if content.kind else None
    notice = await add_notice(session, unit.id, actor.member_id, content.text, attachment)
    _total, linked = await audience_counts(session, unit)
    await queue_or_book(session, env, actor.member_id, NOTICE, notice.id, linked)
    await audit.record(
        session,
        "notice_sent",
        actor_member_id=actor.member_id,
        unit_id=unit.id,
        object_type="notice",
        object_id=notice.id,
        details={"recipients": linked},
    )
    return Sent(notice.id, linked)


@dataclass(frozen=True)
class Reminder:
    """`count` members have not acknowledged; nothing was sent when `count` is 0 or when the
    last reminder (`too_soon`) went within the interval."""

    count: int
    too_soon: Reminded | None = None

    @property
    def sent(self) -> bool:
        return self.count > 0 and self.too_soon is None


async def remind_missing(session: AsyncSession, actor: Actor, notice: Notice, env: Env) -> Reminder:
    """The members who got the notice and have not acknowledged it get a reminder, at most
    once per `reminder_min_interval_minutes`."""
    if not may_send(actor, notice.unit):
        raise NotAllowed(f"remind notice {notice.id}")
    count = await reminder_count(session, notice.id)
    if not count:
        return Reminder(0)
    since = env.now - timedelta(minutes=env.settings.reminder_min_interval_minutes)
    reminded = await reminded_since(session, "notice_reminded", "notice", notice.id, since)
    if reminded.last_at is not None:
        return Reminder(count, reminded)
    await queue_or_book(session, env, actor.member_id, NOTICE_REMINDER, notice.id, count)
    await audit.record(
        session,
        "notice_reminded",
        actor_member_id=actor.member_id,
        unit_id=notice.unit_id,
        object_type="notice",
        object_id=notice.id,
        details={"recipients": count},
    )
    return Reminder(count)


async def acknowledge_notice(
    session: AsyncSession, actor: Actor, notice_id: int, now: datetime
) -> datetime | None:
    """The member confirms they received the notice; when they first did, or None if it was
    not sent to them (or they are no longer an active member)."""
    member_id = actor.member_id
    # A member made inactive since keeps the message, but the button no longer counts.
    if not can(actor, Action.USE_MENU) or member_id is None:
        return None
    receipt = await receipt_of(session, notice_id, member_id, lock=True)  # two presses: one ack
    if receipt is None:
        return None
    if acknowledge(receipt, now):
        await audit.record(
            session,
            "notice_acknowledged",
            actor_member_id=member_id,
            object_type="notice",
            object_id=notice_id,
        )
    return receipt.acknowledged_at
