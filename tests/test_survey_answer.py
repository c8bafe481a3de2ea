"""Answering surveys in chat: every question type in both languages, back and skip, the
review, resuming after a restart, a second answer refused, a closed survey refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage import clock
from storage.models import FlowState, Survey, SurveyParticipation, SurveyResponse
from storage.survey_questions import Kind, Question
from tests.harness import RunningBot
from tests.survey_helpers import (
    AN,
    CUONG,
    DUNG,
    EVERY_KIND,
    answer_press,
    invitation,
    last_alert,
    make_survey,
    seed,
)
from tests.test_menus_and_buttons import assert_refused


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


LABELS = {
    "vi": {
        "invite": "8 câu hỏi, không có hạn kết thúc.",
        "start": "✍️ Trả lời",
        "progress": "Câu {n}/8",
        "hint": "1 = Rất kém, 5 = Rất tốt",
        "next": "➡️ Tiếp",
        "too_many": "Đồng chí chỉ được chọn tối đa 2 phương án.",
        "yes": "Có",
        "not_number": "Đồng chí vui lòng gửi một số, ví dụ 12 hoặc 3,5.",
        "not_date": "Đồng chí vui lòng gửi ngày theo dạng ngày/tháng/năm, ví dụ 05/11/2026.",
        "back": "⬅️ Quay lại",
        "current": "Câu trả lời của đồng chí: 05/12/2026",
        "skip": "⏭ Bỏ qua",
        "review": "Đồng chí vui lòng kiểm tra lại các câu trả lời:",
        "skipped": "— (bỏ qua)",
        "submit": "✅ Gửi phiếu",
        "thanks": "✅ Cảm ơn đồng chí! Câu trả lời cho phiếu “Góp ý sinh hoạt chi bộ”",
        "already": "Đồng chí đã trả lời phiếu khảo sát này; câu trả lời không thể thay đổi.",
    },
    "en": {
        "invite": "8 questions, no closing time.",
        "start": "✍️ Answer",
        "progress": "Question {n}/8",
        "hint": "1 = Rất kém, 5 = Rất tốt",
        "next": "➡️ Next",
        "too_many": "Please choose at most 2.",
        "yes": "Yes",
        "not_number": "Please send a number, for example 12 or 3,5.",
        "not_date": "Please send a date as day/month/year, for example 05/11/2026.",
        "back": "⬅️ Back",
        "current": "Your answer: 05/12/2026",
        "skip": "⏭ Skip",
        "review": "Please check your answers:",
        "skipped": "— (skipped)",
        "submit": "✅ Submit",
        "thanks": "✅ Thank you! Your answers to “Góp ý sinh hoạt chi bộ” are recorded",
        "already": "You have already answered this survey; answers cannot be changed.",
    },
}


@pytest.mark.parametrize(("language", "user_id"), [("vi", AN), ("en", CUONG)])
async def test_every_question_type_answered_reviewed_and_locked(
    bot: RunningBot, language: str, user_id: int
) -> None:
    t = LABELS[language]
    ids = await seed(bot)
    survey_id = await make_survey(bot, ids, EVERY_KIND)
    user = bot.fake.user(user_id)
    invite = await invitation(bot, user_id)
    assert t["invite"] in (invite.text or "")
    user.mark_action()
    rating = await answer_press(bot, user, t["start"])
    assert t["progress"].format(n=1) in (rating.text or "") and t["hint"] in (rating.text or "")
    assert rating.buttons() == ["1", "2", "3", "4", "5"]  # no Back on the first, no Skip
    single = await answer_press(bot, user, "4")
    assert t["progress"].format(n=2) in (single.text or "")
    multiple = await answer_press(bot, user, "Chiều")
    for option in ("Giờ", "Nơi", "Nội dung"):
        await user.press(option, message=multiple)
        await bot.settle()
    await user.press(t["next"], message=multiple)
    await bot.settle()
    assert last_alert(bot) == t["too_many"]
    await user.press("✅ Nội dung", message=multiple)
    await bot.settle()
    yesno = await answer_press(bot, user, t["next"])
    number = await answer_press(bot, user, t["yes"])
    assert t["skip"] in number.buttons()
    assert number.buttons()[-1] in ("❌ Hủy", "❌ Cancel")  # a typed answer: a way out
    await user.send_text("mười")
    assert (await user.wait_for_message()).text == t["not_number"]
    await user.send_text("3,5")
    date = await user.wait_for_message()
    await user.send_text("32/13/2026")
    assert (await user.wait_for_message()).text == t["not_date"]
    await user.send_text("05/12/2026")
    await user.wait_for_message()  # the short text question
    again = await answer_press(bot, user, t["back"])
    assert t["progress"].format(n=6) in (again.text or "") and t["current"] in (again.text or "")
    await user.send_text("06/12/2026")
    await user.wait_for_message()
    await user.send_text("Tốt")
    await user.wait_for_message()  # the long text question, optional
    review = await answer_press(bot, user, t["skip"])
    assert t["review"] in (review.text or "")
    for shown in ("Chiều", "Giờ; Nơi", "06/12/2026", "Tốt", t["skipped"]):
        assert shown in (review.text or "")
    await user.press(t["submit"], message=review)
    await bot.settle()
    assert (review.text or "").startswith(t["thanks"])
    async with bot.db() as session:
        response = await session.scalar(select(SurveyResponse))
        draft = await session.get(FlowState, (user_id, "survey_answer"))
    assert response is not None and response.member_id == ids["an" if user_id == AN else "cuong"]
    assert response.answers == {
        "0": 4, "1": 1, "2": [0, 1], "3": True, "4": 3.5, "5": "2026-12-06", "6": "Tốt"
    }  # fmt: skip
    assert draft is None
    assert yesno is not None and date is not None and survey_id
    await user.press(t["start"], message=invite)  # a second time
    await bot.settle()
    assert last_alert(bot) == t["already"]


async def test_answers_survive_a_restart_and_a_second_answer_is_refused(bot: RunningBot) -> None:
    ids = await seed(bot)
    questions = [
        Question("Câu một?", Kind.YESNO),
        Question("Câu hai?", Kind.SINGLE, options=("Sáng", "Chiều")),
        Question("Câu ba?", Kind.TEXT),
    ]
    survey_id = await make_survey(bot, ids, questions)
    user = bot.fake.user(AN)
    invite = await invitation(bot, AN)
    user.mark_action()
    await answer_press(bot, user, "✍️ Trả lời")
    await answer_press(bot, user, "Có")
    await answer_press(bot, user, "Chiều")
    await bot.settle()
    await bot.restart()
    await user.send_text("🗳 Khảo sát")  # the menu lists the survey waiting for an answer
    waiting = await user.wait_for_message()
    assert waiting.text == "🗳 Phiếu khảo sát đang chờ đồng chí trả lời:"
    resumed = await answer_press(bot, user, "✍️ Góp ý sinh hoạt chi bộ")
    assert "Câu 3/3" in (resumed.text or "")
    await user.send_text("Ổn")
    review = await user.wait_for_message()
    assert "Có" in (review.text or "") and "Chiều" in (review.text or "")
    stale_yes = next(m for m in bot.fake.chat(AN).messages if "Câu 1/3" in (m.text or ""))
    await user.press("✅ Gửi phiếu", message=review)
    await bot.settle()
    await user.press_data(f"sok:{survey_id}", message=review)  # a forged second submit
    await bot.settle()
    assert (
        last_alert(bot) == "Đồng chí đã trả lời phiếu khảo sát này; câu trả lời không thể thay đổi."
    )
    await user.press_data(f"sa:{survey_id}:0:0", message=stale_yes)
    await user.press("✍️ Trả lời", message=invite)
    await bot.settle()
    await user.send_text("🗳 Khảo sát")
    assert (await user.wait_for_message()).text == (
        "🗳 Hiện không có phiếu khảo sát nào chờ đồng chí trả lời."
    )
    async with bot.db() as session:
        responses = list(await session.scalars(select(SurveyResponse)))
        participations = await session.scalar(select(func.count()).select_from(SurveyParticipation))
    assert participations == 1 and len(responses) == 1
    assert responses[0].answers == {"0": True, "1": 1, "2": "Ổn"}


async def test_a_closed_survey_refuses_answers(bot: RunningBot) -> None:
    ids = await seed(bot)
    survey_id = await make_survey(bot, ids, [Question("Có?", Kind.YESNO)])
    user = bot.fake.user(AN)
    invite = await invitation(bot, AN)
    user.mark_action()
    await answer_press(bot, user, "✍️ Trả lời")
    async with bot.db() as session:
        survey = await session.get(Survey, survey_id)
        assert survey is not None
        survey.closes_at = clock.now() - timedelta(minutes=1)
    await user.press("Có")
    await bot.settle()
    assert last_alert(bot) == "Phiếu khảo sát này đã đóng, không nhận thêm câu trả lời."
    await user.press("✍️ Trả lời", message=invite)
    await bot.settle()
    assert last_alert(bot) == "Phiếu khảo sát này đã đóng, không nhận thêm câu trả lời."
    async with bot.db() as session:
        assert await session.scalar(select(func.count()).select_from(SurveyResponse)) == 0
        assert await session.get(FlowState, (AN, "survey_answer")) is None


async def test_members_outside_the_audience_and_forged_buttons_are_refused(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    survey_id = await make_survey(bot, ids, [Question("Có?", Kind.YESNO)])
    await invitation(bot, AN)
    # A member of another branch: no invitation, and the button is refused.
    for data in (f"sva:{survey_id}", f"sa:{survey_id}:0:1", f"sok:{survey_id}"):
        await assert_refused(bot, DUNG, data)
    # Secretary-only buttons pressed by a member.
    for data in ("svnew", "svfile", "svlist", f"svc:{survey_id}", f"svr:{survey_id}"):
        await assert_refused(bot, AN, data)
    await assert_refused(bot, AN, f"svrm:{survey_id}")
    # A member of the audience, forging values.
    user = bot.fake.user(AN)
    await user.press("✍️ Trả lời")
    await user.wait_for_message()
    for data in (f"sa:{survey_id}:0:7", f"sa:{survey_id}:0:x", f"ss:{survey_id}:0", "sva:99999"):
        await assert_refused(bot, AN, data)
    async with bot.db() as session:
        assert await session.scalar(select(func.count()).select_from(SurveyResponse)) == 0
