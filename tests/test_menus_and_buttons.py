"""Role-dependent menus, /me, group chats, the secretary's member list, forged buttons."""

from __future__ import annotations

import pytest

from handlers.help import show_help
from handlers.shared.menu import menu_handlers
from storage.models import Role
from tests.factories import member, tree
from tests.harness import RunningBot, start_and_agree


async def seed(bot: RunningBot) -> dict[str, int]:
    """CB1: secretary Sơn, member An (both linked), Bình (not linked); CB2: Dũng (linked);
    committee member Hà of CB2; deputy Phương of the committee HU."""
    async with bot.db() as session:
        u = await tree(session)
        ids = {
            "son": (
                await member(
                    session,
                    u["CB1"],
                    "Trần Sơn",
                    "0911000001",
                    telegram_id=601,
                    role=Role.SECRETARY,
                )
            ).id,
            "an": (
                await member(session, u["CB1"], "Lê <An> & Co", "0911000002", telegram_id=602)
            ).id,
            "binh": (await member(session, u["CB1"], "Phạm Bình", "0911000003")).id,
            "dung": (await member(session, u["CB2"], "Vũ Dũng", "0911000004", telegram_id=604)).id,
            "ha": (
                await member(
                    session,
                    u["CB2"],
                    "Đỗ Hà",
                    "0911000005",
                    telegram_id=605,
                    role=Role.COMMITTEE_MEMBER,
                )
            ).id,
            "phuong": (
                await member(
                    session,
                    u["CB2"],
                    "Ngô Phương",
                    "0911000006",
                    telegram_id=606,
                    role=Role.DEPUTY_SECRETARY,
                    role_unit=u["HU"],
                )
            ).id,
        }
    return ids


async def menu_of(bot: RunningBot, user_id: int) -> list[str]:
    user = bot.fake.user(user_id, language_code="vi")
    await user.send_text("/menu")
    return (await user.wait_for_message()).keyboard()


async def test_menus_depend_on_roles(bot: RunningBot) -> None:
    await seed(bot)
    member_menu = await menu_of(bot, 602)
    assert "👤 Thông tin của tôi" in member_menu and "📝 Kế hoạch năm" in member_menu
    assert not {"👥 Đảng viên chi bộ", "📣 Gửi thông báo", "📊 Báo cáo"} & set(member_menu)
    committee = await menu_of(bot, 605)
    assert {"👥 Đảng viên chi bộ", "📊 Báo cáo"} <= set(committee)
    assert "📣 Gửi thông báo" not in committee
    secretary = await menu_of(bot, 601)
    assert {"👥 Đảng viên chi bộ", "📣 Gửi thông báo", "📊 Báo cáo"} <= set(secretary)

    stranger = bot.fake.user(699, language_code="vi")
    await stranger.send_text("/menu")
    assert "Gửi /start để bắt đầu" in (await stranger.wait_for_message()).text


async def test_menu_entries_answer_and_refuse(bot: RunningBot) -> None:
    await seed(bot)
    an = bot.fake.user(602, language_code="vi")
    await an.send_text("📅 Sinh hoạt chi bộ")
    coming, _history = await an.wait_for_messages(2)
    assert coming.text == "Đồng chí không có cuộc họp nào sắp tới."
    # A member typing a secretary's label gets the menu again, not the member list.
    await an.send_text("👥 Đảng viên chi bộ")
    reply = await an.wait_for_message()
    assert reply.text == "Tôi chưa hiểu ý đồng chí. Vui lòng dùng menu bên dưới."


async def test_me_shows_escaped_record_only_in_private(bot: RunningBot) -> None:
    await seed(bot)
    an = bot.fake.user(602, language_code="vi")
    await an.send_text("/me")
    record = await an.wait_for_message()
    assert "Họ và tên: Lê &lt;An&gt; &amp; Co" in record.text
    assert "Số điện thoại: 0911 000 002" in record.text
    assert "Chi bộ: Chi bộ Khu phố 1" in record.text

    group = bot.fake.group(-100500, "Chi bộ 1")
    await an.send_text("/me", chat=group)
    reply = await group.wait_for_message()
    assert (
        reply.text
        == "Để bảo vệ thông tin cá nhân, tôi chỉ trả lời trong cuộc trò chuyện riêng với tôi."
    )
    assert "0911" not in reply.text


