"""One codec for inline buttons: a button kind is declared once, with its prefix and typed
fields, and that declaration builds the button (PTB object or outbox JSON), gives the
handler's pattern, parses the pressed data into a typed value and refuses what does not parse.

The wire format is the one the handlers always wrote by hand, so buttons already in members'
chats and in outbox rows keep working: `prefix` alone, or `prefix:field:field` with each field
written as text (ids in decimal). A field is `int` (a row id unless bounded otherwise), `str`
(without `:`), a `Literal[...]` of strings, or any of these `| None` when it may be left off at
the end (`plrec` and `plrec:3` are the same kind).

Button data is the presser's to forge: what does not parse, is out of bounds, or has too few or
too many fields gets the usual polite refusal (shared.common.refuse) with the kind's reason.

Building data, outbox JSON and parsing need no Telegram (use cases render outbox rows with
`json`); Telegram is imported where a PTB button or handler is made.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, get_args, get_origin, overload

from storage.models import MAX_ROW_ID

if TYPE_CHECKING:
    from telegram import InlineKeyboardButton, Update
    from telegram.ext import CallbackQueryHandler

    from handlers.shared.common import Context

T = TypeVar("T")
DATA_LIMIT = 64  # Telegram's limit for callback_data, in bytes
SEPARATOR = ":"
PREFIX = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Bounded:
    """An int field's bounds, for fields that are not row ids: `Annotated[int, Bounded(1, 12)]`."""

    low: int = 0
    high: int = MAX_ROW_ID


@dataclass(frozen=True)
class _Field:
    name: str
    parse: Callable[[str], Any]  # raises ValueError on what it does not accept
    optional: bool


def _int_parser(bounds: Bounded) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not (text.isascii() and text.isdigit()):  # no sign, space, "1_000": what we write
            raise ValueError(text)
        value = int(text)
        if not bounds.low <= value <= bounds.high:
            raise ValueError(text)
        return value

    return parse


def _str_parser(text: str) -> str:
    if not text:
        raise ValueError(text)
    return text


