"""Telegram's size limits on what a bot sends, refused with Telegram's own 400 texts.

Lengths are counted the way Telegram does, after entity parsing: with parse_mode=HTML the tags
are markup, not text, and ``&lt;`` is one character.
"""

from __future__ import annotations

import html
import re
from typing import Any

from .models import ApiError, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64

TEXT_TOO_LONG = "message is too long"
CAPTION_TOO_LONG = "message caption is too long"
BUTTON_DATA_INVALID = "BUTTON_DATA_INVALID"

_TAG = re.compile(r"<[^>]*>")


def visible_length(text: str, parse_mode: object) -> int:
    """Characters Telegram counts: with HTML, the text without its tags and entities decoded."""
    if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
        text = html.unescape(_TAG.sub("", text))
    return len(text)


def check_text(text: str, parse_mode: object) -> None:
    if visible_length(text, parse_mode) > MAX_TEXT:
        raise bad_request(TEXT_TOO_LONG)


def check_caption(caption: object, parse_mode: object) -> None:
    if caption and visible_length(str(caption), parse_mode) > MAX_CAPTION:
        raise bad_request(CAPTION_TOO_LONG)


def check_markup(markup: dict[str, Any] | None) -> None:
    """Every inline button's callback_data fits in 64 bytes (UTF-8), else the send fails."""
    for row in (markup or {}).get("inline_keyboard") or []:
        for button in row:
            data = button.get("callback_data") if isinstance(button, dict) else None
            if data is not None and len(str(data).encode()) > MAX_CALLBACK_DATA_BYTES:
                raise bad_request(BUTTON_DATA_INVALID)


__all__ = ["ApiError", "check_caption", "check_markup", "check_text", "visible_length"]
