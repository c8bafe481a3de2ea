"""Replies leave after commit: a handler's Bot API calls are recorded, stored with its writes,
and sent once the transaction has committed.

While an update's handler runs (`UpdateScope.recording`), the handlers' transport does not
send the calls that change what people see (`DEFERRED`): it records each one as a `Call`
(the method and its form fields, files included) and answers with a stand-in result, as
Telegram would (a message for a send, True for the rest). No handler uses the id of a message
it sent (checked with grep: the stand-in's message_id is 0), so the stand-in is enough.
The runner stores the calls on the update's inbox row in the same transaction, and its lane
sends them after the commit (`ReplySender`): button answers first, then the rest in the order
the handler made them. A crash after the commit leaves them stored; the lane sends them when
it starts again. Calls that are not deferred (getFile, getMe) go out at once.

This is the one place a handler's reply is made to fit Telegram's limits (bot/fit.py): a
text over 4096 characters is recorded as several messages cut at line breaks, the buttons
under the last; a caption over 1024 keeps its start with the media and the rest follows as
text. What Telegram would still refuse for sure (callback data over 64 bytes) is refused here,
inside the transaction, so the update's writes roll back and the person gets an apology.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram.error import BadRequest
from telegram.request import BaseRequest, RequestData

from bot.context import current_scope
from bot.delivery.http import AiohttpRequest
from bot.delivery.limits import SendLimits, Stamp
from bot.fit_bot import fitted_requests
from bot.shared_pace import SharedPace

# Calls that change what people see: recorded while a handler runs, sent after commit.
DEFERRED = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "deleteMessage",
        "sendChatAction",
    }
)
# Counted against Telegram's message limits (as the outbox counts them).
LIMITED = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
ANSWER = "answerCallbackQuery"
MAX_BUTTON_DATA = 64  # bytes


@dataclass(frozen=True)
class Call:
    """One Bot API call: the method, its form fields (JSON-encoded values, as PTB sends
    them) and its uploads (field -> file name, content, MIME type)."""

    method: str
    params: dict[str, str]
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"m": self.method, "p": self.params}
        if self.files:
            data["f"] = {
                name: [file_name, base64.b64encode(content).decode(), mime]
                for name, (file_name, content, mime) in self.files.items()
            }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Call:
        files = {
            name: (str(file_name), base64.b64decode(content), str(mime))
            for name, (file_name, content, mime) in (data.get("f") or {}).items()
        }
        return cls(str(data["m"]), dict(data["p"]), files)


class StoredRequestData:
    """A stored call in the shape the transport reads (RequestData's three attributes)."""

    def __init__(self, call: Call) -> None:
        self.json_parameters = call.params
        self.multipart_data = dict(call.files)
        self.contains_files = bool(call.files)


def record(method: str, request_data: RequestData | None) -> Call:
    """The call as it would have been sent: the same fields, the files' bytes read."""
    if request_data is None:
        return Call(method, {})
    files: dict[str, tuple[str, bytes, str]] = {}
    for name, (file_name, content, mime) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        files[name] = (file_name, data, mime)
    return Call(method, dict(request_data.json_parameters), files)


def check(call: Call) -> None:
    """Refuses, as Telegram would, what it is sure to refuse and cannot be fitted."""
    if any(len(data.encode()) > MAX_BUTTON_DATA for data in _button_data(call.params)):
        raise BadRequest("Button_data_invalid")


def fitted(call: Call) -> list[Call]:
    """The calls that carry `call` within Telegram's size limits, in order (usually just it);
    the uploads stay with the first, which is the call's own method."""
    requests = fitted_requests(call.method, dict(call.params))
    if len(requests) == 1:
        return [call]
    return [
        Call(
            method,
            {key: value for key, value in params.items() if value is not None},
            call.files if number == 0 else {},
        )
        for number, (method, params) in enumerate(requests)
    ]


def _button_data(params: dict[str, Any]) -> list[str]:
    """The callback data of the call's inline buttons (markup arrives as JSON text)."""
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            return []
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    return [
        str(button["callback_data"])
        for row in rows or []
        for button in row
        if isinstance(button, dict) and "callback_data" in button
    ]


def stand_in(call: Call) -> bytes:
    """What Telegram would answer, enough for PTB to build the result it returns."""
    result: Any = True
    if call.method in LIMITED:
        result = {
            "message_id": 0,
            "date": int(time.time()),
            "chat": {"id": call.chat_id or 0, "type": "private"},
        }
    return json.dumps({"ok": True, "result": result}).encode()


def in_order(calls: Sequence[Call]) -> list[Call]:
    """Button answers first (a press must be answered within seconds, and an answer shows
    nothing in the chat), then everything else in the order the handler made it."""
    return [c for c in calls if c.method == ANSWER] + [c for c in calls if c.method != ANSWER]


class DeferringRequest(BaseRequest):
    """The handlers' transport: records deferred calls while a handler runs, sends the rest
    (and everything outside handlers) over `inner`."""

    def __init__(self, inner: AiohttpRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        scope = current_scope.get(None)
        endpoint = url.rsplit("/", 1)[-1]
        if scope is None or not scope.recording or endpoint not in DEFERRED:
            return await self.inner.do_request(
                url,
                method,
                request_data,
                read_timeout,
                write_timeout,
                connect_timeout,
                pool_timeout,
            )
        call = record(endpoint, request_data)
        check(call)
        scope.calls.extend(fitted(call))
        return 200, stand_in(call)


class ReplySender:
    """Sends stored calls over the handlers' transport, within the outbox's limits: a
    message waits for its chat's window and takes the next overall slot before any queued
    broadcast message (and, with other instances, a slot shared with theirs); answers and
    edits are not messages and go at once."""

    def __init__(
        self,
        request: BaseRequest,
        base_url: str,
        limits: SendLimits,
        timeout: float,
        pace: SharedPace | None = None,
    ):
        self.request = request
        self.base_url = base_url
        self.limits = limits
        self.timeout = timeout
        self.pace = pace  # other instances' messages (bot/shared_pace.py)

    async def send(self, call: Call) -> Any:
        """Sends one call; raises what python-telegram-bot raises (RetryAfter, BadRequest...)."""
        stamp = await self._admit(call.chat_id) if call.method in LIMITED else None
        try:
            if stamp is not None and self.pace is not None:
                await self.pace.turn(call.chat_id or 0)
                await self.limits.paused()  # a 429 may have come while this waited its turn
            return await self.request.post(
                f"{self.base_url}/{call.method}",
                request_data=StoredRequestData(call),  # type: ignore[arg-type]
                read_timeout=self.timeout,
                write_timeout=self.timeout,
            )
        finally:
            if stamp is not None:
                self.limits.answered(stamp)

    async def _admit(self, chat_id: int | None) -> Stamp:
        limits, chat = self.limits, chat_id or 0
        while True:
            wait = limits.chat_wait(chat, reply=True)
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            await limits.overall_slot(urgent=True)
            if limits.chat_wait(chat, reply=True) <= 0:  # a broadcast may have taken it meanwhile
                return limits.admit(chat)
