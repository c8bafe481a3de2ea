"""Yearly plans as a feature package: buttons already sitting in members' chats and outbox
rows (written by hand before the codec) keep working, drafts stored as before load and
continue, refusals keep their audited reasons, and its use cases run without Telegram."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import Actor
from bot.settings import Settings
from handlers.plans import actions, buttons
from handlers.plans.actions import Refused
from handlers.plans.buttons import (
    GoalMark,
    GradeRef,
    MemberYear,
    PlanGrade,
    PlanRead,
    PlanRef,
    RecordOf,
    SectionRef,
)
from handlers.plans.common import GRADES
from handlers.plans.draft import NoteDraft, PlanDraft, ReturnDraft
from handlers.plans.feature import FEATURE
from handlers.plans.notify import member_reminder, reopen_request
from handlers.shared.buttons import PRESSED, ButtonKind
from handlers.shared.usecase import Env, NotAllowed
from storage import clock
from storage.db import transaction
from storage.flows import get_flow, save_flow
from storage.members import account_and_member
from storage.models import Grade, OutboxMessage, PlanStatus, Role, TelegramAccount
from storage.plan_reports import Person
from storage.plan_seasons import set_season
from storage.plans import SECTIONS, GoalResult
from tests.factories import member, tree
from tests.harness import RunningBot
from tests.plan_helpers import AN, BINH, SON, local_today, open_season, plan_of, put_plan, seed
from tests.test_plans import delivered, got, open_plan_menu, user

PLAN_ID, MEMBER_ID, VERSION, YEAR = 417, 52, 9, 2027

# Every plan button with a value, and the data the handlers wrote by hand for it.
WRITTEN: list[tuple[ButtonKind[Any], Any, str]] = [
    (buttons.EDIT, SectionRef(2), f"pledit:{2}"),
    (buttons.RESULT_OF, GoalMark(3, 1), f"plres:{3}:{1}"),
    (buttons.PROPOSE, GradeRef(1), f"plprop:{1}"),
    (buttons.PROPOSE_SEND, GradeRef(3), f"plpropy:{3}"),
    (buttons.READ, PlanRef(PLAN_ID), f"plr:{PLAN_ID}"),
    (buttons.ACCEPT, PlanRead(PLAN_ID, VERSION), f"plok:{PLAN_ID}:{VERSION}"),
    (buttons.ACCEPT, PlanRead(PLAN_ID, 0), f"plok:{PLAN_ID}:{0}"),  # read with no history
    (buttons.RETURN, PlanRead(PLAN_ID, VERSION), f"plret:{PLAN_ID}:{VERSION}"),
    (buttons.RECORD, RecordOf(), "plrec"),
    (buttons.RECORD, RecordOf(MEMBER_ID), f"plrec:{MEMBER_ID}"),
    (buttons.GRADE_READ, PlanRef(PLAN_ID), f"plgr:{PLAN_ID}"),
    (buttons.GRADE_PICK, PlanGrade(PLAN_ID, 2), f"plgd:{PLAN_ID}:{2}"),
    (buttons.GRADE_RECORD, PlanGrade(PLAN_ID, 0), f"plgdy:{PLAN_ID}:{0}"),
    (buttons.GRADE_AGAIN, PlanRef(PLAN_ID), f"plgb:{PLAN_ID}"),
    (buttons.REOPEN, MemberYear(MEMBER_ID, YEAR), f"plro:{MEMBER_ID}:{YEAR}"),
]
# The buttons without a value: their data is the prefix, as it always was.
BARE = {
    buttons.MENU: "plmenu",
    buttons.ASK_REOPEN: "plask",
    buttons.FILL: "plfill",
    buttons.SKIP: "plskip",
    buttons.COMMIT: "plcommit",
    buttons.VIEW: "plview",
    buttons.SUBMIT: "plsubmit",
    buttons.ASSESS: "plsa",
    buttons.NO_NOTE: "plnonote",
    buttons.REVIEW_LIST: "plq",
    buttons.RETURN_CANCEL: "plretx",
    buttons.GRADE_LIST: "plga",
    buttons.OVERVIEW: "plov",
}
# The patterns the hand-written CallbackQueryHandlers of handlers/plan_*.py answered.
OLD_PATTERNS = [
    r"^plmenu$", r"^plask$", r"^plro:\d+:\d+$", r"^plfill$", r"^plskip$", r"^plcommit$",
    r"^plview$", r"^pledit:", r"^plsubmit$", r"^plq$", r"^plr:", r"^plok:", r"^plret:",
    r"^plretx$", r"^plsa$", r"^plres:", r"^plnonote$", r"^plprop:", r"^plpropy:",
    r"^plrec(:\d+)?$", r"^plga$", r"^plgr:", r"^plgd:", r"^plgdy:", r"^plgb:", r"^plov$",
]  # fmt: skip


def test_every_plan_button_keeps_the_data_written_before() -> None:
    for kind, value, written in WRITTEN:
        assert kind.data(value) == written
        assert kind.parse(written) == value
    for kind, written in BARE.items():
        assert kind.data() == written
        assert kind.parse(written) is PRESSED
    # Every index the handlers wrote parses; one past the last is refused.
    for i in range(len(SECTIONS)):
        assert buttons.EDIT.parse(f"pledit:{i}") == SectionRef(i)
    assert buttons.EDIT.parse(f"pledit:{len(SECTIONS)}") is None
    for i in range(len(GoalResult)):
        assert buttons.RESULT_OF.parse(f"plres:0:{i}") == GoalMark(0, i)
    assert buttons.RESULT_OF.parse(f"plres:0:{len(GoalResult)}") is None
    for i in range(len(GRADES)):
        assert buttons.GRADE_PICK.parse(f"plgd:5:{i}") == PlanGrade(5, i)
    assert buttons.GRADE_PICK.parse(f"plgd:5:{len(GRADES)}") is None


def test_the_routes_answer_the_data_the_old_patterns_answered() -> None:
    """Each old string reaches exactly one route, the one of its kind, as each reached
    exactly one hand-written handler; and the plans answer no prefix they did not before."""
    routes = list(FEATURE.buttons)
    assert sorted(r.kind.prefix for r in routes) == sorted(
        {p.split(":")[0].split("$")[0].split("(")[0][1:] for p in OLD_PATTERNS}
    )
    written = [data for _kind, _value, data in WRITTEN] + list(BARE.values())
    for data in written:
        old = [p for p in OLD_PATTERNS if re.match(p, data)]
        new = [r for r in routes if re.match(r.kind.pattern, data)]
        assert len(old) == 1 and len(new) == 1, data
        assert new[0].kind.parse(data) is not None


def test_outbox_buttons_are_written_as_before() -> None:
    """The JSON of the buttons queued to the outbox: the reminder's and the request's."""
    settings = Settings(_env_file=None)
    account = TelegramAccount(user_id=AN, language="en")
    person = Person(member=_Member(7, "Lê An"), account=account)  # type: ignore[arg-type]
    reminder = member_reminder(person, open_season(local_today()), settings)
    assert reminder.payload["reply_markup"] == {
        "inline_keyboard": [[{"text": "📝 My plan", "callback_data": "plmenu"}]]
    }
    season = open_season(local_today())
    request = reopen_request(account, 9, _Member(7, "Lê An"), season, settings)  # type: ignore[arg-type]
    assert request.payload["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "🔓 Reopen the plan", "callback_data": f"plro:7:{season.year}"}]
        ]
    }


class _Member:
    def __init__(self, member_id: int, full_name: str) -> None:
        self.id, self.full_name = member_id, full_name


def test_plan_draft_shapes_of_today_load_with_their_step() -> None:
    shapes: list[tuple[Any, dict[str, Any], str]] = [
        (PlanDraft, {"key": "work", "then": "next"}, "section"),
        (PlanDraft, {"key": "other", "then": "review"}, "section"),
        (PlanDraft, {}, "commitment"),
        (NoteDraft, {"key": "ethics"}, "note"),
        (ReturnDraft, {"plan_id": 5, "version": 3}, "comment"),
        (ReturnDraft, {"plan_id": 5, "version": None}, "comment"),
    ]
    for kind, data, step in shapes:
        draft = kind.load(data)
        assert draft.step == step
        assert draft.dump() == data  # written back as it was read
    assert PlanDraft.load({"key": "work", "then": "review"}) == PlanDraft("work", "review")
    assert ReturnDraft.load({"plan_id": 5}) == ReturnDraft(5, None)  # read as the handler did


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def test_drafts_stored_as_before_continue(bot: RunningBot) -> None:
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        await put_plan(session, ids["an"], PlanStatus.DRAFT)
        returned = await put_plan(session, ids["binh"], PlanStatus.SUBMITTED)
        returned_id = returned.id
    an, son = user(bot, AN), user(bot, SON)

    # A section asked from the plan's review, stored as the handlers stored it.
    async with bot.db(settle=False) as session:
        await save_flow(
            session, AN, "plan", "section", {"key": "work", "then": "review"}, clock.now()
        )
    await an.send_text("Hoàn thành 120% kế hoạch công tác.")
    saved, _plan, actions_message = await an.wait_for_messages(3)
    assert (saved.text or "").startswith("💾 Đã lưu mục 3")
    assert "📤 Gửi chi ủy" in actions_message.buttons()
    found = await plan_of(bot, ids["an"])
    assert found is not None and found.sections["work"] == "Hoàn thành 120% kế hoạch công tác."
    async with bot.db() as session:
        assert await get_flow(session, AN, "plan") is None

    # The commitment step: a text is not an answer, the question comes again.
    async with bot.db(settle=False) as session:
        await save_flow(session, AN, "plan", "commitment", {}, clock.now())
    await an.send_text("Đồng ý")
    again, commitment = await an.wait_for_messages(2)
    assert again.text == "Đồng chí vui lòng trả lời bằng các nút bên dưới."
    assert commitment.buttons() == ["✅ Tôi chấp nhận cam kết"]

    # A committee member's comment, stored with the version read: returned with it.
    data = {"plan_id": returned_id, "version": 0}
    async with bot.db(settle=False) as session:
        await save_flow(session, SON, "plan_return", "comment", data, clock.now())
    shown = await _answer(son, "Cần cụ thể hơn.")
    assert shown.text == "Đồng chí đã viết:\n«Cần cụ thể hơn.»\n\nGửi nội dung này?"
    await son.press("✅ Gửi", message=shown)
    done = await son.wait_for_message()
    assert done.text == "↩️ Đã trả lại kế hoạch của đồng chí Phạm Bình kèm ý kiến của đồng chí."
    back = await plan_of(bot, ids["binh"])
    assert back is not None and back.status == PlanStatus.RETURNED
    assert back.review_comment == "Cần cụ thể hơn."


async def test_a_note_draft_stored_as_before_continues(bot: RunningBot) -> None:
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        plan = await put_plan(session, ids["an"], PlanStatus.ACCEPTED)
        plan.assessment = {"ideology": {"result": "done", "note": ""}}
        await save_flow(session, AN, "plan_note", "note", {"key": "ideology"}, clock.now())
    an = user(bot, AN)
    await an.send_text("Đọc đủ các nghị quyết.")
    saved, following = await an.wait_for_messages(2)
    assert (saved.text or "").startswith("💾 Đã lưu")
    assert "Mục tiêu 2/4" in (following.text or "")
    found = await plan_of(bot, ids["an"])
    assert found is not None
    assert found.assessment["ideology"] == {"result": "done", "note": "Đọc đủ các nghị quyết."}


async def _answer(member: Any, text: str) -> Any:
    await member.send_text(text)
    return await member.wait_for_message()


async def test_buttons_pressed_as_written_before_grade_and_show_the_record(
    bot: RunningBot,
) -> None:
    """The committee grades with the data of today's buttons, typed as the old handlers
    wrote them; the member opens the plan from the message and reads the year record."""
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        plan_id = (
            await put_plan(session, ids["binh"], PlanStatus.ACCEPTED, assessed=Grade.GOOD)
        ).id
    son, binh = user(bot, SON), user(bot, BINH, "en")
    menu = await open_plan_menu(son)
    await son.press_data("plga", message=menu)
    listing = await son.wait_for_message()
    assert listing.buttons() == ["Phạm Bình · Chi bộ Khu phố 1"]
    await son.press_data(f"plgr:{plan_id}", message=listing)
    _record, choose = await son.wait_for_messages(2)
    await son.press_data(f"plgd:{plan_id}:0", message=choose)
    await bot.fake.wait_until(lambda: "Ghi nhận?" in (choose.text or ""))
    await son.press_data(f"plgb:{plan_id}", message=choose)
    await bot.fake.wait_until(lambda: "Ghi nhận?" not in (choose.text or ""))
    await son.press_data(f"plgd:{plan_id}:0", message=choose)
    await bot.fake.wait_until(lambda: "Ghi nhận?" in (choose.text or ""))
    await son.press_data(f"plgdy:{plan_id}:0", message=choose)
    await bot.fake.wait_until(lambda: (choose.text or "").startswith("🏅 Đã ghi nhận"))
    await delivered(bot)
    [graded] = got(bot, BINH, "🏅 The committee recorded your grade")
    assert graded.buttons() == ["📝 My plan"]
    graded_plan = await plan_of(bot, ids["binh"])
    assert graded_plan is not None and graded_plan.final_grade == GRADES[0]

    await binh.press_data("plmenu", message=graded)
    own = await binh.wait_for_message()
    assert "Final grade: Excellently completed duties" in (own.text or "")
    await binh.press_data("plrec", message=own)
    assert "Final grade</b>: Excellently" in ((await binh.wait_for_message()).text or "")
    await son.press_data(f"plrec:{ids['binh']}", message=choose)
    assert "Phạm Bình" in ((await son.wait_for_message()).text or "")


async def test_forged_plan_buttons_are_refused_with_the_handlers_reasons(bot: RunningBot) -> None:
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        plan_id = (await put_plan(session, ids["an"], PlanStatus.SUBMITTED)).id
    son = user(bot, SON)
    await son.send_text("/menu")
    await son.wait_for_message()
    forged = {
        f"plgd:{plan_id}:{len(GRADES)}": "plan_grade",
        f"plgdy:{plan_id}": "plan_grade",
        f"plok:{plan_id}": "plan_review_plans",
        f"plret:{plan_id}:x": "plan_review_plans",
        f"plgr:{plan_id}:1": "plan_grade_members",
        f"pledit:{len(SECTIONS)}": "plan_edit",
        "plres:0:9": "plan_result",
        "plprop:-1": "plan_propose",
    }
    for data in forged:
        before = len(bot.fake.callback_answers)
        await son.press_data(data)
        await bot.fake.wait_until(lambda: len(bot.fake.callback_answers) > before)  # noqa: B023
    refused = await bot.audit("refused")
    assert [(r.details or {}).get("reason") for r in refused] == list(forged.values())


async def _actor(session: AsyncSession, telegram_id: int) -> Actor:
    _account, found = await account_and_member(session, telegram_id, None)
    return Actor.of(telegram_id, found)


async def test_use_cases_run_without_telegram(sessions: async_sessionmaker[AsyncSession]) -> None:
    woken: list[str] = []
    settings = Settings(_env_file=None)
    now = clock.now()
    env = Env(settings, now, lambda: woken.append("sender"), lambda: woken.append("scheduler"))
    async with transaction(sessions) as session:
        units = await tree(session)
        cb1 = units["CB1"]
        await set_season(session, units["HU"], open_season(local_today()))
        son = await member(
            session, cb1, "Trần Sơn", "0912000001", telegram_id=SON, role=Role.SECRETARY
        )
        an = await member(session, cb1, "Lê An", "0912000002", telegram_id=AN)
        son_actor, an_actor = await _actor(session, SON), await _actor(session, AN)

        found = await actions.plan_to_write(session, an_actor, env)
        for key in SECTIONS:
            await actions.write_section(session, an_actor, key, f"Mục {key}", env)
        with pytest.raises(NotAllowed):  # nobody hands in another member's plan
            await actions.submit_own_plan(session, son_actor, an, env)
        with pytest.raises(Refused) as refused:
            await actions.submit_own_plan(session, an_actor, an, env)
        assert refused.value.code == "no_commitment" and woken == []
        await actions.commit_to_plan(session, an_actor, "Tôi xin cam kết", env)
        submitted = await actions.submit_own_plan(session, an_actor, an, env)
        assert submitted.plan.id == found.plan.id and submitted.plan.status == PlanStatus.SUBMITTED
        assert woken == ["sender"]  # the committee's 📥 note is queued

        with pytest.raises(NotAllowed):  # nobody reviews their own plan
            await actions.accept_plan(session, an_actor, found.plan.id, 0, env)
        with pytest.raises(Refused) as refused:  # read before the submission it now holds
            await actions.accept_plan(session, son_actor, found.plan.id, 0, env)
        assert refused.value.code == "changed_since_read"
        returned = await actions.return_plan(
            session, son_actor, found.plan.id, "Cụ thể hơn.", None, env
        )
        assert returned.status == PlanStatus.RETURNED and woken == ["sender"] * 2
        with pytest.raises(NotAllowed):
            await actions.reopen_plan(session, an_actor, son.id, found.season.year, "x", env)
        with pytest.raises(Refused):  # not accepted yet: no self-assessment
            await actions.plan_to_assess(session, an_actor, env)
        queued = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert [m.chat_id for m in queued] == [SON, AN]  # Sơn's 📥, then An's ↩️
