"""What a secretary and a member do with notices, without Telegram: send a notice, remind
the members who have not acknowledged it, acknowledge it. A handler, a job, the command line
or a test calls these with a session, the actor and typed arguments; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Action, Actor, can
from handlers.notices.draft import NoticeContent
from handlers.notices.messages import NOTICE, NOTICE_REMINDER
from handlers.shared.audience import queue_or_book
from handlers.shared.usecase import Env, NotAllowed
from storage import audit
from storage.models import Notice, Unit
from storage.notices import (
    acknowledge,
    add_notice,
    audience_counts,
    receipt_of,
    reminder_targets,
)
from storage.reminders import Reminded, reminded_since


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
    """`targets` members have not acknowledged; `sent` of them get a reminder now, the rest
    got one within the interval (`reminded`: when the last went). Nothing was sent when
    `targets` is 0 or when everyone was reminded within the interval."""

    targets: int
    sent: int = 0
    reminded: Reminded | None = None

    @property
    def skipped(self) -> int:
        return self.targets - self.sent


async def remind_missing(session: AsyncSession, actor: Actor, notice: Notice, env: Env) -> Reminder:
    """The members who got the notice and have not acknowledged it get a reminder; those
    reminded within `reminder_min_interval_minutes` are left out (the same reminder never
    reaches the same people twice within it)."""
    if not may_send(actor, notice.unit):
        raise NotAllowed(f"remind notice {notice.id}")
    targets = await reminder_targets(session, notice.id)
    if not targets:
        return Reminder(0)
    since = env.now - timedelta(minutes=env.settings.reminder_min_interval_minutes)
    reminded = await reminded_since(session, "notice_reminded", "notice", notice.id, since)
    fresh = [member_id for member_id in targets if member_id not in reminded.member_ids]
    if not fresh:
        return Reminder(len(targets), 0, reminded)
    only = fresh if len(fresh) < len(targets) else None
    await queue_or_book(session, env, actor.member_id, NOTICE_REMINDER, notice.id, len(fresh), only)
    await audit.record(
        session,
        "notice_reminded",
        actor_member_id=actor.member_id,
        unit_id=notice.unit_id,
        object_type="notice",
        object_id=notice.id,
        details={"recipients": len(fresh), "member_ids": fresh},
    )
    return Reminder(len(targets), len(fresh), reminded)


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
