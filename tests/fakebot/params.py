"""Decoding of Bot API request parameters the way Telegram does it.

PTB (telegram/request/_requestparameter.py) sends every parameter as a string form field:
plain strings as-is and everything else (ints, bools, dicts, lists) ``json.dumps``-ed. Uploads
use multipart/form-data, where file fields carry a filename. We therefore JSON-decode values
that look like JSON, except for fields that are always free text (a message text of ``"42"``
must stay a string).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

# Fields whose value is free text: never JSON-decode them.
TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "language_code",
        "action",
        "description",
        "short_description",
        "name",
        "title",
        "inline_message_id",
        "file_id",
        "business_connection_id",
        "message_effect_id",
    }
)


@dataclass(frozen=True)
class Upload:
    file_name: str
    content: bytes
    content_type: str


def decode_value(key: str, value: str) -> Any:
    if key in TEXT_FIELDS or not value:
        return value
    first = value[0]
    # Cheap pre-check so ordinary strings ("@channel", "HTML") skip the json parser.
    if first in '{["-' or first.isdigit() or value in ("true", "false", "null"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Return (decoded params, uploaded files) from query string + body of any supported type."""
    params: dict[str, Any] = {k: decode_value(k, v) for k, v in request.query.items()}
    files: dict[str, Upload] = {}
    if not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params, files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = Upload(value.filename, value.file.read(), value.content_type)
        elif isinstance(value, bytes | bytearray):
            params[key] = decode_value(key, bytes(value).decode())
        else:
            params[key] = decode_value(key, value)
    return params, files
