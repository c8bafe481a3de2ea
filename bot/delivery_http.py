"""The sender's HTTP transport: aiohttp instead of PTB's default httpx.

httpcore's connection pool scans every connection for every request, so its cost grows with
the requests in flight; at paid-broadcast rates that scan was most of the sender's CPU time
(measured with bench/broadcast.py: 345/s with 100 in flight, 650/s with 8). aiohttp's
connector does not, so the sender can keep many requests in flight for a distant Telegram.
Only sends go through it (no file uploads: documents and photos are sent by file_id).
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_TIMEOUT = 20.0


class AiohttpRequest(BaseRequest):
    """A python-telegram-bot request backend on one aiohttp session."""

    def __init__(self, connections: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._connections = connections
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        if request_data is not None and request_data.contains_files:
            raise NetworkError("the outbox sends files by file_id only")
        data = request_data.json_parameters if request_data else None
        seconds = read_timeout if isinstance(read_timeout, int | float) else self._timeout
        try:
            async with self._session.request(
                method, url, data=data, timeout=aiohttp.ClientTimeout(total=seconds)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp: {type(error).__name__}") from error
