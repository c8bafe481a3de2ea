"""Races of "read, then write" checks (issue 10, point 3): two presses handled at the same
time in two transactions, as concurrent lanes or two instances handle them. On PostgreSQL
they really overlap (row locks make the second wait); on SQLite one writer at a time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import audit, clock
from storage.db import transaction
from storage.flows import save_flow
from storage.invites import create_invite
from storage.models import (
    Broadcast,
    FlowState,
    InviteCode,
    Meeting,
    MeetingAnswer,
    MeetingInvite,
    Member,
    Notice,
    NoticeReceipt,
    Survey,
    SurveyParticipation,
    SurveyResponse,
)
from storage.survey_questions import Kind, Question
from tests.factories import member, tree
from tests.fakebot import SentMessage
from tests.harness import RunningBot
from tests.race_helpers import handle_at_once, quiet_bot
from tests.survey_helpers import AN as SURVEY_MEMBER
from tests.survey_helpers import answer_press, invitation, make_survey
from tests.survey_helpers import seed as seed_survey
from tests.test_notices import AN, NOTICE, SON, seed, start_notice, user
from tests.test_onboarding import seed_member

GONE = "Bản nháp này đã được gửi hoặc đã hủy; không có gì được gửi lại."
APOLOGY = "Xin lỗi"


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def count(bot: RunningBot, model: type) -> int:
    async with bot.db(settle=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def alerts(bot: RunningBot) -> list[str | None]:
    return [answer.text for answer in bot.fake.callback_answers]


def apologies(bot: RunningBot, user_id: int) -> list[str]:
    chat = bot.fake.chat(user_id)
    return [m.text for m in chat.messages if (m.text or "").startswith(APOLOGY)]


async def test_send_pressed_twice_at_once_sends_the_notice_once(bot: RunningBot) -> None:
    await seed(bot)
    son = user(bot, SON)
    await start_notice(bot, son)
    await son.send_text(NOTICE)
    _preview, question = await son.wait_for_messages(2)
    async with quiet_bot(bot) as chibo:
        presses = [await son.press("📤 Gửi", message=question) for _ in range(2)]
        await handle_at_once(chibo, bot, presses)
    assert await count(bot, Notice) == 1
    assert await count(bot, Broadcast) == 1
    assert GONE in alerts(bot)  # the second press is told plainly
    assert not apologies(bot, SON)


async def meeting_preview(bot: RunningBot) -> SentMessage:
    """Sơn composes a meeting of CB1 for everyone, up to its preview."""
    son = user(bot, SON)
    await son.send_text("📅 Sinh hoạt chi bộ")
    await son.wait_for_messages(3)
    await son.press("➕ Tạo cuộc họp")
    await son.wait_for_message()
    await son.press("Sinh hoạt chi bộ thường kỳ")
    await son.wait_for_message()
    when = (clock.now() + timedelta(days=3)).strftime("%d/%m/%Y 19:30")
    for text in (when, "Hội trường khu phố 1", "Tổng kết năm"):
        await son.send_text(text)
        await son.wait_for_message()
    await son.press("Toàn thể đảng viên")
    return await son.wait_for_message()


async def test_send_pressed_twice_at_once_invites_to_the_meeting_once(bot: RunningBot) -> None:
    await seed(bot)
    preview = await meeting_preview(bot)
    son = user(bot, SON)
    async with quiet_bot(bot) as chibo:
        presses = [await son.press("📤 Gửi giấy mời", message=preview) for _ in range(2)]
        await handle_at_once(chibo, bot, presses)
    assert await count(bot, Meeting) == 1
    assert await count(bot, Broadcast) == 1
    assert GONE in alerts(bot)
    assert not apologies(bot, SON)


async def test_a_member_answering_from_two_phones_at_once_keeps_one_answer(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    preview = await meeting_preview(bot)
    await user(bot, SON).press("📤 Gửi giấy mời", message=preview)
    an = user(bot, AN)
    invitation = await an.wait_for_message(timeout=10)
    async with quiet_bot(bot) as chibo:
        presses = [await an.press("❌ Tôi vắng mặt", message=invitation) for _ in range(2)]
        await handle_at_once(chibo, bot, presses)
    assert not apologies(bot, AN)  # neither press failed
    questions = [m for m in an.messages if "lý do vắng mặt" in (m.text or "")]
    assert len(questions) == 2  # each phone is asked for the reason
    async with bot.db(settle=False) as session:
        drafts = await session.scalar(select(func.count()).select_from(FlowState))
        assert drafts == 1
    async with quiet_bot(bot) as chibo:
        reasons = [await an.send_text(text) for text in ("Ốm", "Đi công tác")]
        await handle_at_once(chibo, bot, reasons)
    # The secretary reads the reason, so each phone is shown it back first: both send.
    shown = [m for m in an.messages if "✅ Gửi" in m.buttons()]
    assert shown
    async with quiet_bot(bot) as chibo:
        sends = [await an.press("✅ Gửi", message=message) for message in shown]
        await handle_at_once(chibo, bot, sends)
    async with bot.db(settle=False) as session:
        [invite] = await session.scalars(
            select(MeetingInvite).where(MeetingInvite.member_id == ids["an"])
        )
        # One answer (one row): the later reason, if it still found the question open.
        assert invite.answer == MeetingAnswer.ABSENT and invite.reason in ("Ốm", "Đi công tác")
        assert await session.scalar(select(func.count()).select_from(FlowState)) == 0
    assert not apologies(bot, AN)


async def test_launch_pressed_twice_at_once_sends_the_survey_once(bot: RunningBot) -> None:
    ids = await seed_survey(bot)
    from tests.survey_helpers import SON as SURVEY_SECRETARY

    question = Question("Buổi nào thuận tiện?", Kind.SINGLE, options=("Sáng", "Chiều"))
    data = {
        "unit_id": ids["cb1"],
        "title": "Góp ý sinh hoạt",
        "questions": [question.to_json()],
        "anonymous": False,
    }
    async with bot.db(settle=False) as session:
        now = clock.now()
        await save_flow(session, SURVEY_SECRETARY, "survey_new", "preview", data, now)
    secretary = bot.fake.user(SURVEY_SECRETARY)
    await secretary.send_text("/menu")  # a message of the bot's to press on
    await secretary.wait_for_message()
    async with quiet_bot(bot) as chibo:
        presses = [await secretary.press_data("swgo") for _ in range(2)]
        await handle_at_once(chibo, bot, presses)
    assert await count(bot, Survey) == 1
    assert await count(bot, Broadcast) == 1
    assert GONE in alerts(bot)
    assert not apologies(bot, SURVEY_SECRETARY)


async def test_received_pressed_twice_at_once_acknowledges_once(bot: RunningBot) -> None:
    ids = await seed(bot)
    son, an = user(bot, SON), user(bot, AN)
    await start_notice(bot, son)
    await son.send_text(NOTICE)
    _preview, question = await son.wait_for_messages(2)
    await son.press("📤 Gửi", message=question)
    delivered = await an.wait_for_message(timeout=10)
    assert delivered.text == NOTICE
    async with quiet_bot(bot) as chibo:
        presses = [await an.press("✅ Đã nhận", message=delivered) for _ in range(2)]
        await handle_at_once(chibo, bot, presses)
    async with bot.db(settle=False) as session:
        assert len(await audit.entries(session, "notice_acknowledged")) == 1
        receipt = await session.scalar(
            select(NoticeReceipt).where(NoticeReceipt.member_id == ids["an"])
        )
        assert receipt is not None and receipt.acknowledged_at is not None
    thanks = "Cảm ơn đồng chí, đã ghi nhận xác nhận."
    assert alerts(bot).count(thanks) == 2  # both presses answered
    assert not apologies(bot, AN)


async def test_a_survey_submitted_from_two_phones_at_once_is_stored_once(
    bot: RunningBot,
) -> None:
    ids = await seed_survey(bot)
    questions = [Question("Có dự đủ không?", Kind.YESNO)]
    await make_survey(bot, ids, questions)
    member = bot.fake.user(SURVEY_MEMBER)
    await invitation(bot, SURVEY_MEMBER)
    await answer_press(bot, member, "✍️ Trả lời")
    review = await answer_press(bot, member, "Có")
    async with quiet_bot(bot) as chibo:
        presses = [await member.press("✅ Gửi phiếu", message=review) for _ in range(2)]
        await handle_at_once(chibo, bot, presses)
    assert await count(bot, SurveyParticipation) == 1
    assert await count(bot, SurveyResponse) == 1
    already = "Đồng chí đã trả lời phiếu khảo sát này; câu trả lời không thể thay đổi."
    assert already in alerts(bot)
    assert not apologies(bot, SURVEY_MEMBER)


async def test_one_invite_link_redeemed_by_two_people_at_once_binds_one(
    bot: RunningBot,
) -> None:
    member_id = await seed_member(bot)
    async with bot.db(settle=False) as session:
        target = await session.get(Member, member_id)
        assert target is not None
        code = (await create_invite(session, target, clock.now(), timedelta(days=3))).code
    people = [bot.fake.user(user_id, language_code="vi") for user_id in (508, 509)]
    for person in people:  # a forwarded link: both open it
        await person.send_text(f"/start {code}")
        await person.wait_for_message()
    async with quiet_bot(bot) as chibo:
        presses = [await person.press("✅ Tôi đồng ý") for person in people]
        await handle_at_once(chibo, bot, presses)
    async with bot.db(settle=False) as session:
        bound = await session.get(Member, member_id)
        assert bound is not None and bound.telegram_user_id in (508, 509)
        assert len(await audit.entries(session, "bind")) == 1
    loser = people[1] if bound.telegram_user_id == 508 else people[0]
    told = [m.text or "" for m in loser.messages]
    assert any(
        "đã được liên kết với một tài khoản Telegram khác" in text
        or text.startswith("Liên kết mời đã được sử dụng.")
        for text in told
    )
    assert not any(text.startswith(APOLOGY) for text in told)


async def test_two_invite_links_made_at_once_leave_one_live(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        target = await member(session, (await tree(session))["CB1"], "Lê An", "0912345678")
    first_made = asyncio.Event()

    async def make(hold: bool) -> None:
        async with transaction(sessions) as session:
            found = await session.get(Member, target.id)
            assert found is not None
            await create_invite(session, found, clock.now(), timedelta(days=3))
            if hold:  # the other secretary makes hers meanwhile
                first_made.set()
                await asyncio.sleep(0.3)

    first = asyncio.create_task(make(hold=True))
    await first_made.wait()
    await asyncio.gather(first, make(hold=False))
    async with transaction(sessions) as session:
        live = select(func.count()).where(
            InviteCode.member_id == target.id, InviteCode.revoked_at.is_(None)
        )
        assert await session.scalar(live) == 1
