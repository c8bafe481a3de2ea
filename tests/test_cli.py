"""The command line: a missing token, units, roles, invites; and the token never logged."""

from __future__ import annotations

import logging
import sys

from click.testing import CliRunner

from bot.cli.main import main
from bot.logs import RedactToken


def cli(url: str, *args: str, **env: str):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": url, "BOT_TOKEN": "", **env})


def test_run_without_token_says_where_to_get_one(sqlite_url: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["run"], env={"DATABASE_URL": sqlite_url})
    assert result.exit_code == 1
    assert "Chưa đặt BOT_TOKEN" in result.output and "@BotFather" in result.output
    english = CliRunner().invoke(
        main, ["run"], env={"DATABASE_URL": sqlite_url, "DEFAULT_LOCALE": "en"}
    )
    assert "BOT_TOKEN is not set" in english.output


def test_units_roles_and_invites(sqlite_url: str, tmp_path) -> None:
    assert cli(sqlite_url, "unit", "add", "HU", "Đảng bộ Phường 1").exit_code == 0
    assert (
        cli(sqlite_url, "unit", "add", "CB1", "Chi bộ 1", "--parent", "HU", "--branch").exit_code
        == 0
    )
    listing = cli(sqlite_url, "unit", "list").output
    assert "HU  Đảng bộ Phường 1  (đảng bộ)" in listing
    assert "  CB1  Chi bộ 1  (chi bộ)" in listing
    assert (
        "Đơn vị CB1 là chi bộ" in cli(sqlite_url, "unit", "add", "X", "x", "--parent", "CB1").output
    )

    roster = tmp_path / "r.csv"
    roster.write_text(
        "Họ và tên,Số điện thoại,Số thẻ đảng viên\nAn,0912345678,A1\n", encoding="utf-8"
    )
    assert cli(sqlite_url, "roster", "import", str(roster), "--branch", "CB1").exit_code == 0

    granted = cli(sqlite_url, "role", "grant", "0912 345 678", "secretary", "--unit", "CB1")
    assert granted.output.strip() == "Đã xong: An."
    again = cli(sqlite_url, "role", "grant", "A1", "secretary", "--unit", "CB1")
    assert again.output.strip() == "Không có gì thay đổi."
    revoked = cli(sqlite_url, "role", "revoke", "A1", "secretary", "--unit", "CB1")
    assert revoked.output.strip() == "Đã xong: An."
    unknown = cli(sqlite_url, "role", "grant", "0999999999", "secretary", "--unit", "CB1")
    assert "Không có đảng viên nào" in unknown.output
    assert unknown.exit_code == 1
    assert cli(sqlite_url, "role", "grant", "A1", "secretary", "--unit", "NOPE").exit_code == 1

    assert cli(sqlite_url, "member", "status", "A1", "inactive").output.strip() == "Đã xong: An."
    assert cli(sqlite_url, "member", "status", "0999999999", "inactive").exit_code == 1

    invite = cli(sqlite_url, "invite", "create", "--member", "A1", "--bot-username", "chibo_bot")
    assert invite.exit_code == 0
    assert invite.output.startswith("https://t.me/chibo_bot?start=")


def test_token_is_redacted_from_logs() -> None:
    token = "123456:SECRET-abc"
    try:
        raise RuntimeError(f"GET https://api.telegram.org/bot{token}/getMe failed")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        "POST https://api.telegram.org/bot%s/getMe",
        (token,),
        exc_info,
    )
    text = RedactToken(token, personal_data=True).format(record)  # texts kept: redacted
    assert token not in text
    assert text.count("<BOT_TOKEN>") >= 2  # the message and the traceback
