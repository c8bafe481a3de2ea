"""A fake Telegram Bot API server for driving a real python-telegram-bot bot in tests.

Typical use::

    fake = FakeBotApi()
    await fake.start()
    bot = telegram.Bot("123:ABC", base_url=fake.base_url, base_file_url=fake.base_file_url)
    user = fake.user(111)
    await user.send_text("/start")
    reply = await user.wait_for_message()
"""

from .chats import FakeChat, FakeGroup, FakeUser
from .limits import LimitConfig
from .models import (
    ApiError,
    BadRequest,
    CallbackAnswer,
    Edit,
    Fault,
    Forbidden,
    Hang,
    RetryAfter,
    SentMessage,
    ServerError,
    Timeout,
)
from .server import FakeBotApi
from .store import StoredFile

__all__ = [
    "ApiError",
    "BadRequest",
    "CallbackAnswer",
    "Edit",
    "FakeBotApi",
    "FakeChat",
    "FakeGroup",
    "FakeUser",
    "Fault",
    "Forbidden",
    "Hang",
    "LimitConfig",
    "RetryAfter",
    "SentMessage",
    "ServerError",
    "StoredFile",
    "Timeout",
]
