"""The bot's HTTP transport: aiohttp instead of PTB's default httpx.

httpcore's connection pool scans every connection for every request, so its cost grows with
the requests in flight; at paid-broadcast rates that scan was most of the sender's CPU time
(measured with bench/broadcast.py: 345/s with 100 in flight, 650/s with 8). aiohttp's
connector does not, so the sender can keep many requests in flight for a distant Telegram.
Even one request at a time costs less than half the CPU of httpx's (measured against the
fake server: about 0.9 ms against 2.1 ms per sendMessage, both sides counted), so the
handlers' bot and the poller use it too (`bot_request`).
"""

from __future__ import annotations

from urllib.parse import urlencode

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_TIMEOUT = 20.0
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
UPLOAD_TIMEOUT = 60.0  # a file upload may take a while on a slow link


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
        uploads = request_data is not None and request_data.contains_files
        data = _body(request_data) if request_data else None
        headers = FORM if isinstance(data, bytes) else None
        seconds = read_timeout if isinstance(read_timeout, int | float) else self._timeout
        if uploads:
            seconds = max(seconds, UPLOAD_TIMEOUT)
        try:
            async with self._session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=seconds),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # Not chained: aiohttp's texts quote the URL, which holds the token.
            raise NetworkError(f"aiohttp: {type(error).__name__}") from None


def _body(request_data: RequestData) -> bytes | aiohttp.FormData:
    """Form fields; with files, a multipart form (what httpx sends for PTB too).

    Plain fields are encoded here: given a dict, aiohttp builds a FormData (and a multipart
    writer it then drops) per request, a third of its cost for a sendMessage (profiled).
    """
    if not request_data.contains_files:
        return urlencode(request_data.json_parameters).encode()
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
