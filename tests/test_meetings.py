"""Meetings: create, invite, answer (and change), edit, cancel, reminders from the stored
scheduler, attendance with the absence warning; and foreign or forged buttons refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.i18n import translator
from handlers.meetings.draft import parse_when
from storage import clock
from storage.flows import get_flow
from storage.meetings import NewMeeting, add_meeting, record_answer
from storage.models import (
    Attendance,
    Meeting,
    MeetingAnswer,
    MeetingAudience,
    MeetingInvite,
    MeetingKind,
    Role,
    ScheduledJob,
    TelegramAccount,
)
from storage.units import list_units
from tests.factories import member, tree
from tests.fakebot import FakeUser, SentMessage
from tests.harness import RunningBot
from tests.test_menus_and_buttons import assert_refused
from tests.test_notices import outbox_idle

SON, AN, CUONG, DAO, DUNG, HA = 701, 702, 703, 704, 711, 712
AGENDA = "1. Đánh giá công tác tháng 11\n2. Phương hướng tháng 12"
TZ = translator("vi").tz


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def seed(bot: RunningBot) -> dict[str, int]:
    """CB1: secretary Sơn, An, Cường (reads English), Đào, Bình (never linked);
    CB2: Dũng and its secretary Hà."""
    async with bot.db(settle=False) as session:
        u = await tree(session)
        ids = {"cb1": u["CB1"].id, "cb2": u["CB2"].id}
        people = [
            ("son", "CB1", "Trần Sơn", SON, Role.SECRETARY),
            ("an", "CB1", "Lê An", AN, None),
            ("binh", "CB1", "Phạm Bình", None, None),
            ("cuong", "CB1", "Hoàng <Cường>", CUONG, None),
            ("dao", "CB1", "Vũ Đào", DAO, None),
            ("dung", "CB2", "Vũ Dũng", DUNG, None),
            ("ha", "CB2", "Đỗ Hà", HA, Role.SECRETARY),
        ]
        for number, (key, branch, name, telegram_id, role) in enumerate(people):
            phone = f"09130000{number:02d}"
            created = await member(
                session, u[branch], name, phone, telegram_id=telegram_id, role=role
            )
            ids[key] = created.id
            if telegram_id is not None:
                bot.fake.user(telegram_id, language_code="vi")
        account = await session.get(TelegramAccount, CUONG)
        assert account is not None
        account.language = "en"
    return ids


def last_answer(bot: RunningBot) -> str | None:
    """The text of the latest answer to a button press (a toast or an alert)."""
    answers = bot.fake.callback_answers
    return answers[-1].text if answers else None


def user(bot: RunningBot, user_id: int) -> FakeUser:
    return bot.fake.user(user_id, language_code="vi")


def received(bot: RunningBot, user_id: int, start: str) -> list[SentMessage]:
    return [m for m in bot.fake.chat(user_id).messages if (m.text or "").startswith(start)]


async def create_meeting(bot: RunningBot, when: str) -> SentMessage:
    """Sơn creates a regular meeting of CB1 for everyone; returns the confirmation."""
    son = user(bot, SON)
    await son.send_text("📅 Sinh hoạt chi bộ")
    await son.wait_for_messages(3)  # nothing coming, own attendance, the meetings to manage
    await son.press("➕ Tạo cuộc họp")
    assert (await son.wait_for_message()).text == "Loại cuộc họp?"
    await son.press("Sinh hoạt chi bộ thường kỳ")
    await son.wait_for_message()
    await son.send_text("hôm qua")
    assert "không đọc được" in (await son.wait_for_message()).text
    await son.send_text(when)
    assert (await son.wait_for_message()).text.startswith("💾 Đã lưu thời gian: «")  # as read
    await son.send_text("Hội trường <khu phố 1>")
    assert (await son.wait_for_message()).text.startswith(
        "💾 Đã lưu địa điểm: «Hội trường <khu phố 1>»\n\n"
    )
    await bot.settle()
    await bot.restart()  # mid-way: the draft is stored
    await son.send_text(AGENDA)
    assert (await son.wait_for_message()).text.endswith("»\n\nThành phần mời?")
    await son.press("Toàn thể đảng viên")
    preview = await son.wait_for_message()
    assert "Hội trường &lt;khu phố 1&gt;" in preview.text and preview.parse_mode == "HTML"
    assert "Mời 5 đảng viên?" in preview.text
    assert "1 đồng chí trong số đó chưa liên kết Telegram" in preview.text
    await son.press("📤 Gửi giấy mời", message=preview)
    await bot.fake.wait_until(lambda: "đang được gửi đến 4" in (preview.text or ""))
    await outbox_idle(bot)
    return preview


async def the_meeting(bot: RunningBot) -> Meeting:
    async with bot.db() as session:
        [meeting] = list(await session.scalars(select(Meeting)))
        return meeting


async def invites(bot: RunningBot) -> dict[int, MeetingInvite]:
    async with bot.db() as session:
        return {i.member_id: i for i in await session.scalars(select(MeetingInvite))}


async def jobs(bot: RunningBot) -> dict[str, ScheduledJob]:
    """The meetings' jobs (other features book their own, e.g. the yearly residence ask)."""
    async with bot.db() as session:
        query = select(ScheduledJob).where(ScheduledJob.key.startswith("meeting:"))
        return {j.key: j for j in await session.scalars(query)}


