"""The Resolution 21 scorecard: counts per branch, rolled up by adding counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.exports.run import produce
from bot.i18n import translator
from storage import clock
from storage.db import transaction
from storage.exports.registry import dataset_spec
from storage.exports.writers import ExportFormat
from storage.meetings import NewMeeting, add_meeting, invite_of
from storage.models import (
    Attendance,
    ExemptionKind,
    Grade,
    MeetingAudience,
    MeetingKind,
    Member,
    PlanStatus,
    ResidenceComment,
    ResidenceExemption,
    ResidenceTie,
    Role,
    TieStatus,
    Unit,
    YearlyPlan,
)
from storage.scorecard import Fraction, scorecards
from storage.survey_questions import Kind, Question
from storage.surveys import LEADERS, NewSurvey, add_survey, get_survey, submit
from storage.units import get_unit
from tests.factories import member, tree
from tests.harness import RunningBot
from tests.test_menus_and_buttons import assert_refused

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TZ = translator("vi").tz
PHUONG = 801


@pytest.fixture(autouse=True)
def in_2026() -> Iterator[None]:
    """The seeded figures are of 2026 and the scorecard shows the current year: these tests
    run a day after the seeded meeting, whatever the date of the run."""
    clock.set_now(NOW + timedelta(days=1))
    yield
    clock.set_now(None)


async def seed_year(session: AsyncSession) -> dict[str, int]:
    """CB1 (four members): An registered, confirmed, commented, plan accepted, graded good;
    Bình registered (pending), plan submitted; Cường exempt, plan returned, graded
    "completed"; Dũng nothing at all. CB2: Hà, nothing. One recorded CB1 meeting: three
    present, Dũng absent without excuse."""
    u = await tree(session)
    people = {}
    for key, branch, name in (
        ("an", "CB1", "Lê An"),
        ("binh", "CB1", "Phạm Bình"),
        ("cuong", "CB1", "Hoàng Cường"),
        ("dung", "CB1", "Vũ Dũng"),
        ("ha", "CB2", "Đỗ Hà"),
    ):
        people[key] = await member(session, u[branch], name, f"09160000{len(people):02d}")
    an, binh, cuong = people["an"], people["binh"], people["cuong"]
    tie = ResidenceTie(
        member_id=an.id,
        address="Số 1",
        residence_branch_id=u["CB9"].id,
        status=TieStatus.CONFIRMED,
        created_at=NOW,
    )
    session.add(tie)
    session.add(
        ResidenceTie(
            member_id=binh.id,
            address="Số 2",
            residence_branch_id=u["CB9"].id,
            status=TieStatus.PENDING,
            created_at=NOW,
        )
    )
    session.add(ResidenceExemption(member_id=cuong.id, kind=ExemptionKind.OTHER, created_at=NOW))
    await session.flush()
    session.add(
        ResidenceComment(
            member_id=an.id,
            year=2026,
            tie_id=tie.id,
            residence_branch_id=u["CB9"].id,
            takes_part=True,
            sets_example=True,
            keeps_contact=True,
            comment="Tốt",
            sent_at=NOW,
        )
    )
    for who, status, grade in (
        (an, PlanStatus.ACCEPTED, Grade.GOOD),
        (binh, PlanStatus.SUBMITTED, None),
        (cuong, PlanStatus.RETURNED, Grade.COMPLETED),
    ):
        session.add(
            YearlyPlan(member_id=who.id, year=2026, status=status, sections={}, final_grade=grade)
        )
    new = NewMeeting(
        u["CB1"].id, MeetingKind.REGULAR, MeetingAudience.MEMBERS, NOW, "Hội trường", "Họp", None
    )
    meeting = await add_meeting(session, new, [p.id for k, p in people.items() if k != "ha"])
    meeting.attendance_recorded_at = NOW
    for key in ("an", "binh", "cuong", "dung"):
        invite = await invite_of(session, meeting.id, people[key].id)
        assert invite is not None
        invite.attendance = Attendance.UNEXCUSED if key == "dung" else Attendance.PRESENT
    await session.flush()
    return {"HU": u["HU"].id, "CB1": u["CB1"].id, "CB2": u["CB2"].id}


async def survey_half_of_cb1(session: AsyncSession, cb1_id: int) -> None:
    """A 2026 survey to CB1's four members, answered by two of them."""
    question = Question("Đồng chí có đồng ý không?", Kind.YESNO)
    survey = await add_survey(session, NewSurvey(cb1_id, "Lấy ý kiến", [question], False, 5, NOW))
    survey = await get_survey(session, survey.id)
    assert survey is not None
    members = await session.scalars(
        select(Member).where(Member.branch_id == cb1_id).order_by(Member.id).limit(2)
    )
    for who in members.all():
        await submit(session, survey, who.id, {"0": True}, NOW)


