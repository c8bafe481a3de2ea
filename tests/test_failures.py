"""When Telegram or a handler fails: nothing lost, order kept, bugs set aside, stale buttons."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from telegram.error import TimedOut

import bot.lanes as lanes_module
import handlers.shared.common
from bot.settings import Settings
from storage.models import InboxUpdate, MemberStatus, TelegramAccount
from tests.factories import member, tree
from tests.fakebot import ServerError
from tests.harness import RunningBot, start_and_agree

PHONE = "0912345678"


async def seed(bot: RunningBot) -> int:
    async with bot.db() as session:
        return (await member(session, (await tree(session))["CB1"], "An", PHONE)).id


async def test_telegram_down_for_a_while_loses_nothing(bot: RunningBot) -> None:
    member_id = await seed(bot)
    user, _ask = await start_and_agree(bot.fake, 801)
    # The reply fails three times (more than the handler attempts): the link must still happen.
    bot.fake.inject("sendMessage", ServerError(502), times=3, chat_id=801)
    await user.share_contact(PHONE)
    done = await user.wait_for_message(timeout=15)
    assert done.text.startswith("Xong!")
    assert (await bot.member(member_id)).telegram_user_id == 801
    assert len(await bot.audit("bind")) == 1


async def test_failed_button_answer_does_not_undo_the_press_nor_reorder(bot: RunningBot) -> None:
    member_id = await seed(bot)
    user = bot.fake.user(802, language_code="vi")
    await user.send_text("/start")
    await user.wait_for_message()
    bot.fake.inject("answerCallbackQuery", ServerError(500), times=1)
    await user.press("✅ Tôi đồng ý")
    await user.share_contact(PHONE)  # sent right after, before the consent is handled
    messages = await user.wait_for_messages(2, timeout=15)
    assert messages[-1].text.startswith("Xong!")
    assert (await bot.member(member_id)).telegram_user_id == 802


async def test_a_failing_handler_is_set_aside_and_others_go_on(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = handlers.shared.common.account_and_member

    async def broken_for_803(session, user_id, language):  # type: ignore[no-untyped-def]
        if user_id == 803:
            raise ValueError("a bug")
        return await real(session, user_id, language)

    monkeypatch.setattr(handlers.shared.common, "account_and_member", broken_for_803)
    unlucky = bot.fake.user(803, language_code="vi")
    await unlucky.send_text("/start")
    sorry = await unlucky.wait_for_message(timeout=10)
    assert sorry.text == "Xin lỗi, đã có lỗi xảy ra. Đồng chí vui lòng thử lại."
    other = bot.fake.user(804, language_code="vi")
    await other.send_text("/start")
    assert "Chào mừng" in (await other.wait_for_message()).text
    async with bot.db() as session:
        failed = list(
            await session.scalars(select(InboxUpdate).where(InboxUpdate.failed_at.is_not(None)))
        )
        # A bug is not tried again: set aside at the first attempt.
        assert [(row.attempts, row.last_error) for row in failed] == [(1, "ValueError")]
    assert len(unlucky.messages) == 1  # apologised once


async def test_old_reset_confirmation_does_not_reset_a_newer_link(bot: RunningBot) -> None:
    from storage.models import Role

    async with bot.db() as session:
        cb1 = (await tree(session))["CB1"]
        await member(session, cb1, "Sơn", "0911000001", telegram_id=811, role=Role.SECRETARY)
        an = await member(session, cb1, "An", PHONE, telegram_id=812)
    son = bot.fake.user(811, language_code="vi")
    await son.send_text("👥 Đảng viên chi bộ")
    await son.wait_for_message()
    await son.press("🔓 Hủy liên kết: An")
    old_confirm = await son.wait_for_message()
    await son.press("🔓 Hủy liên kết: An")
    new_confirm = await son.wait_for_message()
    await son.press("Đồng ý hủy liên kết", message=new_confirm)
    await bot.settle()
    # An links again with a new account; the first confirmation is still on screen.
    relinked, _ask = await start_and_agree(bot.fake, 813)
    await relinked.share_contact(PHONE)
    assert (await relinked.wait_for_message()).text.startswith("Xong!")
    await son.press("Đồng ý hủy liên kết", message=old_confirm)
    await bot.settle()
    assert bot.fake.callback_answers[-1].text == (
        "Xin lỗi, nút này không dành cho đồng chí hoặc đã hết hiệu lực."
    )
    assert (await bot.member(an.id)).telegram_user_id == 813


async def test_inactive_member_is_told_and_gets_no_menu(bot: RunningBot) -> None:
    async with bot.db() as session:
        an = await member(session, (await tree(session))["CB1"], "An", PHONE, telegram_id=821)
        an.status = MemberStatus.INACTIVE
    user = bot.fake.user(821, language_code="vi")
    for command in ("/start", "/menu"):
        await user.send_text(command)
        reply = await user.wait_for_message()
        assert reply.text.startswith("Hồ sơ đảng viên của đồng chí đang không hoạt động")
        assert reply.reply_markup == {"remove_keyboard": True}


async def test_saying_no_withdraws_consent_and_the_link(bot: RunningBot) -> None:
    member_id = await seed(bot)
    user, _ask = await start_and_agree(bot.fake, 831)
    await user.share_contact(PHONE)
    await user.wait_for_message()
    notice = user.messages[0]  # the privacy notice, its buttons removed after the "yes"
    await user.press_data("consent:no", message=notice)
    reply = await user.wait_for_message()
    assert "Khi chưa có sự đồng ý" in reply.text
    assert (await bot.member(member_id)).telegram_user_id is None
    async with bot.db() as session:
        account = await session.get(TelegramAccount, 831)
        assert account is not None and account.consent_at is None
    assert len(await bot.audit("consent_withdrawn")) == 1


async def test_group_messages_store_no_account(bot: RunningBot) -> None:
    group = bot.fake.group(-100900, "Chi bộ 1")
    stranger = bot.fake.user(841, language_code="en")
    await stranger.send_text("/me", chat=group)
    assert (await group.wait_for_message()).text.startswith("For your privacy")
    async with bot.db() as session:
        assert await session.get(TelegramAccount, 841) is None


def test_webhook_secret_empty_is_unset_and_format_checked() -> None:
    assert Settings(_env_file=None, webhook_secret_token="").webhook_secret_token is None  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(_env_file=None, webhook_secret_token="has spaces!")  # type: ignore[call-arg]


async def test_an_error_that_never_clears_does_not_stall_everyone(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lanes_module, "MAX_PAUSES_PER_ATTEMPT", 2)  # instead of ~2 minutes
    real = handlers.shared.common.account_and_member

    async def times_out_for_851(session, user_id, language):  # type: ignore[no-untyped-def]
        if user_id == 851:
            raise TimedOut()
        return await real(session, user_id, language)

    monkeypatch.setattr(handlers.shared.common, "account_and_member", times_out_for_851)
    await bot.fake.user(851, language_code="vi").send_text("/start")
    other = bot.fake.user(852, language_code="vi")
    await other.send_text("/start")
    assert "Chào mừng" in (await other.wait_for_message(timeout=30)).text
    async with bot.db() as session:
        failed = list(
            await session.scalars(select(InboxUpdate).where(InboxUpdate.failed_at.is_not(None)))
        )
        assert [row.last_error for row in failed] == ["TimedOut"]
