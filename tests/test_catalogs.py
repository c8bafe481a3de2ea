"""Every text in the code has a translation in both catalogs, with the same placeholders."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable
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


# --- texts kept in constants -------------------------------------------------------------------

TRANSLATING = {"_", "plural"}  # _(...), context._(...), _.plural(...)
IDENTIFIER = re.compile(r"[a-z0-9_]*")  # a key or a step name, not a text


def _marked(node: ast.AST) -> set[int]:
    """The nodes inside `N_(...)` / `_(...)` calls: extracted by `make messages`."""
    inside: set[int] = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        if isinstance(call.func, ast.Name) and call.func.id in ("N_", "_"):
            inside.update(id(n) for arg in call.args for n in ast.walk(arg))
    return inside


def _bare_texts(value: ast.AST) -> list[str]:
    """Texts in a constant's value that no marker extracts (dict keys are not texts)."""
    keys = {id(k) for d in ast.walk(value) if isinstance(d, ast.Dict) for k in d.keys if k}
    marked = _marked(value)
    return [
        n.value
        for n in ast.walk(value)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and id(n) not in marked | keys
        and re.search(r"[^\W\d_]", n.value)
        and not IDENTIFIER.fullmatch(n.value)
    ]


def _translated_names(tree: ast.AST) -> set[str]:
    """Names whose value becomes a msgid: in `_()`'s first argument (both of `.plural`), or a
    local variable assigned from them that is (`text = A if x else B; _(text)`)."""
    found: set[str] = set()
    for scope in ast.walk(tree):
        if not isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        local: dict[str, set[str]] = {}
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    names = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
                    local.setdefault(target.id, set()).update(names)
        for call in ast.walk(scope):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in TRANSLATING:
                continue
            args = call.args[:2] if name == "plural" else call.args[:1]
            todo = [n.id for arg in args for n in ast.walk(arg) if isinstance(n, ast.Name)]
            while todo:
                used = todo.pop()
                if used not in found:
                    found.add(used)
                    todo += local.get(used, set())
    return found


def _unextracted_constants(folders: Iterable[Path]) -> list[str]:
    """Module-level constants holding a text without `N_()` whose value is translated later:
    `make messages` does not extract such a text, so the catalogs lose it and members read
    the English (it happened to three meeting alerts when they moved into constants)."""
    constants: dict[str, list[tuple[str, int, list[str]]]] = {}
    translated: set[str] = set()
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            translated |= _translated_names(tree)
            for node in tree.body:
                value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
                if value is None:
                    continue
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                texts = _bare_texts(value)
                for target in targets:
                    for name in (n.id for n in ast.walk(target) if isinstance(n, ast.Name)):
                        where = path.relative_to(folder.parent).as_posix()
                        constants.setdefault(name, []).append((where, node.lineno, texts))
    return [
        f"{where}:{line} {name}: {texts[0]!r}"
        for name in sorted(translated)
        for where, line, texts in constants.get(name, [])
        if texts
    ]


def test_texts_kept_in_constants_are_marked_for_the_catalogs() -> None:
    found = _unextracted_constants(ROOT / folder for folder in ("bot", "handlers", "storage"))
    assert found == [], "mark these texts with N_(): " + "; ".join(found)


def test_an_unmarked_constant_that_is_translated_is_found(tmp_path: Path) -> None:
    """The check above can fail: the shapes the meeting alerts had when they lost N_()."""
    module = tmp_path / "handlers" / "meetings" / "answer.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from bot.i18n import N_\n"
        'CANCELLED = "This meeting has been cancelled."\n'
        'STARTED = "The meeting has started: answers are closed."\n'
        'CLOSED = N_("It can no longer be changed.")\n'
        'KINDS = {"regular": "Regular meeting", "thematic": N_("Thematic meeting")}\n'
        'STEP = "time"\n'
        "def closed(context, cancelled):\n"
        "    text = CANCELLED if cancelled else STARTED\n"
        "    return context._(text), context._(CLOSED), context._(STEP)\n"
        "def kind(_, key):\n"
        "    return _(KINDS[key])\n"
    )
    found = _unextracted_constants([tmp_path / "handlers"])
    assert [line.split(": ", 1)[0] for line in found] == [
        "handlers/meetings/answer.py:2 CANCELLED",
        "handlers/meetings/answer.py:5 KINDS",
        "handlers/meetings/answer.py:3 STARTED",
    ]
