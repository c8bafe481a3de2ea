"""A member's standing as a dated history: the status on a date, what each change closes,
the present-day flag kept in step, and the backfill of members without history."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.main import main
from storage import audit
from storage.db import transaction
from storage.models import Member, MemberStatus, Standing, Unit
from storage.roster import import_roster
from storage.roster_file import check_table
from storage.standing import (
    Change,
    counted_ids,
    end_period,
    history,
    members_counted,
    record_change,
    status_of,
)
from tests.factories import member, tree
from tests.harness import RunningBot

TODAY = date(2026, 12, 1)


async def test_status_on_a_date_follows_the_history(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as s:
        u = await tree(s)
        an = await member(s, u["CB1"], "Lê An", "0916000001")
        await record_change(s, an, Change(Standing.PROBATIONARY, date(2025, 3, 1)), TODAY)
        await record_change(s, an, Change(Standing.OFFICIAL, date(2026, 3, 1)), TODAY)
        exempt = Change(Standing.EXEMPT, date(2026, 6, 1), detail="health", by_label="cli")
        row = await record_change(s, an, exempt, TODAY)
        await end_period(s, an, row, date(2026, 9, 1), TODAY)
        removed = Change(Standing.REMOVED, date(2026, 11, 1), detail="deceased")
        await record_change(s, an, removed, TODAY)
        expected = {
            date(2025, 2, 28): None,
            date(2025, 3, 1): Standing.PROBATIONARY,
            date(2026, 2, 28): Standing.PROBATIONARY,
            date(2026, 3, 1): Standing.OFFICIAL,
            date(2026, 6, 1): Standing.EXEMPT,
            date(2026, 8, 31): Standing.EXEMPT,
            date(2026, 9, 1): Standing.OFFICIAL,
            date(2026, 11, 1): Standing.REMOVED,
        }
        for at, status in expected.items():
            assert await status_of(s, an.id, at) == status, at
        assert an.status == MemberStatus.INACTIVE
        periods = [(p.status, p.valid_from, p.valid_to) for p in await history(s, an.id)]
        assert periods == [
            (Standing.PROBATIONARY, date(2025, 3, 1), date(2026, 3, 1)),
            (Standing.OFFICIAL, date(2026, 3, 1), date(2026, 11, 1)),
            (Standing.EXEMPT, date(2026, 6, 1), date(2026, 9, 1)),
            (Standing.REMOVED, date(2026, 11, 1), None),
        ]
        logged = await audit.entries(s, "member_standing")
        assert [e.details["status"] for e in logged if e.details] == [
            "probationary", "official", "exempt", "removed"
        ]  # fmt: skip


async def test_members_without_history_count_from_their_flag(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as s:
        u = await tree(s)
        an = await member(s, u["CB1"], "Lê An", "0916000001")
        binh = await member(s, u["CB1"], "Phạm Bình", "0916000002")
        binh.status = MemberStatus.INACTIVE
        await s.flush()
        assert await status_of(s, an.id, date(1990, 1, 1)) == Standing.OFFICIAL
        assert await status_of(s, binh.id, TODAY) == Standing.REMOVED
        on_roster = set(await s.scalars(counted_ids("members", TODAY)))
        assert on_roster == {an.id}


HEADER = ["Họ và tên", "Số điện thoại", "Ngày vào Đảng", "Ngày chính thức", "Tình trạng"]


async def _periods(s: AsyncSession, phone: str) -> list[tuple[Standing, date | None, date | None]]:
    found = await s.scalar(select(Member).where(Member.phone == phone))
    assert found is not None
    return [(p.status, p.valid_from, p.valid_to) for p in await history(s, found.id)]


async def test_roster_import_writes_history_and_a_reimport_keeps_what_it_does_not_mention(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = [
        HEADER,
        ["Lê An", "0916000001", "01/03/2020", "01/03/2021", "Chính thức"],
        ["Phạm Bình", "0916000002", "15/05/2026", "", "Dự bị"],
        ["Vũ Cường", "0916000003", "", "", ""],
    ]
    async with transaction(sessions) as s:
        u = await tree(s)
        summary = await import_roster(s, u["CB1"], check_table(first, TODAY), today=TODAY)
        assert summary.problems == [] and summary.added == 3
    async with transaction(sessions) as s:
        assert await _periods(s, "+84916000001") == [
            (Standing.PROBATIONARY, date(2020, 3, 1), date(2021, 3, 1)),
            (Standing.OFFICIAL, date(2021, 3, 1), None),
        ]
        assert await _periods(s, "+84916000002") == [
            (Standing.PROBATIONARY, date(2026, 5, 15), None)
        ]
        assert await _periods(s, "+84916000003") == [(Standing.OFFICIAL, None, None)]
    again = [
        ["full_name", "phone", "status"],
        ["Lê An", "0916000001", ""],
        ["Phạm Bình", "0916000002", ""],
        ["Vũ Cường", "0916000003", "deceased"],
    ]
    async with transaction(sessions) as s:
        branch = await s.scalar(select(Unit).where(Unit.code == "CB1"))
        assert branch is not None
        summary = await import_roster(s, branch, check_table(again, TODAY), today=TODAY)
        assert (summary.updated, summary.unchanged) == (1, 2)
    async with transaction(sessions) as s:
        assert await _periods(s, "+84916000001") == [
            (Standing.PROBATIONARY, date(2020, 3, 1), date(2021, 3, 1)),
            (Standing.OFFICIAL, date(2021, 3, 1), None),
        ]
        assert await _periods(s, "+84916000003") == [
            (Standing.OFFICIAL, None, TODAY),
            (Standing.REMOVED, TODAY, None),
        ]
        cuong = await s.scalar(select(Member).where(Member.phone == "+84916000003"))
        assert cuong is not None and cuong.status == MemberStatus.INACTIVE


def test_roster_file_checks_the_standing_columns() -> None:
    roster = check_table(
        [
            ["full_name", "phone", "admission_date", "official_date", "status"],
            ["An", "0916000001", "01/03/2021", "01/03/2020", ""],
            ["Bình", "0916000002", "32/01/2020", "", "nghỉ hưu"],
            ["Cường", "0916000003", "", "", "Miễn sinh hoạt"],
        ],
        TODAY,
    )
    assert [(p.line, p.code) for p in roster.problems] == [
        (2, "official_before_admission"),
        (3, "admission_invalid"),
        (3, "status_unknown"),
    ]
    assert [r.standing for r in roster.rows] == [(Standing.EXEMPT, "other")]


async def test_me_shows_the_members_own_history(bot: RunningBot) -> None:
    async with bot.db() as s:
        u = await tree(s)
        an = await member(s, u["CB1"], "Lê An", "0916000001", telegram_id=701)
        binh = await member(s, u["CB1"], "Phạm Bình", "0916000002", telegram_id=702)
        for who in (an, binh):
            await record_change(s, who, Change(Standing.PROBATIONARY, date(2025, 3, 1)), TODAY)
        official = Change(Standing.OFFICIAL, date(2026, 3, 1), decision_no="12-QĐ/ĐU")
        await record_change(s, an, official, TODAY)
    vi = bot.fake.user(701, language_code="vi")
    await vi.send_text("/me")
    text = (await vi.wait_for_message()).text
    assert "Tình trạng đảng viên" in text
    assert "01/03/2025 – 01/03/2026: Đảng viên dự bị" in text
    assert "01/03/2026: Đảng viên chính thức, quyết định số 12-QĐ/ĐU" in text
    en = bot.fake.user(702, language_code="en")
    await en.send_text("/me")
    text = (await en.wait_for_message()).text
    assert "01/03/2025: Probationary member" in text
    assert "Full member" not in text  # only the member's own history


def test_cli_records_an_exemption_and_shows_the_history(sqlite_url: str, tmp_path: Path) -> None:
    def cli(*args: str) -> Result:
        env = {"DATABASE_URL": sqlite_url, "DEFAULT_LOCALE": "en"}
        return CliRunner().invoke(main, list(args), env=env)

    assert cli("unit", "add", "CB1", "Chi bộ 1", "--branch").exit_code == 0
    roster = tmp_path / "r.csv"
    roster.write_text("full_name,phone,party_card_no\nAn,0912345678,A1\n", encoding="utf-8")
    assert cli("roster", "import", str(roster), "--branch", "CB1").exit_code == 0
    exempt = cli(
        "member", "status", "A1", "exempt", "--from", "01/06/2026", "--reason", "age",
        "--decision", "05/QĐ",
    )  # fmt: skip
    assert exempt.output.strip() == "Done: An.", exempt.output
    no_reason = cli("member", "status", "A1", "exempt")
    assert no_reason.exit_code == 1 and "Give the reason" in no_reason.output
    ended = cli("member", "end-exemption", "A1", "--on", "01/09/2026")
    assert ended.exit_code == 0, ended.output
    shown = cli("member", "history", "A1").output
    assert "date not recorded: Full member" in shown
    assert "01/06/2026 – 01/09/2026: Exempt from activity (old age), decision 05/QĐ" in shown


def test_migration_backfills_active_and_inactive_members(tmp_path: Path) -> None:
    import sqlite3

    from storage.migrate import upgrade

    path = tmp_path / "old.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0009")
    db = sqlite3.connect(path)
    db.execute("INSERT INTO units (id, code, name, name_folded, is_branch, is_residential, path)"
               " VALUES (1, 'CB1', 'Chi bộ 1', 'chi bo 1', 1, 0, '/1/')")  # fmt: skip
    for id_, status in ((1, "active"), (2, "inactive")):
        db.execute(
            "INSERT INTO members (id, full_name, name_folded, phone, branch_id, status, "
            "updated_at) VALUES (?, 'X', 'x', ?, 1, ?, '2026-05-04 10:00:00')",
            (id_, f"+8491600000{id_}", status),
        )
    db.commit()
    upgrade(url)
    rows = db.execute(
        "SELECT member_id, status, valid_from, valid_to FROM member_statuses ORDER BY id"
    ).fetchall()
    db.close()
    assert rows == [
        (1, "official", None, None),
        (2, "official", None, "2026-05-04"),
        (2, "removed", "2026-05-04", None),
    ]


async def test_members_counted_takes_more_ids_than_a_query_can_bind(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A committee's meeting reminds more members than PostgreSQL binds parameters (32,767)."""
    async with transaction(sessions) as s:
        u = await tree(s)
        an = await member(s, u["CB1"], "Lê An", "0916000001")
        exempt = Change(Standing.EXEMPT, date(2026, 6, 1), detail="age")
        bo = await member(s, u["CB1"], "Trần Bộ", "0916000002")
        await record_change(s, bo, exempt, TODAY)
        ids = [an.id, bo.id, *range(1_000_000, 1_040_000)]  # the rest: no such member
        assert await members_counted(s, "invitations", ids, TODAY) == {an.id}
