"""The yearly plan is no dead end: next year's plan opens when its season opens (in December),
a plan missed at the deadline can be reopened at the member's request, and /help tells the
calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from storage.models import PlanStatus, Unit
from storage.plan_seasons import set_season
from storage.plans import get_plan
from tests.harness import RunningBot
from tests.plan_helpers import (
    AN,
    KHANH,
    SON,
    local_today,
    open_season,
    plan_of,
    put_plan,
    seed,
    unit_id,
)
from tests.test_plans import delivered, open_plan_menu, user


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


def closed_season(today: date, year: int | None = None) -> dict[str, object]:
    """This year's calendar as in December: the deadline long past."""
    return {
        "year": year or today.year,
        "opens_on": date(today.year, 1, 1),
        "deadline": today - timedelta(days=30),
    }


async def test_next_years_plan_opens_when_its_season_opens(bot: RunningBot) -> None:
    """Seen in December: "Trạng thái: chưa bắt đầu" beside "…không thể sửa được nữa." and no
    button, though next year's season opened on 01/12."""
    today = local_today()
    ids = await seed(bot, open_season(today, **closed_season(today)))
    async with bot.db() as session:
        hu = await session.get_one(Unit, await unit_id(bot, "HU"))
        following = open_season(
            today,
            year=today.year + 1,
            opens_on=today - timedelta(days=1),
            deadline=date(today.year + 1, 3, 31),
            assessment_opens_on=date(today.year + 1, 12, 1),
            assessment_closes_on=date(today.year + 1, 12, 31),
        )
        await set_season(session, hu, following)
        await put_plan(session, ids["an"], PlanStatus.ACCEPTED)  # this year's, to assess
    an = user(bot, AN)
    menu = await open_plan_menu(an)
    assert f"năm {today.year + 1}</b>" in (menu.text or "")
    assert "không thể sửa được nữa" not in (menu.text or "")
    assert "✍️ Xây dựng kế hoạch" in menu.buttons()
    # This year's self-assessment is still offered beside next year's plan.
    assert "📋 Tự kiểm điểm" in menu.buttons()
    await an.press("✍️ Xây dựng kế hoạch", message=menu)
    await an.wait_for_message()
    await an.send_text("Học tập nghị quyết Đại hội.")
    await an.wait_for_message()
    async with bot.db() as session:
        plan = await get_plan(session, ids["an"], today.year + 1)
        assert plan is not None and plan.sections["ideology"] == "Học tập nghị quyết Đại hội."


async def test_a_plan_missed_at_the_deadline_is_reopened_at_the_members_request(
    bot: RunningBot,
) -> None:
    today = local_today()
    ids = await seed(bot, open_season(today, **closed_season(today)))
    an = user(bot, AN)
    menu = await open_plan_menu(an)
    assert "đồng chí chưa nộp kế hoạch" in (menu.text or "")
    assert "đề nghị chi ủy mở lại" in (menu.text or "")
    await an.press("🙋 Đề nghị mở lại kế hoạch", message=menu)
    await bot.fake.wait_until(lambda: "Đề nghị đã được gửi đến chi ủy" in (menu.text or ""))
    await delivered(bot)
    son = user(bot, SON)
    [request] = [m for m in son.messages if "đề nghị mở lại" in (m.text or "")]
    assert "Lê An chưa nộp kế hoạch năm" in (request.text or "")
    assert any("đề nghị mở lại" in (m.text or "") for m in user(bot, KHANH).messages)
    await son.press("🔓 Mở lại kế hoạch", message=request)
    await bot.fake.wait_until(lambda: "Đã mở lại" in (request.text or ""))
    await delivered(bot)
    assert any("Chi ủy đã mở lại kế hoạch" in (m.text or "") for m in an.messages)
    plan = await plan_of(bot, ids["an"])
    assert plan is not None and plan.status == PlanStatus.RETURNED
    menu = await open_plan_menu(an)
    assert "✍️ Xây dựng kế hoạch" in menu.buttons()


async def test_help_tells_the_plan_calendar(bot: RunningBot) -> None:
    today = local_today()
    await seed(bot, open_season(today))
    an = user(bot, AN)
    await an.send_text("/help")
    help_text = (await an.wait_for_message()).text or ""
    assert f"📝 Kế hoạch năm {today.year}: xây dựng từ" in help_text
    assert (today + timedelta(days=10)).strftime("%d/%m/%Y") in help_text
