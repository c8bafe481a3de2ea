"""Features declared once (handlers/feature.py, handlers/features.py): the bot refuses to start
with two features claiming the same button prefix, flow, job kind or menu entry; bot/app.py
knows nothing but the list; use cases import nothing from Telegram."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from telegram.ext import CallbackQueryHandler

from bot.app import build_application
from bot.settings import Settings
from handlers.drafts import Draft
from handlers.feature import Feature, FeatureConflict, button_prefixes, check_features
from handlers.features import FEATURES
from handlers.notices import buttons as notice_buttons

ROOT = Path(__file__).resolve().parent.parent


async def _nothing(*_args: object) -> None:
    return None


def _legacy(pattern: str) -> Feature:
    return Feature("legacy", lambda: [CallbackQueryHandler(_nothing, pattern=pattern)])


def test_the_features_of_the_bot_claim_distinct_names() -> None:
    check_features(FEATURES)  # what build_application runs
    prefixes = [p for f in FEATURES for p in button_prefixes(f)]
    assert {"nack", "nst", "plrec", "met", "mep", "consent"} <= set(prefixes)
    assert len(prefixes) > 100


def test_two_features_with_the_same_prefix_flow_or_job_fail_loudly() -> None:
    notices = next(f for f in FEATURES if f.name == "notices")
    clash = Feature(
        "clash",
        buttons=(notice_buttons.STATUS.route(_nothing, "x"),),
        flows={"notice": Draft(_nothing, "a", "b")},
        jobs={"bulk_send": _nothing},
    )
    bulk = next(f for f in FEATURES if f.name == "bulk_send")
    with pytest.raises(FeatureConflict) as raised:
        check_features([notices, bulk, clash])
    message = str(raised.value)
    assert "button prefix 'nst' is declared 2 times (notices, clash)" in message
    assert "flow 'notice' is declared 2 times (notices, clash)" in message
    assert "job kind 'bulk_send' is declared 2 times (bulk_send, clash)" in message
    # A hand-written pattern of a feature not converted yet counts as well.
    with pytest.raises(FeatureConflict, match="'nack'"):
        check_features([notices, _legacy(r"^nack:")])
    with pytest.raises(FeatureConflict, match="'mep'"):
        check_features([_legacy(r"^mep:"), _legacy(r"^me[tp]:")])
    with pytest.raises(FeatureConflict, match="feature 'notices'"):
        check_features([notices, notices])


@pytest.mark.parametrize("prefix", ["nlist", "dfs"])  # a feature's, the drafts' Send
def test_building_the_bot_refuses_clashing_features(
    monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    clash = Feature("clash", lambda: [CallbackQueryHandler(_nothing, pattern=rf"^{prefix}$")])
    monkeypatch.setattr("bot.app.FEATURES", (*FEATURES, clash))
    with pytest.raises(FeatureConflict, match=f"button prefix '{prefix}'"):
        build_application(Settings(_env_file=None, bot_token="1:x"))


def test_app_imports_no_feature_module_but_the_list() -> None:
    tree = ast.parse((ROOT / "bot" / "app.py").read_text(encoding="utf-8"))
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("handlers")
    }
    shared = {"handlers.common", "handlers.drafts", "handlers.feature", "handlers.menu"}
    assert imported == shared | {"handlers.features"}


def test_use_cases_import_nothing_from_telegram() -> None:
    modules = sorted((ROOT / "handlers").glob("*/actions*.py"))
    assert modules, "no use case module found"
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [
            alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names
        ]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert [n for n in names if n.split(".")[0] == "telegram"] == [], path


def test_use_cases_load_without_telegram() -> None:
    """Not only no direct import: nothing they import pulls Telegram in (the button codec's
    data side, the shared bulk sends, the feature's outbox messages)."""
    modules = ["handlers.notices.actions", "handlers.surveys.actions"]
    code = f"import sys; import {', '.join(modules)}; print('telegram' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False"


# --- the layout: a feature imports no other feature, shared code imports no feature --------

HANDLERS = ROOT / "handlers"
# Shared modules still at the top of handlers/ (the lead moves them into handlers/shared/).
TOP_SHARED = {
    "handlers.common",
    "handlers.drafts",
    "handlers.buttons",
    "handlers.feature",
    "handlers.usecase",
    "handlers.readers",
    "handlers.typed_input",
    "handlers.reminder_guard",
    "handlers.menu",
}
THE_LIST = "handlers.features"  # FEATURES: imports every feature, imported by none of them

# Today's known violations, (importer, imported): the features not converted yet. Each is
# taken off when its feature is converted (the lead empties this list after merging them);
# a violation not listed here fails test_no_feature_imports_another_feature.
KNOWN_IMPORTS = {
    # The broadcasts (bulk_send) and the features whose broadcasts they send:
    ("handlers.bulk_send", "handlers.notices.messages"),
    ("handlers.bulk_send", "handlers.survey_common"),
    ("handlers.notices.actions", "handlers.bulk_send"),  # queue_or_book, the job kinds
    ("handlers.survey_menu", "handlers.bulk_send"),
    # Texts of one feature shown by another:
    ("handlers.plan_record", "handlers.residence_common"),
    ("handlers.help", "handlers.plan_common"),  # /help's plan calendar: own_plan_season
    ("handlers.profile", "handlers.plan_common"),  # /me: plan status and grade names
    ("handlers.profile", "handlers.residence_common"),  # /me: the tie, exemption names
}
# Modules still registering hand-written button patterns (not converted to the codec yet).
KNOWN_PATTERNS = {
    "handlers/drafts.py",  # the drafts' own ❌ / ▶️ / ✅ / ✏️ (dfx, dfr, dfs, dfe)
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """Every handlers module the file imports, at the top, in a function or for typing."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path.parent)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's package up
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:  # `from handlers import bulk_send` names a module
                found.add(f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base)
    return {name for name in found if name.split(".")[0] == "handlers" and name != "handlers"}


def _owner(module: str) -> str:
    """Who a handlers module belongs to: "shared", "list", or its feature. A package is one
    feature; a flat module not converted yet belongs with the modules sharing its first
    word (meeting_answer and meeting_common are the meetings), a small feature module is
    its own."""
    parts = module.split(".")
    if module in TOP_SHARED or parts[1] == "shared":
        return "shared"
    if module == THE_LIST:
        return "list"
    if (HANDLERS / parts[1]).is_dir():
        return parts[1]
    return parts[1].split("_")[0]


def _layout_violations() -> set[tuple[str, str]]:
    violations = set()
    for path in sorted(HANDLERS.rglob("*.py")):
        importer = _module_name(path)
        if importer == "handlers":
            continue
        mine = _owner(importer)
        for imported in _imports(path):
            theirs = _owner(imported)
            if mine == "list" or theirs == "shared" or theirs == mine:
                continue
            violations.add((importer, imported))  # a feature's, or the list, from elsewhere
    return violations


def test_the_layout_rules_see_what_they_check() -> None:
    assert _owner("handlers.common") == _owner("handlers.shared.transfer_text") == "shared"
    assert _owner("handlers.members.probation") == _owner("handlers.members.buttons")
    assert _owner("handlers.meeting_answer") == _owner("handlers.meeting_common") == "meeting"
    assert _owner("handlers.profile") == "profile" != _owner("handlers.plan_common")
    status = _imports(HANDLERS / "members" / "status.py")
    assert {"handlers.members.buttons", "handlers.common", "handlers.buttons"} <= status
    assert "handlers.bulk_send" in _imports(HANDLERS / "features.py")  # `from handlers import`


def test_no_feature_imports_another_feature() -> None:
    """A feature imports shared modules only; shared modules import no feature; only the list
    (handlers/features.py) imports them all. A new crossing fails here: move what both need
    into handlers/shared/ (or storage/ when it is not Telegram) instead of listing it."""
    new = sorted(_layout_violations() - KNOWN_IMPORTS)
    assert new == [], f"imports across features (importer, imported): {new}"


def test_the_known_crossings_are_still_there() -> None:
    """A crossing gone (its feature converted) comes off KNOWN_IMPORTS, so none comes back."""
    gone = sorted(KNOWN_IMPORTS - _layout_violations())
    assert gone == [], f"no longer imported, take off KNOWN_IMPORTS: {gone}"


def _hand_written_patterns(path: Path) -> list[int]:
    """Lines of `CallbackQueryHandler(..., pattern=...)` calls in the file (under any name
    it is imported as)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {"CallbackQueryHandler"} | {
        alias.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name == "CallbackQueryHandler" and alias.asname
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and {getattr(node.func, "id", ""), getattr(node.func, "attr", "")} & names
        and any(keyword.arg == "pattern" for keyword in node.keywords)
    ]


def _unconverted(relative: str) -> bool:
    """The four features being converted into packages now (the lead empties this after
    merging them): their buttons still have hand-written patterns."""
    name = relative.removeprefix("handlers/")
    return "/" not in name and name.startswith(("meeting_", "plan_", "residence", "survey_"))


def test_buttons_are_routed_by_the_codec_only() -> None:
    """Button patterns come from declared kinds (handlers/buttons.py builds the one
    CallbackQueryHandler): a hand-written pattern is a second, unchecked, wire format."""
    written = {
        path.relative_to(ROOT).as_posix(): lines
        for path in sorted(HANDLERS.rglob("*.py"))
        if (lines := _hand_written_patterns(path))
    }
    assert "handlers/buttons.py" in written  # the codec's own, and the walk finds calls
    allowed = {p for p in written if p == "handlers/buttons.py" or _unconverted(p)}
    new = {p: lines for p, lines in written.items() if p not in allowed | KNOWN_PATTERNS}
    assert new == {}, f"hand-written CallbackQueryHandler patterns: {new}"
    assert set(written) >= KNOWN_PATTERNS, "a known pattern is gone: take it off KNOWN_PATTERNS"
