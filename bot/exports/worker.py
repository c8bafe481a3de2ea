"""Exports asked for in chat run here, after the update that asked for them has committed.

The update runner handles one update at a time, so a large export inside a handler would
make every member wait. Instead the handler answers at once and hands the request to this
worker: it runs exports one at a time in the background (reading in a read-only transaction,
writing 200 rows between two turns of the event loop), so other updates are handled
meanwhile. A request lives in
memory only: a restart while it runs drops it (nothing was recorded or sent), and the person
asks again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TelegramError

from bot.context import current_scope
from bot.exports.run import Produced, file_name, member_may_export, produce, record
from bot.i18n import Translator, translator
from bot.retry import retry_after_seconds
from bot.settings import Settings
from storage.exports.log import Exporter
from storage.exports.registry import dataset_spec
from storage.exports.writers import ExportFormat

log = logging.getLogger(__name__)

EXPORTS_KEY = "chibo.exports"
UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024  # what Telegram's Bot API accepts from a bot
SEND_ATTEMPTS = 3


@dataclass(frozen=True)
class ChatExport:
    dataset: str
    unit_id: int
    fmt: ExportFormat
    chat_id: int
    member_id: int
    telegram_id: int
    language: str
    choice: int | None = None


class ExportWorker:
    def __init__(
        self, bot: Bot, sessions: async_sessionmaker[AsyncSession], settings: Settings
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.settings = settings
        self._one_at_a_time = asyncio.Lock()  # bounds memory and CPU taken from the bot
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, request: ChatExport) -> None:
        task = asyncio.create_task(self._run(request))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Waits until every submitted export is done (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.idle()

    async def _run(self, request: ChatExport) -> None:
        _ = translator(request.language, self.settings.tz)
        async with self._one_at_a_time:
            try:
                await self._export(request, _)
            except Exception as error:  # the person is told; the bot goes on
                # The class only: messages of database errors quote personal data.
                log.error("export failed: %s", type(error).__name__)
                await self._tell(request, _("Sorry, the file could not be made. Please try again."))

    async def _export(self, request: ChatExport, _: Translator) -> None:
        spec = dataset_spec(request.dataset)
        if spec is None:
            return
        allowed = member_may_export(request.member_id, request.telegram_id)
        with tempfile.TemporaryDirectory(prefix="chibo-export-") as folder:
            target = Path(folder) / f"export.{request.fmt.value}"
            produced = await produce(
                self.sessions,
                spec,
                request.unit_id,
                request.fmt,
                _,
                target,
                allowed,
                request.choice,
            )
            if produced is None:
                await self._tell(request, _("You may no longer export the data of this unit."))
            elif target.stat().st_size > UPLOAD_LIMIT_BYTES:
                await self._tell(request, _too_large(produced, _))
            else:
                exporter = Exporter(request.member_id, request.telegram_id)
                await record(self.sessions, produced, exporter)
                await self._send(request, produced, _)

    async def _send(self, request: ChatExport, produced: Produced, _: Translator) -> None:
        caption = _.plural(
            "{title} — {unit}: {rows} row.",
            "{title} — {unit}: {rows} rows.",
            produced.rows,
            title=_(produced.spec.title),
            unit=produced.unit.name,
            rows=produced.rows,
        )
        name = file_name(produced.spec, produced.unit, produced.fmt, _)
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                with produced.path.open("rb") as document:
                    await self.bot.send_document(
                        request.chat_id, document, filename=name, caption=caption
                    )
                return
            except RetryAfter as error:
                await asyncio.sleep(retry_after_seconds(error))
            except NetworkError:  # timeouts and 5xx; a 403 (blocked) is final
                if attempt == SEND_ATTEMPTS:
                    raise
                await asyncio.sleep(2.0 * attempt)

    async def _tell(self, request: ChatExport, text: str) -> None:
        with contextlib.suppress(TelegramError):
            await self.bot.send_message(request.chat_id, text)


def _too_large(produced: Produced, _: Translator) -> str:
    return _(
        "The file is larger than Telegram accepts (50 MB). Please ask the operator to run: "
        "chibo export {dataset} --unit {unit}",
        dataset=produced.spec.key,
        unit=produced.unit.code,
    )


def export_after_commit(bot_data: dict[Any, Any], request: ChatExport) -> None:
    """Starts the export once the update that asked for it is committed (a retried update
    must not export twice)."""
    worker = bot_data.get(EXPORTS_KEY)
    if not isinstance(worker, ExportWorker):
        return
    scope = current_scope.get(None)
    if scope is None:
        worker.submit(request)
    else:
        scope.after_commit.append(lambda: worker.submit(request))
