"""A year of history (admission, exemptions, a removal, transfers) and every scorecard figure
at three dates, against numbers worked out by hand below (docs/populations.md is the rule).
Run later, with more history added after the year, the figures for those dates are the same.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import translator
from storage.db import transaction
from storage.meetings import NewMeeting, add_meeting, invite_of
from storage.models import (
    Attendance,
    Grade,
    MeetingAudience,
    MeetingKind,
    Member,
    PlanStatus,
    ResidenceComment,
    ResidenceTie,
    Standing,
    Survey,
    SurveyParticipation,
    TieStatus,
    TransferKind,
    Unit,
    YearlyPlan,
)
from storage.scorecard import Fraction, Scorecard, scorecards
from storage.standing import Change, record_change
from storage.survey_questions import Kind, Question
from storage.surveys import NewSurvey, add_survey, get_survey, submit
from storage.transfers import TransferDraft, confirm_transfer, get_transfer, start_transfer
from tests.factories import member, tree

TZ = translator("vi").tz
TODAY = date(2027, 3, 15)  # the figures of 2026 are asked for after the year
P, E, U = Attendance.PRESENT, Attendance.EXCUSED, Attendance.UNEXCUSED


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC)


async def change(s: AsyncSession, who: Member, status: Standing, start: date, **kw: object) -> None:
    await record_change(s, who, Change(status, start, **kw), TODAY)  # type: ignore[arg-type]


async def build_year(s: AsyncSession) -> tuple[Unit, dict[str, Member]]:
    """CB1: An (official all year), Bình (admitted 01/02/2026, probationary), Cường (exempt
    for health from 01/05), Dũng (deceased 15/08), Em (temporarily transferred out
    01/09-01/11), Phúc (transferred out of the bot 01/10). CB2: Giang (official), Hạnh
    (exempt for age 01/03-01/07)."""
    u = await tree(s)
    m: dict[str, Member] = {}
    for number, (key, branch, name) in enumerate(
        [
            ("an", "CB1", "Lê An"),
            ("binh", "CB1", "Phạm Bình"),
            ("cuong", "CB1", "Vũ Cường"),
            ("dung", "CB1", "Đỗ Dũng"),
            ("em", "CB1", "Hà Em"),
            ("phuc", "CB1", "Ngô Phúc"),
            ("giang", "CB2", "Lý Giang"),
            ("hanh", "CB2", "Mai Hạnh"),
        ]
    ):
        m[key] = await member(s, u[branch], name, f"09180000{number:02d}")
    await change(s, m["binh"], Standing.PROBATIONARY, date(2026, 2, 1), decision_no="01-QĐ")
    await change(s, m["cuong"], Standing.EXEMPT, date(2026, 5, 1), detail="health")
    await change(s, m["dung"], Standing.REMOVED, date(2026, 8, 15), detail="deceased")
    await change(
        s, m["em"], Standing.TRANSFERRED_TEMPORARY, date(2026, 9, 1), valid_to=date(2026, 11, 1)
    )
    await change(s, m["phuc"], Standing.TRANSFERRED_OUT, date(2026, 10, 1), note="Tỉnh X")
    await change(
        s, m["hanh"], Standing.EXEMPT, date(2026, 3, 1), valid_to=date(2026, 7, 1), detail="age"
    )
    plans = {
        "an": (PlanStatus.ACCEPTED, Grade.GOOD),
        "binh": (PlanStatus.SUBMITTED, None),
        "cuong": (PlanStatus.SUBMITTED, None),
        "dung": (PlanStatus.ACCEPTED, Grade.EXCELLENT),
        "phuc": (PlanStatus.ACCEPTED, Grade.COMPLETED),
        "giang": (PlanStatus.ACCEPTED, Grade.GOOD),
    }
    for key, (status, grade) in plans.items():
        s.add(YearlyPlan(member_id=m[key].id, year=2026, status=status, final_grade=grade))
    await _meetings(s, u["CB1"], m)
    await _residence(s, u, m)
    await _survey(s, u["CB1"], m)
    return u["HU"], m


async def _meetings(s: AsyncSession, cb1: Unit, m: dict[str, Member]) -> None:
    recorded = {
        date(2026, 3, 10): {"an": P, "binh": P, "cuong": U, "dung": P, "em": P, "phuc": E},
        date(2026, 9, 10): {"an": P, "binh": U, "phuc": P},
    }
    for day, marks in recorded.items():
        new = NewMeeting(
            cb1.id, MeetingKind.REGULAR, MeetingAudience.MEMBERS, at(day), "Hội trường", "Họp", None
        )
        meeting = await add_meeting(s, new, [m[k].id for k in marks])
        meeting.attendance_recorded_at = at(day, 12)
        for key, mark in marks.items():
            invite = await invite_of(s, meeting.id, m[key].id)
            assert invite is not None
            invite.attendance = mark


async def _residence(s: AsyncSession, u: dict[str, Unit], m: dict[str, Member]) -> None:
    """An: confirmed tie and the 2026 comment; Giang: a pending tie."""
    created = at(date(2026, 1, 5))
    tie = ResidenceTie(
        member_id=m["an"].id,
        address="Số 1",
        residence_branch_id=u["CB9"].id,
        status=TieStatus.CONFIRMED,
        created_at=created,
    )
    s.add(tie)
    s.add(
        ResidenceTie(
            member_id=m["giang"].id,
            address="Số 2",
            residence_branch_id=u["CB9"].id,
            status=TieStatus.PENDING,
            created_at=created,
        )
    )
    await s.flush()
    s.add(
        ResidenceComment(
            member_id=m["an"].id,
            year=2026,
            tie_id=tie.id,
            residence_branch_id=u["CB9"].id,
            takes_part=True,
            sets_example=True,
            keeps_contact=True,
            comment="Tốt",
            sent_at=created,
        )
    )


async def _survey(s: AsyncSession, cb1: Unit, m: dict[str, Member]) -> None:
    """A CB1 survey opened 01/03/2026, answered by An, Cường and Dũng."""
    question = Question("Đồng ý?", Kind.YESNO)
    opened = at(date(2026, 3, 1))
    created = await add_survey(s, NewSurvey(cb1.id, "Lấy ý kiến", [question], False, 5, opened))
    survey = await get_survey(s, created.id)
    assert survey is not None
    for key in ("an", "cuong", "dung"):
        await submit(s, survey, m[key].id, {"0": True}, opened)


def figures(card: Scorecard) -> dict[str, tuple[int, int]]:
    return {
        name: (value.done, value.total)
        for name, value in vars(card).items()
        if isinstance(value, Fraction)
    }


# Worked out by hand. Taking part (plans, grades, attendance, residence): probationary and
# official members. Survey audience and the exempt count's total: everyone on the roster.
EXPECTED = {
    date(2026, 3, 31): {
        # CB1 taking part: An, Bình, Cường, Dũng, Em, Phúc (6); on the roster the same 6.
        # CB2 taking part: Giang (Hạnh exempt); on the roster 2.
        "CB1": {
            "residence_registered": (1, 6),  # An
            "residence_commented": (1, 6),  # An
            "plans_handed_in": (5, 6),  # all but Em
            "good_or_better": (2, 6),  # An good, Dũng excellent
            "attendance": (4, 6),  # 10/03: An, Bình, Dũng, Em present
            "survey_response": (3, 6),  # An, Cường, Dũng
            "exempt": (0, 6),
            "away": (0, 6),
            "admissions": (1, 5),  # Bình, of An, Cường, Dũng, Em, Phúc on 01/01
        },
        "CB2": {
            "residence_registered": (1, 1),
            "residence_commented": (0, 1),
            "plans_handed_in": (1, 1),
            "good_or_better": (1, 1),
            "attendance": (0, 0),
            "survey_response": (0, 0),
            "exempt": (1, 2),  # Hạnh
            "away": (0, 2),
            "admissions": (0, 2),
        },
    },
    date(2026, 9, 30): {
        # CB1 taking part: An, Bình, Phúc (Cường exempt, Dũng removed, Em away);
        # on the roster: An, Bình, Cường, Em, Phúc (5). CB2: Giang, Hạnh again.
        "CB1": {
            "residence_registered": (1, 3),
            "residence_commented": (1, 3),
            "plans_handed_in": (3, 3),
            "good_or_better": (1, 3),  # An (Phúc: completed)
            "attendance": (4, 6),  # An 2, Bình 1 of 2, Phúc 1 of 2 (one excused)
            "survey_response": (2, 5),  # An, Cường
            "exempt": (1, 5),  # Cường
            "away": (1, 5),  # Em, away at a branch outside
            "admissions": (1, 5),
        },
        "CB2": {
            "residence_registered": (1, 2),
            "residence_commented": (0, 2),
            "plans_handed_in": (1, 2),
            "good_or_better": (1, 2),
            "attendance": (0, 0),
            "survey_response": (0, 0),
            "exempt": (0, 2),
            "away": (0, 2),
            "admissions": (0, 2),
        },
    },
    date(2026, 12, 31): {
        # CB1 taking part: An, Bình, Em (back 01/11); on the roster: An, Bình, Cường, Em.
        "CB1": {
            "residence_registered": (1, 3),
            "residence_commented": (1, 3),
            "plans_handed_in": (2, 3),  # An, Bình
            "good_or_better": (1, 3),
            "attendance": (4, 5),  # An 2, Bình 1 of 2, Em 1
            "survey_response": (2, 4),
            "exempt": (1, 4),
            "away": (0, 4),
            "admissions": (1, 5),
        },
        "CB2": {
            "residence_registered": (1, 2),
            "residence_commented": (0, 2),
            "plans_handed_in": (1, 2),
            "good_or_better": (1, 2),
            "attendance": (0, 0),
            "survey_response": (0, 0),
            "exempt": (0, 2),
            "away": (0, 2),
            "admissions": (0, 2),
        },
    },
}


async def _check(s: AsyncSession, hu: Unit) -> None:
    for day, expected in EXPECTED.items():
        branches, total = await scorecards(s, hu, 2026, TZ, day)
        got = {card.unit.code: figures(card) for card in branches}
        for code in ("CB1", "CB2"):
            wanted = expected[code]
            assert {k: got[code][k] for k in wanted} == wanted, (day, code)
        summed = {
            k: (a[0] + b[0], a[1] + b[1]) for k, a, b in
            ((k, expected["CB1"][k], expected["CB2"][k]) for k in expected["CB1"])
        }  # fmt: skip
        assert {k: figures(total)[k] for k in summed} == summed, day


async def test_every_figure_at_three_dates_from_the_history(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as s:
        hu, m = await build_year(s)
    async with transaction(sessions) as s:
        await _check(s, hu)
    # 2027 goes on: Bình is recognised, An leaves, Giang is exempted. 2026 stays as it was.
    async with transaction(sessions) as s:
        await change(s, m["binh"], Standing.OFFICIAL, date(2027, 2, 1))
        await change(s, m["an"], Standing.REMOVED, date(2027, 1, 15), detail="left")
        await change(s, m["giang"], Standing.EXEMPT, date(2027, 1, 10), detail="health")
    async with transaction(sessions) as s:
        await _check(s, hu)
    # And the records the figures count change after the year: 2026 still stays as it was.
    async with transaction(sessions) as s:
        await _later_records(s, hu, m)
    async with transaction(sessions) as s:
        await _check(s, hu)


async def _later_records(s: AsyncSession, hu: Unit, m: dict[str, Member]) -> None:
    """In January-February 2027: Bình's 2026 plan is accepted and graded excellent, Em hands
    in a 2026 plan late, Giang's pending tie is declined, Bình registers a tie and gets a
    2026 comment, Bình answers the 2026 survey late, attendance of a December meeting is
    recorded in January, and Hạnh moves to CB1 (confirmed in the bot)."""
    plans = {p.member_id: p for p in await s.scalars(select(YearlyPlan))}
    binh = plans[m["binh"].id]
    binh.status, binh.reviewed_at = PlanStatus.ACCEPTED, at(date(2027, 1, 5))
    binh.final_grade, binh.graded_at = Grade.EXCELLENT, at(date(2027, 1, 20))
    late = at(date(2027, 1, 6))
    s.add(
        YearlyPlan(member_id=m["em"].id, year=2026, status=PlanStatus.SUBMITTED, submitted_at=late)
    )
    pending = await s.scalar(select(ResidenceTie).where(ResidenceTie.member_id == m["giang"].id))
    assert pending is not None
    pending.status, pending.decided_at = TieStatus.DECLINED, at(date(2027, 1, 10))
    cb9 = await s.scalar(select(Unit).where(Unit.code == "CB9"))
    assert cb9 is not None
    tie = ResidenceTie(
        member_id=m["binh"].id,
        address="Số 3",
        residence_branch_id=cb9.id,
        status=TieStatus.CONFIRMED,
        created_at=at(date(2027, 1, 12)),
        decided_at=at(date(2027, 1, 13)),
    )
    s.add(tie)
    await s.flush()
    s.add(
        ResidenceComment(
            member_id=m["binh"].id,
            year=2026,
            tie_id=tie.id,
            residence_branch_id=cb9.id,
            takes_part=True,
            sets_example=True,
            keeps_contact=True,
            comment="Tốt",
            sent_at=at(date(2027, 1, 20)),
        )
    )
    survey_id = await s.scalar(select(Survey.id))
    s.add(SurveyParticipation(survey_id=survey_id, member_id=m["binh"].id, submitted_at=late))
    cb1 = await s.scalar(select(Unit).where(Unit.code == "CB1"))
    assert cb1 is not None
    new = NewMeeting(
        cb1.id,
        MeetingKind.REGULAR,
        MeetingAudience.MEMBERS,
        at(date(2026, 12, 20)),
        "HT",
        "Họp",
        None,
    )
    meeting = await add_meeting(s, new, [m["an"].id, m["binh"].id])
    meeting.attendance_recorded_at = at(date(2027, 1, 4))
    for key, mark in (("an", P), ("binh", U)):
        invite = await invite_of(s, meeting.id, m[key].id)
        assert invite is not None
        invite.attendance = mark
    draft = TransferDraft(TransferKind.OFFICIAL, cb1.id, None, "05-GGT", date(2027, 2, 1))
    moved = datetime(2027, 2, 1, 3, tzinfo=UTC)
    transfer = await start_transfer(
        s, m["hanh"], draft, by_member_id=None, now=moved, today=date(2027, 2, 1), confirm_days=30
    )
    loaded = await get_transfer(s, transfer.id)
    assert loaded is not None
    await confirm_transfer(s, loaded, by_member_id=None, now=moved, today=date(2027, 2, 1))


async def test_an_admission_counts_once_where_it_was_made(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Admitted at CB1 on 01/02/2026, moved to CB2 in the bot on 01/06/2026 while still
    probationary: one admission in 2026, at CB1 (the probation goes on at CB2)."""
    async with transaction(sessions) as s:
        u = await tree(s)
        old = await member(s, u["CB1"], "Trần Cũ", "0918111001")
        new = await member(s, u["CB1"], "Đinh Mới", "0918111002")
        await member(s, u["CB2"], "Lý Hai", "0918111003")
        await change(s, new, Standing.PROBATIONARY, date(2026, 2, 1))
        draft = TransferDraft(TransferKind.OFFICIAL, u["CB2"].id, None, "07-GGT", None)
        moved = datetime(2026, 6, 1, 3, tzinfo=UTC)
        day = date(2026, 6, 1)
        transfer = await start_transfer(
            s, new, draft, by_member_id=None, now=moved, today=day, confirm_days=30
        )
        loaded = await get_transfer(s, transfer.id)
        assert loaded is not None
        await confirm_transfer(s, loaded, by_member_id=None, now=moved, today=day)
        assert old.id
    async with transaction(sessions) as s:
        branches, total = await scorecards(s, u["HU"], 2026, TZ, date(2026, 12, 31))
        got = {card.unit.code: figures(card)["admissions"] for card in branches}
        # CB1 on 01/01: Trần Cũ (Đinh Mới only from 01/02); CB2: Lý Hai.
        assert got == {"CB1": (1, 1), "CB2": (0, 1)}
        assert figures(total)["admissions"] == (1, 2)