async def answer_absent(bot: RunningBot, who: FakeUser, label: str, reason: str) -> str:
    await who.press(label)
    await who.wait_for_message()  # the question
    await who.send_text(reason)
    reply = await who.wait_for_message()
    send = next((b for b in reply.buttons() if b in ("✅ Gửi", "✅ Send")), None)
    if send is not None:  # the secretary will read it: shown back first
        await who.press(send, message=reply)
        reply = await who.wait_for_message()
    return reply.text or ""


async def test_create_answer_change_edit_and_cancel(bot: RunningBot) -> None:
    ids = await seed(bot)
    confirmation = await create_meeting(bot, "25/12/2099 19:30")
    meeting = await the_meeting(bot)
    assert meeting.kind == MeetingKind.REGULAR and meeting.place == "Hội trường <khu phố 1>"
    assert meeting.starts_at.replace(tzinfo=UTC) == datetime(2099, 12, 25, 12, 30, tzinfo=UTC)
    assert set(await invites(bot)) == {ids[k] for k in ("son", "an", "binh", "cuong", "dao")}
    reminders = await jobs(bot)
    assert sorted(reminders) == [f"meeting:{meeting.id}:remind:{s}" for s in (7200, 86400)]
    assert bot.fake.chat(DUNG).messages == [] and bot.fake.chat(HA).messages == []

    [invitation] = received(bot, AN, "📨 Giấy mời họp.")
    assert "25/12/2099 19:30" in invitation.text and invitation.parse_mode is None
    assert "Hội trường <khu phố 1>" in invitation.text and AGENDA in invitation.text
    assert invitation.buttons() == ["✅ Tôi tham dự", "❌ Tôi vắng mặt"]
    [english] = received(bot, CUONG, "📨 You are invited to a meeting.")
    assert english.buttons() == ["✅ I will attend", "❌ I will be absent"]
    assert "Regular monthly meeting" in english.text

    an, cuong = user(bot, AN), user(bot, CUONG)
    await an.press("✅ Tôi tham dự")
    await bot.fake.wait_until(lambda: bot.fake.callback_answers[-1].text is not None)
    assert (
        bot.fake.callback_answers[-1].text == "Đã ghi nhận: đồng chí sẽ tham dự. Cảm ơn đồng chí!"
    )
    shown = "👉 Câu trả lời của đồng chí: tham dự. Đồng chí có thể thay đổi cho đến khi cuộc họp"
    await bot.fake.wait_until(lambda: shown in (invitation.text or ""))  # the invitation says so
    assert invitation.text.startswith("📨 Giấy mời họp.") and AGENDA in invitation.text
    assert invitation.buttons() == ["✅ Tôi tham dự", "❌ Tôi vắng mặt"]  # still changeable
    refused = await answer_absent(bot, cuong, "❌ I will be absent", ".")
    assert refused.startswith("An absence needs a reason")
    assert (await invites(bot))[ids["cuong"]].answer is None  # nothing recorded without one
    await cuong.send_text("Business trip to Hà Nội")
    shown = await cuong.wait_for_message()
    assert shown.text == "You wrote:\n«Business trip to Hà Nội»\n\nSend it?"
    await cuong.press("✅ Send", message=shown)
    assert (await cuong.wait_for_message()).text.startswith("Recorded: absent.")
    assert await answer_absent(bot, an, "❌ Tôi vắng mặt", "Ốm") == (
        "Đã ghi nhận: vắng mặt. Đồng chí có thể thay đổi câu trả lời cho đến khi cuộc họp bắt đầu."
    )
    answers = await invites(bot)
    assert (answers[ids["an"]].answer, answers[ids["an"]].reason) == (MeetingAnswer.ABSENT, "Ốm")
    assert answers[ids["cuong"]].reason == "Business trip to Hà Nội"

    son = user(bot, SON)
    await son.press("📊 Câu trả lời", message=confirmation)
    await bot.fake.wait_until(lambda: "Vắng mặt: 2" in (confirmation.text or ""))
    detail = confirmation.text or ""
    assert "<b>Tham dự: 0</b>" in detail and "<b>Chưa trả lời: 3</b>" in detail
    assert "• Hoàng &lt;Cường&gt; — Business trip to Hà Nội" in detail and "• Lê An — Ốm" in detail

    await son.press("✏️ Thời gian", message=confirmation)
    await son.wait_for_message()
    await son.send_text("26/12/2099 8:00")
    await son.press("✅ Gửi", message=await son.wait_for_message())
    await bot.fake.wait_until(lambda: any("Đã báo cho 4" in (m.text or "") for m in son.messages))
    await outbox_idle(bot)
    [changed] = received(bot, DAO, "✏️ Cuộc họp có thay đổi:")
    assert "🕒 Thời gian: 25/12/2099 19:30 → 26/12/2099 08:00" in changed.text
    assert AGENDA not in changed.text and "Địa điểm" not in changed.text  # only what changed
    assert changed.buttons() == [
        "✅ Tôi tham dự",
        "❌ Tôi vắng mặt",
    ]
    moved = (await jobs(bot))[f"meeting:{meeting.id}:remind:86400"]
    assert moved.due_at.replace(tzinfo=UTC) == datetime(2099, 12, 25, 1, 0, tzinfo=UTC)

    await son.press("🚫 Hủy cuộc họp", message=confirmation)
    await bot.fake.wait_until(lambda: "Hủy cuộc họp này?" in (confirmation.text or ""))
    await son.press("🚫 Đúng, hủy cuộc họp", message=confirmation)
    await bot.fake.wait_until(lambda: "Đã hủy cuộc họp" in (confirmation.text or ""))
    await outbox_idle(bot)
    assert [m.chat_id for m in bot.fake.sent if (m.text or "").startswith("🚫 Cuộc họp đã bị hủy")]
    assert len(received(bot, AN, "🚫 Cuộc họp đã bị hủy: Sinh hoạt chi bộ thường kỳ")) == 1
    assert await jobs(bot) == {}
    await an.press("✅ Tôi tham dự", message=invitation)
    await bot.fake.wait_until(lambda: last_answer(bot) == "Cuộc họp này đã bị hủy.")


