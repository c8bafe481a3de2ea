"""The onboarding's buttons, each declared once (shared/buttons.py). The data on the wire is
what the handlers wrote by hand before: `consent:yes`, `consent:no`, `lang:<code>`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from handlers.shared.buttons import ButtonKind


@dataclass(frozen=True)
class ConsentAnswer:
    answer: Literal["yes", "no"]


@dataclass(frozen=True)
class LanguageChoice:
    code: str  # checked against bot.i18n.LANGUAGES by the handler


CONSENT = ButtonKind("consent", ConsentAnswer)  # ✅ I agree / ❌ I do not agree
LANGUAGE = ButtonKind("lang", LanguageChoice)  # one per language, and under the privacy notice
