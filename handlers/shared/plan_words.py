"""The names of a yearly plan's status and grades, for every screen that shows them (the plans
feature, the member's profile)."""

from __future__ import annotations

from bot.i18n import N_
from storage.models import Grade, PlanStatus

GRADE_NAMES = {
    Grade.EXCELLENT: N_("Excellently completed duties"),
    Grade.GOOD: N_("Well completed duties"),
    Grade.COMPLETED: N_("Completed duties"),
    Grade.NOT_COMPLETED: N_("Did not complete duties"),
}
STATUS_NAMES = {
    None: N_("not started"),
    PlanStatus.DRAFT: N_("draft, not submitted yet"),
    PlanStatus.SUBMITTED: N_("submitted, awaiting the committee"),
    PlanStatus.RETURNED: N_("returned by the committee for revision"),
    PlanStatus.ACCEPTED: N_("accepted by the committee"),
}
