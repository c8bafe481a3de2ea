"""Two workplace branches, two residential branches and their people, for residence tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date

from handlers.residence.window import job_key
from storage import clock, schedule
from storage.members import get_member
from storage.models import ExemptionKind, ResidenceTie, Role, TelegramAccount
from storage.residence import TieDraft, decide_tie, record_exemption, register_tie
from storage.units import add_unit
from tests.factories import member, tree
from tests.fakebot import FakeBotApi, FakeUser
from tests.harness import FAST_SENDER, RunningBot, bot_settings

# CB1 (workplace, committee HU): secretary Sơn, An, Bình, Cường (exempt), Đào (no Telegram).
# CB2 (workplace, committee HU): secretary Hà, Dũng (reads English). Phương: HU deputy.
# R1 "Khu dân cư Đồng Tâm" (residential): secretary Tâm; R2 "Tổ dân phố Hòa Bình": Lan (en).
SON, AN, BINH, CUONG, HA, DUNG, PHUONG, TAM, LAN = 601, 602, 603, 604, 611, 612, 613, 621, 622
ENGLISH = {DUNG, LAN}
WINDOW_OPEN = {"residence_comment_opens": "01-01", "residence_comment_closes": "12-31"}


@contextlib.asynccontextmanager
async def residence_bot(fake: FakeBotApi, database_url: str) -> AsyncIterator[RunningBot]:
    """The real bot, quick outbox, the yearly comment window open all year (each test
    module's `bot` fixture)."""
    settings = bot_settings(fake, database_url, **FAST_SENDER, **WINDOW_OPEN)
    running = RunningBot(fake, settings)
    await running.start()
    await window_job_done(running)  # before the test's data: it must not ask anyone yet
    yield running
    await running.stop()


async def window_job_done(bot: RunningBot) -> None:
    """Waits for this year's comment-window job, due at once while the window is open."""
    year = clock.now().astimezone(bot.settings.tz).year

    async def done() -> bool:
        async with bot.db(settle=False) as session:
            jobs = await schedule.jobs_with_prefix(session, job_key(year))
            return bool(jobs) and all(job.done_at is not None for job in jobs)

    await bot.fake.wait_until(done, 10)


def user(bot: RunningBot, user_id: int) -> FakeUser:
    return bot.fake.user(user_id, language_code="en" if user_id in ENGLISH else "vi")


async def seed(bot: RunningBot) -> dict[str, int]:
    """The units and people above; returns their database ids by short name."""
    async with bot.db(settle=False) as session:
        u = await tree(session)
        r1 = await add_unit(session, "R1", "Chi bộ Khu dân cư Đồng Tâm", "HX", True, True)
        r2 = await add_unit(session, "R2", "Chi bộ Tổ dân phố Hòa Bình", "HX", True, True)
        ids = {"cb1": u["CB1"].id, "cb2": u["CB2"].id, "r1": r1.id, "r2": r2.id}
        people = [
            ("son", u["CB1"], "Trần Sơn", SON, Role.SECRETARY, None),
            ("an", u["CB1"], "Lê <An>", AN, None, None),
            ("binh", u["CB1"], "Phạm Bình", BINH, None, None),
            ("cuong", u["CB1"], "Hoàng Cường", CUONG, None, None),
            ("dao", u["CB1"], "Vũ Đào", None, None, None),
            ("ha", u["CB2"], "Đỗ Hà", HA, Role.SECRETARY, None),
            ("dung", u["CB2"], "Vũ Dũng", DUNG, None, None),
            ("phuong", u["CB2"], "Ngô Phương", PHUONG, Role.DEPUTY_SECRETARY, u["HU"]),
            ("tam", r1, "Nguyễn Tâm", TAM, Role.SECRETARY, None),
            ("lan", r2, "Trịnh Lan", LAN, Role.SECRETARY, None),
        ]
        for number, (key, branch, name, telegram_id, role, role_unit) in enumerate(people):
            created = await member(
                session,
                branch,
                name,
                f"09130000{number:02d}",
                telegram_id=telegram_id,
                role=role,
                role_unit=role_unit,
            )
            ids[key] = created.id
            if telegram_id in ENGLISH:
                account = await session.get(TelegramAccount, telegram_id)
                assert account is not None
                account.language = "en"
            if telegram_id is not None:
                user(bot, telegram_id)  # Telegram knows the chat
    return ids


async def tie_for(
    bot: RunningBot, member_id: int, branch_id: int | None, confirmed: bool = True
) -> int:
    """A tie stored directly (confirmed by default), for tests about what comes after."""
    now = clock.now()
    async with bot.db(settle=False) as session:
        found = await get_member(session, member_id)
        assert found is not None
        draft = TieDraft("Số 1 đường A", None, None, branch_id, None, "1-GGT", date(2026, 1, 5))
        tie: ResidenceTie = await register_tie(session, found, draft, now)
        if confirmed and branch_id is not None:
            decide_tie(tie, True, None, now)
        return tie.id


async def exempt(bot: RunningBot, member_id: int) -> None:
    async with bot.db(settle=False) as session:
        await record_exemption(
            session, member_id, ExemptionKind.ARMED_FORCES, None, None, clock.now()
        )
