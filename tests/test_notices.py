"""Notices: compose (surviving a restart), send through the outbox, acknowledge, status,
remind; and every way of reaching someone else's notice refused."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import clock, outbox
from storage.flows import clear_flow, get_flow, save_flow
from storage.models import (
    AttachmentKind,
    Broadcast,
    FlowState,
    Member,
    MemberStatus,
    Notice,
    NoticeReceipt,
    OutboxMessage,
    Role,
    Unit,
)
from storage.notices import add_notice
from tests.factories import member, tree
from tests.fakebot import FakeUser, SentMessage
from tests.harness import RunningBot
from tests.test_menus_and_buttons import assert_refused

NOTICE = (
    "Thông báo: sinh hoạt chi bộ thường kỳ lúc 19:30 ngày 05/12/2025 <tại hội trường> & đúng giờ."
)
SON, AN, CUONG, DAO, DUNG, HA, PHUONG = 601, 602, 603, 604, 611, 612, 613


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def seed(bot: RunningBot) -> dict[str, int]:
    """CB1: secretary Sơn, An, Cường, Đào (linked), Bình (never linked); CB2: Dũng, secretary
    Hà; Phương deputy secretary of the committee HU over both."""
    async with bot.db(settle=False) as session:
        u = await tree(session)
        cb1, cb2 = u["CB1"], u["CB2"]
        ids = {"cb1": cb1.id, "cb2": cb2.id}
        people = [
            ("son", cb1, "Trần Sơn", SON, Role.SECRETARY, None),
            ("an", cb1, "Lê An", AN, None, None),
            ("binh", cb1, "Phạm Bình", None, None, None),
            ("cuong", cb1, "Hoàng <Cường>", CUONG, None, None),
            ("dao", cb1, "Vũ Đào", DAO, None, None),
            ("dung", cb2, "Vũ Dũng", DUNG, None, None),
            ("ha", cb2, "Đỗ Hà", HA, Role.SECRETARY, None),
            ("phuong", cb2, "Ngô Phương", PHUONG, Role.DEPUTY_SECRETARY, u["HU"]),
        ]
        for number, (key, branch, name, telegram_id, role, role_unit) in enumerate(people):
            created = await member(
                session,
                branch,
                name,
                f"09120000{number:02d}",
                telegram_id=telegram_id,
                role=role,
                role_unit=role_unit,
            )
            ids[key] = created.id
            if telegram_id is not None:
                user(bot, telegram_id)  # Telegram knows the chat
    return ids


def user(bot: RunningBot, user_id: int) -> FakeUser:
    return bot.fake.user(user_id, language_code="vi")


def got(bot: RunningBot, user_id: int, text: str | None = NOTICE) -> list[SentMessage]:
    """The notices (with their button: not the secretary's preview) the user received."""
    return [m for m in bot.fake.chat(user_id).messages if m.text == text and m.buttons()]


async def outbox_idle(bot: RunningBot) -> None:
    async def idle() -> bool:
        async with bot.db(settle=False) as session:
            query = select(OutboxMessage.id).where(OutboxMessage.status.in_(outbox.OPEN))
            return await session.scalar(query.limit(1)) is None

    await bot.fake.wait_until(idle, 20)


async def start_notice(bot: RunningBot, secretary: FakeUser) -> SentMessage:
    """The secretary opens the notices menu and starts a new notice; the prompt."""
    await secretary.send_text("📣 Gửi thông báo")
    await secretary.wait_for_message()
    await secretary.press("✍️ Soạn thông báo mới")
    return await secretary.wait_for_message()


async def count(bot: RunningBot, model: type) -> int:
    async with bot.db() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_text_notice_survives_restart_reaches_branch_and_is_acknowledged(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    son = user(bot, SON)
    prompt = await start_notice(bot, son)
    assert "Chi bộ Khu phố 1" in prompt.text and "4096" in prompt.text
    await bot.settle()
    await bot.restart()  # mid-composition: the draft is in the database
    await son.send_text(NOTICE)
    preview, question = await son.wait_for_messages(2)
    assert preview.text == NOTICE and preview.parse_mode is None
    assert "Gửi thông báo này đến 5 đảng viên của Chi bộ Khu phố 1?" in question.text
    assert "Trong đó 1 đồng chí chưa liên kết Telegram" in question.text
    user(bot, CUONG).block()
    await son.press("📤 Gửi", message=question)
    await bot.fake.wait_until(lambda: "đang được gửi đến 4" in (question.text or ""))
    await outbox_idle(bot)

    for member_id in (AN, DAO, SON):
        [notice] = got(bot, member_id)
        assert notice.parse_mode is None and notice.buttons() == ["✅ Đã nhận"]
    assert bot.fake.chat(DUNG).messages == [] and got(bot, CUONG) == []
    async with bot.db() as session:
        [notice_row] = list(await session.scalars(select(Notice)))
        receipts = list(await session.scalars(select(NoticeReceipt)))
        assert await get_flow(session, SON) is None
    assert notice_row.text == NOTICE and notice_row.attachment_kind is None
    assert notice_row.broadcast_id is not None and len(receipts) == 5
    assert [r.outbox_message_id is None for r in receipts].count(True) == 1  # Bình

    an = user(bot, AN)
    [an_notice] = got(bot, AN)
    await an.press("✅ Đã nhận", message=an_notice)
    await bot.fake.wait_until(lambda: an_notice.buttons() != ["✅ Đã nhận"])
    # Date first, as everywhere else: "✅ Đã nhận 01/12/2026 13:14".
    assert re.fullmatch(r"✅ Đã nhận \d\d/\d\d/\d{4} \d\d:\d\d", an_notice.buttons()[0])
    assert bot.fake.callback_answers[-1].text == "Cảm ơn đồng chí, đã ghi nhận xác nhận."
    first_ack = await acknowledged_at(bot, ids["an"])
    await an.press_data(f"nack:{notice_row.id}", message=an_notice)  # again: harmless
    await bot.settle()
    assert await acknowledged_at(bot, ids["an"]) == first_ack is not None

    await son.press("📊 Tình hình nhận", message=question)
    await bot.fake.wait_until(lambda: "Số đảng viên: 5" in (question.text or ""))
    status = question.text or ""
    for line in (
        "Đã gửi đến: 3",
        "Đã xác nhận: 1",
        "đã chặn bot: 1",
        "chưa liên kết Telegram: 1",
        "• Trần Sơn",
        "• Vũ Đào",
        "• Hoàng &lt;Cường&gt;",
        "• Phạm Bình",
        "&lt;tại hội trường&gt;",
    ):
        assert line in status
    assert "Lê An" not in status

    await son.press("🔔 Nhắc nhở (2)", message=question)
    told = await son.wait_for_message()
    assert told.text == "🔔 Đang gửi nhắc nhở đến 2 đảng viên."
    await bot.settle()
    await outbox_idle(bot)
    reminded = {
        m.chat_id for m in bot.fake.sent if (m.text or "").startswith("🔔 Nhắc nhở: đề nghị")
    }
    assert reminded == {SON, DAO}
    [reminder] = [m for m in bot.fake.chat(DAO).messages if m.text != NOTICE]
    assert "sinh hoạt chi bộ thường kỳ" in (reminder.text or "")
    assert reminder.buttons() == ["✅ Đã nhận"]

    await son.press("🔔 Nhắc nhở (2)", message=question)  # pressed twice: nobody gets two
    await bot.fake.wait_until(lambda: "Lời nhắc đã được gửi" in (too_soon(bot) or ""))
    assert re.fullmatch(
        r"Lời nhắc đã được gửi đến các đồng chí này lúc (\d\d:\d\d hôm nay|[\d/]{10} [\d:]{5})\. "
        r"Để không ai nhận hai lần, có thể nhắc lại từ .+\.",
        too_soon(bot) or "",
    )
    await bot.settle()
    await outbox_idle(bot)
    assert len([m for m in bot.fake.chat(DAO).messages if m.text != NOTICE]) == 1


def too_soon(bot: RunningBot) -> str | None:
    """The latest alert answering a button press."""
    answers = bot.fake.callback_answers
    return answers[-1].text if answers else None


async def acknowledged_at(bot: RunningBot, member_id: int) -> datetime | None:
    async with bot.db() as session:
        receipt = await session.scalar(
            select(NoticeReceipt).where(NoticeReceipt.member_id == member_id)
        )
        assert receipt is not None
        return receipt.acknowledged_at


async def test_photo_with_caption_is_sent_by_file_id_and_acknowledged(bot: RunningBot) -> None:
    ids = await seed(bot)
    son = user(bot, SON)
    await start_notice(bot, son)
    await son.send_media("photo", caption="Lịch học nghị quyết tháng 12")
    preview, question = await son.wait_for_messages(2)
    assert preview.kind == "photo" and preview.text == "Lịch học nghị quyết tháng 12"
    await son.press("📤 Gửi", message=question)
    await bot.settle()
    await outbox_idle(bot)
    async with bot.db() as session:
        [notice] = list(await session.scalars(select(Notice)))
    assert notice.attachment_kind == AttachmentKind.PHOTO
    assert notice.attachment_file_id == preview.file_id
    [photo] = [m for m in bot.fake.chat(AN).messages if m.kind == "photo"]
    assert photo.file_id == notice.attachment_file_id
    assert photo.text == "Lịch học nghị quyết tháng 12" and photo.buttons() == ["✅ Đã nhận"]
    await user(bot, AN).press("✅ Đã nhận", message=photo)
    await bot.fake.wait_until(lambda: photo.buttons()[0].startswith("✅ Đã nhận "))
    # A member made inactive since keeps the message, but cannot acknowledge any more.
    async with bot.db() as session:
        dao = await session.get(Member, ids["dao"])
        assert dao is not None
        dao.status = MemberStatus.INACTIVE
    await assert_refused(bot, DAO, f"nack:{notice.id}")
    assert await acknowledged_at(bot, ids["dao"]) is None


async def test_too_long_text_names_the_limit_and_keeps_the_draft(bot: RunningBot) -> None:
    await seed(bot)
    son = user(bot, SON)
    await start_notice(bot, son)
    await son.send_text("A" * 4097)
    reply = await son.wait_for_message()
    assert "4097 ký tự" in reply.text and "tối đa 4096 ký tự" in reply.text
    await son.send_media("document", caption="B" * 1025, file_name="nghi-quyet.pdf")
    reply = await son.wait_for_message()
    assert "tối đa 1024 ký tự" in reply.text
    async with bot.db() as session:
        draft = await get_flow(session, SON)
        assert draft is not None and draft.step == "text"
    await son.send_text("Ngắn gọn")
    preview, _question = await son.wait_for_messages(2)
    assert preview.text == "Ngắn gọn"
    assert await count(bot, Notice) == 0


async def test_committee_deputy_sends_to_all_its_branches(bot: RunningBot) -> None:
    await seed(bot)
    phuong = user(bot, PHUONG)
    choose = await start_notice(bot, phuong)
    assert choose.buttons()[0] == "tất cả các chi bộ thuộc Đảng bộ Phường 1"
    assert {"Chi bộ Khu phố 1", "Chi bộ Khu phố 2"} <= set(choose.buttons())
    await phuong.press("tất cả các chi bộ thuộc Đảng bộ Phường 1")
    await phuong.wait_for_message()
    await phuong.send_text("Họp toàn Đảng bộ")
    _preview, question = await phuong.wait_for_messages(2)
    await phuong.press("📤 Gửi", message=question)
    await bot.settle()
    await outbox_idle(bot)
    for member_id in (SON, AN, DAO, DUNG, HA, PHUONG):
        assert len(got(bot, member_id, "Họp toàn Đảng bộ")) == 1


async def notice_for(bot: RunningBot, unit_id: int, member_ids: list[int]) -> int:
    """A notice stored directly (no messages): for forged-button tests."""
    async with bot.db(settle=False) as session:
        notice = await add_notice(session, unit_id, None, "Nội bộ chi bộ")
        session.add(Broadcast(kind="notice", unit_id=unit_id))
        session.add_all(NoticeReceipt(notice_id=notice.id, member_id=m) for m in member_ids)
        return notice.id


async def test_plain_member_cannot_reach_the_flow(bot: RunningBot) -> None:
    ids = await seed(bot)
    notice_id = await notice_for(bot, ids["cb1"], [ids["an"]])
    an = user(bot, AN)
    await an.send_text("/menu")
    assert "📣 Gửi thông báo" not in (await an.wait_for_message()).keyboard()
    await an.send_text("📣 Gửi thông báo")
    assert "Tôi chưa hiểu" in (await an.wait_for_message()).text
    for data in (
        "nnew",
        f"na:{ids['cb1']}",
        "nsend",
        "nlist",
        f"nst:{notice_id}",
        f"nrm:{notice_id}",
    ):
        await assert_refused(bot, AN, data)
    assert await count(bot, FlowState) == 0
    assert await count(bot, Notice) == 1 and await count(bot, Broadcast) == 1
    assert len(await bot.audit("refused")) == 6


async def test_secretary_cannot_reach_another_branchs_notice(bot: RunningBot) -> None:
    ids = await seed(bot)
    notice_id = await notice_for(bot, ids["cb2"], [ids["dung"]])
    for data in (f"nst:{notice_id}", f"nrm:{notice_id}", f"na:{ids['cb2']}", "nst:99999999"):
        await assert_refused(bot, SON, data)
    assert await count(bot, Broadcast) == 1 and await count(bot, FlowState) == 0
    await assert_refused(bot, DUNG, "nsend")  # no draft: a stale button


async def test_member_cannot_acknowledge_a_notice_not_sent_to_them(bot: RunningBot) -> None:
    ids = await seed(bot)
    notice_id = await notice_for(bot, ids["cb1"], [ids["an"]])  # never sent: no outbox row
    await assert_refused(bot, DUNG, f"nack:{notice_id}")
    await assert_refused(bot, AN, f"nack:{notice_id}")
    await assert_refused(bot, AN, "nack:abc")
    async with bot.db() as session:
        receipts = list(await session.scalars(select(NoticeReceipt)))
    assert [r.acknowledged_at for r in receipts] == [None]


async def test_flow_states_are_saved_per_flow_and_cleared_one_by_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = clock.now()
    async with sessions() as session, session.begin():
        await save_flow(session, 7, "notice", "text", {"unit_id": 1}, now)
    async with sessions() as session, session.begin():
        state = await get_flow(session, 7)
        assert state is not None and (state.flow, state.step, state.data) == (
            "notice",
            "text",
            {"unit_id": 1},
        )
        assert await get_flow(session, 7, "survey") is None
        await save_flow(session, 7, "notice", "preview", {"unit_id": 1, "text": "x"}, now)
    async with sessions() as session, session.begin():
        state = await get_flow(session, 7)
        assert state is not None and state.step == "preview" and state.data["text"] == "x"
        later = now + timedelta(seconds=1)
        await save_flow(session, 7, "meeting_absence", "reason", {"meeting_id": 3}, later)
    async with sessions() as session, session.begin():
        latest = await get_flow(session, 7)  # typed input goes to the draft touched last
        assert latest is not None and latest.flow == "meeting_absence"
        notice = await get_flow(session, 7, "notice")
        assert notice is not None and notice.data["text"] == "x"  # a side question keeps it
        await clear_flow(session, 7, "meeting_absence")
    async with sessions() as session, session.begin():
        state = await get_flow(session, 7)
        assert state is not None and state.flow == "notice"
        await clear_flow(session, 7, "notice")
    async with sessions() as session, session.begin():
        assert await get_flow(session, 7) is None


async def test_a_long_list_of_the_status_pages_on_to_every_name(bot: RunningBot) -> None:
    """75 never linked: the status names the first 60 and offers page 2; page 2 names the
    rest, numbered on; ◀ goes back; a page past the end shows the last one."""
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        branch = await session.get(Unit, ids["cb1"])
        assert branch is not None
        for n in range(70):
            await member(session, branch, f"Người Thứ {n:02d}", f"0913{n:06d}")
        cb1 = list(await session.scalars(select(Member.id).where(Member.branch_id == branch.id)))
    notice_id = await notice_for(bot, ids["cb1"], cb1)  # no outbox rows: never linked
    son = user(bot, SON)
    await son.send_text("/menu")
    status = await son.wait_for_message()  # the status is shown in its place
    await son.press_data(f"nst:{notice_id}", message=status)
    await bot.fake.wait_until(lambda: "Số đảng viên: 75" in (status.text or ""))
    text = status.text or ""
    assert text.count("• ") == 60 and "… và 15 đồng chí khác" in text
    assert "▶ Chưa liên kết: trang 2" in status.buttons()

    await son.press("▶ Chưa liên kết: trang 2", message=status)
    await bot.fake.wait_until(lambda: "(trang 2/2)" in (status.text or ""))
    page = status.text or ""
    assert "<b>Chưa liên kết Telegram:</b> 75 (trang 2/2)" in page
    assert re.search(r"^61\. ", page, re.M) and re.search(r"^75\. ", page, re.M)
    assert not re.search(r"^60\. ", page, re.M)
    assert status.buttons() == ["◀ Trang 1", "↩️ Quay lại tình hình nhận"]

    await son.press("◀ Trang 1", message=status)
    await bot.fake.wait_until(lambda: "(trang 1/2)" in (status.text or ""))
    assert re.search(r"^1\. ", status.text or "", re.M)
    assert status.buttons() == ["Trang 2 ▶", "↩️ Quay lại tình hình nhận"]

    await son.press_data(f"nsl:{notice_id}:2:9", message=status)  # past the end
    await bot.fake.wait_until(lambda: "(trang 2/2)" in (status.text or ""))
    await son.press("↩️ Quay lại tình hình nhận", message=status)
    await bot.fake.wait_until(lambda: "Số đảng viên: 75" in (status.text or ""))


async def test_the_pages_of_a_status_are_refused_to_whoever_may_not_see_it(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    notice_id = await notice_for(bot, ids["cb1"], [ids["an"], ids["binh"]])
    await assert_refused(bot, AN, f"nsl:{notice_id}:2:0")  # a plain member
    await assert_refused(bot, HA, f"nsl:{notice_id}:2:0")  # another branch's secretary
    await assert_refused(bot, SON, f"nsl:{notice_id}:7:0")  # no such list
    await assert_refused(bot, SON, "nsl:99999999:0:0")  # no such notice
    await assert_refused(bot, SON, f"nsl:{notice_id}:0:-1")  # no such page
    assert len(await bot.audit("refused")) == 5
