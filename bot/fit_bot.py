"""The outbox sender's Bot API client, fitting every message into Telegram's limits.

Every broadcast, reminder and report goes through the sender's `_post`, so this is where a
text built from stored values is made to fit (bot/fit.py): a long text goes as several
messages, the buttons under the last one; a long caption keeps its media and buttons, the rest
follows as text. Handlers' replies are fitted by their recorder (bot/replies.py) with the
same `fitted_requests`. (The application's own bot
stays PTB's builder-made ExtBot: a subclass of it made conversation tests hang at start-up on
SQLite, not understood yet.)
"""

from __future__ import annotations

from typing import Any

from telegram import Bot

from bot.fit import MAX_CAPTION, MAX_TEXT, split_text

_TEXT_METHODS = frozenset({"sendmessage", "editmessagetext"})
_CAPTION_METHODS = frozenset({"sendphoto", "senddocument", "editmessagecaption"})
# Parameters of the first message that a follow-up text message may carry as well.
_FOLLOW_UP_KEYS = ("chat_id", "parse_mode", "message_thread_id", "disable_notification")


def _parse_mode(data: dict[str, Any]) -> str | None:
    mode = data.get("parse_mode")
    return mode if isinstance(mode, str) else None


def fitted_requests(endpoint: str, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The requests that carry `data` within Telegram's limits, in order (usually just it)."""
    name = endpoint.lower()
    if name in _TEXT_METHODS and isinstance(data.get("text"), str):
        parts = split_text(data["text"], _parse_mode(data), MAX_TEXT)
        if len(parts) == 1:
            return [(endpoint, data)]
        markup = data.get("reply_markup")
        first = {**data, "text": parts[0], "reply_markup": None}
        rest = [_follow_up(data, part) for part in parts[1:]]
        rest[-1][1]["reply_markup"] = markup
        return [(endpoint, first), *rest]
    if name in _CAPTION_METHODS and isinstance(data.get("caption"), str):
        parts = split_text(data["caption"], _parse_mode(data), MAX_CAPTION)
        if len(parts) == 1:
            return [(endpoint, data)]
        rest_text = "\n".join(parts[1:])
        follow = split_text(rest_text, _parse_mode(data), MAX_TEXT)
        return [(endpoint, {**data, "caption": parts[0]})] + [
            _follow_up(data, part) for part in follow
        ]
    return [(endpoint, data)]


def _follow_up(data: dict[str, Any], text: str) -> tuple[str, dict[str, Any]]:
    extra = {key: data[key] for key in _FOLLOW_UP_KEYS if data.get(key) is not None}
    return "sendMessage", {**extra, "text": text}


class _Fitting:
    """Mixin over PTB's `_post`: one request becomes the few that fit (see module doc)."""

    async def _post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        requests = fitted_requests(endpoint, data) if isinstance(data, dict) else []
        if len(requests) <= 1:
            return await super()._post(endpoint, data, **kwargs)  # type: ignore[misc]
        results = []
        for name, part in requests:  # a loop: super() does not work inside a comprehension
            results.append(await super()._post(name, part, **kwargs))  # type: ignore[misc]
        # The caller gets the answer to its own method: the message it sent or edited.
        return results[0] if endpoint.lower() in _CAPTION_METHODS else _own(endpoint, results)


def _own(endpoint: str, results: list[Any]) -> Any:
    # A sent text: the last part, which holds the buttons; an edit: the edited message.
    return results[-1] if endpoint.lower() == "sendmessage" else results[0]


class FittingBot(_Fitting, Bot):
    """The outbox sender's bot."""
