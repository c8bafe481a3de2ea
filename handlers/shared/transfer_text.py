"""How an overdue transfer of party activity reads: told to both branches' secretaries by the
transfers' stored job (handlers/members/transfers.py) and listed under the scorecard
(handlers/reports/scorecard.py)."""

from __future__ import annotations

from html import escape

from bot.i18n import Translator
from storage.models import MemberTransfer


def overdue_line(transfer: MemberTransfer, _: Translator, days: int) -> str:
    to_name = transfer.to_branch.name if transfer.to_branch else transfer.destination or "—"
    return _(
        "⚠️ The transfer of {name} from {source} to {target}, started on {date}, is not "
        "confirmed after {days} days.",
        name=escape(transfer.member.full_name),
        source=escape(transfer.from_branch.name),
        target=escape(to_name),
        date=_.date_text(_.local(transfer.started_at)),
        days=days,
    )
