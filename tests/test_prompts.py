"""A question waiting for typed text never takes an unrelated message: going elsewhere leaves
it (the draft stays and resumes), ❌ Hủy, /huy and `hủy` leave it, an answer that reaches other
people is shown back with Gửi / Sửa first, and what is typed is echoed when saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import drafts
from storage import clock
from storage.flows import save_flow
from storage.meetings import NewMeeting, add_meeting
from storage.models import FlowState, Meeting, MeetingAudience, MeetingKind, Role
from tests.factories import member, tree
from tests.fakebot import FakeUser
from tests.harness import RunningBot
from tests.plan_helpers import AN as PLAN_AN
from tests.plan_helpers import plan_of
from tests.plan_helpers import seed as plan_seed
from tests.test_notices import outbox_idle

SON, AN, DAO = 801, 802, 803
NOT_USED = "Không có câu hỏi nào đang chờ trả lời nên tôi chưa dùng tin nhắn này."
GREETING = "Chào các đồng chí, tối nay tôi bận"

# For each flow that waits for typed text: a step that takes text, and its draft's data.
# A new flow must be added here (the test below fails on one missing).
WAITING: dict[str, tuple[str, dict[str, object]]] = {
    "notice": ("text", {"unit_id": 0}),
    "meeting": ("place", {"unit_id": 0, "kind": "regular"}),
    "meeting_edit": ("place", {"meeting_id": 0}),
    "meeting_absence": ("reason", {"meeting_id": 0}),
    "residence": ("address", {}),
    "ractivity": ("what", {"tie_id": 0, "date": "01/11/2026"}),
    "rdecline": ("reason", {"tie_id": 0}),
    "rcomment": ("text", {"tie_id": 0, "year": 2026}),
    "rexempt": ("reason", {"member_id": 0}),
    "plan": ("section", {"key": "study", "then": "next"}),
    "plan_note": ("note", {"key": "study"}),
    "plan_return": ("comment", {"plan_id": 0, "version": 1}),
    "survey_new": ("title", {"unit_id": 0}),
    "survey_answer": ("question", {"survey_id": 0, "index": 0, "answers": {}}),
    "standing": ("note", {"member_id": 0, "reason": "other"}),
    "probation": ("name", {"branch_id": 0}),
    "transfer": ("where", {"member_id": 0, "kind": "official"}),
}


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def seed(bot: RunningBot) -> dict[str, int]:
    """CB1: secretary Sơn, An and Đào, all linked, reading Vietnamese."""
    async with bot.db(settle=False) as session:
        u = await tree(session)
        ids = {"cb1": u["CB1"].id}
        people = [("son", SON, Role.SECRETARY), ("an", AN, None), ("dao", DAO, None)]
        for number, (key, telegram_id, role) in enumerate(people):
            name = {"son": "Trần Sơn", "an": "Lê An", "dao": "Vũ Đào"}[key]
            created = await member(
                session, u["CB1"], name, f"09140000{number:02d}", telegram_id=telegram_id, role=role
            )
            ids[key] = created.id
            bot.fake.user(telegram_id, language_code="vi")
    return ids


async def draft_of(bot: RunningBot, flow: str) -> FlowState | None:
    async with bot.db() as session:
        return await session.get(FlowState, (SON, flow))


def test_every_flow_waiting_for_text_is_in_the_conversation_test() -> None:
    assert sorted(WAITING) == sorted(drafts())


ANOTHER_BUTTON = "a button of another feature"  # the members list's page button


@pytest.mark.parametrize("elsewhere", ["/start", "👥 Đảng viên chi bộ", ANOTHER_BUTTON])
@pytest.mark.parametrize("flow", sorted(WAITING))
async def test_going_elsewhere_leaves_the_question_and_the_draft_resumes(
    bot: RunningBot, flow: str, elsewhere: str
) -> None:
    ids = await seed(bot)
    step, data = WAITING[flow]
    son = bot.fake.user(SON, language_code="vi")
    if elsewhere == ANOTHER_BUTTON:  # the list was open before the question was asked
        await son.send_text("👥 Đảng viên chi bộ")
        members_list = await son.wait_for_message()
        await bot.settle()
    async with bot.db(settle=False) as session:
        await save_flow(session, SON, flow, step, data, clock.now())
    if elsewhere == ANOTHER_BUTTON:
        await son.press_data(f"mb:{ids['cb1']}:0", message=members_list)
    else:
        await son.send_text(elsewhere)
        await son.wait_for_message()
    await bot.settle()
    son.mark_action()

    await son.send_text(GREETING)
    reply = await son.wait_for_message()
    assert (reply.text or "").startswith(NOT_USED)
    assert "vẫn được giữ" in (reply.text or "") and reply.buttons() == ["▶️ Tiếp tục"]
    kept = await draft_of(bot, flow)
    assert kept is not None and (kept.step, kept.data) == (step, data)  # nothing applied
    assert kept.paused

    await son.press("▶️ Tiếp tục", message=reply)
    resumed = await son.wait_for_message()
    assert resumed.text.startswith("Tiếp tục bản nháp") and resumed.buttons() == ["❌ Hủy"]
    await son.send_text("Câu trả lời")
    answered = await son.wait_for_message()
    assert not (answered.text or "").startswith(NOT_USED)  # the flow itself answers now
    after = await draft_of(bot, flow)
    assert after is None or not after.paused


async def meeting_of(bot: RunningBot, ids: dict[str, int]) -> int:
    async with bot.db(settle=False) as session:
        new = NewMeeting(
            unit_id=ids["cb1"],
            kind=MeetingKind.REGULAR,
            audience=MeetingAudience.MEMBERS,
            starts_at=clock.now() + timedelta(days=3),
            place="Nhà văn hóa khu phố 1",
            agenda="1. Đánh giá công tác tháng 11\n" * 100,
            created_by_member_id=ids["son"],
        )
        meeting = await add_meeting(session, new, [ids["son"], ids["an"], ids["dao"]])
        return meeting.id


async def place_of(bot: RunningBot) -> str:
    async with bot.db() as session:
        [meeting] = list(await session.scalars(select(Meeting)))
        return meeting.place


def changes_told(bot: RunningBot) -> list[str]:
    return [m.text or "" for m in bot.fake.sent if (m.text or "").startswith("✏️ Cuộc họp")]


async def ask_place(son: FakeUser, meeting_id: int) -> None:
    await son.send_text("📅 Sinh hoạt chi bộ")
    await son.wait_for_messages(2)
    manage = await son.wait_for_message()
    await son.press_data(f"mep:{meeting_id}", message=manage)
    question = await son.wait_for_message()
    assert question.text == "Gửi địa điểm hoặc đường dẫn mới."
    assert question.buttons() == ["❌ Hủy"]


async def test_a_greeting_typed_after_opening_members_is_not_the_new_meeting_place(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    meeting_id = await meeting_of(bot, ids)
    son = bot.fake.user(SON, language_code="vi")
    await ask_place(son, meeting_id)
    await son.send_text("👥 Đảng viên chi bộ")
    await son.wait_for_message()
    await bot.settle()
    son.mark_action()
    await son.send_text(GREETING)
    reply = await son.wait_for_message()
    assert (reply.text or "").startswith(NOT_USED)
    assert "thời gian hoặc địa điểm mới của cuộc họp" in (reply.text or "")
    await outbox_idle(bot)
    assert await place_of(bot) == "Nhà văn hóa khu phố 1" and changes_told(bot) == []

    await ask_place(son, meeting_id)  # back from the meetings menu: asked again
    await son.send_text("Hội trường <tổ 5>")
    shown = await son.wait_for_message()
    assert shown.text == "Đồng chí đã viết:\n«Hội trường &lt;tổ 5&gt;»\n\nGửi nội dung này?"
    assert shown.buttons() == ["✅ Gửi", "✏️ Sửa", "❌ Hủy"]
    await bot.settle()
    assert await place_of(bot) == "Nhà văn hóa khu phố 1"  # nothing sent before Gửi
    await son.press("✏️ Sửa", message=shown)
    assert (await son.wait_for_message()).text == "Đồng chí hãy gửi nội dung mới."
    await son.send_text("Nhà văn hóa tổ 5")
    shown = await son.wait_for_message()
    await son.press("✅ Gửi", message=shown)
    done = await son.wait_for_message()
    assert done.text == "Đã thay đổi. Đã báo cho 3 đảng viên."
    await outbox_idle(bot)
    assert await place_of(bot) == "Nhà văn hóa tổ 5" and len(changes_told(bot)) == 3
    told = changes_told(bot)[0]
    assert "📍 Địa điểm: Nhà văn hóa khu phố 1 → Nhà văn hóa tổ 5" in told
    assert "Đánh giá công tác" not in told  # the agenda is not repeated


async def test_a_place_that_cannot_be_taken_is_refused_before_it_is_shown_back(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    meeting_id = await meeting_of(bot, ids)
    son = bot.fake.user(SON, language_code="vi")
    await ask_place(son, meeting_id)
    await son.send_text("x" * 600)
    refused = await son.wait_for_message()
    assert (refused.text or "").startswith("Vui lòng gửi địa điểm từ 1 đến")
    assert refused.buttons() == ["❌ Hủy"]


@pytest.mark.parametrize("leave", ["/huy", "/cancel", "hủy", "Huỷ", "thôi", "❌ Hủy"])
async def test_huy_leaves_the_question_and_keeps_the_draft(bot: RunningBot, leave: str) -> None:
    ids = await seed(bot)
    meeting_id = await meeting_of(bot, ids)
    son = bot.fake.user(SON, language_code="vi")
    await ask_place(son, meeting_id)
    if leave == "❌ Hủy":
        await son.press(leave)
    else:
        await son.send_text(leave)
    stopped = await son.wait_for_message()
    assert stopped.text == (
        "Đã dừng: tôi không chờ câu trả lời nữa. Bản nháp (thời gian hoặc địa điểm mới của "
        "cuộc họp) vẫn được giữ: tiếp tục từ mục 📅 Sinh hoạt chi bộ."
    )
    await son.send_text("hủy")  # nothing waits now
    assert (await son.wait_for_message()).text == "Không có câu hỏi nào đang chờ đồng chí trả lời."
    await son.send_text(GREETING)
    assert ((await son.wait_for_message()).text or "").startswith(NOT_USED)
    await outbox_idle(bot)
    assert await place_of(bot) == "Nhà văn hóa khu phố 1" and changes_told(bot) == []


async def test_keep_my_answer_is_offered_only_to_who_answered(bot: RunningBot) -> None:
    ids = await seed(bot)
    await meeting_of(bot, ids)
    an = bot.fake.user(AN, language_code="vi")
    await an.send_text("📅 Sinh hoạt chi bộ")
    invitation, _history = await an.wait_for_messages(2)
    assert invitation.text.endswith(
        "👉 Đồng chí chưa trả lời. Đồng chí có thể thay đổi cho đến khi cuộc họp bắt đầu."
    )
    await an.press("❌ Tôi vắng mặt", message=invitation)
    asked = await an.wait_for_message()
    assert asked.buttons() == ["❌ Hủy"]  # never answered: nothing to keep

    await an.press("✅ Tôi tham dự", message=invitation)
    answered = "👉 Câu trả lời của đồng chí: tham dự."
    await bot.fake.wait_until(lambda: answered in (invitation.text or ""))
    assert invitation.text.count("👉") == 1  # replaced, not added
    await an.press("❌ Tôi vắng mặt", message=invitation)
    asked = await an.wait_for_message()
    assert asked.buttons() == ["↩️ Giữ câu trả lời cũ"]


async def test_a_question_typed_mid_plan_and_huy_are_not_saved_as_sections(
    bot: RunningBot,
) -> None:
    ids = await plan_seed(bot)
    an = bot.fake.user(PLAN_AN, language_code="vi")
    await an.send_text("📝 Kế hoạch năm")
    await an.wait_for_message()
    await an.press("✍️ Xây dựng kế hoạch")
    await an.wait_for_message()
    await an.send_text("Học tập nghị quyết.")
    saved, second = await an.wait_for_messages(2)
    assert saved.text == "💾 Đã lưu mục 1: «Học tập nghị quyết.»"
    assert "Phần 2/5" in (second.text or "") and second.buttons() == ["❌ Hủy"]

    await an.send_text("📅 Sinh hoạt chi bộ")  # elsewhere, then a question for the secretary
    await an.wait_for_messages(2)
    await bot.settle()
    an.mark_action()
    await an.send_text("Cho tôi hỏi lịch họp tháng này?")
    assert ((await an.wait_for_message()).text or "").startswith(NOT_USED)
    plan = await plan_of(bot, ids["an"])
    assert plan is not None and list(plan.sections) == ["ideology"]  # section 2 untouched

    await an.send_text("📝 Kế hoạch năm")  # back from its menu: the same part again
    menu = await an.wait_for_message()
    await an.press(menu.buttons()[0], message=menu)
    assert "Phần 2/5" in ((await an.wait_for_message()).text or "")
    await an.send_text("hủy")
    assert ((await an.wait_for_message()).text or "").startswith("Đã dừng:")
    plan = await plan_of(bot, ids["an"])
    assert plan is not None and list(plan.sections) == ["ideology"]


# A step answered with buttons, the question it asks, and the draft's data (unit filled in).
BUTTON_STEPS = {
    "meeting": ("kind", "Loại cuộc họp?"),
    "notice": ("audience", "Gửi thông báo đến ai?"),
    "survey_new": ("who", "Tất cả đảng viên trả lời, hay chỉ các đồng chí chi ủy viên?"),
}


@pytest.mark.parametrize("flow", sorted(BUTTON_STEPS))
async def test_text_typed_where_buttons_are_awaited_gets_the_question_again_with_them(
    bot: RunningBot, flow: str
) -> None:
    """The buttons may be far up the chat (or gone): "use the buttons above" was a dead end.
    The question comes again, its buttons below it."""
    ids = await seed(bot)
    step, question = BUTTON_STEPS[flow]
    data = {} if flow == "notice" else {"unit_id": ids["cb1"]}
    async with bot.db(settle=False) as session:
        await save_flow(session, SON, flow, step, data, clock.now())
    son = bot.fake.user(SON, language_code="vi")
    await son.send_text("Chào đồng chí")
    hint, asked = await son.wait_for_messages(2)
    assert hint.text == "Đồng chí vui lòng trả lời bằng các nút bên dưới."
    assert asked.text == question
    assert [b for b in asked.buttons() if b != "❌ Hủy"]  # the answers, not only a way out
    kept = await draft_of(bot, flow)
    assert kept is not None and kept.step == step and not kept.paused
    assert all("ở trên" not in (m.text or "") for m in son.messages)
