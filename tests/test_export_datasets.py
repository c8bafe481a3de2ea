"""The meeting attendance, yearly plans and residence datasets: the rows a committee gets,
only of its units, labels translated."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.exports.run import produce
from bot.i18n import translator
from storage.db import transaction
from storage.exports.registry import dataset_spec
from storage.exports.writers import ExportFormat
from storage.meetings import NewMeeting, add_meeting, invite_of, record_answer
from storage.models import (
    Attendance,
    ExemptionKind,
    Grade,
    MeetingAnswer,
    MeetingAudience,
    MeetingKind,
    PlanStatus,
    ResidenceComment,
    ResidenceExemption,
    ResidenceTie,
    TieStatus,
    YearlyPlan,
)
from tests.factories import member, tree

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def rows_of(
    sessions: async_sessionmaker[AsyncSession],
    key: str,
    unit_id: int,
    tmp_path: Path,
    choice: int | None = None,
) -> list[list[str]]:
    spec = dataset_spec(key)
    assert spec is not None
    target = tmp_path / f"{key}.csv"
    produced = await produce(
        sessions, spec, unit_id, ExportFormat.CSV, translator("vi"), target, choice=choice
    )
    assert produced is not None
    return list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))


async def test_attendance_rows_are_the_units_meetings_with_answers(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with transaction(sessions) as session:
        u = await tree(session)
        an = await member(session, u["CB1"], "Lê An", "0915000001")
        binh = await member(session, u["CB1"], "Phạm Bình", "0915000002")
        other = await member(session, u["CB2"], "Vũ Dũng", "0915000003")
        new = NewMeeting(
            u["CB1"].id,
            MeetingKind.REGULAR,
            MeetingAudience.MEMBERS,
            NOW,
            "Hội trường",
            "=1+1",
            None,
        )
        meeting = await add_meeting(session, new, [an.id, binh.id])
        invite = await invite_of(session, meeting.id, binh.id)
        assert invite is not None
        record_answer(invite, MeetingAnswer.ABSENT, "=cmd|' /C calc'!A0", NOW)
        invite.attendance = Attendance.EXCUSED
        elsewhere = NewMeeting(
            u["CB2"].id,
            MeetingKind.THEMATIC,
            MeetingAudience.MEMBERS,
            NOW,
            "Nhà văn hóa",
            "Chuyên đề",
            None,
        )
        await add_meeting(session, elsewhere, [other.id])
        cb1 = u["CB1"].id
    header, *rows = await rows_of(sessions, "attendance", cb1, tmp_path)
    assert header == [
        "Thời gian họp",
        "Loại cuộc họp",
        "Đơn vị",
        "Họ và tên",
        "Chi bộ",
        "Trả lời",
        "Lý do",
        "Điểm danh",
    ]
    assert rows == [
        [
            "20/11/2026 19:00",
            "Sinh hoạt chi bộ thường kỳ",
            "Chi bộ Khu phố 1",
            "Lê An",
            "Chi bộ Khu phố 1",
            "",
            "",
            "",
        ],
        [
            "20/11/2026 19:00",
            "Sinh hoạt chi bộ thường kỳ",
            "Chi bộ Khu phố 1",
            "Phạm Bình",
            "Chi bộ Khu phố 1",
            "Vắng mặt",
            "'=cmd|' /C calc'!A0",
            "Vắng có lý do",
        ],
    ]


async def test_plans_rows_cover_every_member_of_the_year(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with transaction(sessions) as session:
        u = await tree(session)
        an = await member(session, u["CB1"], "Lê An", "0915000011")
        await member(session, u["CB1"], "Phạm Bình", "0915000012")
        await member(session, u["CB9"], "Mai Hoa", "0915000013")
        session.add(
            YearlyPlan(
                member_id=an.id,
                year=2026,
                status=PlanStatus.ACCEPTED,
                sections={"ideology": "Học tập nghị quyết", "work": "Hoàn thành 100% kế hoạch"},
                submitted_at=NOW - timedelta(days=200),
                reviewed_at=NOW - timedelta(days=190),
                proposed_grade=Grade.GOOD,
                final_grade=Grade.EXCELLENT,
                graded_at=NOW,
            )
        )
        hu = u["HU"].id
    header, *rows = await rows_of(sessions, "plans", hu, tmp_path, choice=2026)
    assert header[:3] == ["Chi bộ", "Họ và tên", "Kế hoạch"]
    assert [r[:3] for r in rows] == [
        ["Chi bộ Khu phố 1", "Lê An", "Đã duyệt"],
        ["Chi bộ Khu phố 1", "Phạm Bình", ""],
    ]
    assert rows[0][5:7] == ["Hoàn thành tốt nhiệm vụ", "Hoàn thành xuất sắc nhiệm vụ"]
    # The plan's own text, part by part.
    assert header[8:10] == ["Tư tưởng chính trị, học tập", "Đạo đức, lối sống"]
    assert rows[0][8:11] == ["Học tập nghị quyết", "", "Hoàn thành 100% kế hoạch"]


async def test_residence_rows_show_tie_exemption_and_the_years_comment(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with transaction(sessions) as session:
        u = await tree(session)
        an = await member(session, u["CB1"], "Lê An", "0915000021")
        binh = await member(session, u["CB1"], "Phạm Bình", "0915000022")
        tie = ResidenceTie(
            member_id=an.id,
            address="Số 5, ngõ 3",
            residence_branch_id=u["CB9"].id,
            letter_no="12-GGT",
            letter_date=date(2026, 2, 3),
            status=TieStatus.CONFIRMED,
            created_at=NOW,
        )
        session.add(tie)
        session.add(
            ResidenceExemption(
                member_id=binh.id, kind=ExemptionKind.FULL_TIME_STUDY, created_at=NOW
            )
        )
        await session.flush()
        session.add(
            ResidenceComment(
                member_id=an.id,
                year=2026,
                tie_id=tie.id,
                residence_branch_id=u["CB9"].id,
                takes_part=True,
                sets_example=True,
                keeps_contact=False,
                comment="Gương mẫu",
                sent_at=NOW,
            )
        )
        cb1 = u["CB1"].id
    _header, *rows = await rows_of(sessions, "residence", cb1, tmp_path, choice=2026)
    assert rows == [
        [
            "Chi bộ Khu phố 1",
            "Lê An",
            "Số 5, ngõ 3",
            "Chi bộ Thôn 9",
            "12-GGT",
            "03/02/2026",
            "Đã xác nhận",
            "",
            "Có",
            "Có",
            "Không",
            "Gương mẫu",
        ],
        ["Chi bộ Khu phố 1", "Phạm Bình", "", "", "", "", "", "đi học tập trung", "", "", "", ""],
    ]
