"""One chat's lane: its updates handled in order, each in one short transaction, and the
replies of each sent after its commit, before the next update of that chat is handled.

Failures stay with their update. A handler that fails because Telegram or the database is
briefly away is rolled back and tried again after a pause (only this lane waits). Anything
else the update causes (a bug, a text Telegram would refuse) is final at once: rolled back,
set aside, and the person gets one apology. A reply Telegram refuses after the commit (a 400)
cannot undo the committed writes: the rest of that update's replies are dropped, the update
is set aside and the person gets one apology. Replies that fail on the way (timeouts, 5xx,
429) are sent again; a 429 pauses every message the process sends.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application

from bot.context import UpdateScope, current_scope
from bot.early_answers import answered_early, without_mark
from bot.i18n import N_, translator
from bot.replies import ANSWER, LIMITED, Call, ReplySender, in_order
from bot.retry import retry_after_seconds
from bot.settings import Settings
from storage import clock, inbox
from storage.db import transaction
from storage.inbox import LaneItem

log = logging.getLogger(__name__)

APOLOGY = N_("Sorry, something went wrong. Please try again.")
MAX_PAUSE_SECONDS = 60.0
# Pauses in a row before a "transient" failure counts as an attempt after all (about two
# minutes): an error that never clears must not hold a lane for ever.
MAX_PAUSES_PER_ATTEMPT = 8
REPLY_TRIES = 8  # a reply failing on the way is given up after this many tries
ANSWER_TRIES = 3  # a button answer is refused after 15 s anyway
PROGRESS_FLUSH_SECONDS = 0.02  # reply progress of all lanes is committed together
# Documents up to this size are downloaded before the handler runs (survey files are smaller).
PREFETCH_BYTES = 1_000_000
# Lanes' transactions at once: within PostgreSQL's connection pool (SQLite has one writer).
TRANSACTIONS_AT_ONCE = 8


class HandlerFailed(Exception):
    """A handler raised; its writes are rolled back."""


@dataclass(frozen=True)
class Pause:
    """Telegram or the database is unavailable: wait, then handle the same update again."""

    seconds: float


def transient_pause(error: BaseException, streak: int) -> Pause | None:
    """A pause for errors that pass by themselves (the update is not at fault), else None.

    BadRequest is a NetworkError in python-telegram-bot, but Telegram refusing a request
    is final: the same request is refused again."""
    cause = error.__cause__ if isinstance(error, HandlerFailed) else error
    if isinstance(cause, RetryAfter):
        return Pause(retry_after_seconds(cause))
    if isinstance(cause, BadRequest):
        return None
    if isinstance(cause, NetworkError) or database_unavailable(cause):  # 5xx, timeouts too
        return Pause(min(2.0**streak * 0.5, MAX_PAUSE_SECONDS))
    return None


def database_unavailable(error: BaseException | None) -> bool:
    """Locked, restarting or unreachable - unlike a bad value, which fails every time."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | InterfaceError | DisconnectionError)


class Step(enum.Enum):
    DONE = "done"  # go on with the lane's next update
    AGAIN = "again"  # read the lane again, starting with this update
    LOST = "lost"  # another process holds the lane now


class Delivery(enum.Enum):
    SENT = "sent"  # or nothing to do about it (an old button answer, "not modified")
    BLOCKED = "blocked"  # the person blocked the bot: nothing more can reach them
    REFUSED = "refused"  # Telegram refused it for good


def replies_json(calls: list[Call], language: str | None) -> dict[str, Any]:
    return {"calls": [call.to_json() for call in calls], "lang": language}


