"""Exports from chat: a committee member gets the file of their own units only, every export
is in the audit log, and a secretary sees who exported their units' data."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from storage.models import Role
from tests.export_helpers import with_choices  # noqa: F401 (a fixture)
from tests.factories import member, tree
from tests.fakebot import Hang, SentMessage
from tests.harness import RunningBot
from tests.test_menus_and_buttons import assert_refused

SON, CUONG, AN, HA, PHUONG = 701, 702, 703, 704, 705
REPORTS = "📊 Báo cáo"


async def seed(bot: RunningBot) -> dict[str, int]:
    """CB1: secretary Sơn, committee member Cường, member An, Bình (never linked); CB2:
    secretary Hà, Dũng; Phương (of CB2) deputy secretary of the committee HU over both."""
    async with bot.db(settle=False) as session:
        u = await tree(session)
        ids = {code: unit.id for code, unit in u.items()}
        people = [
            ("son", "CB1", "Trần Sơn", SON, Role.SECRETARY, None),
            ("cuong", "CB1", "Hoàng Cường", CUONG, Role.COMMITTEE_MEMBER, None),
            ("an", "CB1", "Lê An", AN, None, None),
            ("binh", "CB1", "=Phạm Bình", None, None, None),
            ("ha", "CB2", "Đỗ Hà", HA, Role.SECRETARY, None),
            ("dung", "CB2", "Vũ Dũng", None, None, None),
            ("phuong", "CB2", "Ngô Phương", PHUONG, Role.DEPUTY_SECRETARY, "HU"),
        ]
        for number, (key, branch, name, telegram_id, role, role_unit) in enumerate(people):
            created = await member(
                session,
                u[branch],
                name,
                f"09130000{number:02d}",
                telegram_id=telegram_id,
                role=role,
                role_unit=u[role_unit] if role_unit else None,
            )
            ids[key] = created.id
    return ids


async def open_reports(bot: RunningBot, user_id: int, language: str = "vi"):
    user = bot.fake.user(user_id, language_code=language)
    await user.send_text("/menu")
    await user.wait_for_message()
    await user.send_text(REPORTS if language == "vi" else "📊 Reports")
    return user, await user.wait_for_message()


async def received_file(bot: RunningBot, user_id: int) -> SentMessage:
    user = bot.fake.user(user_id)
    document = await user.wait_for_message(timeout=20)
    assert document.kind == "document", document
    assert document.file_bytes
    return document


def sheet_rows(document: SentMessage) -> list[list[object]]:
    assert document.file_bytes is not None
    book = openpyxl.load_workbook(io.BytesIO(document.file_bytes))
    return [[cell.value for cell in row] for row in book.active.iter_rows()]


async def test_committee_member_exports_their_branch_as_xlsx(bot: RunningBot) -> None:
    ids = await seed(bot)
    user, menu = await open_reports(bot, CUONG)
    assert menu.buttons() == [  # not the secretary's export log
        "⬇️ Danh sách đảng viên",
        "⬇️ Câu trả lời khảo sát",
        "⬇️ Giữ mối liên hệ nơi cư trú và nhận xét",
        "⬇️ Kế hoạch năm và xếp loại",
        "⬇️ Điểm danh sinh hoạt",
        "⬇️ Kết quả thực hiện Nghị quyết 21",
        "🎯 Kết quả Nghị quyết 21",
    ]
    await user.press("⬇️ Danh sách đảng viên")
    await bot.settle()
    # One branch under their role: straight to the format.
    assert user.last_message is not None
    assert (
        user.last_message.text == "Danh sách đảng viên — Chi bộ Khu phố 1: xuất ra định dạng nào?"
    )
    await user.press("📗 Excel (XLSX)")
    document = await received_file(bot, CUONG)
    assert document.file_name is not None and document.file_name.startswith("roster-CB1-")
    assert document.file_name.endswith(".xlsx")
    assert document.text == "Danh sách đảng viên — Chi bộ Khu phố 1: 4 dòng."
    rows = sheet_rows(document)
    assert rows[0][0] == "Họ và tên"
    names = sorted(str(row[0]) for row in rows[1:])
    assert names == ["'=Phạm Bình", "Hoàng Cường", "Lê An", "Trần Sơn"]  # no CB2 member

    [entry] = await bot.audit("export")
    assert entry.actor_member_id == ids["cuong"] and entry.actor_telegram_id == CUONG
    assert entry.unit_id == ids["CB1"]
    assert entry.details == {
        "dataset": "roster",
        "format": "xlsx",
        "unit": "CB1",
        "branches": ["CB1"],
        "rows": 4,
    }


async def test_a_committee_member_of_branch_a_cannot_export_branch_b(bot: RunningBot) -> None:
    ids = await seed(bot)
    cb2, hu = ids["CB2"], ids["HU"]
    for data in (f"xf:roster:{cb2}:0", f"xu:roster:{cb2}", f"xf:roster:{hu}:1"):
        await assert_refused(bot, CUONG, data)
    for data in ("xd:roster", f"xf:roster:{ids['CB1']}:0"):
        await assert_refused(bot, AN, data)  # a member without a role
    for data in ("xd:nope", f"xf:nope:{ids['CB1']}:0", f"xf:roster:{ids['CB1']}:7", "xlog"):
        await assert_refused(bot, CUONG, data)
    await bot.settle()
    await bot.chibo.exports.idle()  # type: ignore[union-attr]
    assert await bot.audit("export") == []
    assert not [m for m in bot.fake.sent if m.kind == "document"]
    refused = await bot.audit("refused")
    assert len(refused) == 9
    assert {r.details["reason"] for r in refused if r.details} >= {"export_format", "export_unit"}


async def test_committee_deputy_picks_a_unit_and_gets_csv_in_english(bot: RunningBot) -> None:
    await seed(bot)
    user, _menu = await open_reports(bot, PHUONG, language="en")
    await user.press("⬇️ Member roster")
    await bot.settle()
    choice = user.last_message
    assert choice is not None and choice.text == "Member roster: of which unit?"
    assert choice.buttons() == [
        "Đảng bộ Phường 1 (all branches)",
        "Chi bộ Khu phố 1",
        "Chi bộ Khu phố 2",
    ]
    await user.press("Đảng bộ Phường 1 (all branches)")
    await bot.settle()
    await user.press("📄 CSV")
    document = await received_file(bot, PHUONG)
    assert document.file_bytes is not None and document.file_bytes.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(document.file_bytes.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Full name", "Phone"]
    assert len(rows) == 1 + 7  # both branches of the committee
    held = rows[0].index("Roles held")  # after the standing and its dates
    roles = {row[0]: row[held] for row in rows[1:]}
    assert roles["Ngô Phương"] == "Deputy secretary (Đảng bộ Phường 1)"
    assert roles["'=Phạm Bình"] == ""


async def test_secretary_sees_who_exported_the_branch_data(bot: RunningBot) -> None:
    ids = await seed(bot)
    exports = [(CUONG, ids["CB1"]), (PHUONG, ids["HU"]), (HA, ids["CB2"])]
    for user_id, unit_id in exports:
        user = bot.fake.user(user_id, language_code="vi")
        await user.send_text("/menu")
        await user.wait_for_message()
        await user.press_data(f"xf:roster:{unit_id}:0")
        await received_file(bot, user_id)

    user, _menu = await open_reports(bot, SON)
    await user.press("🕘 Các lần xuất gần đây")
    await bot.settle()
    listing = user.last_message
    assert listing is not None and listing.text is not None
    lines = listing.text.splitlines()
    assert lines[0] == "<b>🕘 Các lần xuất dữ liệu gần đây của đơn vị đồng chí</b>"
    assert len(lines) == 3  # CB2's own export is not CB1's secretary's business
    assert "· Ngô Phương: Danh sách đảng viên, Đảng bộ Phường 1, 7 dòng (XLSX)" in lines[1]
    assert "· Hoàng Cường: Danh sách đảng viên, Chi bộ Khu phố 1, 4 dòng (XLSX)" in lines[2]


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_a_member_without_role_has_no_reports(bot: RunningBot, language: str) -> None:
    await seed(bot)
    user = bot.fake.user(AN, language_code=language)
    await user.send_text("/menu")
    keyboard = (await user.wait_for_message()).keyboard()
    assert "📊 Báo cáo" not in keyboard and "📊 Reports" not in keyboard


async def test_the_bot_answers_others_while_an_export_is_under_way(bot: RunningBot) -> None:
    """The export runs beside the update runner: a member is answered meanwhile."""
    ids = await seed(bot)
    bot.fake.inject("sendDocument", Hang())
    exporter = bot.fake.user(CUONG, language_code="vi")
    await exporter.send_text("/menu")
    await exporter.wait_for_message()
    await exporter.press_data(f"xf:roster:{ids['CB1']}:0")

    async def recorded_and_sending() -> bool:  # the audit row is written before the send
        return bool(await bot.audit("export"))

    await bot.fake.wait_until(recorded_and_sending)
    other = bot.fake.user(AN, language_code="vi")
    await other.send_text("/menu")
    assert (await other.wait_for_message()).text == "Menu chính. Đồng chí chọn việc cần làm:"
    assert not [m for m in bot.fake.sent if m.kind == "document"]
    bot.fake.release_hangs()
    await received_file(bot, CUONG)


@pytest.mark.usefixtures("with_choices")
async def test_a_dataset_with_choices_asks_which_one(bot: RunningBot) -> None:
    ids = await seed(bot)
    user, _menu = await open_reports(bot, PHUONG)
    await user.press("⬇️ Test: one branch")
    await bot.settle()
    await user.press("Đảng bộ Phường 1 (tất cả chi bộ)")
    await bot.settle()
    choice = user.last_message
    assert choice is not None
    assert choice.text == "Test: one branch — Đảng bộ Phường 1 (tất cả chi bộ): chọn mục nào?"
    assert choice.buttons() == ["Chi bộ Khu phố 1", "Chi bộ Khu phố 2"]
    await user.press("Chi bộ Khu phố 2")
    await bot.settle()
    await user.press("📗 Excel (XLSX)")
    rows = sheet_rows(await received_file(bot, PHUONG))
    assert sorted(str(row[0]) for row in rows[1:]) == ["Ngô Phương", "Vũ Dũng", "Đỗ Hà"]
    [entry] = await bot.audit("export")
    assert entry.details is not None and entry.details["choice"] == ids["CB2"]


@pytest.mark.usefixtures("with_choices")
async def test_a_choice_outside_the_unit_is_refused(bot: RunningBot) -> None:
    ids = await seed(bot)
    cb1, cb2 = ids["CB1"], ids["CB2"]
    forged = (
        f"xc:one_branch:{cb1}:{cb2}",  # CB2 is not one of CB1's items
        f"xf:one_branch:{cb1}:0:{cb2}",
        f"xf:one_branch:{cb1}:0",  # a dataset with choices needs one
        f"xf:roster:{cb1}:0:{cb1}",  # and one without takes none
    )
    for data in forged:
        await assert_refused(bot, CUONG, data)
    await bot.chibo.exports.idle()  # type: ignore[union-attr]
    assert await bot.audit("export") == []
