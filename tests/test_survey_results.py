"""What the committee sees after sending a survey: who answered, anonymous results hidden
below the threshold, results with a chart, and reminders that reach only non-respondents."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storage import clock
from storage.members import touch_account
from storage.models import InboxUpdate, Member, SurveyResponse
from storage.survey_questions import Kind, Question
from storage.surveys import get_survey, submit
from tests.fakebot import SentMessage
from tests.harness import RunningBot
from tests.survey_helpers import (
    AN,
    BINH,
    CUONG,
    DAO,
    EM,
    GIANG,
    SON,
    answer_press,
    invitation,
    last_alert,
    make_survey,
    seed,
)
from tests.test_notices import outbox_idle


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


QUESTIONS = [
    Question("Có dự đủ không?", Kind.YESNO),
    Question("Buổi nào?", Kind.SINGLE, options=("Sáng", "Chiều")),
    Question("Góp ý?", Kind.TEXT, required=False),
]


async def answered_by(bot: RunningBot, survey_id: int, member_ids: list[int]) -> None:
    """Submissions made straight through storage, as the bot would make them."""
    async with bot.db(settle=False) as session:
        survey = await get_survey(session, survey_id)
        assert survey is not None
        for number, member_id in enumerate(member_ids):
            answers = {"0": number % 2 == 0, "1": 0, "2": f"Ý kiến số {number + 1}"}
            await submit(session, survey, member_id, answers, clock.now())


async def open_card(bot: RunningBot, title: str) -> SentMessage:
    """The secretary opens 🗳 → 📋 Surveys sent → the survey; the status message."""
    son = bot.fake.user(SON)
    chat = bot.fake.chat(SON)
    await son.send_text("🗳 Khảo sát")
    # The invitation and its delivery report may arrive around the menu: find the menu.
    await bot.fake.wait_until(lambda: any("svlist" in str(m.reply_markup) for m in chat.messages))
    listing = next(m for m in chat.messages if "svlist" in str(m.reply_markup))
    await son.press("📋 Phiếu đã gửi", message=listing)
    await bot.settle()
    label = next(b for b in listing.buttons() if b.endswith(title))
    await son.press(label, message=listing)
    await bot.settle()
    return listing  # edited into the status


async def test_anonymous_results_stay_hidden_below_the_threshold_then_come_with_a_chart(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    survey_id = await make_survey(bot, ids, QUESTIONS, anonymous=True, title="Phiếu kín")
    await answered_by(bot, survey_id, [ids["an"], ids["binh"], ids["dao"], ids["em"]])
    card = await open_card(bot, "Phiếu kín")
    assert "Đã trả lời: 4/8" in (card.text or "")
    assert "Chưa trả lời: 4 (phiếu ẩn danh: không hiện tên)" in (card.text or "")
    assert "Giang" not in (card.text or "") and "Hải" not in (card.text or "")
    son = bot.fake.user(SON)
    await son.press("📊 Kết quả", message=card)
    await bot.settle()
    assert last_alert(bot) == (
        "Phiếu khảo sát ẩn danh: kết quả chỉ hiển thị khi có ít nhất 5 đồng chí trả lời, "
        "để không ai bị nhận diện. Hiện có 4 đồng chí đã trả lời."
    )
    giang = bot.fake.user(GIANG)
    await invitation(bot, GIANG)
    giang.mark_action()
    await answer_press(bot, giang, "✍️ Trả lời")
    await answer_press(bot, giang, "Có")
    await answer_press(bot, giang, "Chiều")
    await giang.send_text("Ý kiến riêng của Giang")
    review = await giang.wait_for_message()
    await giang.press("✅ Gửi phiếu", message=review)
    await bot.settle()
    async with bot.db() as session:
        payloads = [json.dumps(p, ensure_ascii=False) for p in await session.scalars(
            select(InboxUpdate.payload))]  # fmt: skip
    # The inbox kept the handled updates, but not what Giang answered.
    assert not any("Ý kiến riêng" in p for p in payloads)
    assert not any(f'"data": "sa:{survey_id}:' in p for p in payloads)
    assert sum(p == '{"redacted": true}' for p in payloads) >= 4
    await son.press("📊 Kết quả", message=card)
    chat = bot.fake.chat(SON)
    # Other messages (the invitation's delivery report) may arrive in between.
    await bot.fake.wait_until(lambda: any(m.kind == "photo" for m in chat.messages), 10)
    results = next(m for m in chat.messages if "Số người trả lời" in (m.text or ""))
    chart = next(m for m in chat.messages if m.kind == "photo")
    assert "Số người trả lời: 5" in (results.text or "")
    assert "• Có: 3 (60%)" in (results.text or "") and "• Không: 2 (40%)" in (results.text or "")
    assert "• Sáng: 4 (80%)" in (results.text or "") and "• Chiều: 1 (20%)" in (results.text or "")
    assert "— Ý kiến số 4" in (results.text or "") and "— Ý kiến riêng của Giang" in (
        results.text or ""
    )
    assert chart.kind == "photo" and (chart.file_bytes or b"").startswith(b"\x89PNG")
    async with bot.db() as session:
        responses = list(await session.scalars(select(SurveyResponse)))
    assert len(responses) == 5 and all(r.member_id is None for r in responses)


async def test_reminders_reach_only_those_who_have_not_answered(bot: RunningBot) -> None:
    ids = await seed(bot)
    survey_id = await make_survey(bot, ids, QUESTIONS, title="Phiếu ghi danh")
    for user_id in (AN, BINH, CUONG, DAO, EM, GIANG):
        await invitation(bot, user_id)
    await answered_by(bot, survey_id, [ids["an"], ids["binh"]])
    card = await open_card(bot, "Phiếu ghi danh")
    text = card.text or ""
    assert "Đã trả lời: 2/8" in text and "Chưa trả lời:" in text
    for name in ("Hoàng Cường", "Vũ Đào", "Lý Hải", "Trần Sơn"):
        assert f"• {name}" in text
    assert "Lê An" not in text and "Phạm Bình" not in text
    son = bot.fake.user(SON)
    await son.press("🔔 Nhắc nhở (5)", message=card)
    await bot.settle()
    assert last_alert(bot) == "🔔 Đã gửi nhắc nhở đến 5 đồng chí."

    def reminders(user_id: int) -> list[SentMessage]:
        return [m for m in bot.fake.chat(user_id).messages if (m.text or "").startswith("🔔")]

    await bot.fake.wait_until(lambda: all(reminders(u) for u in (CUONG, DAO, EM, GIANG, SON)), 10)
    assert reminders(AN) == [] and reminders(BINH) == []
    assert (reminders(CUONG)[0].text or "").startswith("🔔 Reminder: please answer the survey")
    assert (reminders(DAO)[0].text or "").startswith("🔔 Nhắc nhở: đề nghị đồng chí trả lời")
    assert "sva:" in str(reminders(DAO)[0].reply_markup)
    await son.press("🔔 Nhắc nhở (5)", message=card)  # pressed twice: nobody gets two
    await bot.settle()
    assert (last_alert(bot) or "").startswith("Lời nhắc đã được gửi đến các đồng chí này lúc ")
    await outbox_idle(bot)
    assert all(len(reminders(u)) == 1 for u in (CUONG, DAO, EM, GIANG, SON))


HAI = 712  # Lý Hải's Telegram account, linked after the first reminder went


async def test_a_second_reminder_reaches_only_who_was_not_reminded_yet(bot: RunningBot) -> None:
    """The guard is per person: 🔔 pressed again within the interval leaves out who was just
    reminded, but someone who joined the audience since (Hải linked Telegram) still gets it."""
    ids = await seed(bot)
    survey_id = await make_survey(bot, ids, QUESTIONS, title="Phiếu ghi danh")
    for user_id in (AN, BINH, CUONG, DAO, EM, GIANG, SON):  # the invitations are out
        await invitation(bot, user_id)
    await answered_by(bot, survey_id, [ids["an"], ids["binh"]])
    card = await open_card(bot, "Phiếu ghi danh")
    son = bot.fake.user(SON)
    await son.press("🔔 Nhắc nhở (5)", message=card)
    await bot.settle()
    assert last_alert(bot) == "🔔 Đã gửi nhắc nhở đến 5 đồng chí."
    await outbox_idle(bot)

    async with bot.db(settle=False) as session:
        hai = await session.get(Member, ids["hai"])
        assert hai is not None
        account = await touch_account(session, HAI, "vi")
        account.consent_at = hai.bound_at = clock.now()
        hai.telegram_user_id = HAI
    bot.fake.user(HAI, language_code="vi")

    def reminders(user_id: int) -> list[SentMessage]:
        return [m for m in bot.fake.chat(user_id).messages if (m.text or "").startswith("🔔")]

    await son.press("🔔 Nhắc nhở (5)", message=card)
    await bot.fake.wait_until(lambda: "Bỏ qua" in (last_alert(bot) or ""))
    alert = last_alert(bot) or ""
    assert alert.startswith("🔔 Đã gửi nhắc nhở đến 1 đồng chí.\nBỏ qua 5 người đã được nhắc lúc ")
    await outbox_idle(bot)
    assert len(reminders(HAI)) == 1
    assert all(len(reminders(u)) == 1 for u in (CUONG, DAO, EM, GIANG, SON))

    await son.press("🔔 Nhắc nhở (5)", message=card)  # everyone reminded: refused, and when
    await bot.fake.wait_until(lambda: "Lời nhắc đã được gửi" in (last_alert(bot) or ""))
    assert (last_alert(bot) or "").startswith("Lời nhắc đã được gửi đến các đồng chí này lúc ")
    await outbox_idle(bot)
    assert len(reminders(HAI)) == 1