async def test_foreign_and_forged_meeting_buttons_are_refused(bot: RunningBot) -> None:
    ids = await seed(bot)
    await create_meeting(bot, "25/12/2099 19:30")
    meeting = await the_meeting(bot)
    for data in (f"mat:{meeting.id}", f"mab:{meeting.id}"):
        await assert_refused(bot, DUNG, data)  # a member of CB2 answering for CB1
    for data in (
        f"md:{meeting.id}",
        f"met:{meeting.id}",
        f"mcy:{meeting.id}",
        f"mrec:{meeting.id}",
    ):
        await assert_refused(bot, HA, data)  # CB2's secretary managing CB1's meeting
    await assert_refused(bot, AN, f"mc:{meeting.id}")  # a member cancelling
    await assert_refused(bot, HA, f"my:{ids['cb1']}")
    assert all(i.answer is None for i in (await invites(bot)).values())
    assert (await the_meeting(bot)).cancelled_at is None


async def test_reminders_reach_exactly_the_right_members_once_across_restarts(
    bot: RunningBot,
) -> None:
    await seed(bot)
    await create_meeting(bot, "25/12/2099 19:30")
    await user(bot, AN).press("✅ Tôi tham dự")
    await answer_absent(bot, user(bot, CUONG), "❌ I will be absent", "On leave")
    await bot.settle()
    meeting = await the_meeting(bot)
    await bot.stop()
    async with bot.db(settle=False) as session:
        key = f"meeting:{meeting.id}:remind:86400"
        past = clock.now() - timedelta(minutes=1)
        await session.execute(
            update(ScheduledJob).where(ScheduledJob.key == key).values(due_at=past)
        )
    await bot.start()  # the job came due while the bot was down: it runs now

    def reminded() -> set[int]:
        return {
            m.chat_id
            for m in bot.fake.sent
            if (m.text or "").startswith(("🔔 Nhắc lịch họp", "🔔 Reminder"))
        }

    await bot.fake.wait_until(lambda: len(reminded()) == 3, 10)
    await outbox_idle(bot)
    assert reminded() == {AN, SON, DAO}  # attending or no answer; Cường is absent, Bình unlinked
    assert (await jobs(bot))[key].done_at is not None
    await bot.restart()
    await bot.settle()
    await outbox_idle(bot)
    sent = [m for m in bot.fake.sent if (m.text or "").startswith("🔔")]
    assert len(sent) == 3
    assert (await jobs(bot))[f"meeting:{meeting.id}:remind:7200"].done_at is None


