"""Yearly plans in conversation: writing with a restart in the middle, review, return and
revision, acceptance, self-assessment and grade, in Vietnamese and English; the committee's
overview; and every way into another branch's records refused."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage import clock, schedule
from storage.flows import get_flow
from storage.models import Grade, PlanStatus, Unit
from storage.plan_schedule import KIND, schedule_plan_reminders
from storage.plan_seasons import SeasonDefaults, set_season
from tests.fakebot import FakeUser, SentMessage
from tests.harness import RunningBot
from tests.plan_helpers import (
    AN,
    BINH,
    DUNG,
    HA,
    KHANH,
    PHUONG,
    SON,
    events,
    local_today,
    open_season,
    plan_of,
    put_plan,
    seed,
    unit_id,
)
from tests.test_menus_and_buttons import assert_refused
from tests.test_notices import outbox_idle

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


def user(bot: RunningBot, user_id: int, language: str = "vi") -> FakeUser:
    return bot.fake.user(user_id, language_code=language)


async def open_plan_menu(member: FakeUser, label: str = "📝 Kế hoạch năm") -> SentMessage:
    await member.send_text(label)
    return await member.wait_for_message()


async def answer(member: FakeUser, text: str) -> SentMessage:
    """What the bot asks next after `text` (past the line showing the saved text back)."""
    await member.send_text(text)
    reply = await member.wait_for_message()
    if (reply.text or "").startswith(("💾 Đã lưu", "💾 Saved")):
        return await member.wait_for_message()
    return reply


async def delivered(bot: RunningBot) -> None:
    """Every update handled and committed, then every message it enqueued sent."""
    await bot.settle()
    await outbox_idle(bot)


def got(bot: RunningBot, user_id: int, start: str) -> list[SentMessage]:
    return [m for m in bot.fake.chat(user_id).messages if (m.text or "").startswith(start)]


async def test_plan_written_across_a_restart_returned_revised_and_accepted(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    an = user(bot, AN)
    menu = await open_plan_menu(an)
    assert "Trạng thái: chưa bắt đầu" in (menu.text or "")
    assert menu.buttons() == ["✍️ Xây dựng kế hoạch"]
    await an.press("✍️ Xây dựng kế hoạch")
    first = await an.wait_for_message()
    assert "Phần 1/5: Tư tưởng chính trị, học tập" in (first.text or "")
    assert first.buttons() == ["❌ Hủy"]
    second = await answer(an, "Học tập nghị quyết <Trung ương>.")
    echo = "💾 Đã lưu mục 1: «Học tập nghị quyết &lt;Trung ương&gt;.»"
    assert echo in [m.text for m in an.messages]  # what was typed, shown back as saved
    assert "Phần 2/5: Đạo đức, lối sống" in (second.text or "")
    # Zero-width and control characters pasted in are dropped.
    third = await answer(an, "Giữ\u200b gìn lối\x07 sống giản dị.")
    assert "Phần 3/5" in (third.text or "")
    await bot.settle()
    await bot.restart()  # mid-plan: both answers are stored, the member resumes

    menu = await open_plan_menu(an)
    await an.press("✍️ Viết tiếp kế hoạch (2/5)", message=menu)
    resumed = await an.wait_for_message()
    assert "Phần 3/5: Mục tiêu nhiệm vụ tại cơ quan, đơn vị" in (resumed.text or "")
    await answer(an, "Hoàn thành 100% nhiệm vụ được giao.")
    fifth = await answer(an, "Tham gia sinh hoạt tổ dân phố.")
    assert "Phần 5/5: Nội dung khác" in (fifth.text or "")
    await an.press("⏭ Không có gì thêm", message=fifth)
    commitment = await an.wait_for_message()
    assert "Tôi xin cam kết" in (commitment.text or "")
    await an.press("✅ Tôi chấp nhận cam kết", message=commitment)
    plan_text, actions = await an.wait_for_messages(2)
    assert "Học tập nghị quyết &lt;Trung ương&gt;." in (plan_text.text or "")
    assert "Giữ gìn lối sống giản dị." in (plan_text.text or "")
    assert "Bản cam kết: đã chấp nhận ngày" in (plan_text.text or "")
    await an.press("📤 Gửi chi ủy", message=actions)
    assert "đã được gửi chi ủy" in ((await an.wait_for_message()).text or "")

    plan = await plan_of(bot, ids["an"])
    assert plan is not None and plan.status == PlanStatus.SUBMITTED
    assert plan.sections["ethics"] == "Giữ gìn lối sống giản dị."
    assert plan.sections["other"] == "" and plan.commitment_text.startswith("Tôi xin cam kết")
    await delivered(bot)
    for committee in (SON, KHANH):
        [note] = got(bot, committee, "📥 Đồng chí Lê An đã gửi kế hoạch")
        assert note.buttons() == ["📖 Xem kế hoạch"]
    assert got(bot, HA, "📥") == [] and got(bot, PHUONG, "📥") == []

    son = user(bot, SON)
    await son.press("📖 Xem kế hoạch")
    _plan, decide = await son.wait_for_messages(2)
    await son.press("↩️ Trả lại kèm ý kiến", message=decide)
    assert "tối đa 1000 ký tự" in ((await son.wait_for_message()).text or "")
    shown = await answer(son, "Phần công tác cần cụ thể hơn.")  # the member will read it
    assert shown.text == "Đồng chí đã viết:\n«Phần công tác cần cụ thể hơn.»\n\nGửi nội dung này?"
    await son.press("✅ Gửi", message=shown)
    done = await son.wait_for_message()
    assert done.text == "↩️ Đã trả lại kế hoạch của đồng chí Lê An kèm ý kiến của đồng chí."
    await delivered(bot)
    [returned] = got(bot, AN, "↩️ Chi ủy trả lại")
    assert "Phần công tác cần cụ thể hơn." in (returned.text or "")

    menu = await open_plan_menu(an)
    assert "Ý kiến của chi ủy: Phần công tác cần cụ thể hơn." in (menu.text or "")
    await an.press("👁 Kế hoạch của tôi", message=menu)
    _plan, actions = await an.wait_for_messages(2)
    await an.press("✏️ Nhiệm vụ ở cơ quan", message=actions)
    prompt = await an.wait_for_message()
    assert "Nội dung hiện tại:\nHoàn thành 100% nhiệm vụ được giao." in (prompt.text or "")
    await an.send_text("Hoàn thành 100% nhiệm vụ; sáng kiến cải tiến quy trình.")
    _saved, _plan, actions = await an.wait_for_messages(3)
    await an.press("📤 Gửi chi ủy", message=actions)
    await an.wait_for_message()
    await delivered(bot)

    await son.press("📖 Xem kế hoạch")
    history, decide = await son.wait_for_messages(2)
    assert "sáng kiến cải tiến" in (history.text or "") and "trả lại" in (history.text or "")
    await son.press("✅ Duyệt", message=decide)
    await bot.fake.wait_until(lambda: (decide.text or "").startswith("✅ Đồng chí đã duyệt"))
    await delivered(bot)
    assert len(got(bot, AN, "✅ Chi ủy đã duyệt kế hoạch năm")) == 1
    plan = await plan_of(bot, ids["an"])
    assert plan is not None and plan.status == PlanStatus.ACCEPTED
    assert plan.reviewed_by_member_id == ids["son"]
    assert await events(bot, plan.id) == ["submitted", "returned", "submitted", "accepted"]

    # After acceptance the plan cannot be changed, whatever button is pressed.
    before = len(bot.fake.callback_answers)
    await an.press_data("pledit:2")
    await bot.fake.wait_until(lambda: len(bot.fake.callback_answers) > before)
    assert bot.fake.callback_answers[-1].text == (
        "Chi ủy đã duyệt kế hoạch này; không thể sửa được nữa."
    )
    plan = await plan_of(bot, ids["an"])
    assert plan is not None and plan.sections["work"].startswith("Hoàn thành 100% nhiệm vụ;")


async def test_a_plan_resubmitted_after_the_committee_read_it_is_not_decided_unread(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        plan_id = (await put_plan(session, ids["an"], PlanStatus.SUBMITTED)).id
    son, an = user(bot, SON), user(bot, AN)
    son_menu = await open_plan_menu(son)
    await son.press_data(f"plr:{plan_id}", message=son_menu)
    _plan, decide = await son.wait_for_messages(2)
    assert decide.buttons() == ["✅ Duyệt", "↩️ Trả lại kèm ý kiến", "📄 Hồ sơ năm"]

    menu = await open_plan_menu(an)  # meanwhile An changes a section and submits again
    await an.press("👁 Kế hoạch của tôi", message=menu)
    _plan, actions = await an.wait_for_messages(2)
    await an.press("✏️ Nhiệm vụ ở cơ quan", message=actions)
    await an.wait_for_message()
    await an.send_text("Một mục tiêu mới mà chi ủy chưa đọc.")
    _saved, _plan, actions = await an.wait_for_messages(3)
    await an.press("📤 Gửi chi ủy", message=actions)
    await an.wait_for_message()
    await delivered(bot)  # the committee's 📥 note has come before Son presses on

    changed = (
        "Đảng viên đã gửi lại kế hoạch này sau khi đồng chí mở xem. Đề nghị mở lại và đọc "
        "bản hiện tại trước khi quyết định."
    )
    for label in ("✅ Duyệt", "↩️ Trả lại kèm ý kiến"):
        before = len(bot.fake.callback_answers)
        await son.press(label, message=decide)
        await bot.fake.wait_until(lambda: len(bot.fake.callback_answers) > before)  # noqa: B023
        assert bot.fake.callback_answers[-1].text == changed
    plan = await plan_of(bot, ids["an"])
    assert plan is not None and plan.status == PlanStatus.SUBMITTED
    assert await events(bot, plan_id) == ["submitted"]  # An's; no decision recorded

    await son.press_data(f"plr:{plan_id}", message=son_menu)  # read again, then accepted
    current, decide = await son.wait_for_messages(2)
    assert "Một mục tiêu mới mà chi ủy chưa đọc." in (current.text or "")
    await son.press("✅ Duyệt", message=decide)
    await bot.fake.wait_until(lambda: (decide.text or "").startswith("✅ Đồng chí đã duyệt"))
    assert await events(bot, plan_id) == ["submitted", "accepted"]


async def test_the_only_role_holder_of_a_branch_is_heard_by_the_committee_above(
    bot: RunningBot,
) -> None:
    """Hà is CB2's only committee member: her plan goes to HU's deputy secretary Phương."""
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        plan_id = (await put_plan(session, ids["ha"], PlanStatus.DRAFT)).id
    ha = user(bot, HA)
    menu = await open_plan_menu(ha)
    await ha.press_data("plsubmit", message=menu)
    assert "đã được gửi chi ủy" in ((await ha.wait_for_message()).text or "")
    await delivered(bot)
    [note] = got(bot, PHUONG, "📥 Đồng chí Đỗ Hà đã gửi kế hoạch")
    assert got(bot, HA, "📥") == [] and got(bot, SON, "📥") == []
    phuong = user(bot, PHUONG)
    await phuong.press("📖 Xem kế hoạch", message=note)
    _plan, decide = await phuong.wait_for_messages(2)
    await phuong.press("✅ Duyệt", message=decide)
    await bot.fake.wait_until(lambda: (decide.text or "").startswith("✅ Đồng chí đã duyệt"))
    assert await events(bot, plan_id) == ["submitted", "accepted"]


async def test_a_self_assessment_window_into_the_new_year_is_still_last_years(
    bot: RunningBot,
) -> None:
    """As if in January: last year's self-assessment runs until a few days from now, this
    year's is far off; Bình assesses last year's plan."""
    today = local_today()
    later = {"assessment_opens_on": today + timedelta(days=1)}
    ids = await seed(bot, open_season(today, **later, assessment_closes_on=today + timedelta(2)))
    last_year = open_season(
        today,
        year=today.year - 1,
        opens_on=date(today.year - 1, 1, 1),
        deadline=date(today.year - 1, 3, 31),
        assessment_opens_on=today - timedelta(days=30),
        assessment_closes_on=today + timedelta(days=5),
    )
    hu = await unit_id(bot, "HU")
    async with bot.db(settle=False) as session:
        await set_season(session, await session.get_one(Unit, hu), last_year)
        await put_plan(session, ids["binh"], PlanStatus.ACCEPTED, year=today.year - 1)
    binh = user(bot, BINH, "en")
    menu = await open_plan_menu(binh, "📝 Yearly plan")
    assert f"Yearly plan {today.year - 1}" in (menu.text or "")
    await binh.press("📋 Self-assessment", message=menu)
    goal = await binh.wait_for_message()
    assert "Goal 1/4: Political ideology and study" in (goal.text or "")
    await binh.press("✅ Done", message=goal)
    await binh.wait_for_message()
    await binh.press("⏭ No note")
    assert "Goal 2/4" in ((await binh.wait_for_message()).text or "")
    plan = await plan_of(bot, ids["binh"])
    assert plan is not None and plan.year == today.year - 1
    assert plan.assessment["ideology"] == {"result": "done", "note": ""}


async def test_self_assessment_in_english_and_the_committee_grade(bot: RunningBot) -> None:
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        plan = await put_plan(session, ids["binh"], PlanStatus.ACCEPTED)
        plan_id = plan.id
    binh = user(bot, BINH, "en")
    menu = await open_plan_menu(binh, "📝 Yearly plan")
    assert "Status: accepted by the committee" in (menu.text or "")
    await binh.press("📋 Self-assessment", message=menu)
    goal = await binh.wait_for_message()
    assert "Goal 1/4: Political ideology and study" in (goal.text or "")
    assert "Học tập đầy đủ các nghị quyết" in (goal.text or "")  # pre-filled from the plan
    assert goal.buttons() == ["✅ Done", "◐ Partly done", "❌ Not done"]
    await binh.press("✅ Done", message=goal)
    ask_note = await binh.wait_for_message()
    assert "up to 500 characters" in (ask_note.text or "")
    too_long = await answer(binh, "x" * 501)
    assert too_long.text == (
        "The note is 501 characters long; at most 500 are allowed here. Please shorten it and "
        "send it again: what you entered before is kept."
    )
    second = await answer(binh, "Read every resolution.")
    assert "Goal 2/4: Ethics and lifestyle" in (second.text or "")
    await bot.settle()
    await bot.restart()  # each mark is stored: the member resumes at goal 2
    await binh.press("📋 Self-assessment", message=menu)
    again = await binh.wait_for_message()
    assert "Goal 2/4" in (again.text or "")
    for label in ("◐ Partly done", "✅ Done", "❌ Not done"):
        await binh.press(label)
        await binh.wait_for_message()
        await binh.press("⏭ No note")
        await binh.wait_for_message()
    grade_question = binh.last_message
    assert grade_question is not None and grade_question.buttons()[1] == "Well completed duties"
    await binh.press("Well completed duties", message=grade_question)
    review = "Send this self-assessment to the committee? It cannot be changed afterwards."
    await bot.fake.wait_until(lambda: review in (grade_question.text or ""))  # not final yet
    for part in ("Proposed grade: Well completed duties", "Ethics and lifestyle: partly done"):
        assert part in (grade_question.text or "")
    assert grade_question.buttons() == ["📤 Send to the committee", "↩️ Choose again"]
    pending = await plan_of(bot, ids["binh"])
    assert pending is not None and pending.assessed_at is None and pending.proposed_grade is None
    await binh.press("📤 Send to the committee", message=grade_question)
    assert "proposed grade: Well completed duties" in ((await binh.wait_for_message()).text or "")

    await delivered(bot)
    son = user(bot, SON)
    [note] = got(bot, SON, "📋 Đồng chí Phạm Bình đã gửi bản tự kiểm điểm")
    await son.press("🏅 Xếp loại", message=note)
    record, choose = await son.wait_for_messages(2)
    for part in (
        "Tự đề xuất xếp loại: Hoàn thành tốt nhiệm vụ",
        "Tư tưởng chính trị, học tập: hoàn thành — <i>Read every resolution.</i>",
        "Đạo đức, lối sống: hoàn thành một phần",
        "Nhiệm vụ tại nơi cư trú: chưa hoàn thành",
        "Nhận xét của chi ủy nơi cư trú",
    ):
        assert part in (record.text or "")
    await son.press("Hoàn thành xuất sắc nhiệm vụ", message=choose)
    await bot.fake.wait_until(lambda: "Ghi nhận?" in (choose.text or ""))  # a review first
    assert (choose.text or "").startswith(
        "Xếp loại của Phạm Bình: <b>Hoàn thành xuất sắc nhiệm vụ</b> (đảng viên tự đề xuất: "
        "Hoàn thành tốt nhiệm vụ)."
    )
    ungraded = await plan_of(bot, ids["binh"])
    assert ungraded is not None and ungraded.final_grade is None
    await son.press("↩️ Chọn lại", message=choose)
    await bot.fake.wait_until(
        lambda: (choose.text or "").startswith("Ghi nhận xếp loại của đồng chí Phạm Bình:")
    )
    await son.press("Hoàn thành xuất sắc nhiệm vụ", message=choose)
    await bot.fake.wait_until(lambda: "Ghi nhận?" in (choose.text or ""))
    await son.press("✅ Ghi nhận xếp loại", message=choose)
    await bot.fake.wait_until(lambda: (choose.text or "").startswith("🏅 Đã ghi nhận"))
    await delivered(bot)
    [graded] = got(bot, BINH, "🏅 The committee recorded your grade")
    assert "Excellently completed duties" in (graded.text or "")

    menu = await open_plan_menu(binh, "📝 Yearly plan")
    assert "Final grade: Excellently completed duties" in (menu.text or "")
    assert "📋 Self-assessment" not in menu.buttons()
    await binh.press("📄 My year record", message=menu)
    year_record = await binh.wait_for_message()
    for part in (
        "Yearly plan",
        "Commitment: accepted on",
        "Residence branch comment</b>\nNone recorded yet.",
        "Proposed grade: Well completed duties",
        "Final grade</b>: Excellently completed duties",
    ):
        assert part in (year_record.text or "")
    plan = await plan_of(bot, ids["binh"])
    assert plan is not None and plan.final_grade == Grade.EXCELLENT
    assert plan.proposed_grade == Grade.GOOD and plan.graded_by_member_id == ids["son"]
    assert plan.assessment["ideology"] == {"result": "done", "note": "Read every resolution."}
    assert await events(bot, plan_id) == ["self_assessed", "graded"]

    await son.press_data(f"plgd:{plan_id}:1", message=choose)  # a stale button: another grade
    await bot.fake.wait_until(lambda: len(bot.fake.callback_answers) > 0)
    await bot.fake.wait_until(
        lambda: (bot.fake.callback_answers[-1].text or "").startswith("Kết quả xếp loại")
    )
    assert bot.fake.callback_answers[-1].text == (
        "Kết quả xếp loại cuối cùng đã được ghi nhận trước đó (Hoàn thành xuất sắc nhiệm vụ); "
        "không thay đổi."
    )
    plan = await plan_of(bot, ids["binh"])
    assert plan is not None and plan.final_grade == Grade.EXCELLENT
    assert await events(bot, plan_id) == ["self_assessed", "graded"]


async def test_branch_a_cannot_see_or_act_on_branch_b_records(bot: RunningBot) -> None:
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        dung_plan = (await put_plan(session, ids["dung"], PlanStatus.SUBMITTED)).id
        dung_graded = (
            await put_plan(session, ids["ha"], PlanStatus.ACCEPTED, assessed=Grade.GOOD)
        ).id
        an_plan = (await put_plan(session, ids["an"], PlanStatus.SUBMITTED)).id
        son_plan = (await put_plan(session, ids["son"], PlanStatus.SUBMITTED)).id
    forged = [
        f"plr:{dung_plan}",
        f"plok:{dung_plan}",
        f"plret:{dung_plan}",
        f"plrec:{ids['dung']}",
        f"plgr:{dung_graded}",
        f"plgd:{dung_graded}:0",
    ]
    for data in forged:  # a plain member of CB1, and CB1's secretary: CB2 is not theirs
        await assert_refused(bot, AN, data)
        await assert_refused(bot, SON, data)
    for data in (f"plok:{an_plan}", f"plrec:{ids['son']}", "plq", "plov"):
        await assert_refused(bot, AN, data)  # nor may a member act as the committee at home
    await assert_refused(bot, SON, f"plok:{son_plan}")  # nobody reviews their own plan
    await assert_refused(bot, SON, "plgd:99999:0")
    await assert_refused(bot, SON, f"plgd:{an_plan}:9")
    await bot.settle()
    assert (await plan_of(bot, ids["dung"])).status == PlanStatus.SUBMITTED  # type: ignore[union-attr]
    assert (await plan_of(bot, ids["ha"])).final_grade is None  # type: ignore[union-attr]
    assert (await plan_of(bot, ids["an"])).status == PlanStatus.SUBMITTED  # type: ignore[union-attr]
    assert [m for m in bot.fake.chat(SON).messages if "Vũ Dũng" in (m.text or "")] == []

    # CB1's list of plans to review holds An's plan (not Sơn's own); CB2's secretary may
    # accept Dũng's.
    son = user(bot, SON)
    await son.send_text("📝 Kế hoạch năm")
    await son.press("📥 Kế hoạch chờ duyệt", message=await son.wait_for_message())
    listing = await son.wait_for_message()
    assert listing.buttons() == ["Lê An · Chi bộ Khu phố 1"]
    ha = user(bot, HA)
    await ha.press_data(f"plok:{dung_plan}:0", message=listing)  # read with no history yet
    await bot.settle()
    assert (await plan_of(bot, ids["dung"])).status == PlanStatus.ACCEPTED  # type: ignore[union-attr]


async def test_overview_per_committee_and_branch_against_the_targets(bot: RunningBot) -> None:
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        await put_plan(session, ids["an"], PlanStatus.ACCEPTED)
        await put_plan(session, ids["son"], PlanStatus.RETURNED)
        await put_plan(session, ids["binh"], PlanStatus.DRAFT)
        plan = await put_plan(session, ids["dung"], PlanStatus.ACCEPTED, assessed=Grade.GOOD)
        plan.final_grade = Grade.GOOD
        await put_plan(session, ids["ha"], PlanStatus.SUBMITTED)
    phuong = user(bot, PHUONG)
    menu = await open_plan_menu(phuong)
    await phuong.press("📊 Tổng hợp kế hoạch", message=menu)
    overview = (await phuong.wait_for_message()).text or ""
    committee, cb1, cb2 = overview.split("\n\n")[1:4]
    assert committee.startswith("<b>Đảng bộ Phường 1</b>\nSố đảng viên: 8")
    assert "⚠️ Đã nộp: 4/8 (50%; chỉ tiêu 100%)" in committee
    assert "Chờ duyệt: 1 · đã duyệt: 2 · trả lại: 1 · chưa nộp: 4" in committee
    assert "Hoàn thành tốt nhiệm vụ: 1" in committee
    assert "⚠️ Hoàn thành tốt nhiệm vụ trở lên: 12%" in committee
    assert cb1.startswith("<b>Chi bộ Khu phố 1</b>\nSố đảng viên: 5") and "chưa nộp: 3" in cb1
    assert cb2.startswith("<b>Chi bộ Khu phố 2</b>\nSố đảng viên: 3")
    assert "⚠️ Đã nộp: 2/3 (67%" in cb2 and "chưa nộp: 1" in cb2
    # A branch secretary sees their own branch only.
    son = user(bot, SON)
    await son.press("📊 Tổng hợp kế hoạch", message=await open_plan_menu(son))
    own = (await son.wait_for_message()).text or ""
    assert "Chi bộ Khu phố 1" in own and "Khu phố 2" not in own and "Phường 1" not in own


async def test_too_long_text_keeps_the_draft_and_the_deadline_closes_editing(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    an = user(bot, AN)
    await an.press("✍️ Xây dựng kế hoạch", message=await open_plan_menu(an))
    await an.wait_for_message()
    reply = await answer(an, "A" * 2001)
    assert reply.text == (
        "Nội dung phần này dài 2001 ký tự; ở đây chỉ được tối đa 2000 ký tự. Đề nghị đồng chí "
        "rút gọn rồi gửi lại: những gì đã nhập trước đó vẫn được giữ."
    )
    async with bot.db() as session:
        draft = await get_flow(session, AN)
        assert draft is not None and draft.data == {"key": "ideology", "then": "next"}
    assert "Phần 2/5" in ((await answer(an, "Ngắn gọn.")).text or "")
    assert "Phần 3/5" in ((await answer(an, "\u200b\u200d\x00 Ngay thẳng. \ufeff")).text or "")
    plan = await plan_of(bot, ids["an"])
    assert plan is not None and plan.sections == {"ideology": "Ngắn gọn.", "ethics": "Ngay thẳng."}

    async with bot.db() as session:
        await set_season(
            session,
            await session.get_one(Unit, await unit_id(bot, "HU")),
            open_season(local_today(), deadline=local_today() - timedelta(days=1)),
        )
    refused = await answer(an, "Viết sau hạn.")
    assert refused.text is not None and refused.text.startswith("Hạn nộp kế hoạch năm")
    menu = await open_plan_menu(an)
    assert "đồng chí chưa nộp kế hoạch" in (menu.text or "")  # and what to do about it
    assert "🙋 Đề nghị mở lại kế hoạch" in menu.buttons()
    assert "✍️ Viết tiếp kế hoạch (2/5)" not in menu.buttons()
    await an.press_data("plfill", message=menu)
    await bot.fake.wait_until(lambda: (bot.fake.callback_answers[-1].text or "").startswith("Hạn"))
    plan = await plan_of(bot, ids["an"])
    assert plan is not None and "work" not in plan.sections


async def test_reminders_reach_exactly_the_members_missing_and_their_secretary(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    today = local_today()
    hu = await unit_id(bot, "HU")
    async with bot.db(settle=False) as session:
        await put_plan(session, ids["an"], PlanStatus.SUBMITTED)
        await put_plan(session, ids["ha"], PlanStatus.ACCEPTED)
        await put_plan(session, ids["binh"], PlanStatus.DRAFT)  # a draft is still missing
        await schedule_plan_reminders(
            session, SeasonDefaults(), today.year, tz=TZ, hour=8, now=clock.now()
        )
        keys = [job.key for job in await schedule.jobs_with_prefix(session, "plan_reminder:")]
        assert f"plan_reminder:{hu}:{today.year}:7" in keys
        assert f"plan_reminder:{hu}:{today.year}:1" in keys
        # The seven-day reminder's time has come.
        payload = {"unit_id": hu, "year": today.year, "days": 7}
        key = f"plan_reminder:{hu}:{today.year}:7"
        await schedule.schedule(session, KIND, key, clock.now(), payload)
    assert bot.chibo is not None
    bot.chibo.scheduler.wake()

    async def ran() -> bool:
        async with bot.db(settle=False) as session:
            [job] = [j for j in await schedule.jobs_with_prefix(session, key)]
            return job.done_at is not None

    await bot.fake.wait_until(ran, 10)
    await delivered(bot)
    reminded = {m.chat_id for m in bot.fake.sent if "🔔" in (m.text or "")}
    assert reminded == {SON, BINH, KHANH, DUNG, PHUONG}
    [english] = got(bot, BINH, "🔔 Reminder: your yearly plan of")
    assert english.buttons() == ["📝 My plan"]
    [cb1_list] = got(bot, SON, "📋 Chi bộ Khu phố 1 còn 4 đảng viên chưa nộp")
    names = (cb1_list.text or "").split("\n")[1:]
    assert names == ["• Hoàng Cường", "• Ngô Khánh", "• Phạm Bình", "• Trần Sơn"]
    [cb2_list] = got(bot, HA, "📋 Chi bộ Khu phố 2 còn 2 đảng viên chưa nộp")
    assert (cb2_list.text or "").split("\n")[1:] == ["• Mai Phương", "• Vũ Dũng"]
    assert got(bot, KHANH, "📋") == [] and got(bot, PHUONG, "📋") == []
    # The member's button opens their plan.
    binh = user(bot, BINH, "en")
    await binh.press("📝 My plan", message=english)
    assert "Yearly plan" in ((await binh.wait_for_message()).text or "")


async def test_an_english_speaking_member_writes_and_submits_to_branch_b(bot: RunningBot) -> None:
    ids = await seed(bot)
    dung = user(bot, DUNG, "en")
    menu = await open_plan_menu(dung, "📝 Yearly plan")
    assert "Status: not started" in (menu.text or "") and "Deadline: " in (menu.text or "")
    await dung.press("✍️ Write my plan", message=menu)
    prompt = await dung.wait_for_message()
    assert "Part 1/5: Political ideology and study" in (prompt.text or "")
    for text in ("Study the resolutions.", "Live simply.", "Finish every task.", "Join the"):
        prompt = await answer(dung, text)
    assert "Part 5/5: Other" in (prompt.text or "")
    await dung.press("⏭ Nothing to add", message=prompt)
    commitment = await dung.wait_for_message()
    assert "I commit to: study and firmly follow" in (commitment.text or "")
    await dung.press("✅ I accept the commitment", message=commitment)
    _plan, actions = await dung.wait_for_messages(2)
    await dung.press("📤 Submit to the committee", message=actions)
    assert "was submitted to the committee on" in ((await dung.wait_for_message()).text or "")
    await delivered(bot)
    # CB2's own committee hears of it, in its language; not CB1's, nor the one above.
    [note] = got(bot, HA, "📥 Đồng chí Vũ Dũng đã gửi kế hoạch")
    assert note.buttons() == ["📖 Xem kế hoạch"]
    assert (
        got(bot, SON, "📥") == [] and got(bot, KHANH, "📥") == [] and got(bot, PHUONG, "📥") == []
    )
    plan = await plan_of(bot, ids["dung"])
    assert plan is not None and plan.commitment_text is not None
    assert plan.commitment_text.startswith("I commit to")
