"""Normalising what people type: names in NFC, folded forms for search, phone numbers."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

_SPACES = re.compile(r"\s+")
# Zero-width and bidi marks sneak in from copy-paste and some keyboards.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e")
)


class TextTooLong(ValueError):
    """Typed text over a field's limit: the caller names the limit and keeps the draft."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"{length} > {limit}")
        self.length = length
        self.limit = limit


def clean_text(value: str, limit: int | None = None) -> str:
    """NFC, without control or zero-width characters, trimmed; newlines are kept.

    With `limit`, raises `TextTooLong` when the cleaned text is longer (counted after
    cleaning: invisible characters someone pasted do not count against them).
    """
    value = unicodedata.normalize("NFC", value).translate(_INVISIBLE)
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    value = value.strip()
    if limit is not None and len(value) > limit:
        raise TextTooLong(len(value), limit)
    return value


def clean_name(value: str) -> str:
    """A person's or unit's name: clean, NFC, single spaces, no leading or trailing space."""
    return _SPACES.sub(" ", clean_text(value)).strip()


def fold(value: str) -> str:
    """Lower case without tone marks, as a person searching would match: 'Đặng' -> 'dang'."""
    decomposed = unicodedata.normalize("NFD", clean_name(value))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return bare.replace("đ", "d").replace("Đ", "D").casefold()


def normalize_phone(raw: str, region: str = "VN") -> str | None:
    """E.164 form ('+84912345678') of a phone as people write it, or None if it is not one."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """The national form people recognise: '0912 345 678'."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
