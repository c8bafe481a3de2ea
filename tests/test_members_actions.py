"""The branch members' use cases (handlers/members/actions.py) run without Telegram: on a bare
session, with the actor and typed arguments, they re-check who may act, store, queue to the
outbox and say whom to wake; the caller commits."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import Actor
from bot.settings import Settings
from handlers.members.actions import (
    Exemption,
    admit_member,
    confirm_receipt,
    end_today,
    make_invite,
    record_exemption,
    record_probation_outcome,
    reset_link,
    start_member_transfer,
)
from handlers.shared.usecase import Env, NotAllowed
from storage import audit, clock
from storage.db import transaction
from storage.members import account_and_member, get_member
from storage.models import Member, OutboxMessage, Role, ScheduledJob, Standing, TransferKind
from storage.probation import KIND as PROBATION_JOB
from storage.probation import Admission
from storage.standing import open_overlay, status_of
from storage.transfers import TransferDraft
from tests.factories import member, tree

SON, AN, HA = 1301, 1302, 1303


async def _actor(session: AsyncSession, telegram_id: int) -> Actor:
    _account, found = await account_and_member(session, telegram_id, None)
    return Actor.of(telegram_id, found)


async def _loaded(session: AsyncSession, member_id: int) -> Member:
    found = await get_member(session, member_id)
    assert found is not None
    return found


async def _outbox(session: AsyncSession) -> list[OutboxMessage]:
    return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_the_members_use_cases_run_without_telegram(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    woken: list[str] = []
    settings = Settings(_env_file=None)
    now = clock.now()
    today = now.astimezone(settings.tz).date()
    env = Env(settings, now, lambda: woken.append("sender"), lambda: woken.append("scheduler"))
    async with transaction(sessions) as session:
        units = await tree(session)
        cb1, cb2 = units["CB1"], units["CB2"]
        await member(session, cb1, "Trần Sơn", "0913000001", telegram_id=SON, role=Role.SECRETARY)
        an = await member(session, cb1, "Lê An", "0913000002", telegram_id=AN)
        binh = await member(session, cb1, "Phạm Bình", "0913000003")
        await member(session, cb2, "Đỗ Hà", "0913000004", telegram_id=HA, role=Role.SECRETARY)
        son, an_actor, ha = [await _actor(session, i) for i in (SON, AN, HA)]
        an, binh = [await _loaded(session, m.id) for m in (an, binh)]  # as the handlers read them

        # Links: an invite for the member not linked yet, a reset of the linked one's.
        with pytest.raises(NotAllowed):
            await make_invite(session, an_actor, binh, env)
        invite = await make_invite(session, son, binh, env)
        assert invite.member_id == binh.id and invite.expires_at.date() > today
        assert await reset_link(session, son, binh, env) is None  # not linked: nothing to do
        assert await reset_link(session, son, an, env) == AN
        assert [e.object_id for e in await audit.entries(session, "unbind")] == [str(an.id)]
        assert [e.object_id for e in await audit.entries(session, "invite_created")] == [
            str(binh.id)
        ]

        # An exemption, by the secretary only; ended today.
        exemption = Exemption("age", today, None)
        with pytest.raises(NotAllowed):
            await record_exemption(session, an_actor, binh, exemption, env)
        assert await status_of(session, binh.id, today) == Standing.OFFICIAL  # nothing written
        await record_exemption(session, son, binh, exemption, env)
        assert await status_of(session, binh.id, today) == Standing.EXEMPT
        assert await end_today(session, son, binh, Standing.EXEMPT, env) == today
        assert await open_overlay(session, binh.id, Standing.EXEMPT, today) is None
        assert woken == []  # nothing queued, nothing booked

        # An admission books the probation's reminders; the outcome is recorded.
        new = Admission("Vũ Cúc", "0913000005", today, "12-QĐ/ĐU")
        with pytest.raises(NotAllowed):
            await admit_member(session, ha, cb1, new, env)
        cuc = await admit_member(session, son, cb1, new, env)
        assert await status_of(session, cuc.id, today) == Standing.PROBATIONARY
        reminders = await session.scalars(
            select(ScheduledJob.key).where(ScheduledJob.kind == PROBATION_JOB)
        )
        assert len(list(reminders)) == 2 and woken == ["scheduler"]
        cuc = await _loaded(session, cuc.id)  # recognised later, from the member's card
        await record_probation_outcome(session, son, cuc, True, today, env)
        assert await status_of(session, cuc.id, today) == Standing.OFFICIAL

        # A transfer to a branch in the bot: its secretary is asked to confirm receipt.
        draft = TransferDraft(TransferKind.OFFICIAL, cb2.id, None, "12/GGT", today)
        with pytest.raises(NotAllowed):
            await start_member_transfer(session, ha, an, draft, env)
        transfer = await start_member_transfer(session, son, an, draft, env)
        assert woken == ["scheduler", "sender", "scheduler"]
        [ask] = await _outbox(session)
        assert ask.chat_id == HA and ask.payload["text"].startswith("📨 Đồng chí Lê An chuyển")
        keyboard = ask.payload["reply_markup"]["inline_keyboard"]
        assert keyboard[0][0]["callback_data"] == f"trc:{transfer.id}"

        # Only the receiving secretary confirms; the sending one is told.
        with pytest.raises(NotAllowed):
            await confirm_receipt(session, son, transfer, env)
        await confirm_receipt(session, ha, transfer, env)
        assert transfer.confirmed_at is not None and woken[-1] == "sender"
        told = (await _outbox(session))[-1]
        assert told.chat_id == SON
        assert told.payload["text"] == "✅ Chi bộ Khu phố 2 đã xác nhận tiếp nhận đồng chí Lê An."
        with pytest.raises(NotAllowed):  # confirmed once
            await confirm_receipt(session, ha, transfer, env)
