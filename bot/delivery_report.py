"""The delivery report a broadcast's creator gets, through the outbox, when it finishes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator, pick_language, translator
from bot.settings import Settings
from storage import outbox
from storage.models import Broadcast, DeliveryStatus, Member, TelegramAccount
from storage.outbox import BroadcastCounts, NewMessage, text_payload

# Telegram cuts a message at 4096 characters; longer lists end with "and N more".
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
    """Counts, then who blocked the bot (names escaped: the report is HTML)."""
    counts = await outbox.broadcast_counts(session, broadcast.id)
    unreachable = await outbox.unreachable_members(session, broadcast.id, MAX_NAMES)
    names = [m.full_name for m in unreachable]
    lines = [
        _(
            "<b>Delivery report</b> for the message sent at {time}",
            time=_.datetime_text(broadcast.created_at),
        ),
        *_count_lines(counts, _),
    ]
    if names:
        lines += ["", _("Blocked the bot, please reach them another way:")]
        lines += [f"• {escape(name)}" for name in names]
        more = counts[DeliveryStatus.UNREACHABLE] - len(names)
        if more > 0:
            lines.append(_("… and {count} more", count=more))
    return "\n".join(lines)


def _count_lines(counts: BroadcastCounts, _: Translator) -> list[str]:
    delivered = counts[DeliveryStatus.SENT]
    return [
        _("Delivered: {count}", count=delivered),
        _("Blocked the bot: {count}", count=counts[DeliveryStatus.UNREACHABLE]),
        _("Failed: {count}", count=counts[DeliveryStatus.FAILED]),
        _("Not delivered: {count}", count=counts.total - delivered),
    ]