async def past_meeting(bot: RunningBot, ids: dict[str, int], hours_ago: int) -> int:
    """A CB1 meeting `hours_ago` hours ago (negative: ahead), everyone invited, no answers."""
    async with bot.db(settle=False) as session:
        new = NewMeeting(
            unit_id=ids["cb1"],
            kind=MeetingKind.THEMATIC,
            audience=MeetingAudience.MEMBERS,
            starts_at=clock.now() - timedelta(hours=hours_ago),
            place="Nhà văn hóa",
            agenda="Học tập nghị quyết",
            created_by_member_id=ids["son"],
        )
        keys = ("son", "an", "binh", "cuong", "dao")
        meeting = await add_meeting(session, new, [ids[k] for k in keys])
        return meeting.id


async def test_attendance_is_prefilled_corrected_saved_and_warns_at_the_threshold(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    now = clock.now()
    # The earlier meeting in another month of this year: the Charter counts months.
    local_month = clock.now().astimezone(TZ).month
    earlier = await past_meeting(bot, ids, 40 * 24 if local_month >= 3 else -40 * 24)
    latest = await past_meeting(bot, ids, 1)
    async with bot.db(settle=False) as session:
        # The earlier meeting: Đào was absent without a reason.
        for invite in await session.scalars(
            select(MeetingInvite).where(MeetingInvite.meeting_id == earlier)
        ):
            invite.attendance = (
                Attendance.UNEXCUSED if invite.member_id == ids["dao"] else Attendance.PRESENT
            )
        done = await session.get(Meeting, earlier)
        assert done is not None
        done.attendance_recorded_at = now
        answers = await session.scalars(
            select(MeetingInvite).where(MeetingInvite.meeting_id == latest)
        )
        for invite in answers:
            if invite.member_id in (ids["son"], ids["an"]):
                record_answer(invite, MeetingAnswer.ATTENDING, None, now)
            elif invite.member_id == ids["cuong"]:
                record_answer(invite, MeetingAnswer.ABSENT, "Công tác", now)

    an = user(bot, AN)
    await an.send_text("📅 Sinh hoạt chi bộ")
    await an.wait_for_messages(2)
    await an.press_data(f"mat:{latest}")  # too late to answer
    await bot.fake.wait_until(
        lambda: last_answer(bot) == "Cuộc họp đã bắt đầu: không thể trả lời nữa."
    )

    son = user(bot, SON)
    await son.send_text("📅 Sinh hoạt chi bộ")
    *_, managed = await son.wait_for_messages(3)
    [latest_label] = [b for b in managed.buttons() if "Chuyên đề" in b][:1]
    await son.press(latest_label, message=managed)
    await bot.fake.wait_until(lambda: "📝 Điểm danh" in managed.buttons())
    await son.press("📝 Điểm danh", message=managed)
    await bot.fake.wait_until(lambda: "💾 Lưu điểm danh" in managed.buttons())
    assert managed.buttons() == [
        "🟡 Hoàng <Cường>",
        "✅ Lê An",
        "❌ Phạm Bình",
        "✅ Trần Sơn",
        "❌ Vũ Đào",
        "💾 Lưu điểm danh",
    ]
    await son.press("❌ Phạm Bình", message=managed)  # he came after all: ❌ → ✅
    await bot.fake.wait_until(lambda: "✅ Phạm Bình" in managed.buttons())
    await son.press("💾 Lưu điểm danh", message=managed)
    await bot.fake.wait_until(lambda: "Đã lưu điểm danh" in (managed.text or ""))
    assert "✅ 3 có mặt, 🟡 1 vắng có lý do, ❌ 1 vắng không lý do" in managed.text
    assert "⚠️ Đồng chí Vũ Đào đã bỏ sinh hoạt chi bộ không có lý do 2 tháng" in managed.text
    assert "Phạm Bình đã vắng" not in managed.text

    stored = await invites(bot)
    async with bot.db() as session:
        rows = await session.scalars(
            select(MeetingInvite).where(MeetingInvite.meeting_id == latest)
        )
        attendance = {i.member_id: i.attendance for i in rows}
    assert (
        attendance[ids["binh"]] == Attendance.PRESENT
        and attendance[ids["dao"]] == Attendance.UNEXCUSED
    )
    assert attendance[ids["cuong"]] == Attendance.EXCUSED and stored

    dao = user(bot, DAO)
    await dao.send_text("📅 Sinh hoạt chi bộ")
    _nothing, history = await dao.wait_for_messages(2)
    await dao.press("📈 Chuyên cần của tôi", message=history)
    year = clock.now().astimezone(TZ).year
    await bot.fake.wait_until(lambda: f"trong năm {year}: 2" in (history.text or ""))
    assert (history.text or "").count("❌") == 2

    await son.send_text("📅 Sinh hoạt chi bộ")
    *_, managed = await son.wait_for_messages(3)
    await son.press(f"📊 Điểm danh năm {year}", message=managed)
    await bot.fake.wait_until(lambda: "Vũ Đào: ✅ 0 · 🟡 0 · ❌ 2 ⚠️" in (managed.text or ""))
    assert "Lê An: ✅ 2 · 🟡 0 · ❌ 0" in managed.text


NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("25/12/2026 19:30", datetime(2026, 12, 25, 19, 30)),
        ("25-12-26 7:05", datetime(2026, 12, 25, 7, 5)),
        ("5.1 19h", datetime(2027, 1, 5, 19, 0)),  # no year, date passed: next year
        ("24/11 8g30", datetime(2026, 11, 24, 8, 30)),
        ("30/02/2027 10:00", None),
        ("tomorrow", None),
    ],
)
def test_typed_meeting_times(typed: str, local: datetime | None) -> None:
    expected = local.replace(tzinfo=TZ).astimezone(UTC) if local else None
    assert parse_when(typed, TZ, NOW) == expected


