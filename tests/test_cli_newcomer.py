"""The command line as a newcomer meets it: roles said in Vietnamese, which database it uses,
and a network failure as one clear line."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import cli

ROOT = Path(__file__).resolve().parent.parent


def test_roles_in_vietnamese_and_the_roster_grants_roles(sqlite_url: str) -> None:
    assert cli(sqlite_url, "unit", "add", "CB1", "Chi bộ 1", "--branch").exit_code == 0
    imported = cli(
        sqlite_url, "roster", "import", str(ROOT / "docs/sample-roster.csv"), "--branch", "CB1"
    )
    assert "Đã giao chức vụ: Nguyễn Văn An, Bí thư" in imported.output
    assert "Đã giao chức vụ: Trần Thị Bình, Phó bí thư" in imported.output
    granted = cli(sqlite_url, "role", "grant", "0912345681", "chi ủy viên", "--unit", "CB1")
    assert granted.output.strip() == "Đã xong: Phạm Thị Dung."
    plain = cli(sqlite_url, "role", "grant", "0912345682", "Pho bi thu", "--unit", "CB1")
    assert plain.output.strip() == "Đã xong: Hoàng Văn Em."
    wrong = cli(sqlite_url, "role", "grant", "0912345682", "tổ trưởng", "--unit", "CB1")
    assert wrong.exit_code == 2 and "hãy ghi bí thư, phó bí thư hoặc chi ủy viên" in wrong.output


def test_db_upgrade_says_which_database(sqlite_url: str) -> None:
    result = cli(sqlite_url, "db", "upgrade")
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    assert f"Cơ sở dữ liệu: {Path(path).resolve()}" in result.output


def test_invite_without_network_is_one_clear_line(sqlite_url: str) -> None:
    """Seen: a traceback of aiohttp and PTB when Telegram could not be reached."""
    cli(sqlite_url, "unit", "add", "CB1", "Chi bộ 1", "--branch")
    cli(sqlite_url, "roster", "import", str(ROOT / "docs/sample-roster.csv"), "--branch", "CB1")
    result = cli(
        sqlite_url,
        "invite",
        "create",
        "--member",
        "0912345678",
        BOT_TOKEN="123456:FAKE",
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
    )
    assert result.exit_code == 1
    assert result.output.strip().startswith("Không hỏi được Telegram tên bot (")
    assert len(result.output.strip().splitlines()) == 1


def test_export_plans_defaults_to_this_year(sqlite_url: str, tmp_path: Path) -> None:
    """Seen: `chibo export plans --unit CB1` listed years and failed instead of exporting."""
    cli(sqlite_url, "unit", "add", "CB1", "Chi bộ 1", "--branch")
    output = tmp_path / "plans.xlsx"
    result = cli(sqlite_url, "export", "plans", "--unit", "CB1", "--output", str(output))
    assert result.exit_code == 0, result.output
    assert output.exists()
