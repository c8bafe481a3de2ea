"""Notices as a feature package: drafts stored before it and buttons already sitting in chats
and outbox rows keep working, and its use cases run without Telegram."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import Actor
from bot.i18n import LANGUAGES
from bot.settings import Settings
from handlers.notices.actions import (
    acknowledge_notice,
    remind_missing,
    send_notice,
)
from handlers.notices.draft import NoticeContent, NoticeDraft
from handlers.notices.messages import acknowledge_markup
from handlers.shared.usecase import Env, NotAllowed
from storage.db import transaction
from storage.flows import get_flow, save_flow
from storage.members import account_and_member
from storage.models import (
    AttachmentKind,
    DeliveryStatus,
    NoticeReceipt,
    OutboxMessage,
    Role,
    Unit,
)
from storage.notices import add_notice, get_notice, queue_notice
from storage.outbox import text_payload
from tests.factories import member, tree
from tests.harness import RunningBot
from tests.test_notices import AN, NOTICE, SON, got, outbox_idle, seed, user

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def test_drafts_stored_in_todays_shape_resume_and_send(bot: RunningBot) -> None:
    ids = await seed(bot)
    async with bot.db(settle=False) as session:  # as the handlers stored a text step
        await save_flow(session, SON, "notice", "text", {"unit_id": ids["cb1"]}, NOW)
    son = user(bot, SON)
    await son.send_text(NOTICE)
    preview, question = await son.wait_for_messages(2)
    assert preview.text == NOTICE
    assert "Gửi thông báo này đến 5 đảng viên của Chi bộ Khu phố 1?" in (question.text or "")

    # A preview step stored as before, with every key of today's shape: resumed from the menu.
    data = {"unit_id": ids["cb1"], "text": NOTICE, "file_id": None, "kind": None}
    async with bot.db(settle=False) as session:
        await save_flow(session, SON, "notice", "preview", data, NOW)
    await son.send_text("📣 Gửi thông báo")
    menu = await son.wait_for_message()
    assert menu.buttons()[0] == "✍️ Tiếp tục bản nháp"
    await son.press_data("nnew", message=menu)  # today's data, pressed as it is
    preview, question = await son.wait_for_messages(2)
    assert preview.text == NOTICE and "Gửi thông báo này" in (question.text or "")
    await son.press_data("nsend", message=question)
    await bot.fake.wait_until(lambda: "đang được gửi đến 4" in (question.text or ""))
    await outbox_idle(bot)
    [notice] = got(bot, AN)
    assert notice.buttons() == ["✅ Đã nhận"]
    async with bot.db() as session:
        assert await get_flow(session, SON, "notice") is None


async def test_a_notice_queued_in_todays_format_is_acknowledged(bot: RunningBot) -> None:
    """An outbox row written before the codec: its button is pressed after the upgrade."""
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        notice = await add_notice(session, ids["cb1"], ids["son"], NOTICE)
        markup = {
            "inline_keyboard": [[{"text": "✅ Đã nhận", "callback_data": f"nack:{notice.id}"}]]
        }
        payload = text_payload(NOTICE, reply_markup=markup)
        messages = {language: ("sendMessage", payload) for language in LANGUAGES}
        cb1 = await session.get(Unit, ids["cb1"])
        assert cb1 is not None
        await queue_notice(session, notice, cb1, messages, default="vi", now=NOW)
    assert bot.chibo is not None
    bot.chibo.sender.wake()
    await outbox_idle(bot)
    an = user(bot, AN)
    [message] = got(bot, AN)
    await an.press("✅ Đã nhận", message=message)
    await bot.fake.wait_until(lambda: message.buttons() != ["✅ Đã nhận"])
    assert message.buttons()[0].startswith("✅ Đã nhận ")
    async with bot.db() as session:
        receipt = await session.scalar(
            select(NoticeReceipt).where(NoticeReceipt.member_id == ids["an"])
        )
    assert receipt is not None and receipt.acknowledged_at is not None


def test_draft_shapes_of_today_load_with_their_step() -> None:
    photo = {"unit_id": 4, "text": "", "file_id": "AgADx", "kind": "photo"}
    shapes: list[tuple[dict[str, Any], str]] = [
        ({}, "audience"),
        ({"unit_id": 4}, "text"),
        (photo, "preview"),
    ]
    for data, step in shapes:
        draft = NoticeDraft.load(data)
        assert draft.step == step
        assert draft.dump() == data  # written back as it was read
    assert NoticeDraft.load(photo).content == NoticeContent("", "AgADx", AttachmentKind.PHOTO)
    assert NoticeDraft.load({"unit_id": 4, "text": "x"}).content == NoticeContent("x")


async def _actor(session: AsyncSession, telegram_id: int) -> Actor:
    _account, found = await account_and_member(session, telegram_id, None)
    return Actor.of(telegram_id, found)


async def test_use_cases_run_without_telegram(sessions: async_sessionmaker[AsyncSession]) -> None:
    woken: list[str] = []
    settings = Settings(_env_file=None)
    env = Env(settings, NOW, lambda: woken.append("sender"), lambda: woken.append("scheduler"))
    async with transaction(sessions) as session:
        units = await tree(session)
        cb1 = units["CB1"]
        await member(session, cb1, "Trần Sơn", "0912000001", telegram_id=SON, role=Role.SECRETARY)
        an = await member(session, cb1, "Lê An", "0912000002", telegram_id=AN)
        await member(session, units["CB2"], "Vũ Dũng", "0912000003", telegram_id=611)
        son_actor, an_actor = await _actor(session, SON), await _actor(session, AN)
        sent = await send_notice(session, son_actor, cb1, NoticeContent(NOTICE), env)
        assert (sent.recipients, woken) == (2, ["sender"])
        with pytest.raises(NotAllowed):
            await send_notice(session, an_actor, cb1, NoticeContent("x"), env)
        await session.execute(update(OutboxMessage).values(status=DeliveryStatus.SENT))
        notice = await get_notice(session, sent.notice_id)
        assert notice is not None
        reminder = await remind_missing(session, son_actor, notice, env)
        assert (reminder.sent, reminder.targets) == (2, 2) and woken == ["sender", "sender"]
        later = Env(settings, NOW + timedelta(minutes=5))
        again = await remind_missing(session, son_actor, notice, later)
        assert not again.sent and again.reminded is not None  # within the interval
        first = await acknowledge_notice(session, an_actor, notice.id, NOW)
        assert first == NOW
        repeat = await acknowledge_notice(session, an_actor, notice.id, NOW + timedelta(1))
        assert repeat is not None and repeat.replace(tzinfo=UTC) == NOW  # the first one's time
        assert await acknowledge_notice(session, await _actor(session, 611), notice.id, NOW) is None
        receipt = await session.scalar(
            select(NoticeReceipt).where(NoticeReceipt.member_id == an.id)
        )
        assert receipt is not None and receipt.acknowledged_at is not None


def test_the_members_button_in_outbox_json_is_todays() -> None:
    """The acknowledge keyboard of an outbox row, as notice_common wrote it by hand."""
    assert acknowledge_markup(417, "✅ Received") == {
        "inline_keyboard": [[{"text": "✅ Received", "callback_data": "nack:417"}]]
    }
