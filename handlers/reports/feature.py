"""The reports and the scorecard, declared once: bot/app.py registers what is listed here (two
features, tried in this order)."""

from __future__ import annotations

from handlers.reports import exports, scorecard
from handlers.shared.feature import Feature

REPORTS = Feature("reports", buttons=exports.ROUTES, menu={"reports": exports.show_reports})
SCORECARD = Feature("scorecard", buttons=scorecard.ROUTES)
