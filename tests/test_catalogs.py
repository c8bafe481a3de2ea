"""Every text in the code has a translation in both catalogs, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALES_DIR, pick_language, translator
from handlers.shared.typed_input import too_long_text

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "plural": (1, 2)}


def _msgids_in_code() -> set[str]:
    found: set[str] = set()
    for folder in ("bot", "handlers", "storage"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, keywords=KEYWORDS, comment_tags=()
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _plurals_in_code() -> set[tuple[str, str]]:
    """(singular, plural) of every `_.plural(...)` call."""
    found: set[tuple[str, str]] = set()
    for folder in ("bot", "handlers", "storage"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, keywords=KEYWORDS, comment_tags=()
        ):
            if not isinstance(message, str):
                found.add((message[0], message[1]))
    return found


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_translates_every_msgid_in_code(language: str) -> None:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0]): (
            m.string if isinstance(m.string, str) else m.string[0]
        )
        for m in catalog
        if m.id and (m.string if isinstance(m.string, str) else all(m.string)) and not m.fuzzy
    }
    code = _msgids_in_code()
    assert len(code) > 50  # the extraction itself works
    missing = sorted(code - translated.keys())
    assert missing == [], f"{language} lacks: {missing}"
    wrong = [m for m in code if _placeholders(m) != _placeholders(str(translated[m]))]
    assert wrong == [], f"{language} placeholders differ: {wrong}"


def test_vietnamese_is_default_and_english_on_request() -> None:
    assert translator("vi")("Main menu") == "Menu chính"
    assert translator("en")("Main menu") == "Main menu"
    assert translator("xx")("Main menu") == "Menu chính"


@pytest.mark.parametrize(
    ("stored", "telegram", "expected"),
    [
        (None, None, "vi"),
        (None, "en-US", "en"),
        ("vi", "en", "vi"),
        (None, "fr", "vi"),
        ("en", None, "en"),
    ],
)
def test_language_choice(stored: str | None, telegram: str | None, expected: str) -> None:
    assert pick_language(stored, telegram, "vi") == expected


def test_one_too_long_message_names_the_field() -> None:
    """Every typed text over its limit gets the same message, naming what is too long."""
    with (LOCALES_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    too_long = [m.id for m in catalog if isinstance(m.id, str) and "characters long" in m.id]
    assert [m for m in too_long if "{length}" in m] == [
        "{field} is {length} characters long; at most {limit} are allowed here. Please "
        "shorten it and send it again: what you entered before is kept."
    ]
    english, vietnamese = translator("en"), translator("vi")
    assert too_long_text(english, "The address", 301, 300).startswith(
        "The address is 301 characters long; at most 300 are allowed here."
    )
    assert too_long_text(vietnamese, "The address", 301, 300).startswith(
        "Địa chỉ dài 301 ký tự; ở đây chỉ được tối đa 300 ký tự."
    )


@pytest.mark.parametrize(("language", "forms"), [("en", 2), ("vi", 1)])
def test_counts_have_plural_entries_with_each_form_of_the_language(
    language: str, forms: int
) -> None:
    """English has a singular and a plural form, Vietnamese one form (nplurals=1)."""
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    assert catalog.num_plurals == forms
    entries = {m.id: m.string for m in catalog if isinstance(m.id, tuple)}
    code = _plurals_in_code()
    assert len(code) >= 20  # the extraction finds the `_.plural` calls
    missing = sorted(pair for pair in code if pair not in entries)
    assert missing == [], f"{language} lacks plural entries: {missing}"
    for (singular, plural), strings in ((pair, entries[pair]) for pair in code):
        assert len(strings) == forms and all(strings), (language, plural)
        assert _placeholders(singular) == _placeholders(plural), plural
        assert all(_placeholders(text) == _placeholders(plural) for text in strings), plural


def test_a_count_before_a_plural_noun_uses_the_plural_forms() -> None:
    """ "Invite 1 members?": a number followed by a noun in the plural needs `_.plural`."""
    counted = re.compile(r"\{(count|rows|total|n)\} (members|people|messages|rows|questions)\b")
    singular_only = sorted(m for m in _msgids_in_code() if counted.search(m))
    plural_firsts = {singular for singular, _plural in _plurals_in_code()}
    assert [m for m in singular_only if m not in plural_firsts] == []
