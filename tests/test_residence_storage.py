"""Residence ties in storage (SQLite and PostgreSQL) and their rules: history, answers that
cannot be given twice, the committee's counts, the comment for the year record, text cleanup
and the comment window."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage.db import transaction
from storage.models import ExemptionKind, Member, TieStatus, Unit
from storage.residence import (
    ResidenceError,
    TieDraft,
    add_activity,
    confirm_activity,
    current_tie,
    decide_tie,
    record_exemption,
    register_tie,
    search_branches,
    tie_history,
)
from storage.residence_comments import (
    CommentForm,
    branch_residence,
    comment_of,
    comments_to_write,
    residence_overview,
    save_comment,
)
from storage.text import TextTooLong, clean_text
from storage.units import add_unit, get_unit
from tests.factories import member, tree

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


async def cb1_unit(session: AsyncSession) -> Unit:
    unit = await get_unit(session, "CB1")
    assert unit is not None
    return unit


FORM = CommentForm(True, False, True, "Gương mẫu")


def draft(branch_id: int | None, address: str = "Số 1") -> TieDraft:
    return TieDraft(address, "Phường 1", "Lâm Đồng", branch_id, "Chi bộ X", None, None)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Số 12\u200b ngõ 5\x07 ", "Số 12 ngõ 5"),
        ("Dòng 1\nDòng 2\ufeff", "Dòng 1\nDòng 2"),
        ("Nguye\u0302\u0303n", "Nguyễn"),  # NFD from some keyboards becomes NFC
    ],
)
def test_clean_text_strips_invisible_and_control_characters(raw: str, clean: str) -> None:
    assert clean_text(raw, 20) == clean


def test_clean_text_names_the_limit() -> None:
    assert clean_text("a" * 5 + "\u200b" * 10, 5) == "aaaaa"  # invisible ones do not count
    with pytest.raises(TextTooLong) as error:
        clean_text("a" * 6, 5)
    assert (error.value.length, error.value.limit) == (6, 5)


@pytest.mark.parametrize(
    ("opens", "closes", "today", "year"),
    [
        ("12-01", "12-31", date(2026, 12, 31), 2026),
        ("12-01", "12-31", date(2026, 11, 30), None),
        ("12-15", "01-10", date(2027, 1, 5), 2026),  # the window runs into January
        ("12-15", "01-10", date(2027, 1, 11), None),
        ("02-29", "03-10", date(2027, 2, 28), 2027),  # no 29 February: the 28th
    ],
)
def test_comment_window(opens: str, closes: str, today: date, year: int | None) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        residence_comment_opens=opens,
        residence_comment_closes=closes,
    )
    assert settings.residence_comment_year(today) == year


@pytest.mark.parametrize("bad", ["12-32", "2-1", "13-01", "02-30"])
def test_comment_window_settings_are_checked(bad: str) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, residence_comment_opens=bad)  # type: ignore[call-arg]


async def people(session: AsyncSession) -> dict[str, Member]:
    units = await tree(session)
    r1 = await add_unit(session, "R1", "Chi bộ Khu dân cư Đồng Tâm", "HX", False, True)
    return {
        "an": await member(session, units["CB1"], "Lê An", "0914000001"),
        "binh": await member(session, units["CB1"], "Phạm Bình", "0914000002"),
        "cuong": await member(session, units["CB1"], "Hoàng Cường", "0914000003"),
        "resident": await member(session, r1, "Nguyễn Tâm", "0914000004"),
    }


async def test_search_ignores_case_and_tone_marks_and_escapes_wildcards(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        p = await people(session)
        found = await search_branches(session, "ĐỒNG tam")
        assert [u.name for u in found] == ["Chi bộ Khu dân cư Đồng Tâm"]
        assert await search_branches(session, "%") == []
        mine = await search_branches(session, "khu pho", exclude_id=p["an"].branch_id)
        assert [u.code for u in mine] == ["CB2"]


async def test_a_new_tie_keeps_the_old_one_as_history_and_answers_are_final(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        p = await people(session)
        r1 = p["resident"].branch_id
        first = await register_tie(session, p["an"], draft(r1, "Cũ"), NOW)
        decide_tie(first, True, None, NOW)
        with pytest.raises(ResidenceError, match="tie_decided"):
            decide_tie(first, False, None, NOW, "muộn")
        second = await register_tie(session, p["an"], draft(None, "Mới"), NOW)
        assert second.status == TieStatus.UNLISTED and second.residence_branch_text == "Chi bộ X"
        with pytest.raises(ResidenceError, match="tie_replaced"):
            decide_tie(first, True, None, NOW)
        assert [t.address for t in await tie_history(session, p["an"].id)] == ["Mới", "Cũ"]
        current = await current_tie(session, p["an"].id)
        assert current is not None and current.id == second.id
        with pytest.raises(ResidenceError, match="reason_required"):
            await record_exemption(session, p["binh"].id, ExemptionKind.OTHER, None, None, NOW)


async def test_overview_counts_and_the_comment_for_the_year_record(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        p = await people(session)
        r1 = p["resident"].branch_id
        tie = await register_tie(session, p["an"], draft(r1), NOW)
        decide_tie(tie, True, None, NOW)
        cuong_tie = await register_tie(session, p["cuong"], draft(r1), NOW)
        decide_tie(cuong_tie, True, None, NOW)
        await record_exemption(
            session, p["cuong"].id, ExemptionKind.FULL_TIME_STUDY, None, None, NOW
        )
        assert [t.member_id for t in await comments_to_write(session, [r1], 2026)] == [p["an"].id]
        await save_comment(session, tie, 2026, FORM, None, NOW)
        with pytest.raises(ResidenceError, match="comment_sent"):
            await save_comment(session, tie, 2026, FORM, None, NOW)
        comment = await comment_of(session, p["an"].id, 2026)
        assert comment is not None and comment.comment == "Gương mẫu"
        assert await comment_of(session, p["an"].id, 2025) is None

        overview = await residence_overview(session, {"/"}, 2026, 2)
        by_code = {b.code: f for b, f in overview}
        assert set(by_code) == {"CB1", "CB2", "CB9"}  # residential R1 is not a workplace
        cb1 = by_code["CB1"]
        figures = [cb1.members, cb1.registered, cb1.confirmed, cb1.missing, cb1.comments_missing]
        assert figures == [3, 2, 2, 1, 1]  # Bình missing; Cường exempt, no comment expected
        assert (cb1.exempt, cb1.comments_received) == (1, 1)
        [detail] = await branch_residence(session, [await cb1_unit(session)], 2026)
        assert detail.figures(2) == cb1  # the branch page counts as the overview does


async def test_overview_counts_confirmed_activities_of_the_year(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        p = await people(session)
        tie = await register_tie(session, p["an"], draft(p["resident"].branch_id), NOW)
        decide_tie(tie, True, None, NOW)
        days = (date(2026, 3, 1), date(2026, 6, 1), date(2026, 9, 1), date(2025, 11, 1))
        for held_on, confirmed in zip(days, (True, True, False, True), strict=True):
            activity = await add_activity(session, tie, held_on, "Họp tổ", NOW)
            if confirmed:
                confirm_activity(activity, None, NOW)
        await session.flush()
        overview = await residence_overview(session, {"/"}, 2026, 3)
        [figures] = [f for b, f in overview if b.code == "CB1"]
        assert figures.below_minimum == 1  # An: two confirmed this year, three expected
        [cb1] = await branch_residence(session, [await cb1_unit(session)], 2026)
        by_name = {m.member.full_name: m for m in cb1.members}
        an = by_name["Lê An"]
        assert an.activities == 2  # not the unconfirmed one, nor last year's
        assert (an.below(2), an.below(3)) == (False, True)
        assert not by_name["Phạm Bình"].below(2)  # not tied: asked to register, not to attend
