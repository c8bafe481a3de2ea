"""The datasets people can export. To add one, write its builder (see `dataset.py` for the
contract) and add a line here; the chat menu, the command line and the audit log follow."""

from __future__ import annotations

from storage.exports.attendance import attendance_dataset
from storage.exports.dataset import N_, DatasetSpec
from storage.exports.plans import plan_years, plans_dataset
from storage.exports.residence import comment_years, residence_dataset
from storage.exports.roster import roster_dataset
from storage.exports.scorecard import scorecard_dataset
from storage.exports.surveys import survey_answers_dataset, survey_choices

DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec("roster", N_("Member roster"), roster_dataset),
    DatasetSpec("surveys", N_("Survey answers"), survey_answers_dataset, survey_choices),
    DatasetSpec(
        "residence",
        N_("Residence ties and comments"),
        residence_dataset,
        comment_years,
        by_year=True,
    ),
    DatasetSpec("plans", N_("Yearly plans and grades"), plans_dataset, plan_years, by_year=True),
    DatasetSpec("attendance", N_("Meeting attendance"), attendance_dataset),
    DatasetSpec("scorecard", N_("Resolution 21 scorecard"), scorecard_dataset),
)


def all_datasets() -> tuple[DatasetSpec, ...]:
    return DATASETS


def dataset_spec(key: str) -> DatasetSpec | None:
    return next((spec for spec in all_datasets() if spec.key == key), None)
