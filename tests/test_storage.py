"""Storage rules on a real database: binding, invites, the inbox, units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage import inbox
from storage.db import transaction
from storage.invites import InviteProblem, create_invite, redeem_invite
from storage.members import (
    BindOutcome,
    bind_by_phone,
    get_account,
    member_for_account,
    prune_unconsented_accounts,
    touch_account,
    unbind_member,
)
from storage.models import InboxUpdate, Member, TelegramAccount
from storage.units import UnitError, add_unit, branches_under
from tests.factories import member, tree

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def test_binding_rules(sessions) -> None:
    async with transaction(sessions) as session:
        units = await tree(session)
        await member(session, units["CB1"], "An", "0912345678")
        first = await touch_account(session, 1, "vi")
        second = await touch_account(session, 2, "vi")
        assert (
            await bind_by_phone(session, first, "+84 912 345 678", NOW)
        ).outcome == BindOutcome.BOUND
        assert (
            await bind_by_phone(session, first, "0912345678", NOW)
        ).outcome == BindOutcome.ALREADY_BOUND
        assert (
            await bind_by_phone(session, second, "0912345678", NOW)
        ).outcome == BindOutcome.MEMBER_TAKEN
        assert (
            await bind_by_phone(session, second, "0900000000", NOW)
        ).outcome == BindOutcome.UNKNOWN_PHONE
    async with transaction(sessions) as session:
        bound = await member_for_account(session, 1)
        assert bound is not None and bound.full_name == "An" and bound.branch.code == "CB1"
        assert await member_for_account(session, 2) is None


async def test_invite_is_one_time_and_expires(sessions) -> None:
    async with transaction(sessions) as session:
        units = await tree(session)
        an = await member(session, units["CB1"], "An", "0912345678")
        bình = await member(session, units["CB1"], "Bình", "0912345679")
        code = (await create_invite(session, an, NOW, timedelta(days=1))).code
        old = (await create_invite(session, bình, NOW - timedelta(days=2), timedelta(days=1))).code
    async with transaction(sessions) as session:
        account = await touch_account(session, 10, None)
        result = await redeem_invite(session, account, code, NOW)
        assert not isinstance(result, InviteProblem) and result.outcome == BindOutcome.BOUND
        other = await touch_account(session, 11, None)
        assert await redeem_invite(session, other, code, NOW) == InviteProblem.USED
        assert await redeem_invite(session, other, old, NOW) == InviteProblem.EXPIRED
        assert await redeem_invite(session, other, "nope", NOW) == InviteProblem.INVALID
        stored = await session.scalar(select(Member).where(Member.id == an.id))
        assert stored is not None and stored.telegram_user_id == 10


async def test_inbox_is_idempotent_ordered_claimed_once_and_pruned(sessions) -> None:
    async with transaction(sessions) as session:
        await inbox.store_updates(session, [{"update_id": 7}, {"update_id": 5}, {"update_id": 9}])
        await inbox.store_updates(session, [{"update_id": 5, "again": True}])
    async with transaction(sessions) as session:
        assert [r.update_id for r in await inbox.pending(session)] == [5, 7, 9]
        stored = await session.get(InboxUpdate, 5)
        assert stored is not None and stored.payload == {"update_id": 5}
        assert await inbox.last_update_id(session) == 9
        # Updates without a chat share lane 0; only its holder claims.
        assert await inbox.take_lanes(session, [0], "a", NOW, NOW + timedelta(seconds=15)) == [0]
        assert await inbox.claim(session, 5, NOW - timedelta(days=30), 0, "a")
        assert not await inbox.claim(session, 5, NOW, 0, "a")  # a second runner gets nothing
        assert not await inbox.mark_failed(session, 7, "Boom", NOW, max_attempts=2)
    async with transaction(sessions) as session:
        assert [r.update_id for r in await inbox.pending(session)] == [7, 9]
        assert await inbox.mark_failed(session, 7, "Boom", NOW - timedelta(days=30), max_attempts=2)
        assert not await inbox.claim(session, 7, NOW, 0, "a")  # set aside: not handled later
        assert await inbox.prune(session, NOW - timedelta(days=7)) == 1
    async with transaction(sessions) as session:
        assert [r.update_id for r in await inbox.pending(session)] == [9]
        kept = {r.update_id: r for r in await session.scalars(select(InboxUpdate))}
        assert set(kept) == {7, 9}  # the failed one is kept for a person to look at
        assert kept[7].failed_at is not None and kept[7].last_error == "Boom"


async def test_newer_invite_binding_and_reset_void_old_links(sessions) -> None:
    async with transaction(sessions) as session:
        units = await tree(session)
        an = await member(session, units["CB1"], "An", "0912345678")
        first = (await create_invite(session, an, NOW, timedelta(days=3))).code
        second = (await create_invite(session, an, NOW, timedelta(days=3))).code
        third = (await create_invite(session, an, NOW, timedelta(days=3))).code
    async with transaction(sessions) as session:
        account = await touch_account(session, 20, None)
        assert await redeem_invite(session, account, first, NOW) == InviteProblem.REVOKED
        result = await redeem_invite(session, account, third, NOW)
        assert not isinstance(result, InviteProblem) and result.outcome == BindOutcome.BOUND
        assert await redeem_invite(session, account, second, NOW) == InviteProblem.REVOKED
        stale = (await create_invite(session, an, NOW, timedelta(days=3))).code
        bound = await member_for_account(session, 20)
        assert bound is not None
        await unbind_member(session, bound, NOW)
        other = await touch_account(session, 21, None)
        assert await redeem_invite(session, other, stale, NOW) == InviteProblem.REVOKED


async def test_accounts_without_consent_are_forgotten(sessions) -> None:
    old = NOW - timedelta(days=30)
    async with transaction(sessions) as session:
        units = await tree(session)
        await touch_account(session, 30, "vi")  # only said /start
        await member(session, units["CB1"], "An", "0912345678", telegram_id=31)
        agreed = await touch_account(session, 32, "vi")
        agreed.consent_at = NOW
        for account in await session.scalars(select(TelegramAccount)):
            account.created_at = old
    async with transaction(sessions) as session:
        assert await prune_unconsented_accounts(session, NOW - timedelta(days=7)) == 1
        assert await get_account(session, 30) is None
        assert await get_account(session, 31) is not None
        assert await get_account(session, 32) is not None


async def test_unit_tree(sessions) -> None:
    async with transaction(sessions) as session:
        units = await tree(session)
        under_hu = await branches_under(session, {units["HU"].path})
        assert [u.code for u in under_hu] == ["CB1", "CB2"]
        for bad in (("HU", "again", None), ("X", "x", "CB1"), ("Y", "y", "NOPE")):
            try:
                await add_unit(session, bad[0], bad[1], bad[2], False)
            except UnitError:
                continue
            raise AssertionError(f"{bad} was accepted")
