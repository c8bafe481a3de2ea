"""/me shows what is stored beyond the roster entry: residence, plans, meetings, notices,
surveys; only the member's own, and in their language."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import clock
from storage.models import (
    Attendance,
    ExemptionKind,
    Grade,
    Meeting,
    MeetingAnswer,
    MeetingAudience,
    MeetingInvite,
    MeetingKind,
    Member,
    Notice,
    NoticeReceipt,
    PlanStatus,
    ResidenceActivity,
    ResidenceComment,
    ResidenceExemption,
    ResidenceTie,
    Survey,
    SurveyParticipation,
    SurveyResponse,
    TieStatus,
    Unit,
    YearlyPlan,
)
from tests.factories import member, tree
from tests.harness import RunningBot

NOW = clock.now()


async def records_of(session: AsyncSession, who: Member, units: dict[str, Unit]) -> None:
    """A tie to CB2 (and an older one), two plans, two meetings, a notice, two surveys."""
    for address, ended in (("12 Lý Thường Kiệt", NOW), ("5 Hai Bà Trưng <nhà 2> & ngõ 3", None)):
        session.add(
            ResidenceTie(
                member_id=who.id,
                address=address,
                residence_branch_id=units["CB2"].id,
                letter_no="07/GGT",
                letter_date=date(2026, 3, 2),
                status=TieStatus.CONFIRMED,
                created_at=NOW,
                ended_at=ended,
            )
        )
    session.add(
        YearlyPlan(member_id=who.id, year=2025, status=PlanStatus.ACCEPTED, final_grade=Grade.GOOD)
    )
    await session.flush()
    tie = await session.scalar(
        select(ResidenceTie).where(
            ResidenceTie.member_id == who.id, ResidenceTie.ended_at.is_(None)
        )
    )
    assert tie is not None
    session.add(
        ResidenceExemption(
            member_id=who.id, kind=ExemptionKind.OTHER, reason="ốm <dài ngày>", created_at=NOW
        )
    )
    session.add(
        ResidenceActivity(
            tie_id=tie.id,
            member_id=who.id,
            held_on=date(2026, 5, 1),
            what="Dọn vệ sinh",
            created_at=NOW,
        )
    )
    session.add(
        ResidenceComment(
            member_id=who.id,
            year=2025,
            tie_id=tie.id,
            residence_branch_id=units["CB2"].id,
            takes_part=True,
            sets_example=True,
            keeps_contact=True,
            comment="Tốt",
            sent_at=NOW,
        )
    )
    session.add(YearlyPlan(member_id=who.id, year=2026, status=PlanStatus.SUBMITTED))
    for answer, attendance in ((MeetingAnswer.ATTENDING, Attendance.PRESENT), (None, None)):
        meeting = Meeting(
            unit_id=who.branch_id,
            kind=MeetingKind.REGULAR,
            audience=MeetingAudience.MEMBERS,
            starts_at=NOW - timedelta(days=3),
            place="Hội trường",
            agenda="Sinh hoạt",
        )
        session.add(meeting)
        await session.flush()
        session.add(
            MeetingInvite(
                meeting_id=meeting.id, member_id=who.id, answer=answer, attendance=attendance
            )
        )
    notice = Notice(unit_id=who.branch_id, text="Thông báo")
    session.add(notice)
    await session.flush()
    session.add(NoticeReceipt(notice_id=notice.id, member_id=who.id, acknowledged_at=NOW))
    for anonymous in (False, True):
        survey = Survey(
            unit_id=who.branch_id, title="Khảo sát", questions=[], anonymous=anonymous, opens_at=NOW
        )
        session.add(survey)
        await session.flush()
        session.add(SurveyParticipation(survey_id=survey.id, member_id=who.id, submitted_at=NOW))
        session.add(
            SurveyResponse(
                id=f"r{survey.id}",
                survey_id=survey.id,
                member_id=None if anonymous else who.id,
                answers={},
            )
        )
    await session.flush()


async def test_me_lists_residence_plans_meetings_notices_and_surveys(bot: RunningBot) -> None:
    async with bot.db() as session:
        units = await tree(session)
        an = await member(session, units["CB1"], "Lê An", "0911000002", telegram_id=602)
        binh = await member(session, units["CB1"], "Phạm Bình", "0911000003", telegram_id=603)
        await records_of(session, an, units)
    user = bot.fake.user(602, language_code="vi")
    await user.send_text("/me")
    text = (await user.wait_for_message()).text
    assert "Họ và tên: Lê An" in text
    assert "Địa chỉ: 5 Hai Bà Trưng &lt;nhà 2&gt; &amp; ngõ 3" in text
    assert "Chi bộ Khu phố 2" in text
    assert "Lý Thường Kiệt" not in text  # the older tie is only counted
    assert "Các lần đăng ký nơi cư trú trước (lưu làm lịch sử): 1" in text
    assert "Được miễn sinh hoạt nơi cư trú: " in text and "(ốm &lt;dài ngày&gt;)" in text
    assert "Hoạt động tại nơi cư trú đã ghi: 1; nhận xét hằng năm của chi bộ nơi cư trú: 1" in text
    assert "Năm 2026: đã gửi, chờ chi ủy xem xét\n" in text
    assert "Năm 2025: chi ủy đã duyệt; xếp loại: Hoàn thành tốt nhiệm vụ" in text
    assert "Giấy mời họp: 2; đã trả lời: 1; đã điểm danh: 1" in text
    assert "Thông báo đã nhận: 1; đã xác nhận: 1" in text
    assert "Phiếu khảo sát đã trả lời: 2; câu trả lời lưu kèm tên đồng chí: 1" in text

    other = bot.fake.user(603, language_code="en")
    await other.send_text("/me")
    text = (await other.wait_for_message()).text
    assert binh.full_name in text
    assert "No residence tie registered." in text
    assert "Meeting invitations: 0; answered: 0; attendance recorded: 0" in text
    assert "Surveys answered: 0; answers stored with your name: 0" in text
    assert "2025" not in text
