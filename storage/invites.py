"""One-time invite codes: a deep link that binds an account to a member without a phone match."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import execute_core
from storage.members import BindOutcome, BindResult, bind_member, get_member, revoke_invites
from storage.models import InviteCode, Member, TelegramAccount

_INSERT = insert(cast(Table, InviteCode.__table__))


class InviteProblem(enum.StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


async def create_invite(
    session: AsyncSession, member: Member, now: datetime, valid_for: timedelta
) -> InviteCode:
    """A new one-time link for `member`; their older unused links stop working.

    Written with a Core insert (a secretary may make many in a row); the returned object is
    not attached to the session.
    """
    # Locked first (PostgreSQL): two secretaries making a link for the same member at once
    # would each revoke the links they see, then both insert: two live links.
    await session.execute(select(Member.id).where(Member.id == member.id).with_for_update())
    await revoke_invites(session, member.id, now)  # one live link per member
    # 16 url-safe bytes fit Telegram's 64-character start parameter with room to spare.
    invite = InviteCode(
        code=secrets.token_urlsafe(16), member_id=member.id, expires_at=now + valid_for
    )
    row = {"code": invite.code, "member_id": member.id, "expires_at": invite.expires_at}
    await execute_core(session, _INSERT, row)
    return invite


def _aware(value: datetime, like: datetime) -> datetime:
    # SQLite hands back naive datetimes; compare as UTC.
    return value.replace(tzinfo=like.tzinfo) if value.tzinfo is None else value


async def check_invite(session: AsyncSession, code: str, now: datetime) -> InviteProblem | None:
    invite = await session.get(InviteCode, code) if code else None
    if invite is None:
        return InviteProblem.INVALID
    if invite.used_at is not None:
        return InviteProblem.USED
    if invite.revoked_at is not None:
        return InviteProblem.REVOKED
    if _aware(invite.expires_at, now) <= now:
        return InviteProblem.EXPIRED
    return None


async def redeem_invite(
    session: AsyncSession, account: TelegramAccount, code: str, now: datetime
) -> BindResult | InviteProblem:
    problem = await check_invite(session, code, now)
    if problem is not None:
        return problem
    invite = await session.get(InviteCode, code)
    assert invite is not None  # checked above
    member = await get_member(session, invite.member_id)
    if member is None:
        return InviteProblem.INVALID
    result = await bind_member(session, account, member, now)
    if result.outcome == BindOutcome.BOUND:
        invite.used_at = now
        await revoke_invites(session, member.id, now, keep=code)
    return result
