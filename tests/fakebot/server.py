"""FakeBotApi: an aiohttp server speaking the Telegram Bot API, for driving a real PTB bot.

Request pipeline for ``POST /bot<token>/<method>``:
decode params -> record in ``calls`` -> injected fault (if any) -> flood limits (send methods)
-> method handler -> ``{"ok": true, "result": ...}``; ApiError becomes Telegram's error JSON.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .chats import FakeChat, FakeGroup, FakeUser
from .limits import LIMITED_METHODS, FaultInjector, LimitConfig, RateLimiter
from .methods import HANDLERS, Params
from .models import (
    ApiError,
    BadRequest,
    CallbackAnswer,
    Fault,
    Forbidden,
    Hang,
    RetryAfter,
    SentMessage,
    ServerError,
    Timeout,
    too_many_requests,
    wait_event,
)
from .params import read_params
from .store import MessageStore
from .updates import Update, UpdateQueue

Predicate = Callable[[], bool | Awaitable[bool]]

ANSWER_WINDOW_SECONDS = 15.0
# wait_until re-checks at least this often, so predicates on external state (DB...) work too.
POLL_INTERVAL = 0.02
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class FakeBotApi:
    def __init__(
        self,
        bot_username: str = "chibo_test_bot",
        bot_id: int = 1000,
        port: int = 0,
        drop_when_disconnected: bool = False,
    ) -> None:
        bot_user = {"id": bot_id, "is_bot": True, "first_name": "Chibo", "username": bot_username}
        self.store = MessageStore(bot_user)
        self.updates = UpdateQueue()
        self.calls: list[tuple[str, Params]] = []
        # Benchmarks poll count() on every request: keep it O(1).
        self._counts: Counter[str] = Counter()
        self.callback_answers: list[CallbackAnswer] = []
        self.callback_query_ids: set[str] = set()
        # Telegram accepts an answer for about 10-15 s after the press; later ones get a 400.
        self.callback_answer_window = ANSWER_WINDOW_SECONDS
        self.callback_query_times: dict[str, float] = {}
        self.expired_answers = 0  # answers refused for being too late
        self.answered_at: dict[str, float] = {}  # query id -> when its answer came
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[object, Any] = {}
        self.webhook: dict[str, Any] | None = None
        self.got_429 = 0
        self.refused: list[tuple[str, str]] = []  # (method, description) of every 400 answered
        self.got_429_times: list[float] = []
        self._faults = FaultInjector()
        self._limiter: RateLimiter | None = None
        # Called when the limits change (a bot in the test paces itself to them: harness.py).
        self._limit_watchers: list[Callable[[], None]] = []
        self._latency: tuple[float, float] | None = None
        self._callback_ids = itertools.count(1)
        self._hang_release = asyncio.Event()
        self._stopping = asyncio.Event()
        self._pulse: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._wanted_port = port  # 0: any free port (tests); fixed for `python -m tests.fakebot`
        # A request still held (Hang) when its client dies is dropped, never processed: it
        # had not reached "Telegram" yet (tests of a kill -9 mid-request).
        self._drop_when_disconnected = drop_when_disconnected
        # getUpdates: a newer request ends one still waiting with 409, as Telegram does
        # when two bot instances poll; counted, so tests can assert only one polls.
        self.poll_conflicts = 0
        self._poll_turn = 0

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # access_log=None: benchmarks push thousands of requests, logging would dominate.
        self._runner = web.AppRunner(
            app,
            access_log=None,
            shutdown_timeout=1.0,
            handler_cancellation=self._drop_when_disconnected,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._wanted_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        # Wake everything that might hold a request open, or cleanup waits for it.
        self._stopping.set()
        self.release_hangs()
        self.updates.wake()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotApi.start() has not been awaited")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- chats ----------------------------------------------------------------------------

    def user(
        self,
        user_id: int = 111,
        first_name: str = "Lan",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> FakeUser:
        """Get or create a user (the other arguments only matter on creation)."""
        existing = self.store.chats.get(user_id)
        if isinstance(existing, FakeUser):
            return existing
        if existing is not None:
            raise ValueError(f"chat id {user_id} is already a group")
        user = FakeUser(self, user_id, first_name, last_name, username, language_code)
        self.store.chats[user_id] = user
        return user

    def group(self, chat_id: int = -100123, title: str = "Chi bo 1") -> FakeGroup:
        existing = self.store.chats.get(chat_id)
        if isinstance(existing, FakeGroup):
            return existing
        if existing is not None:
            raise ValueError(f"chat id {chat_id} is already a private chat")
        group = FakeGroup(self, chat_id, title)
        self.store.chats[chat_id] = group
        return group

    def chat(self, chat_id: int) -> FakeChat:
        return self.store.chats[chat_id]

    @property
    def sent(self) -> list[SentMessage]:
        return self.store.sent

    def message_json(self, message: SentMessage) -> dict[str, Any]:
        return self.store.message_json(message)

    def count(self, method: str) -> int:
        """How many requests for `method` (case-insensitive) the fake received."""
        name = method.lower()
        return self._counts[name]

    # --- updates --------------------------------------------------------------------------

    def push_update(self, payload: dict[str, Any]) -> Update:
        """Enqueue an update (payload without update_id) for the bot's next getUpdates."""
        update = self.updates.push(payload)
        self._notify()
        return update

    @property
    def pending_updates(self) -> list[Update]:
        return self.updates.pending

    def redeliver(self, update_id: int) -> Update:
        update = self.updates.redeliver(update_id)
        self._notify()
        return update

    def new_callback_query_id(self) -> str:
        query_id = f"cbq{next(self._callback_ids)}"
        self.callback_query_ids.add(query_id)
        self.callback_query_times[query_id] = time.monotonic()
        return query_id

    # --- waiting --------------------------------------------------------------------------

    # A plain timeout argument (not asyncio.timeout) is the documented, test-friendly API.
    async def wait_until(self, predicate: Predicate, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Return once predicate() (sync or async) is truthy; TimeoutError after `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not await _evaluate(predicate):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            if self._pulse is None:
                self._pulse = asyncio.Event()
            await wait_event(self._pulse, min(remaining, POLL_INTERVAL))

    def _notify(self) -> None:
        # Only allocate/set an event when someone waits: keeps the hot path cheap.
        if self._pulse is not None:
            self._pulse.set()
            self._pulse = None

    # --- faults & limits ------------------------------------------------------------------

    def inject(
        self, method: str, fault: Fault, times: int = 1, chat_id: int | str | None = None
    ) -> None:
        self._faults.add(method, fault, times, chat_id)

    def clear_faults(self) -> None:
        self._faults.clear()

    def release_hangs(self) -> None:
        self._hang_release.set()
        self._hang_release = asyncio.Event()  # later Hang faults hang again

    def enforce_limits(
        self,
        global_per_s: int = 30,
        per_chat_per_s: int = 1,
        per_group_per_min: int = 20,
        paid_global_per_s: int = 1000,
    ) -> None:
        config = LimitConfig(global_per_s, per_chat_per_s, per_group_per_min, paid_global_per_s)
        self._limiter = RateLimiter(config)
        self._limits_changed()

    def disable_limits(self) -> None:
        self._limiter = None
        self._limits_changed()

    @property
    def per_chat_limit(self) -> int | None:
        """Messages a second one chat may get, or None while no limits are enforced."""
        return None if self._limiter is None else self._limiter.config.per_chat_per_s

    def watch_limits(self, callback: Callable[[], None]) -> None:
        """`callback()` after each change of the limits (enforce_limits, disable_limits)."""
        self._limit_watchers.append(callback)

    def _limits_changed(self) -> None:
        for callback in list(self._limit_watchers):
            callback()

    def add_latency(self, round_trip: float, jitter: float = 0.0) -> None:
        """Each request takes `round_trip` seconds more, give or take `jitter` (uniform): half
        on the way in, before it is counted against the limits, half on the way back."""
        self._latency = (round_trip / 2, jitter / 2)

    async def _network_leg(self) -> None:
        if self._latency is not None:
            mean, jitter = self._latency
            await asyncio.sleep(max(0.0, random.uniform(mean - jitter, mean + jitter)))

    # --- HTTP -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        try:
            params, files = await read_params(request)
        except (ValueError, json.JSONDecodeError):
            return _error(ApiError(400, "Bad Request: can't parse request body"))
        if self._latency is not None and name.lower() != "getupdates":
            await self._network_leg()
            response = await self._answer(name, params, files)
            await self._network_leg()
            return response
        return await self._answer(name, params, files)

    async def _answer(self, name: str, params: Params, files: Any) -> web.Response:
        self.calls.append((name, params))
        self._counts[name.lower()] += 1
        try:
            result = await self._dispatch(name.lower(), params, files)
        except ApiError as error:
            if error.status == 429:
                self.got_429 += 1
                self.got_429_times.append(time.monotonic())
            if error.status == 400:
                self.refused.append((name, error.description))
            return _error(error)
        finally:
            self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _dispatch(self, method: str, params: Params, files: Any) -> Any:
        if self._faults:
            fault = self._faults.take(method, params.get("chat_id"))
            if fault is not None:
                await self._apply_fault(fault)
        if self._limiter is not None and method in LIMITED_METHODS:
            paid = params.get("allow_paid_broadcast") is True
            retry_after = self._limiter.check(params.get("chat_id"), paid)
            if retry_after:
                raise too_many_requests(retry_after)
        if method == "getupdates":
            return await self._get_updates(params)
        handler = HANDLERS.get(method)
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler(self, params, files)

    async def _apply_fault(self, fault: Fault) -> None:
        """Raise the fault's error, or for Hang just wait and let processing continue."""
        if isinstance(fault, RetryAfter):
            raise too_many_requests(fault.seconds)
        if isinstance(fault, Forbidden):
            raise ApiError(403, fault.description)
        if isinstance(fault, ServerError | BadRequest):
            raise ApiError(fault.status, fault.description)
        if isinstance(fault, Timeout):
            await wait_event(self._stopping, fault.seconds)
            raise ApiError(504, "Gateway Timeout (injected)")
        if isinstance(fault, Hang):
            await self._hang_release.wait()

    async def _get_updates(self, params: Params) -> list[Update]:
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.get("offset")
        if isinstance(offset, int) and offset != 0:
            self.updates.confirm(offset)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout") or 0)
        self._poll_turn += 1
        turn = self._poll_turn
        self.updates.wake()  # an older getUpdates still waiting ends now (409)
        updates = self.updates.take(limit)
        while not updates and not self._stopping.is_set():
            if self._poll_turn != turn:
                self.poll_conflicts += 1
                raise ApiError(409, POLL_CONFLICT)
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self.updates.wait(remaining)
            updates = self.updates.take(limit)
        return updates

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self.store.file_by_path(request.match_info["path"])
        if stored is None:
            return _error(ApiError(404, "Not Found"))
        return web.Response(body=stored.content)


def _error(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status)


async def _evaluate(predicate: Predicate) -> bool:
    result = predicate()
    if inspect.isawaitable(result):
        result = await result
    return bool(result)
