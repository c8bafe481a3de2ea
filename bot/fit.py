"""Telegram's size limits on one message, and the one way the bot fits a longer text into them.

A text the bot builds from stored values (agendas, reasons, comments, lists of names) can be
longer than Telegram allows; Telegram then refuses the whole message. `split_text` cuts it into
parts that each fit, at a line break where it can (else at a space), and keeps HTML valid:
tags open at a cut are closed at the end of one part and opened again at the start of the next.
Lengths are counted as Telegram counts them, after entity parsing: tags are not text and
``&lt;`` is one character; a character outside the Basic Multilingual Plane (most emoji)
counts twice, as Telegram counts UTF-16 code units.

These are the bot's only copies of Telegram's limits: the handlers' recorder (bot/replies.py)
and the outbox sender (bot/fit_bot.py) both fit what they send with `split_text`.
"""

from __future__ import annotations

import html
import re

MAX_TEXT = 4096
MAX_CAPTION = 1024

_HTML_PIECE = re.compile(r"<[^>]*>|&#?\w+;|.", re.S)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z0-9-]+)")


def is_html(parse_mode: object) -> bool:
    return isinstance(parse_mode, str) and parse_mode.upper() == "HTML"


def visible_length(text: str, parse_mode: object = None) -> int:
    """How many characters Telegram counts in `text`."""
    if not is_html(parse_mode):
        return _units(text)
    return sum(_weight(piece) for piece in _HTML_PIECE.findall(text))


def _weight(piece: str) -> int:
    """UTF-16 code units of a piece as shown: 0 for a tag, an entity's decoded character."""
    if _is_tag(piece):
        return 0
    return _units(html.unescape(piece) if piece.startswith("&") else piece)


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, parse_mode: object = None, limit: int = MAX_TEXT) -> list[str]:
    """`text` as parts of at most `limit` visible characters each (one part when it fits)."""
    if visible_length(text, parse_mode) <= limit:
        return [text]
    pieces = _HTML_PIECE.findall(text) if is_html(parse_mode) else list(text)
    parts: list[str] = []
    start, opened = 0, list[str]()
    while start < len(pieces):
        cut = _cut(pieces, start, limit)
        body = pieces[start:cut]
        still_open = _open_after(opened, body)
        part = "".join(opened) + "".join(body).rstrip() + "".join(_closing(still_open))
        if part.strip():
            parts.append(part)
        start, opened = _skip_blank(pieces, cut), still_open
    return parts


def shorten(text: str, parse_mode: object = None, limit: int = MAX_TEXT) -> str:
    """The first part of `text` that fits `limit`, with "…" when something was left out."""
    parts = split_text(text, parse_mode, limit - 1)
    return parts[0] if len(parts) == 1 else parts[0] + "…"


def _is_tag(piece: str) -> bool:
    return len(piece) > 1 and piece.startswith("<")


def _cut(pieces: list[str], start: int, limit: int) -> int:
    """Where the part starting at `start` ends: after its last line break, else its last
    space, else at the limit itself."""
    seen, line_break, space = 0, 0, 0
    index = start
    while index < len(pieces):
        piece = pieces[index]
        if not _is_tag(piece):
            if seen + _weight(piece) > limit and index > start:
                break
            seen += _weight(piece)
            if piece == "\n":
                line_break = index + 1
            elif piece == " ":
                space = index + 1
        index += 1
    if index >= len(pieces):
        return index
    return line_break or space or index


def _open_after(opened: list[str], body: list[str]) -> list[str]:
    """The tags still open after `body`, given those open before it (opening tags as written)."""
    stack = list(opened)
    for piece in body:
        if not _is_tag(piece):
            continue
        if piece.startswith("</"):
            name = _name(piece)
            for depth in range(len(stack) - 1, -1, -1):
                if _name(stack[depth]) == name:
                    del stack[depth:]
                    break
        else:
            stack.append(piece)
    return stack


def _closing(stack: list[str]) -> list[str]:
    return [f"</{_name(tag)}>" for tag in reversed(stack)]


def _name(tag: str) -> str:
    match = _TAG_NAME.match(tag)
    return match.group(1).lower() if match else ""


def _skip_blank(pieces: list[str], index: int) -> int:
    while index < len(pieces) and pieces[index] in ("\n", " "):
        index += 1
    return index


LABEL_LIMIT = 30  # characters of a button label a phone shows without cutting it


def button_label(text: str) -> str:
    """A label holding stored text (a person's or a unit's name), cut to fit a phone."""
    return shorten(" ".join(text.split()), None, LABEL_LIMIT)
