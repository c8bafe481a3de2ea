"""Plain data types shared by the fake Bot API: recorded messages, answers and faults."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any, Literal

MessageKind = Literal["text", "document", "photo"]


class ApiError(Exception):
    """Raised inside a method handler to produce a Telegram-shaped error response."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            payload["parameters"] = self.parameters
        return payload


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        {"retry_after": retry_after},
    )


async def wait_event(event: asyncio.Event, seconds: float) -> None:
    """Wait for `event` at most `seconds`; returning either way is the caller's intent."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)


@dataclass
class Edit:
    """Snapshot of a message *before* an edit changed it."""

    text: str | None
    reply_markup: dict[str, Any] | None
    at: float = field(default_factory=time.monotonic)  # when the edit came (benchmarks)


@dataclass
class SentMessage:
    """A message the bot sent, as the fake stored it (current state after edits)."""

    message_id: int
    chat_id: int
    text: str | None  # text for "text" messages, caption for uploads
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    kind: MessageKind = "text"
    file_name: str | None = None
    file_bytes: bytes | None = None
    file_id: str | None = None
    edits: list[Edit] = field(default_factory=list)
    deleted: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    date: int = field(default_factory=lambda: int(time.time()))
    sent_at: float = field(default_factory=time.monotonic)  # for benchmarks

    def buttons(self) -> list[str]:
        """Flat list of inline keyboard button labels (empty if none)."""
        return [button["text"] for button in self._rows("inline_keyboard")]

    def button_data(self) -> dict[str, str | None]:
        """Inline button label -> callback_data (None for url/other buttons)."""
        return {b["text"]: b.get("callback_data") for b in self._rows("inline_keyboard")}

    def keyboard(self) -> list[str]:
        """Flat list of reply keyboard labels (buttons may be plain strings or dicts)."""
        return [b if isinstance(b, str) else b["text"] for b in self._rows("keyboard")]

    def _rows(self, key: str) -> list[Any]:
        rows = (self.reply_markup or {}).get(key) or []
        return [button for row in rows for button in row]

    def __str__(self) -> str:
        extra = f" buttons={self.buttons()}" if self.buttons() else ""
        extra += f" keyboard={self.keyboard()}" if self.keyboard() else ""
        extra += " (deleted)" if self.deleted else ""
        return f"#{self.message_id} [{self.kind}] {self.text!r}{extra}"


@dataclass(frozen=True)
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None = None


# --- faults -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryAfter:
    """Answer 429 with parameters.retry_after (PTB raises telegram.error.RetryAfter)."""

    seconds: int = 1


@dataclass(frozen=True)
class Forbidden:
    """Answer 403 (PTB raises telegram.error.Forbidden)."""

    description: str = "Forbidden: bot was blocked by the user"


@dataclass(frozen=True)
class ServerError:
    """Answer a 5xx status with an ok:false JSON body (PTB raises NetworkError)."""

    status: int = 502
    description: str = "Bad Gateway"


@dataclass(frozen=True)
class BadRequest:
    """Answer 400, as Telegram refuses a request for good (PTB raises BadRequest)."""

    description: str = "Bad Request: message is too long"
    status: int = 400


@dataclass(frozen=True)
class Timeout:
    """Sleep this long and then answer 504 without recording anything."""

    seconds: float = 10.0


@dataclass(frozen=True)
class Hang:
    """Hold the request until FakeBotApi.release_hangs(); then it is processed normally."""


Fault = RetryAfter | Forbidden | ServerError | BadRequest | Timeout | Hang
