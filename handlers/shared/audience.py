"""Whom a feature addresses, and messages to many members, for every feature alike.

The audience picker: one button per unit the person may address (`audience_rows`), each
feature with its own button kind. Messages to many (a notice, its reminder, a survey's
reminder): queued at once for a few people, by a stored job for many, so one secretary's
broadcast to a province never holds up the members' own updates; the job tells the requester
when everything is queued. A feature declares each of its sends as a `Bulk`, a name and its own
function that renders its messages per language and queues them (one `INSERT ... SELECT` per
language, storage/bulk_outbox); both ways run that function.

No Telegram is imported here, so use cases can call it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.settings import Settings
from handlers.shared.buttons import ButtonKind
from handlers.shared.readers import audience_name, reader_translator
from handlers.shared.usecase import Env
from storage import outbox, schedule
from storage.models import Member, TelegramAccount, Unit
from storage.outbox import NewMessage, text_payload

if TYPE_CHECKING:  # these modules pull in Telegram; only their types are needed here
    from telegram import InlineKeyboardButton

    from bot.scheduler import JobContext, JobFn

T = TypeVar("T")

KIND = "bulk_send"  # the stored job's kind


def audience_rows(
    units: Sequence[Unit], kind: ButtonKind[T], ref: Callable[[int], T], _: Translator
) -> list[list[InlineKeyboardButton]]:
    """The audience picker: a button per unit (`handlers.shared.common.units_for` lists them:
    committees, meaning all their branches, first), carrying `ref(unit id)`."""
    return [[kind.button(audience_name(unit, _), ref(unit.id))] for unit in units]


# (session, object id, settings, now, only these members or None for all): rows queued.
Queue = Callable[[AsyncSession, int, Settings, datetime, Collection[int] | None], Awaitable[int]]


@dataclass(frozen=True)
class Bulk:
    """One kind of message to many. `what` names it in a booked job's payload (jobs booked
    before a restart carry it, so it never changes); `queue` renders the feature's messages
    for the object (a notice, a survey) and queues them, to `only` these members or to all."""

    what: str
    queue: Queue


async def queue_or_book(
    session: AsyncSession,
    env: Env,
    by: int | None,
    bulk: Bulk,
    object_id: int,
    people: int,
    only: Collection[int] | None = None,
) -> None:
    """Queues the messages now, or (for more than `bulk_job_threshold` people) books the job
    that queues them, due at once; `by` is told when it is done; `only`: to these members
    alone (a reminder's)."""
    now = env.now
    if people <= env.settings.bulk_job_threshold:
        await bulk.queue(session, object_id, env.settings, now, only)
        env.wake_sender()
        return
    payload: dict[str, object] = {"what": bulk.what, "id": object_id, "by": by}
    if only is not None:
        payload["only"] = sorted(only)
    key = f"bulk:{bulk.what}:{object_id}:{now.timestamp()}"
    await schedule.schedule(session, KIND, key, now, payload)
    env.wake_scheduler()


def bulk_job(bulks: Iterable[Bulk]) -> JobFn:
    """The stored job's function for these sends (every feature's): it queues the messages
    the payload names, then tells the requester how many are on their way (the scheduler
    wakes the sender after it)."""
    queues: dict[str, Queue] = {}
    for bulk in bulks:
        if bulk.what in queues:
            raise ValueError(f"two bulk sends are named {bulk.what!r}")
        queues[bulk.what] = bulk.queue

    async def run_bulk_send(job: JobContext) -> None:
        what, object_id = str(job.payload["what"]), int(job.payload["id"])
        only = job.payload.get("only")
        members = [int(m) for m in only] if isinstance(only, list) else None
        queued = await queues[what](job.session, object_id, job.settings, job.now, members)
        by = job.payload.get("by")
        requester = await job.session.get(Member, int(by)) if by is not None else None
        if requester is None or requester.telegram_user_id is None:
            return
        account = await job.session.get(TelegramAccount, requester.telegram_user_id)
        _ = reader_translator(account, job.settings)
        text = _.plural(
            "📤 Done: {count} message is queued and on its way.",
            "📤 Done: {count} messages are queued and on their way.",
            queued,
        )
        message = NewMessage(requester.telegram_user_id, text_payload(text), member_id=requester.id)
        await outbox.enqueue(job.session, message, job.now)

    return run_bulk_send
