"""Buttons of the small features made before the codec (data written by hand, sitting in
members' chats) still press: each press here sends the data the old f-strings wrote, and
gets what the handler did with it then (tests/test_buttons.py compares the data itself)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import clock
from storage.models import Member, Role, TelegramAccount
from storage.probation import Admission, admit
from tests.factories import member, tree
from tests.harness import RunningBot

SON, AN, HA, NEWCOMER = 1201, 1202, 1203, 1204


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def seed(bot: RunningBot) -> dict[str, int]:
    """CB1: secretary Sơn (reads English), An (linked), Bình (not linked), Cúc (on probation);
    CB2: secretary Hà."""
    async with bot.db(settle=False) as s:
        u = await tree(s)
        son = await member(
            s, u["CB1"], "Trần Sơn", "0919200001", telegram_id=SON, role=Role.SECRETARY
        )
        an = await member(s, u["CB1"], "Lê An", "0919200002", telegram_id=AN)
        binh = await member(s, u["CB1"], "Phạm Bình", "0919200003")
        await member(s, u["CB2"], "Đỗ Hà", "0919200004", telegram_id=HA, role=Role.SECRETARY)
        admitted = clock.today(bot.settings.tz) - timedelta(days=300)
        new = Admission("Vũ Cúc", "0919200005", admitted, "12-QĐ/ĐU")
        cuc = await admit(s, u["CB1"], new, by_member_id=son.id, today=admitted)
        account = await s.get(TelegramAccount, SON)
        assert account is not None
        account.language = "en"
        ids = {"son": son.id, "an": an.id, "binh": binh.id, "cuc": cuc.id}
        return ids | {"cb1": u["CB1"].id, "cb2": u["CB2"].id}


async def test_onboarding_buttons_of_before_still_press(bot: RunningBot) -> None:
    newcomer = bot.fake.user(NEWCOMER, language_code="vi")
    await newcomer.send_text("/start")
    notice = await newcomer.wait_for_message()
    await newcomer.press_data("lang:en", message=notice)
    await bot.fake.wait_until(lambda: notice.text == "Language: English")
    english = await newcomer.wait_for_message()
    assert english.text.startswith("<b>Welcome to chibo</b>")
    await newcomer.press_data("consent:yes", message=english)
    asked = await newcomer.wait_for_message()
    assert asked.text.startswith("Please share your phone number")
    async with bot.db() as s:
        account = await s.get(TelegramAccount, NEWCOMER)
        assert account is not None and account.language == "en"
        assert account.consent_at is not None


async def test_member_buttons_of_before_still_press(bot: RunningBot) -> None:
    ids = await seed(bot)
    son = bot.fake.user(SON, language_code="en")
    await son.send_text("👥 Branch members")
    listing = await son.wait_for_message()

    await son.press_data(f"mb:{ids['cb1']}:0", message=listing)  # the list, as it was
    await son.press_data(f"sts:{ids['an']}", message=listing)
    card = await son.wait_for_message()
    assert card.text.startswith("<b>Lê An</b>: Full member")
    await son.press_data(f"stx:{ids['an']}", message=card)
    await bot.fake.wait_until(lambda: "exempt from activity?" in (card.text or ""))
    await son.press_data(f"stxr:{ids['an']}:0", message=card)
    await bot.fake.wait_until(lambda: (card.text or "").startswith("From which date"))

    await son.press_data(f"sts:{ids['an']}", message=listing)
    kinds = await son.wait_for_message()
    await son.press_data(f"trf:{ids['an']}", message=kinds)
    await bot.fake.wait_until(lambda: "official or temporary?" in (kinds.text or ""))
    assert kinds.buttons() == ["Official", "Temporary"]
    await son.press_data(f"trk:{ids['an']}:0", message=kinds)
    await bot.fake.wait_until(lambda: (kinds.text or "").startswith("Where to?"))
    await son.send_text("khu pho 2")
    choose = await son.wait_for_message()
    assert choose.text == "Choose the receiving branch:"
    await son.press_data(f"trb:{ids['an']}:{ids['cb2']}", message=choose)
    letter = await son.wait_for_message()
    assert letter.text == "The number of the introduction letter (giấy giới thiệu)?"

    await son.press_data(f"prn:{ids['cuc']}", message=listing)
    confirm = await son.wait_for_message()
    assert confirm.text.startswith("Record that <b>Vũ Cúc</b> was not recognised")
    await son.press_data(f"prnok:{ids['cuc']}", message=confirm)
    await bot.fake.wait_until(lambda: confirm.text == "Recorded: <b>Vũ Cúc</b> was not recognised.")
    await son.press_data(f"adm:{ids['cb1']}", message=listing)
    admission = await son.wait_for_message()
    assert admission.text == "➕ Admission to Chi bộ Khu phố 1. The new member's full name?"

    await son.press_data(f"inv:{ids['binh']}", message=listing)
    link = await son.wait_for_message()
    assert link.text.startswith("One-time link for <b>Phạm Bình</b>")
    await son.press_data(f"ub:{ids['an']}", message=listing)
    ask = await son.wait_for_message()
    assert ask.text.startswith("Reset the Telegram link of <b>Lê An</b>?")
    await son.press_data(f"ubok:{ids['an']}:{AN}", message=ask)
    await bot.fake.wait_until(lambda: ask.text == "The link of <b>Lê An</b> was reset.")
    async with bot.db() as s:
        an = await s.get(Member, ids["an"])
        assert an is not None and an.telegram_user_id is None
    assert await bot.audit("refused") == []


async def test_report_buttons_of_before_still_press(bot: RunningBot) -> None:
    ids = await seed(bot)
    son = bot.fake.user(SON, language_code="en")
    await son.send_text("📊 Reports")
    reports = await son.wait_for_message()
    await son.press_data("xlog", message=reports)
    await bot.fake.wait_until(lambda: reports.text == "Nobody has exported data of your units yet.")
    await son.press_data("xd:roster", message=reports)  # one unit: the format at once
    await bot.fake.wait_until(lambda: "which format?" in (reports.text or ""))
    assert reports.button_data() == {
        "📗 Excel (XLSX)": f"xf:roster:{ids['cb1']}:0",
        "📄 CSV": f"xf:roster:{ids['cb1']}:1",
    }
    await son.press_data(f"xu:roster:{ids['cb1']}", message=reports)
    await bot.fake.wait_until(lambda: "which format?" in (reports.text or ""))
    await son.press_data(f"scc:{ids['cb1']}", message=reports)
    table = await son.wait_for_message()
    assert table.text.startswith("🎯 <b>Resolution 21: Chi bộ Khu phố 1")
    assert "<pre>" in table.text
    await son.press_data("sc", message=reports)  # one unit: its scorecard at once
    words, _chart = await son.wait_for_messages(2, timeout=30)  # matplotlib, a busy machine
    assert words.button_data() == {"🔢 Compact table": f"scc:{ids['cb1']}"}
    await son.press_data(f"scu:{ids['cb1']}", message=reports)
    again, _chart = await son.wait_for_messages(2, timeout=30)
    assert again.text == words.text
    assert await bot.audit("refused") == []
