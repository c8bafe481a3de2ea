"""Members, their Telegram accounts and the binding between the two."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.db import execute_core
from storage.models import InviteCode, Member, MemberStatus, RoleAssignment, TelegramAccount
from storage.text import normalize_phone


class BindOutcome(enum.StrEnum):
    BOUND = "bound"
    ALREADY_BOUND = "already_bound"
    UNKNOWN_PHONE = "unknown_phone"
    MEMBER_TAKEN = "member_taken"
    ACCOUNT_TAKEN = "account_taken"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class BindResult:
    outcome: BindOutcome
    member: Member | None = None


async def get_account(session: AsyncSession, user_id: int) -> TelegramAccount | None:
    return await session.get(TelegramAccount, user_id)


async def touch_account(
    session: AsyncSession, user_id: int, telegram_language: str | None
) -> TelegramAccount:
    """The account row for a Telegram user, created on first contact.

    Created with "insert unless it exists" in one statement: a new person's first updates
    can be handled at once (a group and the private chat, in two lanes or two instances),
    and "look, then insert" would fail the second one on the primary key.
    """
    account = await session.get(TelegramAccount, user_id)
    if account is None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        new = {"user_id": user_id, "telegram_language": telegram_language}
        await session.execute(insert(TelegramAccount).values(new).on_conflict_do_nothing())
        account = await session.get(TelegramAccount, user_id, populate_existing=True)
        assert account is not None
    elif telegram_language and account.telegram_language != telegram_language:
        account.telegram_language = telegram_language
    return account


async def account_and_member(
    session: AsyncSession, user_id: int, telegram_language: str | None
) -> tuple[TelegramAccount, Member | None]:
    """The account of a Telegram user (created on first contact) and its member, if bound.

    One statement: this runs before every handler.
    """
    result = await session.execute(_ACCOUNT_AND_MEMBER, {"user_id": user_id})
    row = result.unique().one_or_none()
    if row is None:
        return await touch_account(session, user_id, telegram_language), None
    account, member = row
    if telegram_language and account.telegram_language != telegram_language:
        account.telegram_language = telegram_language
    return account, member


def _with_roles() -> tuple[Any, ...]:
    # Joined, not select-in: one statement instead of four, on every update.
    return (
        joinedload(Member.roles).joinedload(RoleAssignment.unit),
        joinedload(Member.branch),
    )


# Built once, like the statements below that run on every update: building and keying a
# statement costs more than the database takes to answer it.
_ACCOUNT_AND_MEMBER = (
    select(TelegramAccount, Member)
    .outerjoin(Member, Member.telegram_user_id == TelegramAccount.user_id)
    .where(TelegramAccount.user_id == bindparam("user_id"))
    .options(*_with_roles())
)
_invites = cast(Table, InviteCode.__table__)
_REVOKE_INVITES = (
    update(_invites)
    .where(
        _invites.c.member_id == bindparam("revoked_member"),
        _invites.c.used_at.is_(None),
        _invites.c.revoked_at.is_(None),
        _invites.c.code != bindparam("keep"),
    )
    .values(revoked_at=bindparam("now"))
)
# Another member, as the one acting sees them: their branch, not their roles.
_MEMBER = (
    select(Member).where(Member.id == bindparam("member_id")).options(joinedload(Member.branch))
)


async def member_for_account(session: AsyncSession, user_id: int) -> Member | None:
    query = select(Member).where(Member.telegram_user_id == user_id).options(*_with_roles())
    return (await session.scalars(query)).unique().one_or_none()


async def get_member(session: AsyncSession, member_id: int) -> Member | None:
    """A member and their branch (their roles are not loaded)."""
    return (await session.scalars(_MEMBER, {"member_id": member_id})).unique().one_or_none()


async def member_with_roles(session: AsyncSession, member_id: int) -> Member | None:
    """A member with their branch and roles: enough to decide what they may do."""
    query = select(Member).where(Member.id == member_id).options(*_with_roles())
    return (await session.scalars(query)).unique().one_or_none()


async def find_member(session: AsyncSession, person: str) -> Member | None:
    """A member by phone (any usual format) or by party card number."""
    phone = normalize_phone(person)
    if phone:
        found = await session.scalar(select(Member).where(Member.phone == phone))
        if found:
            return found
    return await session.scalar(select(Member).where(Member.party_card_no == person.strip()))


async def branch_members(session: AsyncSession, branch_id: int) -> list[Member]:
    query = select(Member).where(Member.branch_id == branch_id).order_by(Member.name_folded)
    return list(await session.scalars(query))


async def bind_member(
    session: AsyncSession, account: TelegramAccount, member: Member, now: datetime
) -> BindResult:
    """Binds one account to one member; a taken member or account needs the secretary.

    The member row is read again, locked (PostgreSQL): of two people redeeming the same
    invite link at once (a forwarded link), the second waits and finds the member taken,
    instead of quietly replacing the first one's binding.
    """
    fresh = ["telegram_user_id", "bound_at", "status"]
    await session.refresh(member, attribute_names=fresh, with_for_update=True)
    if member.telegram_user_id == account.user_id:
        return BindResult(BindOutcome.ALREADY_BOUND, member)
    if member.telegram_user_id is not None:
        return BindResult(BindOutcome.MEMBER_TAKEN, member)
    if await member_for_account(session, account.user_id):
        return BindResult(BindOutcome.ACCOUNT_TAKEN, member)
    if member.status != MemberStatus.ACTIVE:
        return BindResult(BindOutcome.INACTIVE, member)
    member.telegram_user_id = account.user_id
    member.bound_at = now
    await session.flush()
    return BindResult(BindOutcome.BOUND, member)


async def bind_by_phone(
    session: AsyncSession, account: TelegramAccount, raw_phone: str, now: datetime
) -> BindResult:
    phone = normalize_phone(raw_phone)
    member = await session.scalar(select(Member).where(Member.phone == phone)) if phone else None
    if member is None:
        return BindResult(BindOutcome.UNKNOWN_PHONE)
    result = await bind_member(session, account, member, now)
    if result.outcome == BindOutcome.BOUND:
        await revoke_invites(session, member.id, now)
    return result


async def revoke_invites(
    session: AsyncSession, member_id: int, now: datetime, keep: str | None = None
) -> None:
    """Voids a member's unused invite links (but `keep`).

    A Core statement: no loaded InviteCode is kept in step, and none needs to be (the one
    a caller holds is `keep`).
    """
    parameters = {"revoked_member": member_id, "now": now, "keep": keep or ""}
    await execute_core(session, _REVOKE_INVITES, parameters)


async def unbind_member(session: AsyncSession, member: Member, now: datetime) -> int | None:
    """Frees a member's binding so they can bind a new account; returns the old account id.

    Unused invite links die with the old binding: a reset usually follows a lost phone.
    """
    old = member.telegram_user_id
    member.telegram_user_id = None
    member.bound_at = None
    await revoke_invites(session, member.id, now)
    await session.flush()
    return old


async def prune_unconsented_accounts(session: AsyncSession, before: datetime) -> int:
    """Forgets Telegram users who never agreed to the privacy notice nor were linked."""
    linked = exists().where(Member.telegram_user_id == TelegramAccount.user_id)  # not NOT IN
    result = await session.execute(
        delete(TelegramAccount).where(
            TelegramAccount.consent_at.is_(None),
            TelegramAccount.created_at < before,
            ~linked,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
