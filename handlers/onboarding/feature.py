"""Onboarding and the choice of language, declared once: bot/app.py registers what is listed
here (two features, tried in this order)."""

from __future__ import annotations

from handlers.onboarding import language, welcome
from handlers.shared.feature import Feature
from handlers.shared.menu import NOT_LINKED

ONBOARDING = Feature(
    "onboarding",
    welcome.onboarding_handlers,
    buttons=welcome.ROUTES,
    menu={NOT_LINKED: welcome.on_typed_before_link},
)
LANGUAGE = Feature("language", language.language_handlers, buttons=language.ROUTES)
