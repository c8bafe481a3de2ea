"""The stored jobs that open a survey later and close it on time (`survey_open`,
`survey_close`): they run the same use cases as everything else (handlers/surveys/actions.py).
The scheduler wakes the sender after every job."""

from __future__ import annotations

from bot.scheduler import JobContext
from handlers.shared.usecase import Env
from handlers.surveys.actions import close_survey_on_time, open_survey


def _env(job: JobContext) -> Env:
    return Env(job.settings, job.now)


async def run_open(job: JobContext) -> None:
    """At its opening time, the survey's invitations go out."""
    await open_survey(job.session, int(job.payload["survey_id"]), _env(job))


async def run_close(job: JobContext) -> None:
    """At its closing time the survey closes, and its creator is told how many answered."""
    await close_survey_on_time(job.session, int(job.payload["survey_id"]), _env(job))
