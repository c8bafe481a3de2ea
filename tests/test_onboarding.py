"""Onboarding on the phone: consent, contact match, invite links, both languages."""

from __future__ import annotations

from datetime import timedelta

from storage import clock
from storage.invites import create_invite
from storage.members import get_account
from storage.models import Member
from tests.factories import member, tree
from tests.fakebot import FakeUser
from tests.harness import RunningBot, start_and_agree

PHONE = "0912345678"


async def seed_member(bot: RunningBot, name: str = "Nguyễn Văn An", phone: str = PHONE) -> int:
    async with bot.db() as session:
        units = await tree(session)
        return (await member(session, units["CB1"], name, phone)).id


async def test_contact_binds_in_vietnamese(bot: RunningBot) -> None:
    member_id = await seed_member(bot)
    user = bot.fake.user(501, first_name="An", language_code="vi")
    await user.send_text("/start")
    notice = await user.wait_for_message()
    assert "Chào mừng đồng chí đến với chibo" in notice.text
    assert notice.parse_mode == "HTML"
    assert notice.buttons() == ["✅ Tôi đồng ý", "❌ Tôi không đồng ý", "English"]

    await user.press("✅ Tôi đồng ý")
    ask = await user.wait_for_message()
    assert ask.keyboard() == ["📱 Chia sẻ số điện thoại của tôi"]
    assert ask.reply_markup["keyboard"][0][0]["request_contact"] is True

    await user.share_contact("+84 912 345 678")
    done = await user.wait_for_message()
    assert done.text == (
        "Xong! Đồng chí đã được liên kết là <b>Nguyễn Văn An</b>, thuộc <b>Chi bộ Khu phố 1</b>."
    )
    assert "👤 Thông tin của tôi" in done.keyboard()
    assert "👥 Đảng viên chi bộ" not in done.keyboard()

    stored = await bot.member(member_id)
    assert stored.telegram_user_id == 501
    async with bot.db() as session:
        account = await get_account(session, 501)
        assert account is not None and account.consent_at is not None
    assert len(await bot.audit("consent")) == 1
    assert [e.details for e in await bot.audit("bind")] == [{"method": "phone"}]


async def test_english_is_chosen_and_remembered(bot: RunningBot) -> None:
    await seed_member(bot)
    user = bot.fake.user(502, first_name="An", language_code="vi")
    await user.send_text("/start")
    await user.wait_for_message()
    await user.press("English")
    notice = await user.wait_for_message()
    assert notice.text.startswith("<b>Welcome to chibo</b>")
    assert user.messages[0].text == "Language: English"  # the pressed message was edited
    await user.press("✅ I agree")
    await user.wait_for_message()
    await user.share_contact(PHONE)
    done = await user.wait_for_message()
    assert done.text.startswith("Done! You are linked as <b>Nguyễn Văn An</b>")
    assert "👤 My data" in done.keyboard()

    await user.send_text("/start")
    again = await user.wait_for_message()
    assert again.text == "Hello, Nguyễn Văn An! Here is your menu."


async def test_english_telegram_user_gets_english(bot: RunningBot) -> None:
    user = bot.fake.user(503, language_code="en")
    await user.send_text("/start")
    assert (await user.wait_for_message()).text.startswith("<b>Welcome to chibo</b>")


async def consented(bot: RunningBot, user_id: int) -> FakeUser:
    return (await start_and_agree(bot.fake, user_id))[0]


async def test_someone_elses_contact_binds_nothing(bot: RunningBot) -> None:
    member_id = await seed_member(bot)
    user = await consented(bot, 504)
    await user.share_contact(PHONE, contact_user_id=999)
    reply = await user.wait_for_message()
    assert "số điện thoại của chính mình" in reply.text
    assert (await bot.member(member_id)).telegram_user_id is None
    assert await bot.audit("bind") == []


async def test_unknown_phone_binds_nothing(bot: RunningBot) -> None:
    member_id = await seed_member(bot)
    user = await consented(bot, 505)
    await user.share_contact("0987000111")
    reply = await user.wait_for_message()
    assert reply.text.startswith("Số điện thoại này không có trong danh sách chi bộ nào")
    assert (await bot.member(member_id)).telegram_user_id is None


async def test_member_already_bound_needs_the_secretary(bot: RunningBot) -> None:
    member_id = await seed_member(bot)
    first = await consented(bot, 506)
    await first.share_contact(PHONE)
    await first.wait_for_message()
    second = await consented(bot, 507)
    await second.share_contact(PHONE)
    reply = await second.wait_for_message()
    assert "đã được liên kết với một tài khoản Telegram khác" in reply.text
    assert (await bot.member(member_id)).telegram_user_id == 506


