"""How a member's standing reads, in the chat and on the command line."""

from __future__ import annotations

import html

from bot.i18n import N_, Translator
from storage.models import MemberStanding, Standing

STANDING_NAMES = {
    Standing.PROBATIONARY: N_("Probationary member"),
    Standing.OFFICIAL: N_("Full member"),
    Standing.EXEMPT: N_("Exempt from activity"),
    Standing.TRANSFERRED_TEMPORARY: N_("Transferred temporarily"),
    Standing.TRANSFERRED_OUT: N_("Transferred out"),
    Standing.REMOVED: N_("Removed from the roster"),
}
DETAIL_NAMES = {
    "age": N_("old age"),
    "health": N_("health"),
    "other": N_("other reason"),
    "xoa_ten": N_("name struck off"),
    "khai_tru": N_("expelled"),
    "left": N_("left the party"),
    "deceased": N_("deceased"),
}
PROBLEMS = {
    "detail_unknown": N_(
        "Give the reason: age, health or other for an exemption; xoa_ten, khai_tru, left or "
        "deceased for a removal."
    ),
    "ends_before_start": N_("The end date must come after the start date."),
    "not_an_overlay": N_("The member has no exemption in force on that date."),
}


def period_line(period: MemberStanding, _: Translator) -> str:
    """One period: '01/03/2025 – 01/03/2026: Probationary member (decision 12-QĐ/ĐU)'.
    Plain text: the caller escapes it for HTML where needed."""
    name = _(STANDING_NAMES[period.status])
    if period.detail in DETAIL_NAMES:
        name += f" ({_(DETAIL_NAMES[period.detail])})"
    if period.note:
        name += f": {period.note}"
    start = _.date_text(period.valid_from) if period.valid_from else _("date not recorded")
    span = start + (f" – {_.date_text(period.valid_to)}" if period.valid_to else "")
    if period.decision_no:
        return _(
            "{span}: {status}, decision {number}", span=span, status=name, number=period.decision_no
        )
    return _("{span}: {status}", span=span, status=name)


def period_html(period: MemberStanding, _: Translator) -> str:
    return html.escape(period_line(period, _))