def _choice_parser(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(text)
        return text

    return parse


def _parser(hint: Any) -> tuple[Callable[[str], Any], bool]:
    """How a field's text becomes its value, and whether it may be left off."""
    bounds = Bounded()
    if get_origin(hint) is typing.Annotated:
        hint, *extras = get_args(hint)
        bounds = next((e for e in extras if isinstance(e, Bounded)), bounds)
    optional = False
    if get_origin(hint) in (typing.Union, types.UnionType) and type(None) in get_args(hint):
        (hint,) = [arg for arg in get_args(hint) if arg is not type(None)]
        optional = True
    if hint is int:
        return _int_parser(bounds), optional
    if hint is str:
        return _str_parser, optional
    if get_origin(hint) is Literal:
        return _choice_parser(tuple(str(a) for a in get_args(hint))), optional
    raise TypeError(f"button fields are int, str or Literal, not {hint!r}")


def _fields(shape: type[Any]) -> tuple[_Field, ...]:
    hints = typing.get_type_hints(shape, include_extras=True)
    fields = []
    for field in dataclasses.fields(shape):
        parse, optional = _parser(hints[field.name])
        fields.append(_Field(field.name, parse, optional))
    required = [not f.optional for f in fields]
    if required != sorted(required, reverse=True):
        raise TypeError(f"{shape.__name__}: only the last fields may be optional")
    return tuple(fields)


Press = Callable[["Update", "Context", T], Awaitable[None]]


class ButtonKind(Generic[T]):
    """A kind of button: `ButtonKind("nnew")` carries nothing; `ButtonKind("nst", NoticeRef)`
    carries the fields of the frozen dataclass `NoticeRef` (declared in this order on the wire)."""

    @overload
    def __init__(self: ButtonKind[None], prefix: str) -> None: ...

    @overload
    def __init__(self: ButtonKind[T], prefix: str, shape: type[T]) -> None: ...

    def __init__(self, prefix: str, shape: type[Any] | None = None) -> None:
        if not PREFIX.fullmatch(prefix):
            raise ValueError(f"a button prefix is lowercase letters and digits: {prefix!r}")
        self.prefix = prefix
        self.shape = shape
        self.fields = _fields(shape) if shape is not None else ()

    def __repr__(self) -> str:
        return f"ButtonKind({self.prefix!r})"

    @property
    def pattern(self) -> str:
        """The CallbackQueryHandler pattern: the prefix, then nothing or the fields (either,
        when every field may be left off: `plrec` and `plrec:3`)."""
        if not self.fields:
            return rf"^{self.prefix}$"
        if all(f.optional for f in self.fields):
            return rf"^{self.prefix}(:|$)"
        return rf"^{self.prefix}:"

    def data(self, value: T | None = None) -> str:
        """The callback_data of a button carrying `value`."""
        if not self.fields:
            return self.prefix
        if value is None:
            raise ValueError(f"{self.prefix}: a value is needed")
        parts = [getattr(value, f.name) for f in self.fields]
        while parts and parts[-1] is None and self.fields[len(parts) - 1].optional:
            parts.pop()
        data = SEPARATOR.join([self.prefix, *(str(p) for p in parts)])
        if len(data.encode()) > DATA_LIMIT:
            raise ValueError(f"{self.prefix}: callback data over {DATA_LIMIT} bytes")
        return data

    def button(self, label: str, value: T | None = None) -> InlineKeyboardButton:
        from telegram import InlineKeyboardButton

        return InlineKeyboardButton(label, callback_data=self.data(value))

    def json(self, label: str, value: T | None = None) -> dict[str, str]:
        """The button as the Bot API JSON an outbox row carries."""
        return {"text": label, "callback_data": self.data(value)}

    def parse(self, data: str) -> T | None:
        """The value the data carries; None when it is not this kind's, malformed, or out of
        bounds (forged or stale). A kind without fields parses to the sentinel `PRESSED`."""
        prefix, *parts = data.split(SEPARATOR)
        if prefix != self.prefix:
            return None
        if self.shape is None:
            return typing.cast(T, PRESSED) if not parts else None
        required = sum(not f.optional for f in self.fields)
        if not required <= len(parts) <= len(self.fields):
            return None
        values: dict[str, Any] = {f.name: None for f in self.fields}
        try:
            for field, part in zip(self.fields, parts, strict=False):
                values[field.name] = field.parse(part)
        except ValueError:
            return None
        return typing.cast(T, self.shape(**values))

    def route(self, press: Press[T], reason: str) -> Route[T]:
        """This kind's presses go to `press` with the parsed value; the others are refused,
        audited with `reason`."""
        return Route(self, press, reason)


def any_of(*kinds: ButtonKind[Any]) -> str:
    """The pattern of a draft's own buttons (`Draft(buttons=...)`): a press of any of these
    kinds keeps its question waiting, a press of any other leaves it (shared/drafts.py)."""
    return "|".join(kind.pattern for kind in kinds)


class _Pressed:
    """What a button without fields parses to: it was pressed, it carries nothing."""

    def __repr__(self) -> str:
        return "PRESSED"


PRESSED: Any = _Pressed()


@dataclass(frozen=True)
class Route(Generic[T]):
    """A button kind and the handler its presses go to."""

    kind: ButtonKind[T]
    press: Press[T]
    reason: str

    def handler(self, final: bool = False) -> CallbackQueryHandler[Context, None]:
        """The press handler; `final`: no handler of a later group sees the press after it
        (the drafts' own buttons, tried before every feature's)."""
        from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler

        from handlers.shared.common import refuse

        kind, press, reason = self.kind, self.press, self.reason

        async def on_press(update: Update, context: Context) -> None:
            query = update.callback_query
            value = kind.parse(query.data or "") if query is not None else None
            if value is None:
                await refuse(update, context, reason)
            else:
                await press(update, context, value)
            if final:
                raise ApplicationHandlerStop

        on_press.__qualname__ = on_press.__name__ = getattr(press, "__name__", "on_press")
        return CallbackQueryHandler(on_press, pattern=kind.pattern)
