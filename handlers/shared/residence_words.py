"""How a residence tie, an exemption and a yearly residence comment read: the residence
feature shows them, and so do the member's own record (profile) and the year record (plans).
"""

from __future__ import annotations

from html import escape

from bot.i18n import N_, Translator
from storage.models import ExemptionKind, ResidenceComment, ResidenceTie, TieStatus
from storage.residence_comments import CommentForm

STATUS_LABELS = {
    TieStatus.PENDING: N_("⏳ waiting for the residence branch to confirm"),
    TieStatus.CONFIRMED: N_("✅ confirmed by the residence branch"),
    TieStatus.DECLINED: N_("❌ declined by the residence branch"),
    TieStatus.UNLISTED: N_("📄 registered (the residence branch is not in the bot)"),
}
EXEMPTION_LABELS = {
    ExemptionKind.ARMED_FORCES: N_("armed forces living in barracks"),
    ExemptionKind.AWAY_OR_MOBILE: N_("working far away or on the move"),
    ExemptionKind.FULL_TIME_STUDY: N_("full-time study"),
    ExemptionKind.OTHER: N_("other reason"),
    ExemptionKind.NOT_INTRODUCED: N_("exempt from the introduction"),
}


def branch_label(tie: ResidenceTie, _: Translator) -> str:
    if tie.residence_branch is not None:
        return tie.residence_branch.name
    return _("{name} (not in the bot)", name=tie.residence_branch_text or "—")


def tie_text(tie: ResidenceTie, _: Translator) -> str:
    """The tie as the member and the secretaries read it (HTML, user text escaped)."""
    area = ", ".join(part for part in (tie.commune, tie.province) if part)
    lines = [
        _("Status: {status}", status=_(STATUS_LABELS[tie.status])),
        _("Address: {address}", address=escape(tie.address)),
    ]
    if area:
        lines.append(_("Commune and province: {area}", area=escape(area)))
    lines += [
        _("Residence branch: {branch}", branch=escape(branch_label(tie, _))),
        _(
            "Introduction letter: No. {number} of {date}",
            number=escape(tie.letter_no or "—"),
            date=_.date_text(tie.letter_date),
        ),
    ]
    if tie.status == TieStatus.DECLINED and tie.decline_reason:
        lines.append(_("Reason given: {reason}", reason=escape(tie.decline_reason)))
    return "\n".join(lines)


def comment_text(name: str, year: int, form: CommentForm | ResidenceComment, _: Translator) -> str:
    """A yearly comment as the residence leader previews it and the committee reads it."""
    answer = {True: _("yes"), False: _("no")}
    return "\n".join(
        [
            _("<b>Residence comment {year}: {name}</b>", year=year, name=escape(name)),
            _("Takes part in the branch meetings: {answer}", answer=answer[form.takes_part]),
            _("Sets an example where they live: {answer}", answer=answer[form.sets_example]),
            _("Keeps contact with the people: {answer}", answer=answer[form.keeps_contact]),
            _("Comment: {comment}", comment=escape(form.comment)),
        ]
    )