async def test_secretary_resets_a_link_and_the_member_is_told(bot: RunningBot) -> None:
    ids = await seed(bot)
    an = bot.fake.user(602, language_code="vi")
    son = bot.fake.user(601, language_code="vi")
    await son.send_text("👥 Đảng viên chi bộ")
    page = await son.wait_for_message()
    assert "<b>Chi bộ Khu phố 1</b>: 2/3 đảng viên đã liên kết Telegram" in page.text
    assert "⏳ Phạm Bình" in page.text
    await son.press("🔓 Hủy liên kết: Lê <An> & Co")
    confirm = await son.wait_for_message()
    await son.press("Đồng ý hủy liên kết", message=confirm)
    await bot.fake.wait_until(lambda: "Đã hủy liên kết" in (son.last_message.text or ""))
    assert (await bot.member(ids["an"])).telegram_user_id is None
    told = await an.wait_for_message()
    assert told.text == "Tài khoản Telegram của đồng chí đã được bí thư chi bộ hủy liên kết."
    assert len(await bot.audit("unbind")) == 1


async def test_secretary_makes_an_invite_link(bot: RunningBot) -> None:
    await seed(bot)
    son = bot.fake.user(601, language_code="vi")
    await son.send_text("👥 Đảng viên chi bộ")
    await son.wait_for_message()
    await son.press("🔗 Mời liên kết: Phạm Bình")
    link = await son.wait_for_message()
    assert "https://t.me/chibo_test_bot?start=" in link.text
    code = link.text.rsplit("start=", 1)[1].strip()
    _binh, done = await start_and_agree(bot.fake, 603, f"/start {code}")
    assert "Phạm Bình" in done.text


async def test_deputy_of_committee_picks_among_its_branches(bot: RunningBot) -> None:
    await seed(bot)
    phuong = bot.fake.user(606, language_code="vi")
    await phuong.send_text("👥 Đảng viên chi bộ")
    choose = await phuong.wait_for_message()
    assert choose.buttons() == ["Chi bộ Khu phố 1", "Chi bộ Khu phố 2"]
    await phuong.press("Chi bộ Khu phố 2")
    await bot.fake.wait_until(lambda: "Vũ Dũng" in (phuong.last_message.text or ""))


async def assert_refused(bot: RunningBot, user_id: int, data: str) -> None:
    user = bot.fake.user(user_id, language_code="vi")
    if user.last_message is None:
        await user.send_text("/menu")
        await user.wait_for_message()
    before = len(bot.fake.callback_answers)
    await user.press_data(data)
    await bot.fake.wait_until(lambda: len(bot.fake.callback_answers) > before)
    answer = bot.fake.callback_answers[-1]
    assert answer.text == "Xin lỗi, nút này không dành cho đồng chí hoặc đã hết hiệu lực."
    assert answer.show_alert is True


async def test_forged_and_stale_buttons_are_refused_and_write_nothing(bot: RunningBot) -> None:
    ids = await seed(bot)
    async with bot.db() as session:
        from storage.units import get_unit

        cb2 = await get_unit(session, "CB2")
        assert cb2 is not None
    # A plain member forging the secretary's buttons for their own branch.
    await assert_refused(bot, 602, f"ubok:{ids['son']}")
    await assert_refused(bot, 602, f"mb:{cb2.id - 1}:0")
    # A secretary of CB1 reaching into CB2.
    await assert_refused(bot, 601, f"ubok:{ids['dung']}")
    await assert_refused(bot, 601, f"inv:{ids['dung']}")
    await assert_refused(bot, 601, f"mb:{cb2.id}:0")
    # A committee member may look at CB2 but not reset links there.
    await assert_refused(bot, 605, f"ubok:{ids['dung']}")
    # Garbage, unknown members, stale flows.
    for data in (
        "zzz",
        "ubok:abc",
        "ubok:99999:1",
        "mb:1",
        "consent:maybe",
        "lang:xx",
        "ub:99999999999999999999",
        "mb:-1:0",
        f"ubok:{ids['son']}:1",
    ):
        await assert_refused(bot, 601, data)
    assert (await bot.member(ids["son"])).telegram_user_id == 601
    assert (await bot.member(ids["dung"])).telegram_user_id == 604
    assert await bot.audit("unbind") == []
    assert await bot.audit("invite_created") == []
    assert len(await bot.audit("refused")) == 15


def test_every_menu_entry_leads_to_a_feature() -> None:
    with pytest.raises(ValueError, match=r"menu entries without a feature: .*members"):
        menu_handlers({key: show_help for key in ("me", "help")})
