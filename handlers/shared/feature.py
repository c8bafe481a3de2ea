"""A feature's surface declared in one object: what bot/app.py registers for it.

`bot/app.py` loops over `handlers.features.FEATURES`; nothing about a feature is listed
anywhere else. `check_features` refuses a list in which two features (or two declarations
of one feature) claim the same button prefix, flow name, job kind or menu entry: a drifted
or repeated name would otherwise silently send presses, typed answers or jobs elsewhere.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.early_answers import Decide
from bot.scheduler import JobFn
from bot.settings import Settings
from handlers.shared.buttons import Route
from handlers.shared.common import Context
from handlers.shared.drafts import Draft
from handlers.shared.menu import Show

Handler = BaseHandler[Update, Context, None]
# Jobs a feature books when the bot starts (yearly windows, reminders): in a transaction
# holding the bookings lock, so instances starting together book once.
Booking = Callable[[AsyncSession, Settings, datetime], Awaitable[None]]


@dataclass(frozen=True)
class Feature:
    """What one feature brings to the bot.

    handlers: its other handlers (commands, typed messages), in the order PTB tries them;
    buttons: its button kinds with the handler each press goes to (handlers.shared.buttons);
    menu: the main-menu entries it answers (key of handlers.shared.menu.ENTRIES -> what to show);
    flows: its stored drafts that wait for typed text, by flow name (handlers.shared.drafts);
    jobs: its stored jobs' functions, by kind (bot.scheduler);
    bookings: jobs it books itself when the bot starts;
    early_answers: presses answered as they arrive, by button prefix (bot/early_answers.py).
    """

    name: str
    handlers: Callable[[], Sequence[Handler]] = tuple
    buttons: Sequence[Route[Any]] = ()
    menu: Mapping[str, Show] = field(default_factory=dict)
    flows: Mapping[str, Draft] = field(default_factory=dict)
    jobs: Mapping[str, JobFn] = field(default_factory=dict)
    bookings: Sequence[Booking] = ()
    early_answers: Mapping[str, Decide] = field(default_factory=dict)

    def all_handlers(self) -> list[Handler]:
        """The feature's handlers then its button routes (patterns never overlap messages)."""
        return [*self.handlers(), *(route.handler() for route in self.buttons)]


class FeatureConflict(ValueError):
    """Two declarations claim the same name: the bot must not start with it."""


def check_features(features: Sequence[Feature]) -> None:
    """Raises FeatureConflict naming every repeated feature name, button prefix, flow name,
    job kind and menu entry (and the features claiming it)."""
    claims: dict[str, list[tuple[str, str]]] = {
        "feature": [(f.name, f.name) for f in features],
        "button prefix": [(p, f.name) for f in features for p in button_prefixes(f)],
        "flow": [(name, f.name) for f in features for name in f.flows],
        "job kind": [(kind, f.name) for f in features for kind in f.jobs],
        "menu entry": [(key, f.name) for f in features for key in f.menu],
    }
    problems = []
    for what, pairs in claims.items():
        counts = Counter(name for name, _owner in pairs)
        for name, count in sorted(counts.items()):
            if count > 1:
                owners = ", ".join(owner for claimed, owner in pairs if claimed == name)
                problems.append(f"{what} {name!r} is declared {count} times ({owners})")
    if problems:
        raise FeatureConflict("; ".join(problems))


def button_prefixes(feature: Feature) -> list[str]:
    """Every prefix the feature's button handlers answer: the declared kinds', and those of
    hand-written CallbackQueryHandler patterns of features not converted yet."""
    declared = [route.kind.prefix for route in feature.buttons]
    written = [p for h in feature.handlers() for p in _pattern_prefixes(h)]
    return declared + written


# `^prefix` then `:` `$` `(` or a one-character class: `^nst:`, `^plrec(:\d+)?$`, `^me[tp]:`.
_SIMPLE = re.compile(r"\^([a-z][a-z0-9_]*)(?:\[([a-z0-9]+)\])?(?=[:$(])")
_ALTERNATIVES = re.compile(r"\^\(([a-z0-9_|]+)\)")  # ^(dfx|dfr|dfs|dfe)(:|$)


def _pattern_prefixes(handler: Handler) -> Iterable[str]:
    if not isinstance(handler, CallbackQueryHandler) or handler.pattern is None:
        return []
    pattern = getattr(handler.pattern, "pattern", None)
    if not isinstance(pattern, str):
        return []  # a callable or a type: nothing written to compare
    alternatives = _ALTERNATIVES.match(pattern)
    if alternatives:
        return alternatives.group(1).split("|")
    simple = _SIMPLE.match(pattern)
    if simple is None:
        raise FeatureConflict(f"cannot read the button prefix of the pattern {pattern!r}")
    stem, chars = simple.groups()
    return [stem + c for c in chars] if chars else [stem]