async def test_agenda_document_follows_the_invitation_and_committee_only(bot: RunningBot) -> None:
    ids = await seed(bot)
    son = user(bot, SON)
    await son.send_text("📅 Sinh hoạt chi bộ")
    await son.wait_for_messages(3)
    await son.press("➕ Tạo cuộc họp")
    await son.wait_for_message()
    await son.press("Họp chi ủy / cấp ủy")
    await son.wait_for_message()
    await son.send_text("24/12/2099 14:00")
    await son.wait_for_message()
    await son.send_text("https://meet.example.org/cb1")
    await son.wait_for_message()
    await son.send_media("document", caption="Dự thảo nghị quyết", file_name="du-thao.pdf")
    await son.wait_for_message()
    await son.press("Chỉ cấp ủy")
    preview = await son.wait_for_message()
    assert "Mời 1 đảng viên?" in preview.text  # only Sơn holds a role on CB1
    await son.press("📤 Gửi giấy mời", message=preview)
    await bot.settle()
    await outbox_idle(bot)
    mine = bot.fake.chat(SON).messages
    invitation = next(m for m in mine if (m.text or "").startswith("📨 Giấy mời họp."))
    document = next(m for m in mine if m.kind == "document")
    assert (
        "Dự thảo nghị quyết" in invitation.text
        and "https://meet.example.org/cb1" in invitation.text
    )
    assert document.text == "📎 Tài liệu cho cuộc họp lúc 24/12/2099 14:00"
    assert document.message_id > invitation.message_id
    assert bot.fake.chat(AN).messages == []
    assert set(await invites(bot)) == {ids["son"]}


