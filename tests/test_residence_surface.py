"""Residence ties as a feature package: buttons already sitting in chats and outbox rows (their
data written by hand, as before the codec) and drafts stored before it keep working, and the
use cases run without Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import Actor
from bot.i18n import translator
from bot.settings import Settings
from handlers.residence import buttons as b
from handlers.residence.actions import (
    confirm_participation,
    confirm_tie,
    exempt,
    lift,
    open_comment_window,
    record_activity,
    register,
    remind_missing,
    send_comment,
)
from handlers.residence.buttons import (
    ActivityRef,
    CategoryChoice,
    MemberRef,
    PointAnswer,
    TieRef,
    UnitRef,
)
from handlers.residence.draft import (
    ActivityDraft,
    CommentDraft,
    DeclineDraft,
    ExemptDraft,
    RegisterDraft,
)
from handlers.residence.messages import activity_ask, decide_markup, register_reminder
from handlers.residence.window import KIND, job_key
from handlers.shared.buttons import ButtonKind
from handlers.shared.usecase import Env, NotAllowed
from storage import clock, schedule
from storage.db import transaction
from storage.flows import get_flow, save_flow
from storage.members import account_and_member
from storage.models import (
    ExemptionKind,
    OutboxMessage,
    ResidenceActivity,
    ResidenceExemption,
    ResidenceTie,
    Role,
    TieStatus,
)
from storage.residence import ResidenceError, TieDraft
from storage.residence_comments import CommentForm, comment_of
from storage.units import add_unit
from tests.factories import member, tree
from tests.fakebot import FakeBotApi
from tests.harness import RunningBot
from tests.residence_seed import AN, SON, TAM, residence_bot, seed, tie_for, user
from tests.test_residence import answer, open_residence, ties_of

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
async def bot(fake: FakeBotApi, database_url: str) -> AsyncIterator[RunningBot]:
    async with residence_bot(fake, database_url) as running:
        yield running


def test_buttons_are_written_as_the_handlers_wrote_them_by_hand() -> None:
    tie, activity, unit, member_id, index = 41, 7, 12, 305, 3
    made_and_today = [
        (b.REGISTER.data(), "rreg"),
        (b.HISTORY.data(), "rhist"),
        (b.ACTIVITY.data(), "ract"),
        (b.CANCEL.data(), "rcancel"),
        (b.BRANCH.data(UnitRef(unit)), f"rb:{unit}"),
        (b.OUTSIDE.data(), "rbx"),
        (b.SKIP.data(), "rskip"),
        (b.SAVE.data(), "rsave"),
        (b.PENDING.data(), "rpend"),
        (b.PENDING_ACTIVITIES.data(), "rapend"),
        (b.CONFIRM.data(TieRef(tie)), f"rok:{tie}"),
        (b.DECLINE.data(TieRef(tie)), f"rno:{tie}"),
        (b.CONFIRM_ACTIVITY.data(ActivityRef(activity)), f"rac:{activity}"),
        (b.DONE.data(), "rnoop"),
        (b.COMMENTS.data(), "rcl"),
        (b.COMMENT.data(TieRef(tie)), f"rcm:{tie}"),
        (b.POINT.data(PointAnswer(1)), "rcy:1"),
        (b.POINT.data(PointAnswer(0)), "rcy:0"),
        (b.SEND_COMMENT.data(), "rcsend"),
        (b.OVERVIEW.data(), "rov"),
        (b.BRANCH_DETAIL.data(UnitRef(unit)), f"rovb:{unit}"),
        (b.REMIND.data(UnitRef(unit)), f"rrm:{unit}"),
        (b.READ_COMMENTS.data(UnitRef(unit)), f"rcv:{unit}"),
        (b.EXEMPTIONS.data(UnitRef(unit)), f"rex:{unit}"),
        (b.EXEMPT_MEMBER.data(MemberRef(member_id)), f"rexm:{member_id}"),
        (b.EXEMPT_CATEGORY.data(CategoryChoice(member_id, index)), f"rexk:{member_id}:{index}"),
        (b.LIFT.data(MemberRef(member_id)), f"rexl:{member_id}"),
    ]
    assert [made for made, _today in made_and_today] == [today for _m, today in made_and_today]
    declared = {kind.prefix for kind in vars(b).values() if isinstance(kind, ButtonKind)}
    assert declared == {today.split(":")[0] for _m, today in made_and_today}  # none left out
    assert b.EXEMPT_CATEGORY.parse(f"rexk:{member_id}:{index}") == CategoryChoice(member_id, 3)
    assert b.POINT.parse("rcy:1") == PointAnswer(1)
    assert [b.POINT.parse(data) for data in ("rcy:2", "rcy:-1", "rcy:yes", "rcy")] == [None] * 4


def test_outbox_keyboards_are_todays() -> None:
    """The keyboards of outbox rows, as residence_common wrote them by hand."""
    _ = translator("en")
    tie = ResidenceTie(id=41)
    assert decide_markup(tie, _) == {
        "inline_keyboard": [
            [
                {"text": "✅ Confirm", "callback_data": "rok:41"},
                {"text": "❌ Decline", "callback_data": "rno:41"},
            ]
        ]
    }
    activity = ResidenceActivity(id=7, held_on=date(2026, 5, 3), what="Họp")
    _text, markup = activity_ask("An", "CB1", activity, _)
    assert markup == {
        "inline_keyboard": [[{"text": "✅ Confirm participation", "callback_data": "rac:7"}]]
    }


async def test_buttons_built_the_old_way_are_pressed_with_the_same_result(
    bot: RunningBot,
) -> None:
    """Each press carries data typed as the handlers wrote it before the codec."""
    ids = await seed(bot)
    an = user(bot, AN)
    hub = await open_residence(an)
    await an.press_data("rreg", message=hub)
    assert "tối đa 300 ký tự" in (await an.wait_for_message()).text
    await answer(an, "Số 5 ngõ 2")
    await an.press_data("rskip")
    await an.wait_for_message()
    found = await answer(an, "dong tam")
    await an.press_data(f"rb:{ids['r1']}", message=found)
    await an.wait_for_message()
    await an.press_data("rskip")
    preview = await an.wait_for_message()
    assert "Chi bộ Khu dân cư Đồng Tâm" in preview.text
    await an.press_data("rsave", message=preview)
    await bot.fake.wait_until(lambda: "Bí thư chi bộ nơi cư trú đã được đề nghị" in preview.text)
    [tie] = await ties_of(bot, ids["an"])
    assert (tie.status, tie.residence_branch_id, tie.commune, tie.letter_no) == (
        TieStatus.PENDING,
        ids["r1"],
        None,
        None,
    )

    tam = user(bot, TAM)
    ask = await tam.wait_for_message(timeout=10)
    await tam.press_data(f"rok:{tie.id}", message=ask)
    told = await an.wait_for_message(timeout=10)
    assert "✅ chi bộ nơi cư trú đã xác nhận" in told.text

    await tam.press_data(f"rcm:{tie.id}")
    await tam.wait_for_message()
    for data in ("rcy:1", "rcy:0", "rcy:1"):
        await tam.press_data(data)
        await tam.wait_for_message()
    preview = await answer(tam, "Tốt.")
    await tam.press_data("rcsend", message=preview)
    await bot.fake.wait_until(lambda: "📤" in (preview.text or ""))
    async with bot.db() as session:
        comment = await comment_of(session, ids["an"], clock.today(bot.settings.tz).year)
    assert comment is not None
    assert (comment.takes_part, comment.sets_example, comment.keeps_contact) == (True, False, True)

    son = user(bot, SON)
    await son.send_text("🏠 Sinh hoạt nơi cư trú")
    _own, tasks = await son.wait_for_messages(2)
    await son.press_data(f"rexk:{ids['binh']}:2", message=tasks)  # full-time study
    await bot.fake.wait_until(lambda: "Phạm Bình" in (tasks.text or ""))
    assert await _exemptions(bot, ids["binh"]) == [(ExemptionKind.FULL_TIME_STUDY, False)]
    await son.press_data(f"rexl:{ids['binh']}", message=tasks)
    await bot.fake.wait_until(lambda: "Phạm Bình" in (tasks.text or "") and "🛡" not in tasks.text)
    assert await _exemptions(bot, ids["binh"]) == [(ExemptionKind.FULL_TIME_STUDY, True)]


async def _exemptions(bot: RunningBot, member_id: int) -> list[tuple[ExemptionKind, bool]]:
    async with bot.db() as session:
        query = select(ResidenceExemption).where(ResidenceExemption.member_id == member_id)
        return [(e.kind, e.ended_at is not None) for e in await session.scalars(query)]


def test_draft_shapes_of_today_load_with_their_step() -> None:
    area = {"address": "Số 5", "commune": "Phường 1", "province": None}
    chosen = {**area, "branch_id": 9, "branch_text": None}
    register: list[tuple[dict[str, Any], str, str]] = [  # data, step column, step
        ({}, "address", "address"),
        ({"address": "Số 5"}, "area", "area"),
        (area, "branch", "branch"),
        (chosen, "letter_no", "letter_no"),
        ({**chosen, "letter_no": "15-GGT"}, "letter_date", "letter_date"),
        ({**chosen, "letter_no": "15-GGT", "letter_date": "2026-01-05"}, "preview", "preview"),
        ({**chosen, "letter_no": None, "letter_date": None}, "preview", "preview"),
        ({**area, "branch_id": None, "branch_text": "Tổ 9"}, "letter_no", "letter_no"),
    ]
    for data, stored, step in register:
        draft = RegisterDraft.load(data, stored)
        assert (draft.step, draft.dump()) == (step, data)  # written back as it was read
    # 'Not in the bot' was only in the step column: read from it, written in the data now.
    outside = RegisterDraft.load(area, "branch_text")
    assert outside.step == "branch_text" and outside.dump() == {**area, "outside": True}
    assert RegisterDraft.load(outside.dump()).step == "branch_text"

    activity = {"tie_id": 3, "date": "05/11/2026"}
    assert ActivityDraft.load({"tie_id": 3}).step == "date"
    assert ActivityDraft.load(activity).held_on == date(2026, 11, 5)
    assert (ActivityDraft.load(activity).step, ActivityDraft.load(activity).dump()) == (
        "what",
        activity,
    )
    comment: dict[str, Any] = {"tie_id": 3, "year": 2026}
    for point, answer_ in (("takes_part", True), ("sets_example", False), ("keeps_contact", True)):
        assert CommentDraft.load(comment).step == point
        comment = {**comment, point: answer_}
        assert CommentDraft.load(comment).dump() == comment
    assert CommentDraft.load(comment).step == "text"
    written = CommentDraft.load({**comment, "comment": "Tốt."})
    assert written.step == "preview" and written.form() == CommentForm(True, False, True, "Tốt.")
    assert DeclineDraft.load({"tie_id": 3}).dump() == {"tie_id": 3}
    assert ExemptDraft.load({"member_id": 4}).dump() == {"member_id": 4}
    assert DeclineDraft(3).step == ExemptDraft(4).step == "reason"


async def test_drafts_stored_in_todays_shape_continue(bot: RunningBot) -> None:
    ids = await seed(bot)
    an = user(bot, AN)
    await open_residence(an)
    area = {"address": "Số 5", "commune": "Phường 1", "province": "TP. Huế"}
    async with bot.db(settle=False) as session:  # after 'Not in the bot', as stored before
        await save_flow(session, AN, "residence", "branch_text", area, clock.now())
    await answer(an, "Chi bộ Tổ 9")
    async with bot.db() as session:
        state = await get_flow(session, AN, "residence")
    assert state is not None and state.step == "letter_no"
    assert state.data == {**area, "branch_id": None, "branch_text": "Chi bộ Tổ 9"}
    await an.press_data("rskip")
    preview = await an.wait_for_message()
    assert "Chi bộ Tổ 9" in preview.text
    await an.press_data("rsave", message=preview)
    await bot.fake.wait_until(lambda: "Chi bộ Tổ 9" not in (preview.text or ""))
    [tie] = await ties_of(bot, ids["an"])
    assert (tie.status, tie.residence_branch_text) == (TieStatus.UNLISTED, "Chi bộ Tổ 9")

    tie_id = await tie_for(bot, ids["binh"], ids["r1"])
    tam = user(bot, TAM)
    await open_residence(tam)
    await tam.wait_for_message()  # the tasks
    year = clock.today(bot.settings.tz).year
    data = {"tie_id": tie_id, "year": year, "takes_part": True, "sets_example": True}
    async with bot.db(settle=False) as session:
        await save_flow(session, TAM, "rcomment", "keeps_contact", data, clock.now())
    await tam.press_data("rcy:0")
    await tam.wait_for_message()
    preview = await answer(tam, "Gương mẫu.")
    await tam.press_data("rcsend", message=preview)
    await bot.fake.wait_until(lambda: "📤" in (preview.text or ""))
    async with bot.db() as session:
        comment = await comment_of(session, ids["binh"], year)
    assert comment is not None and comment.comment == "Gương mẫu."
    assert (comment.takes_part, comment.sets_example, comment.keeps_contact) == (True, True, False)


async def _actor(session: AsyncSession, telegram_id: int) -> Actor:
    _account, found = await account_and_member(session, telegram_id, None)
    return Actor.of(telegram_id, found)


async def _outbox(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


async def test_use_cases_run_without_telegram(sessions: async_sessionmaker[AsyncSession]) -> None:
    woken: list[str] = []
    settings = Settings(
        _env_file=None, residence_comment_opens="01-01", residence_comment_closes="12-31"
    )
    env = Env(settings, NOW, lambda: woken.append("sender"), lambda: woken.append("scheduler"))
    async with transaction(sessions) as session:
        units = await tree(session)
        r1 = await add_unit(session, "R1", "Chi bộ Khu dân cư Đồng Tâm", "HX", True, True)
        son = await member(
            session, units["CB1"], "Trần Sơn", "0913000001", telegram_id=SON, role=Role.SECRETARY
        )
        an = await member(session, units["CB1"], "Lê An", "0913000002", telegram_id=AN)
        await member(session, r1, "Nguyễn Tâm", "0913000003", telegram_id=TAM, role=Role.SECRETARY)
        son_actor, an_actor, tam_actor = [await _actor(session, t) for t in (SON, AN, TAM)]
        draft = TieDraft("Số 5", None, None, r1.id, None, None, None)

        with pytest.raises(NotAllowed):  # for someone else
            await register(session, son_actor, an, draft, env)
        registered = await register(session, an_actor, an, draft, env)
        assert (registered.asked, woken, await _outbox(session)) == (1, ["sender"], 1)
        tie = registered.tie
        with pytest.raises(NotAllowed):  # the workplace secretary does not host the tie
            await confirm_tie(session, son_actor, tie, env)
        await confirm_tie(session, tam_actor, tie, env)
        assert tie.status == TieStatus.CONFIRMED and await _outbox(session) == 2
        with pytest.raises(ResidenceError):  # answered already
            await confirm_tie(session, tam_actor, tie, env)

        activity = await record_activity(session, an_actor, an, tie, date(2026, 5, 30), "Họp", env)
        assert await _outbox(session) == 3  # Tâm is asked to confirm it
        with pytest.raises(NotAllowed):  # not one's own
            await confirm_participation(session, an_actor, activity, env)
        await confirm_participation(session, tam_actor, activity, env)
        assert activity.confirmed_at is not None

        form = CommentForm(True, True, False, "Tốt.")
        comment = await send_comment(session, tam_actor, tie, 2026, form, env)
        assert comment.comment == "Tốt."
        with pytest.raises(ResidenceError):  # a sent comment is final
            await send_comment(session, tam_actor, tie, 2026, form, env)

        with pytest.raises(NotAllowed):  # the residence secretary is not the committee
            await exempt(session, tam_actor, an, ExemptionKind.AWAY_OR_MOBILE, None, env)
        await exempt(session, son_actor, an, ExemptionKind.AWAY_OR_MOBILE, None, env)
        assert await lift(session, son_actor, an, env) is True
        assert await lift(session, son_actor, an, env) is False

        before = len(woken)
        reminder = await remind_missing(session, son_actor, units["CB1"], "reminders", env)
        assert reminder.sent == reminder.targets == 1  # Sơn himself has not registered
        assert len(woken) == before + 1
        assert register_reminder(son, settings) is not None
        later = Env(settings, NOW + timedelta(minutes=5))
        again = await remind_missing(session, son_actor, units["CB1"], "reminders", later)
        assert (again.targets, again.sent) == (1, 0) and again.reminded is not None
        with pytest.raises(NotAllowed):
            await remind_missing(session, an_actor, units["CB1"], "reminders", env)

        asked = await open_comment_window(session, 2026, env)
        assert asked == 0  # the only comment owed was sent
        jobs = await schedule.jobs_with_prefix(session, job_key(2027))
        assert [(job.kind, job.key) for job in jobs] == [(KIND, job_key(2027))]
        assert woken[-1] == "scheduler"
