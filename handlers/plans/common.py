"""What the yearly plan handlers share: section names, the plan and the year record as the
reader sees them, and the reasons for a refusal. (The status and grade names are in
handlers.shared.plan_words, the season that applies in handlers.shared.plan_seasons.)"""

from __future__ import annotations

from html import escape

from telegram import Update

from bot.i18n import N_, Translator
from handlers.plans.actions import Refused
from handlers.shared.common import Context, ack
from handlers.shared.plan_words import GRADE_NAMES, STATUS_NAMES
from storage.models import Grade, Member, YearlyPlan
from storage.plan_seasons import Season
from storage.plans import SECTIONS, next_empty_section

SECTION_NAMES = {
    "ideology": N_("Political ideology and study"),
    "ethics": N_("Ethics and lifestyle"),
    "work": N_("Task goals at work"),
    "residence": N_("Tasks at the place of residence"),
    "other": N_("Other"),
}
# The same parts, short enough for a button on a phone.
SECTION_BUTTONS = {
    "ideology": N_("✏️ Ideology, study"),
    "ethics": N_("✏️ Ethics, lifestyle"),
    "work": N_("✏️ Goals at work"),
    "residence": N_("✏️ Where I live"),
    "other": N_("✏️ Other"),
}
GRADES = tuple(Grade)  # a button carries the grade's index
REFUSALS = {
    "accepted": N_("The committee has accepted this plan; it can no longer be changed."),
    "not_open": N_("Plans for {year} can be written from {date}."),
    "closed": N_("The deadline for plans of {year} was {date}; the plan can no longer be changed."),
    "incomplete": N_("Some sections are still empty: {sections}."),
    "no_commitment": N_("Please read and accept the commitment first."),
    "not_draft": N_("This plan has already been submitted."),
    "changed_since_read": N_(
        "The member has resubmitted this plan since you opened it. Please open it again and "
        "read the current version before deciding."
    ),
    "not_submitted": N_("This plan is no longer awaiting review (it was changed or reviewed)."),
    "plan_not_accepted": N_("The self-assessment opens once the committee has accepted your plan."),
    "graded": N_("The committee has already recorded the grade of {year}."),
    "assessment_closed": N_("The self-assessment of {year} is open from {opens} to {closes}."),
    "already_graded": N_("The final grade is already recorded ({grade}); it was not changed."),
    "not_assessed": N_("The member has not submitted a self-assessment yet."),
    "unknown_section": N_("This section does not exist."),
}
DEFAULT_COMMITMENT = N_(
    "I commit to: study and firmly follow Marxism-Leninism, Ho Chi Minh Thought, the Party's "
    "line and the State's laws; keep my political ideology, ethics and lifestyle and guard "
    'against degradation, "self-evolution" and "self-transformation"; set an example at '
    "work and at my place of residence; carry out the tasks the Party assigns me; and fulfil "
    "the plan above, accepting the branch's supervision and evaluation at the end of the year."
)


def commitment_for(season: Season, _: Translator) -> str:
    """The organisation's commitment in the reader's language, else in the one it wrote, else
    the default."""
    configured = season.commitment.get(_.language) or next(iter(season.commitment.values()), "")
    return configured or _(DEFAULT_COMMITMENT)


def refusal_text(code: str, season: Season | None, _: Translator, **values: object) -> str:
    """A refusal's reason, with the season's dates where it names them (the committee's
    refusals name none)."""
    dates: dict[str, object] = {}
    if season is not None:
        dates = {
            "year": season.year,
            "date": _.date_text(season.opens_on if code == "not_open" else season.deadline),
            "opens": _.date_text(season.assessment_opens_on),
            "closes": _.date_text(season.assessment_closes_on),
        }
    msgid = REFUSALS.get(code, REFUSALS["not_submitted"])
    return _(msgid, **{**dates, **values}) if dates or values else _(msgid)


def refused_text(refused: Refused, _: Translator) -> str:
    """A use case's refusal in the reader's language, naming the sections or the grade."""
    values: dict[str, object] = {}
    if refused.missing:
        values["sections"] = section_list(list(refused.missing), _)
    if refused.grade is not None:
        values["grade"] = _(GRADE_NAMES[refused.grade])
    return refusal_text(refused.code, refused.season, _, **values)


def section_list(keys: list[str], _: Translator) -> str:
    return ", ".join(_(SECTION_NAMES[key]) for key in keys)


def plan_body(plan: YearlyPlan, _: Translator) -> list[str]:
    """The plan's sections as HTML paragraphs, user text escaped."""
    paragraphs = []
    for number, key in enumerate(SECTIONS, 1):
        text = plan.sections.get(key) or _("(nothing written)")
        name = _(SECTION_NAMES[key])
        paragraphs.append(f"<b>{number}. {escape(name)}</b>\n{escape(text)}")
    return paragraphs


def commitment_status(plan: YearlyPlan, _: Translator) -> str:
    if plan.committed_at is None:
        return _("Commitment: not accepted yet.")
    return _("Commitment: accepted on {date}.", date=_.date_text(plan.committed_at))


def plan_heading(plan: YearlyPlan, member: Member, _: Translator) -> str:
    return _(
        "<b>Yearly plan {year}</b> of {name}\nStatus: {status}",
        year=plan.year,
        name=escape(member.full_name),
        status=_(STATUS_NAMES[plan.status]),
    )


def plan_complete(plan: YearlyPlan) -> bool:
    """Every section answered and the commitment accepted: ready to submit."""
    return next_empty_section(plan) is None and plan.committed_at is not None


async def tell(update: Update, context: Context, text: str) -> None:
    """A reason as an alert on the pressed button, or as a reply to a typed message."""
    if update.callback_query is not None:
        await ack(update.callback_query, text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)
