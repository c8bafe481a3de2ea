"""The year record joins the plan, the residence branch's comment and the grade."""

from __future__ import annotations

from bot.i18n import translator
from handlers.plans.record import year_record
from storage.models import Grade, Member, PlanStatus, ResidenceComment, YearlyPlan


def record(comment: ResidenceComment | None, language: str) -> str:
    member = Member(full_name="Lê An")
    plan = YearlyPlan(
        year=2026, status=PlanStatus.ACCEPTED, sections={}, assessment={}, final_grade=Grade.GOOD
    )
    return "\n\n".join(year_record(plan, member, comment, translator(language)))


def test_the_residence_comment_is_part_of_the_year_record() -> None:
    comment = ResidenceComment(
        takes_part=True, sets_example=False, keeps_contact=True, comment="Gương <mẫu>"
    )
    text = record(comment, "vi")
    assert "<b>Nhận xét của chi bộ nơi cư trú năm 2026: Lê An</b>" in text
    assert "Gương mẫu ở nơi cư trú: không" in text and "Nhận xét: Gương &lt;mẫu&gt;" in text
    assert text.index("nơi cư trú năm 2026") < text.index("Hoàn thành tốt nhiệm vụ")
    english = record(comment, "en")
    assert "Sets an example where they live: no" in english


def test_a_year_without_a_residence_comment_says_so() -> None:
    assert "None recorded yet." in record(None, "en")