class ProgressLog:
    """Commits how many replies each update has left, for all lanes together (a few ms
    apart), so sending replies does not cost a write transaction each."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._progress: dict[int, int] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._task: asyncio.Task[None] | None = None

    async def record(self, update_id: int, left: int, wait: bool = True) -> None:
        """Notes the progress; with `wait`, returns once it is committed."""
        self._progress[update_id] = left
        future = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())
        if wait:
            await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._progress:
            await asyncio.sleep(PROGRESS_FLUSH_SECONDS)
            progress, self._progress = self._progress, {}
            waiters, self._waiters = self._waiters, []
            try:
                async with transaction(self.sessions) as session:
                    await inbox.record_replies_left(session, progress)
            except Exception as error:  # the database is briefly away: keep it, try again
                log.warning("recording reply progress failed (%s)", type(error).__name__)
                self._progress = {**progress, **self._progress}
                self._waiters = waiters + self._waiters
                await asyncio.sleep(1.0)
                continue
            for future in waiters:
                if not future.done():
                    future.set_result(None)


class LaneWorker:
    """Handles lanes for the runner (bot/runner.py), which decides which lanes run."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        holder: str,
        replies: ReplySender,
    ) -> None:
        self.application = application
        self.sessions = sessions
        self.settings = settings
        self.holder = holder
        self.replies = replies
        self.progress = ProgressLog(sessions)
        self._transactions = asyncio.Semaphore(TRANSACTIONS_AT_ONCE)

    async def run_lane(self, chat_id: int) -> None:
        """Handles the chat's updates, and sends replies left from before, until none is left."""
        streak = 0
        while True:
            async with self._transactions, transaction(self.sessions) as session:
                items = await inbox.lane_work(session, chat_id)
                if not items:  # done: give the lane up in the same transaction
                    await inbox.release_lane(session, chat_id, self.holder)
                    return
            for item in items:
                if item.handled:
                    await self._send_stored(chat_id, item)
                    continue
                step, streak = await self._handle(chat_id, item, streak)
                if step is Step.LOST:
                    return
                if step is Step.AGAIN:
                    break

    # --- handling ---------------------------------------------------------------------------

    async def _handle(self, chat_id: int, item: LaneItem, streak: int) -> tuple[Step, int]:
        # From before the commit until the replies are out, no queued message to this chat
        # goes first: the replies answer what the person just did.
        limits = self.replies.limits
        limits.reserve(chat_id)
        try:
            return await self._handle_reserved(chat_id, item, streak)
        finally:
            limits.unreserve(chat_id)

    async def _handle_reserved(self, chat_id: int, item: LaneItem, streak: int) -> tuple[Step, int]:
        scope: UpdateScope | None = None
        calls: list[Call] = []
        try:
            files = await self._download(item.payload)
            async with self._transactions, transaction(self.sessions) as session:
                now = clock.now()
                if not await inbox.claim(session, item.update_id, now, chat_id, self.holder):
                    held = await inbox.holds_lane(session, chat_id, self.holder)
                    return (Step.DONE if held else Step.LOST), streak
                scope = UpdateScope(session=session, files=files)
                await self._dispatch(scope, item.payload)
                calls = in_order(scope.calls)
                if answered_early(item.payload):  # answered on arrival: one answer a press
                    calls = [call for call in calls if call.method != ANSWER]
                if calls:
                    replies = replies_json(calls, scope.language)
                    await inbox.save_replies(session, item.update_id, replies, len(calls))
        except Exception as error:  # rolled back: pause and try again, or set aside
            return await self._failed(chat_id, item, error, scope, streak)
        if calls:
            await self._send(chat_id, item.update_id, calls, scope.language)
        # Then wake the sender (or the export worker): a broadcast the handler enqueued must
        # not reach the person before the handler's own reply ("sending to 12 members").
        for callback in scope.after_commit:
            callback()
        return Step.DONE, 0

    async def _download(self, payload: dict[str, Any]) -> dict[str, bytes]:
        """A small document in the update, downloaded before the transaction begins: a
        transaction never waits on the network (on SQLite it would hold the one writer)."""
        document = (payload.get("message") or {}).get("document") or {}
        file_id, size = document.get("file_id"), document.get("file_size") or 0
        if not file_id or size > PREFETCH_BYTES:
            return {}
        file = await self.application.bot.get_file(file_id)
        if (file.file_size or 0) > PREFETCH_BYTES:
            return {}
        return {file_id: bytes(await file.download_as_bytearray())}

    async def _dispatch(self, scope: UpdateScope, payload: dict[str, Any]) -> None:
        token = current_scope.set(scope)
        try:
            update = Update.de_json(without_mark(payload), self.application.bot)
            await self.application.process_update(update)
        finally:
            scope.recording = False
            current_scope.reset(token)
        if scope.failure is not None:
            raise HandlerFailed() from scope.failure

    async def _failed(
        self,
        chat_id: int,
        item: LaneItem,
        error: Exception,
        scope: UpdateScope | None,
        streak: int,
    ) -> tuple[Step, int]:
        cause = error.__cause__ if isinstance(error, HandlerFailed) else error
        name = type(cause or error).__name__  # the class only: texts can hold personal data
        pause = transient_pause(error, streak)
        if pause is not None and streak < MAX_PAUSES_PER_ATTEMPT:
            log.warning("update %s: waiting %.1f s (%s)", item.update_id, pause.seconds, name)
            await asyncio.sleep(pause.seconds)
            return Step.AGAIN, streak + 1
        language = scope.language if scope else None
        apology = self._apology(chat_id, item.payload, language)
        async with transaction(self.sessions) as session:
            set_aside = await inbox.mark_failed(
                session,
                item.update_id,
                name,
                clock.now(),
                self.settings.inbox_max_attempts,
                final=pause is None,
                replies=replies_json(apology, language),
            )
        if not set_aside:
            return Step.AGAIN, 0
        log.error("update %s set aside (%s)", item.update_id, name)
        if apology:
            await self._send(chat_id, item.update_id, apology, None)
        return Step.DONE, 0

    def _apology(self, chat_id: int, payload: dict[str, Any], language: str | None) -> list[Call]:
        """A failed update's answer: its button answered, and one message saying so."""
        calls: list[Call] = []
        query = payload.get("callback_query")
        if isinstance(query, dict) and query.get("id") and not answered_early(payload):
            calls.append(Call(ANSWER, {"callback_query_id": str(query["id"])}))
        if chat_id:
            _ = translator(language or self.settings.default_locale)
            text = _(APOLOGY)
            calls.append(Call("sendMessage", {"chat_id": str(chat_id), "text": text}))
        return calls

    # --- replies ----------------------------------------------------------------------------

    async def _send_stored(self, chat_id: int, item: LaneItem) -> None:
        """Replies a previous run committed but did not finish sending."""
        stored = item.replies or {}
        calls = [Call.from_json(c) for c in stored.get("calls") or []]
        start = max(0, len(calls) - item.replies_left)
        await self._send(chat_id, item.update_id, calls, stored.get("lang"), start)

    async def _send(
        self,
        chat_id: int,
        update_id: int,
        calls: list[Call],
        language: str | None,
        start: int = 0,
    ) -> None:
        left = len(calls) - start
        for call in calls[start:]:
            delivery = await self._deliver(call)
            if delivery is Delivery.REFUSED and language != "-":
                await self._refused(chat_id, update_id, call, language)
                return
            if delivery is not Delivery.SENT:
                break
            left -= 1
            if call.method in LIMITED and left:  # a message out: not again after a crash
                await self.progress.record(update_id, left, wait=False)
        await self.progress.record(update_id, 0)

    async def _refused(
        self, chat_id: int, update_id: int, call: Call, language: str | None
    ) -> None:
        log.error("update %s set aside: Telegram refused %s", update_id, call.method)
        apology = self._apology(chat_id, {}, language)
        async with transaction(self.sessions) as session:
            replies = replies_json(apology, "-")  # "-": an apology refused is not apologised for
            await inbox.set_aside_after_reply(
                session, update_id, "BadRequest", clock.now(), replies
            )
        await self._send(chat_id, update_id, apology, "-")

    async def _deliver(self, call: Call) -> Delivery:
        """Sends one call, trying again while it fails on the way."""
        tries = ANSWER_TRIES if call.method == ANSWER else REPLY_TRIES
        for attempt in range(tries):
            try:
                await self.replies.send(call)
                return Delivery.SENT
            except RetryAfter as error:
                seconds = retry_after_seconds(error)
                self.replies.limits.pause(seconds)
                await asyncio.sleep(seconds)
            except Forbidden:
                return Delivery.BLOCKED
            except BadRequest as error:
                return _refusal(call, error)
            except NetworkError as error:  # timeouts, 5xx: wait a little, send again
                log.warning("reply %s failed (%s)", call.method, type(error).__name__)
                await asyncio.sleep(min(0.5 * 2**attempt, MAX_PAUSE_SECONDS))
        log.error("reply %s given up after %d tries", call.method, tries)
        return Delivery.SENT


def _refusal(call: Call, error: BadRequest) -> Delivery:
    """What a 400 means for a reply: most are harmless repeats after a crash."""
    text = error.message.lower()
    if call.method == ANSWER:  # too old, or answered before a crash: only a spinner
        return Delivery.SENT
    if "not modified" in text or (call.method == "deleteMessage" and "not found" in text):
        return Delivery.SENT
    return Delivery.REFUSED
