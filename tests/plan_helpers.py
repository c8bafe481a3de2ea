"""Shared setup of the yearly plan tests: two branches under one committee, a season that
is open now, and plans put straight into the database where a test is not about writing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import clock
from storage.models import (
    Grade,
    Member,
    PlanRevision,
    PlanStatus,
    Role,
    TelegramAccount,
    Unit,
    YearlyPlan,
)
from storage.plan_seasons import Season, set_season
from tests.factories import member, tree
from tests.harness import RunningBot

SON, AN, BINH, KHANH, HA, DUNG, PHUONG, TAM = 701, 702, 703, 704, 711, 712, 713, 721


def local_today() -> date:
    """Today where the bot counts deadlines (the default time zone)."""
    return clock.now().astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def open_season(today: date, **changes: object) -> Season:
    """A season of this year open now: plans due in 10 days, self-assessment open too."""
    values: dict[str, object] = {
        "year": today.year,
        "opens_on": today - timedelta(days=10),
        "deadline": today + timedelta(days=10),
        "reminder_days": (7, 1),
        "assessment_opens_on": today - timedelta(days=1),
        "assessment_closes_on": today + timedelta(days=30),
        "commitment": {},
    }
    values.update(changes)
    return Season(**values)  # type: ignore[arg-type]


PEOPLE = [
    # key, branch, name, telegram id, language, role, role unit
    ("son", "CB1", "Trần Sơn", SON, "vi", Role.SECRETARY, None),
    ("an", "CB1", "Lê An", AN, "vi", None, None),
    ("binh", "CB1", "Phạm Bình", BINH, "en", None, None),
    ("khanh", "CB1", "Ngô Khánh", KHANH, "vi", Role.COMMITTEE_MEMBER, None),
    ("cuong", "CB1", "Hoàng Cường", None, None, None, None),
    ("ha", "CB2", "Đỗ Hà", HA, "vi", Role.SECRETARY, None),
    ("dung", "CB2", "Vũ Dũng", DUNG, "en", None, None),
    ("phuong", "CB2", "Mai Phương", PHUONG, "vi", Role.DEPUTY_SECRETARY, "HU"),
    ("tam", "CB9", "Lý Tâm", TAM, "vi", None, None),
]


async def seed(bot: RunningBot, season: Season | None = None) -> dict[str, int]:
    """CB1 (secretary Sơn, committee member Khánh, An, Bình in English, Cường never linked)
    and CB2 (secretary Hà, Dũng in English) under HU, whose deputy secretary is Phương;
    Tâm in CB9 under another committee. HU's season is open now."""
    async with bot.db(settle=False) as session:
        units = await tree(session)
        ids = {code: unit.id for code, unit in units.items()}
        for number, (key, code, name, telegram_id, language, role, role_unit) in enumerate(PEOPLE):
            created = await member(
                session,
                units[code],
                name,
                f"09130000{number:02d}",
                telegram_id=telegram_id,
                role=role,
                role_unit=units[role_unit] if role_unit else None,
            )
            ids[key] = created.id
            if telegram_id is not None:
                await _language(session, created, language)
                bot.fake.user(telegram_id, language_code=language)
        await set_season(session, units["HU"], season or open_season(local_today()))
    return ids


async def _language(session: AsyncSession, created: Member, language: str | None) -> None:
    account = await session.get(TelegramAccount, created.telegram_user_id)
    assert account is not None
    account.language = language


SECTIONS_TEXT = {
    "ideology": "Học tập đầy đủ các nghị quyết; đọc báo Nhân Dân hằng ngày.",
    "ethics": "Giữ gìn lối sống giản dị, gương mẫu.",
    "work": "Hoàn thành 100% kế hoạch công tác của phòng.",
    "residence": "Tham gia sinh hoạt tổ dân phố mỗi quý.",
}


async def put_plan(
    session: AsyncSession,
    member_id: int,
    status: PlanStatus,
    *,
    year: int | None = None,
    assessed: Grade | None = None,
) -> YearlyPlan:
    """A complete plan in `status` (and self-assessed, proposing `assessed`)."""
    year = year or local_today().year
    now = clock.now()
    if year < now.year:  # a past year's plan was written in that year
        now = datetime(year, 6, 1, 3, 0, tzinfo=UTC)
    plan = YearlyPlan(member_id=member_id, year=year, status=status)
    plan.sections = dict(SECTIONS_TEXT, other="")
    plan.commitment_text, plan.committed_at = "Tôi xin cam kết", now
    plan.assessment = {}
    if status != PlanStatus.DRAFT:
        plan.submitted_at = now
    if assessed is not None:
        plan.assessment = {k: {"result": "done", "note": ""} for k in SECTIONS_TEXT}
        plan.proposed_grade, plan.assessed_at = assessed, now
    session.add(plan)
    await session.flush()
    return plan


async def plan_of(bot: RunningBot, member_id: int) -> YearlyPlan | None:
    async with bot.db() as session:
        return await session.scalar(select(YearlyPlan).where(YearlyPlan.member_id == member_id))


async def events(bot: RunningBot, plan_id: int) -> list[str]:
    async with bot.db() as session:
        rows = await session.scalars(
            select(PlanRevision).where(PlanRevision.plan_id == plan_id).order_by(PlanRevision.id)
        )
        return [row.event for row in rows]


async def unit_id(bot: RunningBot, code: str) -> int:
    async with bot.db() as session:
        found = await session.scalar(select(Unit.id).where(Unit.code == code))
        assert found is not None
        return found
