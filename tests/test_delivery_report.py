"""The delivery report names what was sent, counts people (not messages), and lists who was not
reached, why, and what the secretary can do."""

from __future__ import annotations

import pytest

from tests.harness import RunningBot
from tests.test_meetings import AGENDA, DAO, SON, seed, user
from tests.test_notices import outbox_idle


@pytest.fixture
def bot(fast_bot: RunningBot) -> RunningBot:
    return fast_bot


async def test_meeting_report_names_the_meeting_counts_people_and_says_who_blocked(
    bot: RunningBot,
) -> None:
    """Seen: "…của thông báo gửi lúc…" for a meeting, "Đã gửi đến: 8" for four members when
    the agenda is a photo, and no names of those not reached."""
    await seed(bot)
    user(bot, DAO).block()
    son = user(bot, SON)
    await son.send_text("📅 Sinh hoạt chi bộ")
    await son.wait_for_messages(3)
    await son.press("➕ Tạo cuộc họp")
    await son.wait_for_message()
    await son.press("Sinh hoạt chi bộ thường kỳ")
    await son.wait_for_message()
    await son.send_text("25/12/2099 19:30")
    await son.wait_for_message()
    await son.send_text("Hội trường khu phố 1")
    await son.wait_for_message()
    await son.send_media("photo", caption=AGENDA, file_name="agenda.jpg")
    await son.wait_for_message()
    await son.press("Toàn thể đảng viên")
    preview = await son.wait_for_message()
    await son.press("📤 Gửi giấy mời", message=preview)
    await outbox_idle(bot)
    await bot.fake.wait_until(
        lambda: any("Báo cáo gửi tin" in (m.text or "") for m in son.messages), 10
    )
    [report] = [m.text or "" for m in son.messages if "Báo cáo gửi tin" in (m.text or "")]
    assert "giấy mời họp lúc 25/12/2099 19:30" in report
    assert "thông báo gửi lúc" not in report
    assert "Đã gửi tới 3/4 đồng chí." in report  # Sơn, An, Cường; two messages each
    assert "• Vũ Đào — đã chặn bot" in report
    assert "bấm Khởi động lại (bỏ chặn)" in report
    assert "Chưa nhận được" not in report  # "✅ Đã nhận" is the receipt, not delivery
