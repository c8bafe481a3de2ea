"""One message to many people, queued in the database in one statement per language:
`INSERT INTO outbox_messages ... SELECT ... FROM <recipients>`. Nothing is loaded into
Python, so a notice to a whole province queues in seconds instead of building an object per
member.

The message differs between recipients only by language, so the caller renders it once per
language; the recipient's language is picked in SQL as `bot.i18n.pick_language` does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    Table,
    case,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DeliveryStatus, OutboxMessage, TelegramAccount

OUTBOX = cast(Table, OutboxMessage.__table__)
COLUMNS = (
    "broadcast_id",
    "chat_id",
    "member_id",
    "method",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
)


def reader_language(
    stored: ColumnElement[Any], telegram: ColumnElement[Any], languages: Sequence[str], default: str
) -> ColumnElement[str]:
    """The stored choice, else Telegram's language ("en-US" counts as "en"), else `default`."""
    code = func.lower(telegram)
    whens: list[tuple[ColumnElement[bool], ColumnElement[Any]]] = [
        (stored.in_(languages), stored),
        (code.in_(languages), code),
    ]
    whens += [(code.like(f"{language}-%"), literal(language)) for language in languages]
    return case(*whens, else_=literal(default))


def recipients_of(query: Any) -> Select[Any]:
    """Adds the account's language columns a recipients query needs: `query` selects
    `member_id` and `chat_id` and joins TelegramAccount."""
    columns = (
        TelegramAccount.language.label("language"),
        TelegramAccount.telegram_language.label("telegram_language"),
    )
    return cast(Select[Any], query.add_columns(*columns))


async def enqueue_to_all(
    session: AsyncSession,
    recipients: Select[Any],
    messages: Mapping[str, tuple[str, dict[str, Any]]],
    *,
    default: str,
    now: datetime,
    broadcast_id: int | None = None,
) -> int:
    """One pending row per recipient (`recipients_of` a query) with the message in their
    language (`messages`: language -> (method, payload)), all in one statement (the
    recipients are read once; the language picks the method and payload in a CASE); how
    many rows were queued."""
    source = recipients.subquery("recipients")
    language = reader_language(
        source.c.language, source.c.telegram_language, list(messages), default
    )
    rows = select(
        literal(broadcast_id, Integer),
        source.c.chat_id,
        source.c.member_id,
        _by_language(language, {code: literal(m, String) for code, (m, _) in messages.items()}),
        _by_language(language, {code: literal(p, JSON) for code, (_, p) in messages.items()}),
        literal(DeliveryStatus.PENDING.value, String),
        literal(0, Integer),
        literal(now, DateTime(timezone=True)),
    )
    if default not in messages:  # else every language is one of them: no filter to misjudge
        rows = rows.where(language.in_(list(messages)))
    result = await session.execute(insert(OUTBOX).from_select(COLUMNS, rows))
    return int(getattr(result, "rowcount", 0) or 0)


def _by_language(
    language: ColumnElement[str], values: Mapping[str, ColumnElement[Any]]
) -> ColumnElement[Any]:
    """The value for the recipient's language (`values` has one per language)."""
    *others, last = values
    if not others:
        return values[last]
    return case(*((language == code, values[code]) for code in others), else_=values[last])


ID_CHUNK = 10_000  # member ids bound in one statement, far below PostgreSQL's 32,767


def id_chunks(ids: Collection[int] | None) -> Iterator[list[int] | None]:
    """`ids` in chunks small enough to bind; None (everyone) as one None."""
    if ids is None:
        yield None
        return
    listed = sorted(ids)
    for start in range(0, len(listed), ID_CHUNK):
        yield listed[start : start + ID_CHUNK]
