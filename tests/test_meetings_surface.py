"""Meetings as a feature package: buttons keep the data the handlers wrote by hand (those in
chats and outbox rows still work), drafts stored before it keep loading and continue, and its
use cases run without Telegram."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import Actor
from bot.i18n import translator
from bot.settings import Settings
from handlers.meetings import buttons
from handlers.meetings.actions import (
    BadReason,
    Change,
    Closed,
    NotStarted,
    TimePassed,
    attend,
    cancel_meeting,
    change_meeting,
    create_meeting,
    open_attendance,
    record_absence,
    save_attendance,
    send_reminders,
    toggle_attendance,
)
from handlers.meetings.buttons import (
    AudienceChoice,
    InvitePage,
    KindChoice,
    MeetingPage,
    MeetingRef,
    UnitRef,
)
from handlers.meetings.draft import Agenda, MeetingDraft
from handlers.meetings.messages import answer_markup
from handlers.shared.usecase import Env, NotAllowed
from storage import clock
from storage.db import transaction
from storage.flows import get_flow, save_flow
from storage.meetings import NewMeeting, add_meeting
from storage.members import account_and_member
from storage.models import (
    AttachmentKind,
    Attendance,
    AuditEntry,
    Meeting,
    MeetingAnswer,
    MeetingAudience,
    MeetingInvite,
    MeetingKind,
    Role,
    ScheduledJob,
)
from storage.outbox import NewMessage, enqueue_broadcast, text_payload
from tests.factories import member, tree
from tests.harness import RunningBot
from tests.test_meetings import (
    AGENDA,
    AN,
    SON,
    invites,
    last_answer,
    received,
    seed,
    the_meeting,
    user,
)
from tests.test_meetings import (
    create_meeting as create_in_chat,
)
from tests.test_menus_and_buttons import assert_refused
from tests.test_notices import outbox_idle

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


def test_meeting_buttons_are_written_as_the_handlers_wrote_them_by_hand() -> None:
    meeting_id, unit_id, invite_id, page, index = 417, 12, 9031, 2, 3
    ref = MeetingRef(meeting_id)
    made = [
        buttons.NEW.data(),
        buttons.UNIT.data(UnitRef(unit_id)),
        buttons.KIND.data(KindChoice(index)),
        buttons.AUDIENCE.data(AudienceChoice(1)),
        buttons.SEND.data(),
        buttons.DROP.data(),
        buttons.DETAIL.data(ref),
        buttons.EDIT_TIME.data(ref),
        buttons.EDIT_PLACE.data(ref),
        buttons.CANCEL.data(ref),
        buttons.CANCEL_CONFIRMED.data(ref),
        buttons.UNIT_ATTENDANCE.data(UnitRef(unit_id)),
        buttons.ATTEND.data(ref),
        buttons.ABSENT.data(ref),
        buttons.KEEP_ANSWER.data(ref),
        buttons.MY_ATTENDANCE.data(),
        buttons.RECORD.data(ref),
        buttons.PAGE.data(MeetingPage(meeting_id, page)),
        buttons.TOGGLE.data(InvitePage(invite_id, page)),
        buttons.SAVE.data(ref),
    ]
    today = ["mnew", f"mu:{unit_id}", f"mk:{index}", f"mau:{1}", "msend", "mdrop"]
    today += [f"md:{meeting_id}", f"met:{meeting_id}", f"mep:{meeting_id}", f"mc:{meeting_id}"]
    today += [f"mcy:{meeting_id}", f"my:{unit_id}"]
    today += [f"mat:{meeting_id}", f"mab:{meeting_id}", f"mabx:{meeting_id}", "mmy"]
    today += [f"mrec:{meeting_id}", f"mrp:{meeting_id}:{page}", f"mra:{invite_id}:{page}"]
    today += [f"mrs:{meeting_id}"]
    assert made == today
    # The invitation's keyboard in an outbox row, as meeting_common wrote it by hand.
    _ = translator("en")
    assert answer_markup(meeting_id, _) == {
        "inline_keyboard": [
            [
                {"text": "✅ I will attend", "callback_data": f"mat:{meeting_id}"},
                {"text": "❌ I will be absent", "callback_data": f"mab:{meeting_id}"},
            ]
        ]
    }
    button = buttons.DETAIL.button("📊 Answers", ref)
    assert (button.text, button.callback_data) == ("📊 Answers", f"md:{meeting_id}")


def test_todays_data_parses_and_out_of_range_choices_do_not() -> None:
    assert buttons.TOGGLE.parse("mra:9031:2") == InvitePage(9031, 2)
    assert buttons.PAGE.parse("mrp:417:0") == MeetingPage(417, 0)
    assert buttons.KIND.parse(f"mk:{len(MeetingKind) - 1}") == KindChoice(len(MeetingKind) - 1)
    assert buttons.KIND.parse(f"mk:{len(MeetingKind)}") is None  # no such kind
    assert buttons.AUDIENCE.parse(f"mau:{len(MeetingAudience)}") is None
    assert buttons.TOGGLE.parse("mra:9031") is None  # the page is missing
    assert buttons.RECORD.parse("mrec:1:2") is None
    assert buttons.MY_ATTENDANCE.parse("mmy:1") is None


async def test_buttons_of_today_pressed_as_written_do_what_they_did(bot: RunningBot) -> None:
    ids = await seed(bot)
    await create_in_chat(bot, "25/12/2099 19:30")
    meeting = await the_meeting(bot)
    an, son = user(bot, AN), user(bot, SON)

    # An invitation queued in today's format (the keyboard written by hand), then pressed.
    async with bot.db(settle=False) as session:
        markup = {
            "inline_keyboard": [
                [
                    {"text": "✅ Tôi tham dự", "callback_data": f"mat:{meeting.id}"},
                    {"text": "❌ Tôi vắng mặt", "callback_data": f"mab:{meeting.id}"},
                ]
            ]
        }
        payload = text_payload("📨 Giấy mời họp (cũ)", reply_markup=markup)
        message = NewMessage(AN, payload, member_id=ids["an"])
        await enqueue_broadcast(
            session, "meeting", [message], created_by_member_id=None, unit_id=ids["cb1"], now=NOW
        )
    assert bot.chibo is not None
    bot.chibo.sender.wake()
    await outbox_idle(bot)
    [old] = [m for m in bot.fake.chat(AN).messages if m.text == "📨 Giấy mời họp (cũ)"]
    await an.press("✅ Tôi tham dự", message=old)
    await bot.fake.wait_until(
        lambda: last_answer(bot) == "Đã ghi nhận: đồng chí sẽ tham dự. Cảm ơn đồng chí!"
    )
    assert (await invites(bot))[ids["an"]].answer == MeetingAnswer.ATTENDING

    await an.press_data(f"mab:{meeting.id}", message=old)
    question = await an.wait_for_message()
    assert question.text.startswith("Đồng chí vui lòng ghi lý do vắng mặt")
    await an.press_data(f"mabx:{meeting.id}", message=question)
    await bot.fake.wait_until(lambda: last_answer(bot) == "Câu trả lời của đồng chí: tham dự.")

    await son.press_data(f"md:{meeting.id}")
    await bot.fake.wait_until(lambda: "<b>Tham dự: 1</b>" in (son.last_message.text or ""))
    detail = son.last_message
    assert detail is not None and "🚫 Hủy cuộc họp" in detail.buttons()
    await son.press_data(f"mc:{meeting.id}", message=detail)
    await bot.fake.wait_until(
        lambda: detail.text == "Hủy cuộc họp này? Mọi người được mời sẽ được báo."
    )
    await son.press_data(f"mcy:{meeting.id}", message=detail)
    await bot.fake.wait_until(lambda: (detail.text or "").startswith("Đã hủy cuộc họp."))
    assert (await the_meeting(bot)).cancelled_at is not None


async def test_forged_choices_are_refused_with_the_handlers_reason(bot: RunningBot) -> None:
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        await save_flow(session, SON, "meeting", "kind", {"unit_id": ids["cb1"]}, clock.now())
    son = user(bot, SON)
    await son.send_text("/menu")
    await son.wait_for_message()
    for data, reason in [
        (f"mk:{len(MeetingKind)}", "meeting_kind"),
        ("mau:x", "meeting_audience"),
        ("mra:1", "meeting_attendance"),
        ("md:-1", "meeting_detail"),
    ]:
        await assert_refused(bot, SON, data)
        async with bot.db() as session:
            entry = await session.scalar(
                select(AuditEntry)
                .where(AuditEntry.action == "refused")
                .order_by(AuditEntry.id.desc())
            )
        assert entry is not None and entry.details["reason"] == reason, data
    async with bot.db() as session:
        state = await get_flow(session, SON, "meeting")
    assert state is not None and (state.step, state.data) == ("kind", {"unit_id": ids["cb1"]})


async def test_drafts_stored_as_before_continue_to_the_invitations(bot: RunningBot) -> None:
    ids = await seed(bot)
    starts = datetime(2099, 12, 25, 12, 30, tzinfo=UTC).isoformat()
    old = {"unit_id": ids["cb1"], "kind": "regular", "starts_at": starts, "place": "Hội trường"}
    async with bot.db(settle=False) as session:  # as compose stored the agenda step
        await save_flow(session, SON, "meeting", "agenda", old, clock.now())
    son = user(bot, SON)
    await son.send_text(AGENDA)
    assert (await son.wait_for_message()).text.endswith("»\n\nThành phần mời?")
    await son.press_data("mau:0")  # today's data, pressed as it is
    preview = await son.wait_for_message()
    assert "Mời 5 đảng viên?" in preview.text
    await son.press_data("msend", message=preview)
    await bot.fake.wait_until(lambda: "đang được gửi đến 4" in (preview.text or ""))
    meeting = await the_meeting(bot)
    assert (meeting.place, meeting.agenda, meeting.kind) == (
        "Hội trường",
        AGENDA,
        MeetingKind.REGULAR,
    )
    async with bot.db() as session:
        assert await get_flow(session, SON, "meeting") is None
    # Sơn is invited too: his invitation is not the answer to what he types next.
    await bot.fake.wait_until(lambda: len(received(bot, SON, "📨 Giấy mời họp.")) == 1)
    # And his delivery report, which would otherwise land between his next text and its answer.
    await bot.fake.wait_until(lambda: len(received(bot, SON, "<b>📬 Báo cáo gửi tin</b>")) == 1)

    # A draft sent back to its time (it had passed) kept everything else: the time comes
    # first, then the place and what follows are asked again, as before.
    passed = (clock.now() - timedelta(hours=3)).isoformat()
    full = {**old, "starts_at": passed, "agenda": "Họp", "file_id": None, "attach_kind": None}
    async with bot.db(settle=False) as session:
        await save_flow(session, SON, "meeting", "time", full | {"audience": "members"}, NOW)
    await son.send_text("20/12/2099 8:00")
    assert (await son.wait_for_message()).text.endswith(
        "»\n\nHọp ở đâu? Gửi địa điểm hoặc đường dẫn họp trực tuyến."
    )
    async with bot.db() as session:
        state = await get_flow(session, SON, "meeting")
    assert state is not None and state.step == "place"
    assert set(state.data) == {"unit_id", "kind", "starts_at"}


def test_draft_shapes_of_today_load_with_their_step() -> None:
    starts = "2099-12-25T12:30:00+00:00"
    agenda = {"agenda": "Họp", "file_id": "BQADx", "attach_kind": "document"}
    shapes: list[tuple[dict[str, Any], str]] = [
        ({}, "unit"),
        ({"unit_id": 4}, "kind"),
        ({"unit_id": 4, "kind": "thematic"}, "time"),
        ({"unit_id": 4, "kind": "thematic", "starts_at": starts}, "place"),
        ({"unit_id": 4, "kind": "thematic", "starts_at": starts, "place": "P"}, "agenda"),
        (
            {"unit_id": 4, "kind": "thematic", "starts_at": starts, "place": "P"} | agenda,
            "audience",
        ),
        (
            {"unit_id": 4, "kind": "thematic", "starts_at": starts, "place": "P"}
            | agenda
            | {"audience": "committee"},
            "preview",
        ),
    ]
    for data, step in shapes:
        draft = MeetingDraft.load(data, step)
        assert draft.step == step
        assert draft.dump() == data  # written back as it was read
    loaded = MeetingDraft.load(shapes[-1][0])
    assert loaded.agenda == Agenda("Họp", "BQADx", AttachmentKind.DOCUMENT)
    assert loaded.audience == MeetingAudience.COMMITTEE
    text = {"agenda": "Họp", "file_id": None, "attach_kind": None}
    assert MeetingDraft.load(shapes[4][0] | text).agenda == Agenda("Họp")
    # Sent back to the time: the stored step wins over what the data holds.
    assert MeetingDraft.load(shapes[-1][0], "time").dump() == shapes[2][0]


async def _actor(session: AsyncSession, telegram_id: int) -> Actor:
    _account, found = await account_and_member(session, telegram_id, None)
    return Actor.of(telegram_id, found)


async def test_use_cases_run_without_telegram(sessions: async_sessionmaker[AsyncSession]) -> None:
    woken: list[str] = []
    settings = Settings(_env_file=None)
    env = Env(settings, NOW, lambda: woken.append("sender"), lambda: woken.append("scheduler"))
    starts = NOW + timedelta(days=10)
    async with transaction(sessions) as session:
        units = await tree(session)
        cb1 = units["CB1"]
        await member(session, cb1, "Trần Sơn", "0912000001", telegram_id=SON, role=Role.SECRETARY)
        an = await member(session, cb1, "Lê An", "0912000002", telegram_id=AN)
        await member(session, units["CB2"], "Vũ Dũng", "0912000003", telegram_id=611)
        son, an_actor = await _actor(session, SON), await _actor(session, AN)
        dung = await _actor(session, 611)
        draft = MeetingDraft(
            cb1.id,
            MeetingKind.REGULAR,
            starts,
            "Hội trường",
            Agenda(AGENDA),
            MeetingAudience.MEMBERS,
        )
        created = await create_meeting(session, son, draft, "the invitation", env)
        assert (created.reached, woken) == (2, ["sender", "scheduler"])
        reminders = await session.scalars(
            select(ScheduledJob).where(ScheduledJob.key.startswith("meeting:"))
        )
        assert len(list(reminders)) == len(settings.meeting_reminder_hours)
        with pytest.raises(NotAllowed):
            await create_meeting(session, an_actor, draft, "x", env)
        with pytest.raises(TimePassed):
            past = Env(settings, starts + timedelta(minutes=1))
            await create_meeting(session, son, draft, "x", past)
        meeting_id = created.meeting.id

        _meeting, invite = await attend(session, an_actor, meeting_id, env)
        assert invite.answer == MeetingAnswer.ATTENDING
        with pytest.raises(NotAllowed):  # not invited: another branch
            await attend(session, dung, meeting_id, env)
        with pytest.raises(BadReason):
            await record_absence(session, an_actor, meeting_id, "x", env)
        assert (await record_absence(session, an_actor, meeting_id, "Ốm", env)).reason == "Ốm"

        told = await change_meeting(session, son, meeting_id, Change(place="Phòng 2"), env)
        assert told == 2 and woken[-2:] == ["sender", "scheduler"]
        with pytest.raises(NotAllowed):
            await change_meeting(session, an_actor, meeting_id, Change(place="x"), env)
        with pytest.raises(NotStarted):
            await open_attendance(session, son, meeting_id, env)
        assert await cancel_meeting(session, son, meeting_id, env) == 2
        with pytest.raises(Closed) as closed:
            await attend(session, an_actor, meeting_id, env)
        assert closed.value.cancelled
        assert await send_reminders(session, meeting_id, env) == 0  # cancelled: none

        # A meeting held: attendance pre-filled, corrected, saved.
        held = NewMeeting(cb1.id, MeetingKind.REGULAR, MeetingAudience.MEMBERS, NOW, "P", "A", None)
        past = await add_meeting(session, held, [an.id])
        later = Env(settings, NOW + timedelta(hours=2))
        _held, people = await open_attendance(session, son, past.id, later)
        [person] = people
        assert person.invite.attendance == Attendance.UNEXCUSED  # no answer
        await toggle_attendance(session, son, person.invite.id, later)
        saved = await save_attendance(session, son, past.id, later)
        assert [p.invite.attendance for p in saved.people] == [Attendance.PRESENT]
        assert saved.warned == []
        with pytest.raises(NotAllowed):
            await save_attendance(session, dung, past.id, later)
        recorded = await session.get(Meeting, past.id)
        assert recorded is not None and recorded.attendance_recorded_at is not None
        invite_row = await session.get(MeetingInvite, person.invite.id)
        assert invite_row is not None and invite_row.attendance == Attendance.PRESENT