async def test_residents_tied_to_the_branch_can_be_invited_too(sessions) -> None:
    from storage.db import transaction
    from storage.meetings import audience
    from storage.models import ResidenceTie, TieStatus

    async with transaction(sessions) as session:
        u = await tree(session)
        an = await member(session, u["CB1"], "Lê An", "0914000001")
        dung = await member(session, u["CB2"], "Vũ Dũng", "0914000002")  # lives in CB9's area
        hoa = await member(session, u["CB9"], "Mai Hoa", "0914000003")  # lives in CB1's area
        tuan = await member(session, u["CB2"], "Lý Tuấn", "0914000004")  # tie still pending
        now = clock.now()
        ties = [(dung, u["CB9"], TieStatus.CONFIRMED), (hoa, u["CB1"], TieStatus.CONFIRMED)]
        ties.append((tuan, u["CB1"], TieStatus.PENDING))
        for who, branch, status in ties:
            session.add(
                ResidenceTie(
                    member_id=who.id,
                    address="Số 1",
                    residence_branch_id=branch.id,
                    status=status,
                    created_at=now,
                )
            )
        await session.flush()
        plain = await audience(session, u["CB1"], MeetingAudience.MEMBERS, now.date())
        wider = await audience(session, u["CB1"], MeetingAudience.WITH_RESIDENTS, now.date())
    assert [r.member.id for r in plain] == [an.id]
    assert [r.member.id for r in wider] == [an.id, hoa.id]


