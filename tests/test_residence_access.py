"""A member or secretary of branch B cannot see or act on branch A's residence records,
even with forged buttons; and a forged button writes nothing but the audit row."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import func, select

from storage import clock
from storage.models import (
    Broadcast,
    FlowState,
    ResidenceActivity,
    ResidenceComment,
    ResidenceExemption,
    ResidenceTie,
    TieStatus,
)
from storage.residence import add_activity, get_tie
from tests.fakebot import FakeBotApi
from tests.harness import RunningBot
from tests.residence_seed import DUNG, HA, LAN, SON, TAM, residence_bot, seed, tie_for, user

REFUSED = {
    "Xin lỗi, nút này không dành cho đồng chí hoặc đã hết hiệu lực.",
    "Sorry, this button is not for you or is no longer valid.",
}


@pytest.fixture
async def bot(fake: FakeBotApi, database_url: str) -> AsyncIterator[RunningBot]:
    async with residence_bot(fake, database_url) as running:
        yield running


async def assert_refused(bot: RunningBot, user_id: int, data: str) -> None:
    """The button press is answered with the refusal alert, in the presser's language."""
    person = user(bot, user_id)
    if person.last_message is None:
        await person.send_text("/menu")
        await person.wait_for_message()
    before = len(bot.fake.callback_answers)
    await person.press_data(data)
    await bot.fake.wait_until(lambda: len(bot.fake.callback_answers) > before)
    answer = bot.fake.callback_answers[-1]
    assert answer.text in REFUSED and answer.show_alert, data


async def count(bot: RunningBot, model: type) -> int:
    async with bot.db() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_branch_b_cannot_act_on_branch_a_records_with_forged_buttons(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    pending = await tie_for(bot, ids["an"], ids["r1"], confirmed=False)
    confirmed = await tie_for(bot, ids["binh"], ids["r1"])
    async with bot.db(settle=False) as session:
        tie = await get_tie(session, confirmed)
        assert tie is not None
        activity = await add_activity(session, tie, date(2026, 3, 1), "Họp", clock.now())
        activity_id = activity.id
    an, cb1 = ids["an"], ids["cb1"]
    on_a = [
        f"rok:{pending}",
        f"rno:{pending}",
        f"rac:{activity_id}",
        f"rcm:{confirmed}",
        f"rovb:{cb1}",
        f"rcv:{cb1}",
        f"rrm:{cb1}",
        f"rex:{cb1}",
        f"rexm:{an}",
        f"rexk:{an}:0",
        f"rexl:{an}",
    ]
    stale = ["rsave", "rskip", "rbx", f"rb:{ids['r1']}", "rcy:1", "rcsend"]
    anywhere = ["rpend", "rapend", "rcl", "rov", "rok:abc", "rexk:1"]
    for data in [*on_a, *stale, *anywhere]:
        await assert_refused(bot, DUNG, data)  # a plain member of branch B
    for data in on_a:
        await assert_refused(bot, HA, data)  # branch B's secretary
    for data in (f"rok:{pending}", f"rno:{pending}", f"rac:{activity_id}", f"rcm:{confirmed}"):
        await assert_refused(bot, LAN, data)  # another residence branch's secretary
    await assert_refused(bot, SON, f"rexk:{an}:99")  # A's secretary, a kind that is none
    lan = user(bot, LAN)  # leads another residence branch: sees none of r1's activities
    await lan.press_data("rapend")
    assert (await lan.wait_for_message()).text in (
        "Không có hoạt động nào chờ đồng chí xác nhận.",
        "No residence activities are waiting for your confirmation.",
    )

    async with bot.db() as session:
        tie_row = await session.get(ResidenceTie, pending)
        activity_row = await session.get(ResidenceActivity, activity_id)
        assert tie_row is not None and tie_row.status == TieStatus.PENDING
        assert activity_row is not None and activity_row.confirmed_at is None
    for model in (ResidenceExemption, ResidenceComment, Broadcast, FlowState):
        assert await count(bot, model) == 0, model
    refused = len(on_a) * 2 + len(stale) + len(anywhere) + 4 + 1
    assert len(await bot.audit("refused")) == refused


async def test_branch_b_secretary_sees_only_branch_b(bot: RunningBot) -> None:
    ids = await seed(bot)
    await tie_for(bot, ids["an"], ids["r1"])
    ha = user(bot, HA)
    await ha.send_text("🏠 Sinh hoạt nơi cư trú")
    _own, tasks = await ha.wait_for_messages(2)
    await ha.press("📊 Cư trú của các chi bộ", message=tasks)
    await bot.fake.wait_until(lambda: "Chi bộ Khu phố 2" in tasks.buttons())
    assert tasks.buttons() == ["Chi bộ Khu phố 2"]
    assert "Khu phố 1" not in (tasks.text or "")
    await ha.press("Chi bộ Khu phố 2", message=tasks)
    await bot.fake.wait_until(lambda: "Vũ Dũng" in (tasks.text or ""))
    assert "Lê &lt;An&gt;" not in (tasks.text or "")
    dung = user(bot, DUNG)
    await dung.send_text("🏠 Residence ties")
    own = await dung.wait_for_message()
    assert "📊" not in " ".join(own.buttons())
    await bot.settle()
    assert len(dung.messages) == 1  # no leaders' part for a plain member


async def test_an_old_activity_button_after_the_member_moved_confirms_nothing(
    bot: RunningBot,
) -> None:
    ids = await seed(bot)
    tie_id = await tie_for(bot, ids["binh"], ids["r1"])
    async with bot.db(settle=False) as session:
        tie = await get_tie(session, tie_id)
        assert tie is not None
        activity = await add_activity(session, tie, date(2026, 3, 1), "Họp", clock.now())
        activity_id = activity.id
        tie.ended_at = clock.now()  # Bình registered a new residence since
    tam = user(bot, TAM)
    await tam.send_text("/menu")
    await tam.wait_for_message()
    await tam.press_data(f"rac:{activity_id}")
    await bot.fake.wait_until(lambda: bool(bot.fake.callback_answers))
    answer = bot.fake.callback_answers[-1]
    assert (
        answer.text == "Đăng ký sinh hoạt nơi cư trú này không còn hiệu lực." and answer.show_alert
    )
    async with bot.db() as session:
        row = await session.get(ResidenceActivity, activity_id)
        assert row is not None and row.confirmed_at is None


async def test_a_leader_does_not_confirm_their_own_activity(bot: RunningBot) -> None:
    ids = await seed(bot)
    own_tie = await tie_for(bot, ids["tam"], ids["r1"])  # Tâm leads R1 and is tied to it too
    async with bot.db(settle=False) as session:
        tie = await get_tie(session, own_tie)
        assert tie is not None
        own = await add_activity(session, tie, date(2026, 3, 1), "Họp", clock.now())
        own_id = own.id
    tam = user(bot, TAM)
    await tam.send_text("🏠 Sinh hoạt nơi cư trú")
    _own, tasks = await tam.wait_for_messages(2)
    assert "Hoạt động chờ đồng chí xác nhận" not in tasks.text
    await tam.press_data("rapend", message=tasks)
    assert (await tam.wait_for_message()).text == "Không có hoạt động nào chờ đồng chí xác nhận."
    await assert_refused(bot, TAM, f"rac:{own_id}")
    async with bot.db() as session:
        row = await session.get(ResidenceActivity, own_id)
        assert row is not None and row.confirmed_at is None
