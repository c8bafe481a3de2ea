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
