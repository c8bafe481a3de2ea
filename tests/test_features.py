"""Features declared once (handlers/shared/feature.py, handlers/features.py): the bot refuses
to start with two features claiming the same button prefix, flow, job kind or menu entry;
bot/app.py knows nothing but the list; use cases import nothing from Telegram."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from telegram.ext import CallbackQueryHandler

from bot.app import build_application
from bot.settings import Settings
from handlers.features import FEATURES
from handlers.notices import buttons as notice_buttons
from handlers.shared.drafts import Draft
from handlers.shared.feature import Feature, FeatureConflict, button_prefixes, check_features

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
    shared = {
        "handlers.shared.common",
        "handlers.shared.drafts",
        "handlers.shared.feature",
        "handlers.shared.menu",
    }
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
    modules = [_module_name(path) for path in sorted((ROOT / "handlers").glob("*/actions*.py"))]
    assert {"handlers.notices.actions", "handlers.meetings.actions"} <= set(modules)
    code = f"import sys; import {', '.join(modules)}; print('telegram' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False"


# --- the layout: a feature imports no other feature, shared code imports no feature --------

HANDLERS = ROOT / "handlers"
THE_LIST = "handlers.features"  # FEATURES: imports every feature, imported by none of them


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
    """Who a handlers module belongs to: "shared" (handlers/shared/), "list"
    (handlers/features.py), or its feature: a package under handlers/ is one feature, a module
    at the top of handlers/ is a small feature of its own."""
    parts = module.split(".")
    if parts[1] == "shared":
        return "shared"
    return "list" if module == THE_LIST else parts[1]


def _layout_violations(extra: dict[str, set[str]] | None = None) -> set[tuple[str, str]]:
    """(importer, imported) pairs crossing from one feature to another, or from shared code to
    a feature; `extra` adds imports to check the rule itself."""
    violations = set()
    for path in sorted(HANDLERS.rglob("*.py")):
        importer = _module_name(path)
        if importer == "handlers":
            continue
        mine = _owner(importer)
        for imported in _imports(path) | (extra or {}).get(importer, set()):
            theirs = _owner(imported)
            if mine == "list" or theirs == "shared" or theirs == mine:
                continue
            violations.add((importer, imported))  # a feature's, or the list, from elsewhere
    return violations


def test_the_layout_rules_see_what_they_check() -> None:
    assert _owner("handlers.shared.common") == _owner("handlers.shared.transfer_text") == "shared"
    assert _owner("handlers.members.probation") == _owner("handlers.members.buttons")
    assert _owner("handlers.profile") == "profile" != _owner("handlers.plans.common")
    status = _imports(HANDLERS / "members" / "status.py")
    assert {"handlers.members.buttons", "handlers.shared.common"} <= status
    # `from handlers.shared import audience` names a module
    assert "handlers.shared.audience" in _imports(HANDLERS / "features.py")
    assert _layout_violations(extra={"handlers.profile": {"handlers.plans.common"}}) == {
        ("handlers.profile", "handlers.plans.common")
    }


def test_no_feature_imports_another_feature() -> None:
    """A feature imports shared modules only; shared modules import no feature; only the list
    (handlers/features.py) imports them all. A new crossing fails here: move what both need
    into handlers/shared/ (or storage/ when it is not Telegram) instead of listing it."""
    crossings = sorted(_layout_violations())
    assert crossings == [], f"imports across features (importer, imported): {crossings}"


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


def test_buttons_are_routed_by_the_codec_only() -> None:
    """Button patterns come from declared kinds (handlers/shared/buttons.py builds the one
    CallbackQueryHandler): a hand-written pattern is a second, unchecked, wire format."""
    written = {
        path.relative_to(ROOT).as_posix(): lines
        for path in sorted(HANDLERS.rglob("*.py"))
        if (lines := _hand_written_patterns(path))
    }
    assert "handlers/shared/buttons.py" in written  # the codec's own, and the walk finds calls
    del written["handlers/shared/buttons.py"]
    assert written == {}, f"hand-written CallbackQueryHandler patterns: {written}"