async def test_invite_link_binds_once(bot: RunningBot) -> None:
    member_id = await seed_member(bot)
    async with bot.db() as session:
        target = await session.get(Member, member_id)
        assert target is not None
        code = (await create_invite(session, target, clock.now(), timedelta(days=3))).code
    _user, done = await start_and_agree(bot.fake, 508, f"/start {code}")
    assert done.text.startswith("Xong! Đồng chí đã được liên kết là <b>Nguyễn Văn An</b>")
    assert (await bot.member(member_id)).telegram_user_id == 508
    assert [e.details for e in await bot.audit("bind")] == [{"method": "invite"}]

    _other, used = await start_and_agree(bot.fake, 509, f"/start {code}")
    assert used.text.startswith("Liên kết mời đã được sử dụng.")
    assert used.keyboard() == ["📱 Chia sẻ số điện thoại của tôi"]


async def test_refusing_consent_binds_nothing(bot: RunningBot) -> None:
    await seed_member(bot)
    user = bot.fake.user(510, language_code="vi")
    await user.send_text("/start")
    await user.wait_for_message()
    await user.press("❌ Tôi không đồng ý")
    reply = await user.wait_for_message()
    assert "Khi chưa có sự đồng ý" in reply.text
    await user.share_contact(PHONE)
    again = await user.wait_for_message()  # asked for consent again, not bound
    assert again.buttons()[0] == "✅ Tôi đồng ý"
    assert await bot.audit("bind") == []


async def test_commands_are_registered_in_both_languages(bot: RunningBot) -> None:
    commands = {
        key[1]: [c["description"] for c in value] for key, value in bot.fake.commands.items()
    }
    assert "Menu chính" in commands["vi"]
    assert "Main menu" in commands["en"]
    assert commands[""] == commands["vi"]  # the default list is Vietnamese


async def test_failed_handler_is_rolled_back_and_retried(bot: RunningBot) -> None:
    from tests.fakebot import ServerError

    await seed_member(bot)
    user = bot.fake.user(511, language_code="vi")
    await user.send_text("/start")
    await user.wait_for_message()
    # The reply after consent fails once: the consent must not be half-stored, then apply once.
    bot.fake.inject("sendMessage", ServerError(502), times=1, chat_id=511)
    await user.press("✅ Tôi đồng ý")
    ask = await user.wait_for_message()
    assert ask.keyboard() == ["📱 Chia sẻ số điện thoại của tôi"]
    assert len(await bot.audit("consent")) == 1


async def test_typing_at_each_step_gets_the_steps_own_question_again(bot: RunningBot) -> None:
    member_id = await seed_member(bot)
    user = bot.fake.user(504, first_name="An", language_code="vi")
    await user.send_text("/start")
    await user.wait_for_message()
    await user.send_text("Đồng ý")  # typed instead of pressed
    again = await user.wait_for_message()
    assert again.text.startswith("Xin bấm một nút bên dưới để trả lời.")
    assert "Chào mừng đồng chí đến với chibo" in again.text
    assert again.buttons() == ["✅ Tôi đồng ý", "❌ Tôi không đồng ý", "English"]

    await user.press("✅ Tôi đồng ý", message=again)
    await user.wait_for_message()
    await user.send_text("xin chào")
    ask = await user.wait_for_message()
    assert ask.text == (
        "Đồng chí vui lòng bấm nút bên dưới để chia sẻ số điện thoại, tôi sẽ tìm đồng chí trong "
        "danh sách chi bộ."
    )
    assert ask.keyboard() == ["📱 Chia sẻ số điện thoại của tôi"]  # the keyboard is kept

    await user.send_text("0912 345 678")  # a typed number is not taken: it proves nothing
    typed = await user.wait_for_message()
    assert typed.text == (
        "Xin đừng gõ số điện thoại: hãy bấm nút 📱 Chia sẻ số điện thoại của tôi bên dưới. "
        "Khi đó Telegram xác nhận số này đúng là của đồng chí, nên không ai liên kết được vào "
        "hồ sơ của người khác."
    )
    assert typed.keyboard() == ["📱 Chia sẻ số điện thoại của tôi"]
    assert (await bot.member(member_id)).telegram_user_id is None

    await user.share_contact(PHONE)
    assert (await user.wait_for_message()).text.startswith("Xong! Đồng chí đã được liên kết")
