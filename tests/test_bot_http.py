"""The aiohttp transport the handlers' bot uses: uploads arrive whole, Telegram's errors are
PTB's errors."""

from __future__ import annotations

import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest, TimedOut

from bot.delivery.http import AiohttpRequest
from tests.fakebot import FakeBotApi, Timeout
from tests.harness import TOKEN


def a_bot(fake: FakeBotApi, timeout: float = 5.0) -> Bot:
    return Bot(TOKEN, base_url=fake.base_url, request=AiohttpRequest(2, timeout))


async def test_a_file_upload_arrives_with_its_name_and_caption(fake: FakeBotApi) -> None:
    user = fake.user(42, language_code="vi")
    content = "Danh sách đảng viên\n".encode() * 100
    async with a_bot(fake) as bot:
        await bot.send_document(
            42, InputFile(content, filename="danh-sach.csv"), caption="Báo cáo tháng 11"
        )
    sent = await user.wait_for_message()
    assert (sent.kind, sent.file_name, sent.file_bytes) == ("document", "danh-sach.csv", content)
    assert sent.text == "Báo cáo tháng 11"


async def test_telegram_errors_and_timeouts_are_ptb_errors(fake: FakeBotApi) -> None:
    fake.user(42)
    async with a_bot(fake, timeout=0.5) as bot:
        with pytest.raises(BadRequest):
            await bot.send_message(999, "nobody there")
        fake.inject("sendMessage", Timeout())
        with pytest.raises(TimedOut):
            await bot.send_message(42, "too slow")