async def test_residents_are_not_counted_against_the_host_branch(sessions) -> None:
    from storage.db import transaction
    from storage.meetings import get_meeting, invitees, prefill_attendance, unexcused_months
    from storage.models import ResidenceTie, TieStatus

    async with transaction(sessions) as session:
        u = await tree(session)
        an = await member(session, u["CB1"], "Lê An", "0918000001")
        dung = await member(session, u["CB2"], "Vũ Dũng", "0918000002")  # lives in CB1's area
        session.add(
            ResidenceTie(
                member_id=dung.id,
                address="Số 1",
                residence_branch_id=u["CB1"].id,
                status=TieStatus.CONFIRMED,
                created_at=clock.now(),
            )
        )
        new = NewMeeting(
            u["CB1"].id,
            MeetingKind.REGULAR,
            MeetingAudience.WITH_RESIDENTS,
            datetime(2026, 5, 5, 12, 0, tzinfo=UTC),
            "Hội trường",
            "Họp",
            None,
        )
        created = await add_meeting(session, new, [an.id, dung.id])
        meeting = await get_meeting(session, created.id)
        assert meeting is not None
        people = await invitees(session, meeting.id)
        prefill_attendance(people, meeting)  # neither answered
        marks = {p.member.full_name: p.invite.attendance for p in people}
        assert marks == {"Lê An": Attendance.UNEXCUSED, "Vũ Dũng": None}
        for person in people:
            person.invite.attendance = Attendance.UNEXCUSED  # even if marked by hand
        meeting.attendance_recorded_at = clock.now()
        await session.flush()
        months = await unexcused_months(session, [an.id, dung.id], 2026, TZ)
    assert months == {an.id: 1}  # Dũng's record is CB2's


async def test_a_large_branch_is_recorded_page_by_page(bot: RunningBot) -> None:
    ids = await seed(bot)
    async with bot.db(settle=False) as session:
        u = {unit.code: unit for unit in await list_units(session)}
        extra = [
            (await member(session, u["CB1"], f"Đảng viên {i:02d}", f"09190000{i:02d}")).id
            for i in range(45)
        ]
        new = NewMeeting(
            ids["cb1"],
            MeetingKind.REGULAR,
            MeetingAudience.MEMBERS,
            clock.now() - timedelta(hours=1),
            "Hội trường",
            "Họp",
            ids["son"],
        )
        meeting = await add_meeting(session, new, [ids["son"], *extra])
        meeting_id = meeting.id
    son = user(bot, SON)
    await son.send_text("/menu")
    await son.wait_for_message()
    await son.press_data(f"mrec:{meeting_id}")
    await bot.fake.wait_until(lambda: "💾 Lưu điểm danh" in (son.last_message.buttons() or []))
    sheet = son.last_message
    assert len(sheet.buttons()) == 40 + 2 and "▶️" in sheet.buttons()
    await son.press("▶️", message=sheet)
    await bot.fake.wait_until(lambda: "◀️" in sheet.buttons())
    assert len(sheet.buttons()) == 6 + 2  # the last six, back, save
    last = sheet.buttons()[5]
    assert last.startswith("❌ ")
    await son.press(last, message=sheet)
    await bot.fake.wait_until(lambda: "✅ " + last[2:] in sheet.buttons())


async def test_an_old_draft_whose_time_has_passed_asks_for_the_time_again(
    bot: RunningBot,
) -> None:
    from storage.flows import save_flow

    ids = await seed(bot)
    passed = (clock.now() - timedelta(hours=3)).isoformat()
    draft = {
        "unit_id": ids["cb1"],
        "kind": "regular",
        "starts_at": passed,
        "place": "Hội trường",
        "agenda": "Họp",
        "file_id": None,
        "attach_kind": None,
        "audience": "members",
    }
    async with bot.db(settle=False) as session:
        await save_flow(session, SON, "meeting", "preview", draft, clock.now())
    son = user(bot, SON)
    await son.send_text("/menu")
    await son.wait_for_message()
    pressed = son.last_message
    await son.press_data("msend")
    question = await son.wait_for_message()
    assert pressed is not None
    assert pressed.text == "Thời gian của cuộc họp này đã qua trong lúc soạn."
    assert question.text.startswith("Cuộc họp bắt đầu lúc nào?")
    async with bot.db() as session:
        assert list(await session.scalars(select(Meeting))) == []


