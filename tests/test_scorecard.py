"""The Resolution 21 scorecard: counts per branch, rolled up by adding counts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import translator
from storage.db import transaction
from storage.meetings import NewMeeting, add_meeting, invite_of
from storage.models import (
    Attendance,
    ExemptionKind,
    Grade,
    MeetingAudience,
    MeetingKind,
    PlanStatus,
    ResidenceComment,
    ResidenceExemption,
    ResidenceTie,
    TieStatus,
    Unit,
    YearlyPlan,
)
from storage.scorecard import Fraction, scorecards
from tests.factories import member, tree

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TZ = translator("vi").tz


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


async def test_branch_figures_and_the_committee_roll_up(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        ids = await seed_year(session)
        hu = await session.get(Unit, ids["HU"])
        assert hu is not None
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
