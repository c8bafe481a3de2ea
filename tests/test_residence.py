"""Residence ties, as members and secretaries live them: register (searching the branch
without tone marks), the residence secretary confirms or declines, the yearly comment; in
Vietnamese and in English."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage import clock
from storage.flows import get_flow
from storage.models import ResidenceActivity, ResidenceComment, ResidenceTie, TieStatus
from storage.residence_comments import comment_of
from tests.fakebot import FakeBotApi, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.residence_seed import AN, DUNG, LAN, SON, TAM, residence_bot, seed, user

TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # the bot's default TIME_ZONE

ADDRESS = "Số 12\u200b ngõ 5, đường Trần Phú\x07\nTổ 3"


@pytest.fixture
async def bot(fake: FakeBotApi, database_url: str) -> AsyncIterator[RunningBot]:
    async with residence_bot(fake, database_url) as running:
        yield running


async def open_residence(person: FakeUser, label: str = "🏠 Sinh hoạt nơi cư trú") -> SentMessage:
    await person.send_text(label)
    return await person.wait_for_message()


async def answer(person: FakeUser, text: str) -> SentMessage:
    await person.send_text(text)
    return await person.wait_for_message()


async def press(person: FakeUser, label: str) -> SentMessage:
    await person.press(label)
    return await person.wait_for_message()


async def ties_of(bot: RunningBot, member_id: int) -> list[ResidenceTie]:
    async with bot.db() as session:
        query = select(ResidenceTie).where(ResidenceTie.member_id == member_id)
        return list(await session.scalars(query.order_by(ResidenceTie.id)))


async def test_member_registers_secretary_confirms_and_comments_in_vietnamese(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    an = user(bot, AN)
    hub = await open_residence(an)
    assert "Đồng chí chưa đăng ký sinh hoạt nơi cư trú." in hub.text
    prompt = await press(an, "📝 Đăng ký nơi cư trú")
    assert "tối đa 300 ký tự" in prompt.text
    too_long = await answer(an, "A" * 301)
    assert "dài 301 ký tự" in too_long.text and "tối đa 300 ký tự" in too_long.text
    await answer(an, ADDRESS)
    await answer(an, "Phường Đồng Tâm, Tỉnh Lâm Đồng")
    found = await answer(an, "dong TAM")  # no tone marks, any case
    assert found.buttons() == ["Chi bộ Khu dân cư Đồng Tâm", "Chưa có trong bot"]
    await press(an, "Chi bộ Khu dân cư Đồng Tâm")
    await answer(an, "15-GGT/ĐU")
    preview = await answer(an, "05/01/2026")
    assert "Địa chỉ: Số 12 ngõ 5, đường Trần Phú\nTổ 3" in preview.text
    assert "Xã/phường, tỉnh/thành phố: Phường Đồng Tâm, Tỉnh Lâm Đồng" in preview.text
    assert "Giấy giới thiệu: số 15-GGT/ĐU ngày 05/01/2026" in preview.text
    await an.press("💾 Lưu")
    await bot.fake.wait_until(lambda: "Bí thư chi bộ nơi cư trú đã được đề nghị" in preview.text)

    tam = user(bot, TAM)
    ask = await tam.wait_for_message(timeout=10)
    assert "Đồng chí <b>Lê &lt;An&gt;</b> (Chi bộ Khu phố 1) đã đăng ký" in ask.text
    assert ask.buttons() == ["✅ Xác nhận", "❌ Không xác nhận"]
    [tie] = await ties_of(bot, ids["an"])
    assert tie.status == TieStatus.PENDING and tie.address == "Số 12 ngõ 5, đường Trần Phú\nTổ 3"
    await tam.press("✅ Xác nhận", message=ask)
    told = await an.wait_for_message(timeout=10)
    assert "Chi bộ Khu dân cư Đồng Tâm đã trả lời" in told.text
    assert "✅ chi bộ nơi cư trú đã xác nhận" in told.text
    await tam.press_data(f"rok:{tie.id}", message=ask)  # again: already answered, no change
    await bot.fake.wait_until(
        lambda: "đã được trả lời" in (bot.fake.callback_answers[-1].text or "")
    )

    await record_activity(bot, an, tam)
    await write_comment(bot, tam, "Lê <An>", "Tích cực, gương mẫu.", ("Có", "Có", "Không"))
    async with bot.db() as session:
        comment = await comment_of(session, ids["an"], clock.today(bot.settings.tz).year)
    assert comment is not None and comment.comment == "Tích cực, gương mẫu."
    assert (comment.takes_part, comment.sets_example, comment.keeps_contact) == (
        True,
        True,
        False,
    )

    await tam.press_data(f"rcm:{tie.id}")  # a sent comment is final
    await bot.fake.wait_until(
        lambda: "không sửa được" in (bot.fake.callback_answers[-1].text or "")
    )

    son = user(bot, SON)
    await son.send_text("🏠 Sinh hoạt nơi cư trú")
    _own, overview = await son.wait_for_messages(2)
    await son.press("📊 Cư trú của các chi bộ", message=overview)
    await bot.fake.wait_until(lambda: "Đảng viên đang công tác" in (overview.text or ""))
    assert "Đảng viên đang công tác: 5 · đã đăng ký: 1 · đã xác nhận: 1" in (overview.text or "")
    assert "Nhận xét hằng năm đã nhận: 1" in (overview.text or "")
    # One activity confirmed (this year or, on 1 January, last year): below the expected two.
    assert "Đảng viên có dưới 2 hoạt động ở nơi cư trú được xác nhận trong năm: 1" in (
        overview.text or ""
    )
    assert "Chi bộ Khu phố 2" not in (overview.text or "")  # Sơn leads CB1 only
    await son.press("Chi bộ Khu phố 1", message=overview)
    await bot.fake.wait_until(lambda: "📄 Đọc nhận xét (1)" in overview.buttons())
    assert "• Lê &lt;An&gt;: ✅ chi bộ nơi cư trú đã xác nhận\n  ❗ hoạt động được xác nhận: " in (
        overview.text or ""
    )
    assert (
        "nhận xét (tham gia sinh hoạt: có; gương mẫu: có; giữ liên hệ với nhân dân: không): "
        "Tích cực, gương mẫu." in (overview.text or "")
    )
    full = await press(son, "📄 Đọc nhận xét (1)")
    assert "Nhận xét của chi bộ nơi cư trú năm" in full.text and "Lê &lt;An&gt;" in full.text
    assert "Giữ mối liên hệ với nhân dân: không" in full.text


async def record_activity(bot: RunningBot, member: FakeUser, host: FakeUser) -> None:
    """The member records a residence activity; the host confirms it from the message."""
    hub = await open_residence(member)
    assert "Hoạt động ở nơi cư trú năm" in hub.text and "đã ghi 0" in hub.text
    assert "(yêu cầu: ít nhất 2 lần một năm)" in hub.text
    await press(member, "➕ Ghi hoạt động nơi cư trú")
    future = await answer(member, "01/01/2999")
    assert "không ở tương lai" in future.text
    yesterday = (clock.today(TZ) - timedelta(days=1)).strftime("%d/%m/%Y")
    await answer(member, yesterday)
    done = await answer(member, "Họp chi bộ khu dân cư <quý 4>")
    assert done.text == (
        "Đã ghi nhận. Bí thư chi bộ nơi cư trú có thể xác nhận.\n"
        "💾 Đã lưu hoạt động: «Họp chi bộ khu dân cư &lt;quý 4&gt;»"
    )
    ask = await host.wait_for_message(timeout=10)
    assert "Họp chi bộ khu dân cư &lt;quý 4&gt;" in ask.text
    # The ask may be lost far up the chat: the residence menu lists what waits.
    await host.send_text("🏠 Sinh hoạt nơi cư trú")
    _own, tasks = await host.wait_for_messages(2)
    assert "Hoạt động chờ đồng chí xác nhận: 1" in tasks.text
    listed = await press(host, "🤝 Hoạt động chờ xác nhận (1)")
    assert listed.text == ask.text and listed.buttons() == ["✅ Xác nhận tham gia"]
    await host.press("✅ Xác nhận tham gia", message=listed)
    await bot.fake.wait_until(lambda: listed.buttons()[0].startswith("✅ Đã xác nhận ngày"))
    await host.press("🤝 Hoạt động chờ xác nhận (1)", message=tasks)  # an old list button
    assert (await host.wait_for_message()).text == "Không có hoạt động nào chờ đồng chí xác nhận."
    async with bot.db() as session:
        [activity] = list(await session.scalars(select(ResidenceActivity)))
    assert activity.confirmed_at is not None and activity.what == "Họp chi bộ khu dân cư <quý 4>"


async def write_comment(
    bot: RunningBot, host: FakeUser, name: str, text: str, answers: tuple[str, str, str]
) -> None:
    """The host opens the residence menu, picks the member, answers, writes, sends."""
    await host.send_text(
        "🏠 Sinh hoạt nơi cư trú" if host.language_code == "vi" else "🏠 Residence ties"
    )
    await host.wait_for_messages(2)  # their own part, then the tasks
    vi = host.language_code == "vi"
    listed = await press(host, "✍️ Nhận xét cần viết (1)" if vi else "✍️ Comments to write (1)")
    [label] = [b for b in listed.buttons() if b.startswith(name)]
    await press(host, label)
    for reply in answers:
        await press(host, reply)
    preview = await answer(host, text)
    assert ("không sửa được" if vi else "cannot be changed") in preview.text
    await host.press("📤 Gửi" if vi else "📤 Send", message=preview)
    await bot.fake.wait_until(lambda: "📤" in (preview.text or "") and not preview.buttons()[1:])


async def test_declined_then_registered_again_and_commented_in_english(bot: RunningBot) -> None:
    ids = await seed(bot)
    dung = user(bot, DUNG)
    hub = await open_residence(dung, "🏠 Residence ties")
    assert "You have not registered your residence tie yet." in hub.text
    await press(dung, "📝 Register my residence")
    await answer(dung, "7 Lê Lợi street")
    await press(dung, "⏭ Skip")
    await answer(dung, "hoa binh")
    await press(dung, "Chi bộ Tổ dân phố Hòa Bình")
    preview = await press(dung, "⏭ Skip")  # no letter yet: its date is skipped too
    assert "Introduction letter: No. — of —" in preview.text
    await dung.press("💾 Save", message=preview)
    lan = user(bot, LAN)
    ask = await lan.wait_for_message(timeout=10)
    assert "<b>Vũ Dũng</b> (Chi bộ Khu phố 2) has registered a residence tie" in ask.text
    await lan.press("❌ Decline", message=ask)
    why = await lan.wait_for_message()
    assert "the member will read it" in why.text
    shown = await answer(lan, "Không có tên trong sổ hộ khẩu <tổ 3>")  # the member reads it
    assert shown.buttons() == ["✅ Send", "✏️ Edit", "❌ Cancel"]
    assert "«Không có tên trong sổ hộ khẩu &lt;tổ 3&gt;»" in (shown.text or "")
    done = await press(lan, "✅ Send")
    assert done.text == "Declined. The member is told your reason."
    told = await dung.wait_for_message(timeout=10)
    assert "❌ declined by the residence branch" in told.text
    assert "Reason given: Không có tên trong sổ hộ khẩu &lt;tổ 3&gt;" in told.text

    hub = await open_residence(dung, "🏠 Residence ties")
    assert "📝 Register again" in hub.buttons()
    await press(dung, "📝 Register again")
    await answer(dung, "9 Hai Bà Trưng")
    await press(dung, "⏭ Skip")
    await answer(dung, "Hòa Bình")
    await press(dung, "Chi bộ Tổ dân phố Hòa Bình")
    await answer(dung, "3-GGT")
    preview = await answer(dung, "02/02/2026")
    assert "Introduction letter: No. 3-GGT of 02/02/2026" in preview.text
    await dung.press("💾 Save", message=preview)
    ask = await lan.wait_for_message(timeout=10)
    await lan.press("✅ Confirm", message=ask)
    await dung.wait_for_message(timeout=10)
    old, new = await ties_of(bot, ids["dung"])
    assert old.ended_at is not None and old.status == TieStatus.DECLINED
    assert new.ended_at is None and new.status == TieStatus.CONFIRMED

    await dung.press("📜 History", message=hub)
    await bot.fake.wait_until(lambda: "newest first" in (hub.text or ""))
    assert (hub.text or "").index("9 Hai Bà Trưng") < (hub.text or "").index("7 Lê Lợi street")

    await write_comment(bot, lan, "Vũ Dũng", "Takes part actively.", ("Yes", "Yes", "Yes"))
    async with bot.db() as session:
        [comment] = list(await session.scalars(select(ResidenceComment)))
        assert await get_flow(session, LAN) is None
    assert comment.member_id == ids["dung"] and comment.residence_branch_id == ids["r2"]