async def test_an_absence_reason_asked_mid_draft_leaves_the_draft_meeting(bot: RunningBot) -> None:
    """Sơn is composing a meeting when she answers another invitation with an absence: the
    reason goes to that invitation, and her draft is still there to continue."""
    ids = await seed(bot)
    await create_meeting(bot, "25/12/2099 19:30")
    assert len(received(bot, SON, "📨 Giấy mời họp.")) == 1  # she is invited too
    son = user(bot, SON)
    await son.send_text("📅 Sinh hoạt chi bộ")
    await bot.fake.wait_until(
        lambda: son.last_message is not None and "➕ Tạo cuộc họp" in (son.last_message.buttons())
    )
    await son.press("➕ Tạo cuộc họp")
    assert (await son.wait_for_message()).text == "Loại cuộc họp?"
    await son.press("Sinh hoạt chi bộ thường kỳ")
    await son.wait_for_message()
    await son.send_text("20/12/2099 8:00")
    assert (await son.wait_for_message()).text.endswith(
        "»\n\nHọp ở đâu? Gửi địa điểm hoặc đường dẫn họp trực tuyến."
    )

    reason = await answer_absent(bot, son, "❌ Tôi vắng mặt", "Đi công tác")
    assert reason.startswith("Đã ghi nhận: vắng mặt.")
    assert (await invites(bot))[ids["son"]].reason == "Đi công tác"

    await son.send_text("📅 Sinh hoạt chi bộ")
    await bot.fake.wait_until(
        lambda: (
            son.last_message is not None and "✍️ Tiếp tục bản nháp" in (son.last_message.buttons())
        )
    )
    await son.press("✍️ Tiếp tục bản nháp")
    assert (await son.wait_for_message()).text.startswith("Họp ở đâu?")
    await son.send_text("Phòng họp tầng 2")
    assert "»\n\nGửi nội dung cuộc họp" in (await son.wait_for_message()).text
    async with bot.db() as session:
        draft = await get_flow(session, SON, "meeting")
        assert draft is not None and draft.data["place"] == "Phòng họp tầng 2"
        assert "starts_at" in draft.data and await get_flow(session, SON, "meeting_absence") is None


async def test_the_absence_question_can_be_dropped_and_the_answer_stands(bot: RunningBot) -> None:
    ids = await seed(bot)
    await create_meeting(bot, "25/12/2099 19:30")
    meeting = await the_meeting(bot)
    an = user(bot, AN)
    await an.press("✅ Tôi tham dự")
    await bot.fake.wait_until(lambda: last_answer(bot) is not None)
    await an.press("❌ Tôi vắng mặt")
    question = await an.wait_for_message()
    assert question.text == (
        "Đồng chí vui lòng ghi lý do vắng mặt tại cuộc họp lúc 25/12/2099 19:30. "
        "Bí thư sẽ xem được lý do này."
    )
    assert question.buttons() == ["↩️ Giữ câu trả lời cũ"]
    await an.press("↩️ Giữ câu trả lời cũ", message=question)
    await bot.fake.wait_until(lambda: last_answer(bot) == "Câu trả lời của đồng chí: tham dự.")
    await bot.fake.wait_until(lambda: question.buttons() == [])
    await an.send_text("Hẹn gặp lại")  # no longer taken as a reason
    reply = await an.wait_for_message()
    assert reply.text == "Tôi chưa hiểu ý đồng chí. Vui lòng dùng menu bên dưới."
    assert (await invites(bot))[ids["an"]].answer == MeetingAnswer.ATTENDING

    # A question answered with a reason: its button now says the recorded absence stands.
    await answer_absent(bot, an, "❌ Tôi vắng mặt", "Đi công tác")
    await an.press_data(f"mabx:{meeting.id}")
    await bot.fake.wait_until(
        lambda: last_answer(bot) == "Câu trả lời của đồng chí: vắng mặt (Đi công tác)."
    )
    assert (await invites(bot))[ids["an"]].answer == MeetingAnswer.ABSENT
    await assert_refused(bot, DUNG, f"mabx:{meeting.id}")  # not invited: CB2
    await assert_refused(bot, DUNG, "mabx:x")  # garbage
