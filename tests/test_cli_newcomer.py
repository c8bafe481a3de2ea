"""The command line as a newcomer meets it: roles said in Vietnamese, which database it uses,
and a network failure as one clear line."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.main import main
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


def _command_paths() -> list[tuple[str, ...]]:
    """Every command of `chibo`, as the words typed to reach it (the export group makes its
    dataset commands when asked for them)."""
    paths: list[tuple[str, ...]] = [()]
    context = click.Context(main)
    pending: list[tuple[tuple[str, ...], click.Command]] = [((), main)]
    while pending:
        path, command = pending.pop()
        if isinstance(command, click.Group):
            for name in command.list_commands(context):
                sub = command.get_command(context, name)
                assert sub is not None
                paths.append((*path, name))
                pending.append(((*path, name), sub))
    return paths


def test_every_help_page_is_in_vietnamese_and_in_english_when_set(sqlite_url: str) -> None:
    """Seen: `chibo --help` and every subcommand's help in English only."""
    paths = _command_paths()
    assert ("export", "plans") in paths and ("role", "grant") in paths and len(paths) > 20
    for path in paths:
        shown = cli(sqlite_url, *path, "--help")
        assert shown.exit_code == 0, (path, shown.output)
        assert shown.output.startswith("Cách dùng: "), (path, shown.output)
        assert "Tùy chọn:" in shown.output and "Hiện hướng dẫn này rồi thoát." in shown.output
        assert "Show this message" not in shown.output and "Options:" not in shown.output
    top = cli(sqlite_url, "--help").output
    assert "Lệnh:" in top and "Cây tổ chức: các đảng bộ và chi bộ trực thuộc." in top
    grant = cli(sqlite_url, "role", "grant", "--help").output
    assert "Giao cho PERSON (số điện thoại hoặc số thẻ đảng viên) chức vụ ROLE" in grant
    assert "Mã của đơn vị mà chức vụ phụ trách." in grant

    english = cli(sqlite_url, "role", "grant", "--help", DEFAULT_LOCALE="en").output
    assert english.startswith("Usage: ")
    assert "Code of the unit the role covers." in english and "Show this message" in english
