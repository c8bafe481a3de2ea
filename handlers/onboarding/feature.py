"""Onboarding and the choice of language, declared once: bot/app.py registers what is listed
here (two features, tried in this order)."""

from __future__ import annotations

from handlers.feature import Feature
from handlers.menu import NOT_LINKED
from handlers.onboarding import language, welcome

ONBOARDING = Feature(
    "onboarding",
    welcome.onboarding_handlers,
    buttons=welcome.ROUTES,
    menu={NOT_LINKED: welcome.on_typed_before_link},
)
LANGUAGE = Feature("language", language.language_handlers, buttons=language.ROUTES)
