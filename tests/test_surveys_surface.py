"""Surveys as a feature package: buttons keep the data the handlers wrote by hand (those in
chats and outbox rows keep working, pressed as they are), wizard drafts stored before the typed
draft continue, refusals keep their reasons, and the use cases run without Telegram."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import Actor
from bot.settings import Settings
from handlers.shared.usecase import Env, NotAllowed
from handlers.surveys import buttons
from handlers.surveys.actions import (
    OPEN_JOB,
    Unanswerable,
    answerable,
    close_survey_on_time,
    launch_survey,
    open_survey,
    remind_non_respondents,
    submit_answers,
)
from handlers.surveys.answer_draft import AnswerDraft
from handlers.surveys.buttons import Choice, Picked, QuestionRef, SurveyRef, UnitRef
from handlers.surveys.draft import UNSET, NewQuestion, SurveyDraft
from handlers.surveys.messages import answer_markup
from storage.db import transaction
from storage.flows import get_flow, save_flow
from storage.members import account_and_member
from storage.models import (
    AuditEntry,
    DeliveryStatus,
    OutboxMessage,
    Role,
    ScheduledJob,
    Survey,
    SurveyResponse,
)
from storage.survey_questions import Kind, Question
from tests.factories import member, tree
from tests.harness import RunningBot
from tests.survey_helpers import AN, SON, invitation, make_survey, seed

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


def test_survey_buttons_are_written_as_the_handlers_wrote_them_by_hand() -> None:
    s, u, i, v = 417, 12, 3, 2
    made = [
        buttons.NEW.data(),
        buttons.FROM_FILE.data(),
        buttons.LIST.data(),
        buttons.CARD.data(SurveyRef(s)),
        buttons.RESULTS.data(SurveyRef(s)),
        buttons.REMIND.data(SurveyRef(s)),
        buttons.AUDIENCE.data(UnitRef(u)),
        buttons.WHO.data(Choice(1)),
        buttons.KIND.data(Choice(8)),
        buttons.NO_LABELS.data(),
        buttons.REQUIRED.data(Choice(0)),
        buttons.DONE.data(),
        buttons.ANONYMOUS.data(Choice(1)),
        buttons.NO_CLOSING.data(),
        buttons.LAUNCH.data(),
        buttons.CANCEL.data(),
        buttons.START.data(SurveyRef(s)),
        buttons.ANSWER.data(Picked(s, i, v)),
        buttons.TOGGLE.data(Picked(s, i, v)),
        buttons.NEXT.data(QuestionRef(s, i)),
        buttons.SKIP.data(QuestionRef(s, i)),
        buttons.BACK.data(QuestionRef(s, i)),
        buttons.EDIT.data(QuestionRef(s, i)),
        buttons.SUBMIT.data(SurveyRef(s)),
    ]
    today = ["svnew", "svfile", "svlist", f"svc:{s}", f"svr:{s}", f"svrm:{s}", f"swa:{u}"]
    today += ["swr:1", "swk:8", "swl", "swq:0", "swd", "swn:1", "swo", "swgo", "swx"]
    today += [f"sva:{s}", f"sa:{s}:{i}:{v}", f"st:{s}:{i}:{v}", f"sn:{s}:{i}", f"ss:{s}:{i}"]
    today += [f"sb:{s}:{i}", f"se:{s}:{i}", f"sok:{s}"]
    assert made == today
    # The invitation's button in outbox rows, as survey_common wrote it by hand.
    assert answer_markup(s, "✍️ Answer") == {
        "inline_keyboard": [[{"text": "✍️ Answer", "callback_data": f"sva:{s}"}]]
    }
    assert buttons.ANSWER.parse(f"sa:{s}:{i}:{v}") == Picked(s, i, v)
    assert buttons.ANSWER.parse(f"sa:{s}:{i}") is None  # too few: refused by the route


def test_wizard_draft_shapes_of_today_load_with_their_step() -> None:
    question = Question("Có dự đủ không?", Kind.YESNO).to_json()
    base = {"unit_id": 4, "who": None, "title": "Góp ý"}
    shapes: list[tuple[dict[str, Any], str]] = [
        ({}, "audience"),
        ({"unit_id": 4}, "who"),
        ({"unit_id": 4, "who": "leaders"}, "title"),
        (base, "question"),
        ({**base, "current": {"text": "Q?"}}, "kind"),
        ({**base, "current": {"text": "Q?", "kind": "single", "scale": 5}}, "options"),
        ({**base, "current": {"text": "Q?", "kind": "rating", "scale": 10}}, "labels"),
        (
            {**base, "current": {"text": "Q?", "kind": "rating", "scale": 5, "labels": None}},
            "required",
        ),
        ({**base, "questions": [question], "current": {"text": "R?"}}, "kind"),
        ({**base, "questions": [question], "questions_done": True}, "anonymous"),
        ({**base, "questions": [question], "questions_done": True, "anonymous": False}, "closes"),
        (
            {**base, "questions": [question], "questions_done": True, "anonymous": True}
            | {"closes_at": None},
            "preview",
        ),
        (  # from a survey file
            {"unit_id": 4, "title": "Góp ý", "questions": [question], "questions_done": True}
            | {"anonymous": True, "min_responses": 3, "who": "leaders"}
            | {"opens_at": None, "closes_at": "2099-12-15T17:00:00+07:00"},
            "preview",
        ),
    ]
    for data, step in shapes:
        draft = SurveyDraft.load(data)
        assert draft.step == step, data
        assert draft.dump() == data  # written back as it was read
    rating = SurveyDraft.load(shapes[7][0])
    assert rating.current == NewQuestion("Q?", Kind.RATING, 5, None, None)
    assert SurveyDraft.load({"unit_id": 4}).who is UNSET
    file_draft = SurveyDraft.load(shapes[-1][0])
    assert file_draft.closes_at == datetime(2099, 12, 15, 17, tzinfo=TZ)
    assert (file_draft.opens_at, file_draft.min_responses) == (None, 3)


async def test_a_wizard_draft_stored_before_continues_with_todays_buttons(
    bot: RunningBot,
) -> None:
    """A draft stored by the old wizard at the kind step: resumed from the menu, every step
    then answered by pressing the data the old handlers wrote, and the survey goes out."""
    ids = await seed(bot)
    old = {"unit_id": ids["cb1"], "who": None, "title": "Góp ý", "current": {"text": "Có dự?"}}
    async with bot.db(settle=False) as session:
        await save_flow(session, SON, "survey_new", "kind", old, NOW)
    son = bot.fake.user(SON)
    await son.send_text("🗳 Khảo sát")
    menu = await son.wait_for_message()
    assert "✍️ Tiếp tục soạn phiếu" in menu.buttons()
    await son.press_data("svnew", message=menu)
    kind = await son.wait_for_message()
    assert kind.text == "Câu “Có dự?” trả lời theo hình thức nào?"
    await son.press_data("swk:99", message=kind)  # forged: refused with its reason
    await bot.settle()
    await son.press_data("swk:4", message=kind)  # Yes / no
    required = await son.wait_for_message()
    await son.press_data("swq:1", message=required)
    second = await son.wait_for_message()
    assert second.text == "Câu 2: đồng chí gửi nội dung câu hỏi."
    await son.press_data("swd", message=second)
    anonymous = await son.wait_for_message()
    await son.press_data("swn:0", message=anonymous)
    closes = await son.wait_for_message()
    await son.press_data("swo", message=closes)
    preview = await son.wait_for_message()
    assert "1. Có dự? <i>(Có / không, bắt buộc)</i>" in (preview.text or "")
    await son.press_data("swgo", message=preview)
    await bot.settle()
    assert preview.text == "🗳 Phiếu khảo sát đang được gửi đến 7 đảng viên của Chi bộ Khu phố 1."
    await invitation(bot, AN)
    async with bot.db() as session:
        [survey] = list(await session.scalars(select(Survey)))
        assert (survey.title, survey.anonymous, survey.closes_at) == ("Góp ý", False, None)
        assert await get_flow(session, SON, "survey_new") is None
        reasons = [
            e.details["reason"]
            for e in await session.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))
        ]
    assert reasons == ["survey_bad_kind"]


async def test_answer_buttons_pressed_as_the_old_handlers_wrote_them(bot: RunningBot) -> None:
    ids = await seed(bot)
    questions = [Question("Có?", Kind.YESNO), Question("Buổi?", Kind.SINGLE, options=("S", "C"))]
    survey_id = await make_survey(bot, ids, questions)
    await invitation(bot, AN)
    an = bot.fake.user(AN)
    await an.press_data(f"sva:{survey_id}")
    first = await an.wait_for_message()
    await an.press_data(f"sa:{survey_id}:0:1", message=first)
    second = await an.wait_for_message()
    await an.press_data(f"sa:{survey_id}:1:1", message=second)
    review = await an.wait_for_message()
    await an.press_data(f"se:{survey_id}:1", message=review)  # change the second answer
    again = await an.wait_for_message()
    await an.press_data(f"sa:{survey_id}:1:0", message=again)
    review = await an.wait_for_message()
    await an.press_data(f"sa:{survey_id}:1", message=review)  # forged: too few fields
    await an.press_data(f"sok:{survey_id}", message=review)
    await bot.fake.wait_until(lambda: "✅" in (review.text or ""))
    async with bot.db() as session:
        [response] = list(await session.scalars(select(SurveyResponse)))
        reasons = [
            e.details["reason"]
            for e in await session.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))
        ]
    assert response.answers == {"0": True, "1": 0}
    assert reasons == ["survey_button"]


def test_answer_draft_shapes_of_today_load_and_dump_unchanged() -> None:
    started = "2026-06-01T10:00:00.123456+07:00"
    fresh = {"survey_id": 5, "index": 0, "answers": {}, "picked": [], "started_at": started}
    later = fresh | {"index": 2, "answers": {"0": True, "1": [0, 2]}, "picked": [0, 2]}
    for data in (fresh, later, later | {"editing": False}, later | {"editing": True}):
        assert AnswerDraft.load(data).dump() == data
    draft = AnswerDraft.load(later)
    assert (draft.answer(1), draft.answer(5), draft.picked) == ([0, 2], None, (0, 2))
    assert draft.started_at == datetime.fromisoformat(started)


async def test_an_answer_draft_stored_before_continues(bot: RunningBot) -> None:
    """A member's draft stored by the old handlers at the second question: the next press
    continues it, and the stored answer is submitted with the new one."""
    ids = await seed(bot)
    questions = [Question("Có?", Kind.YESNO), Question("Buổi?", Kind.SINGLE, options=("S", "C"))]
    survey_id = await make_survey(bot, ids, questions)
    await invitation(bot, AN)
    old = {"survey_id": survey_id, "index": 1, "answers": {"0": False}, "picked": []}
    old["started_at"] = NOW.isoformat()
    async with bot.db(settle=False) as session:
        await save_flow(session, AN, "survey_answer", "question", old, NOW)
    an = bot.fake.user(AN)
    await an.send_text("hôm qua")  # typed to a button question: it comes again
    await an.wait_for_messages(2)
    await an.press_data(f"sa:{survey_id}:1:1")
    review = await an.wait_for_message()
    assert "→ <b>Không</b>" in (review.text or "") and "→ <b>C</b>" in (review.text or "")
    await an.press_data(f"sok:{survey_id}", message=review)
    await bot.fake.wait_until(lambda: "✅" in (review.text or ""))
    async with bot.db() as session:
        [response] = list(await session.scalars(select(SurveyResponse)))
    assert response.answers == {"0": False, "1": 1}


async def _actor(session: AsyncSession, telegram_id: int) -> Actor:
    _account, found = await account_and_member(session, telegram_id, None)
    return Actor.of(telegram_id, found)


async def test_use_cases_run_without_telegram(sessions: async_sessionmaker[AsyncSession]) -> None:
    woken: list[str] = []
    settings = Settings(_env_file=None)
    env = Env(settings, NOW, lambda: woken.append("sender"), lambda: woken.append("scheduler"))
    question = Question("Có?", Kind.YESNO)
    draft = SurveyDraft(
        unit_id=0, who=None, title="Góp ý", questions=(question,), questions_done=True
    )
    async with transaction(sessions) as session:
        units = await tree(session)
        cb1 = units["CB1"]
        await member(session, cb1, "Trần Sơn", "0912000001", telegram_id=701, role=Role.SECRETARY)
        await member(session, cb1, "Lê An", "0912000002", telegram_id=702)
        son, an = await _actor(session, 701), await _actor(session, 702)
        ready = SurveyDraft.load(
            draft.dump() | {"unit_id": cb1.id, "anonymous": False, "closes_at": None}
        )
        with pytest.raises(NotAllowed):
            await launch_survey(session, an, cb1, ready, env)
        launched = await launch_survey(session, son, cb1, ready, env)
        assert launched.sent == 2 and woken == ["sender", "scheduler"]
        survey = launched.survey
        assert await answerable(session, an, survey.id, NOW) == survey
        await session.execute(update(OutboxMessage).values(status=DeliveryStatus.SENT))
        reminder = await remind_non_respondents(session, son, survey, env)
        assert (reminder.targets, reminder.sent, reminder.closed) == (2, 2, False)
        later = Env(settings, NOW + timedelta(minutes=5))
        again = await remind_non_respondents(session, son, survey, later)
        assert (again.sent, again.skipped) == (0, 2) and again.reminded is not None
        with pytest.raises(NotAllowed):
            await remind_non_respondents(session, an, survey, env)
        assert await submit_answers(session, an, survey, {}, None, env) == [0]  # required
        assert await submit_answers(session, an, survey, {"0": True}, None, env) == []
        assert await answerable(session, an, survey.id, NOW) == Unanswerable.ANSWERED
        with pytest.raises(NotAllowed):
            await submit_answers(session, an, survey, {"0": True}, None, env)
        # The jobs' use cases: a survey opening later is invited by the job, then closed.
        opens = NOW + timedelta(days=1)
        later_draft = SurveyDraft.load(ready.dump() | {"opens_at": opens.isoformat()})
        booked = await launch_survey(session, son, cb1, later_draft, env)
        assert booked.sent is None
        kinds = list(await session.scalars(select(ScheduledJob.kind).order_by(ScheduledJob.id)))
        assert kinds == [OPEN_JOB]
        tomorrow = Env(settings, opens)
        assert await open_survey(session, booked.survey.id, tomorrow) == 2
        assert await open_survey(session, booked.survey.id, tomorrow) == 0  # sent once
        before = await session.scalar(select(func.count()).select_from(OutboxMessage))
        await close_survey_on_time(session, booked.survey.id, tomorrow)
        after = await session.scalar(select(func.count()).select_from(OutboxMessage))
        assert after == (before or 0) + 1  # the creator is told how many answered
        assert await answerable(session, an, booked.survey.id, opens) == Unanswerable.CLOSED