async def test_branch_figures_and_the_committee_roll_up(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        ids = await seed_year(session)
        hu = await session.get(Unit, ids["HU"])
        assert hu is not None
        await survey_half_of_cb1(session, ids["CB1"])
        branches, total = await scorecards(session, hu, 2026, TZ)
    by_code = {card.unit.code: card for card in branches}
    assert set(by_code) == {"CB1", "CB2"}
    cb1, cb2 = by_code["CB1"], by_code["CB2"]
    assert cb1.residence_registered == Fraction(3, 4)  # An, Bình registered; Cường exempt
    assert cb1.residence_commented == Fraction(1, 3)  # exempt Cường expects no comment
    assert cb1.plans_handed_in == Fraction(3, 4)
    assert cb1.good_or_better == Fraction(1, 4)
    assert cb1.attendance == Fraction(3, 4)
    assert cb2.plans_handed_in == Fraction(0, 1) and cb2.attendance.share is None
    assert total.residence_registered == Fraction(3, 5)
    assert total.plans_handed_in == Fraction(3, 5)
    assert total.good_or_better.share == 0.2
    assert total.attendance == Fraction(3, 4)
    assert cb1.survey_response == Fraction(2, 4) and cb2.survey_response.share is None


async def test_committee_sees_the_table_totals_and_chart_of_its_units_only(
    bot: RunningBot,
) -> None:
    async with bot.db(settle=False) as session:
        ids = await seed_year(session)
        hu, cb2 = await session.get(Unit, ids["HU"]), await session.get(Unit, ids["CB2"])
        assert hu is not None and cb2 is not None
        await member(
            session,
            cb2,
            "Ngô Phương",
            "0916000099",
            telegram_id=PHUONG,
            role=Role.DEPUTY_SECRETARY,
            role_unit=hu,
        )
        hx = await get_unit(session, "HX")
        assert hx is not None
        hx_id = hx.id
    phuong = bot.fake.user(PHUONG, language_code="vi")
    await phuong.send_text("📊 Báo cáo")
    await phuong.wait_for_message()
    await phuong.press("🎯 Kết quả Nghị quyết 21")
    picker = await phuong.wait_for_message()
    assert picker.buttons() == ["Đảng bộ Phường 1", "Chi bộ Khu phố 1", "Chi bộ Khu phố 2"]
    await phuong.press("Đảng bộ Phường 1", message=picker)
    words, chart = await phuong.wait_for_messages(2, timeout=30)  # matplotlib on a busy machine
    # In words first, a branch at a time: "ĐK NX KH TỐT DỰ KS" did not read on a phone.
    assert "ĐK " not in (words.text or "")
    assert "<b>Chi bộ Khu phố 1</b>\n• Đăng ký sinh hoạt nơi cư trú: 75%" in words.text
    assert "Đăng ký sinh hoạt nơi cư trú: 3/6 (50%) ❌ mục tiêu 100%" in words.text
    await phuong.press("🔢 Bảng rút gọn", message=words)
    table = await phuong.wait_for_message()
    assert table.parse_mode == "HTML"
    assert "Nghị quyết 21: Đảng bộ Phường 1, năm 2026" in table.text
    assert "CB1       75  33  75  25  75   —" in table.text
    assert "CB2        0   0   0   0   —   —" in table.text
    assert "CB1: Chi bộ Khu phố 1\nCB2: Chi bộ Khu phố 2" in table.text
    assert "ĐK: Đăng ký sinh hoạt nơi cư trú: 3/6 (50%) ❌ mục tiêu 100%" in table.text
    assert "TỐT: Hoàn thành tốt nhiệm vụ trở lên: 1/6 (17%) ❌ mục tiêu 90%" in table.text
    assert "DỰ: Điểm danh sinh hoạt: 3/4 (75%)" in table.text
    assert "KS: Trả lời khảo sát: chưa có số liệu" in table.text
    assert chart.kind == "photo" and (chart.file_bytes or b"").startswith(b"\x89PNG")
    await assert_refused(bot, PHUONG, f"scu:{hx_id}")  # a committee not theirs


async def test_scorecard_sheet_has_a_row_per_branch_and_the_total(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with transaction(sessions) as session:
        ids = await seed_year(session)
    spec = dataset_spec("scorecard")
    assert spec is not None
    target = tmp_path / "scorecard.xlsx"
    produced = await produce(sessions, spec, ids["HU"], ExportFormat.XLSX, translator("vi"), target)
    assert produced is not None and produced.rows == 3
    sheet = openpyxl.load_workbook(target).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == [
        "Đơn vị",
        "Đăng ký sinh hoạt nơi cư trú (%)",
        "Có nhận xét của nơi cư trú (%)",
    ]
    assert rows[1] == ["Chi bộ Khu phố 1", 75, 33.3, 75, 25, 75, None, 0, 0, 0]
    assert rows[3] == ["Đảng bộ Phường 1, tổng hợp năm 2026", 60, 25, 60, 20, 75, None, 0, 0, 0]
    assert rows[2][0] == "Chi bộ Khu phố 2"


async def test_a_leaders_survey_counts_only_the_role_holders_under_its_unit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        ids = await seed_year(session)
        hu, cb1 = await session.get(Unit, ids["HU"]), await session.get(Unit, ids["CB1"])
        assert hu is not None and cb1 is not None
        leader = await member(
            session, cb1, "Trần Sơn", "0916000098", role=Role.SECRETARY, role_unit=cb1
        )
        question = Question("Đồng chí có đồng ý không?", Kind.YESNO)
        new = NewSurvey(hu.id, "Cấp ủy", [question], False, 5, NOW, audience_role=LEADERS)
        survey = await get_survey(session, (await add_survey(session, new)).id)
        assert survey is not None
        await submit(session, survey, leader.id, {"0": True}, NOW)
        branches, total = await scorecards(session, hu, 2026, TZ)
    by_code = {card.unit.code: card for card in branches}
    assert by_code["CB1"].survey_response == Fraction(1, 1)
    assert by_code["CB2"].survey_response.share is None and total.survey_response == Fraction(1, 1)
