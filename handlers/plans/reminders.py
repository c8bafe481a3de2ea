"""The plan reminder job: members who have not handed in their plan get a private reminder,
and each branch secretary the list of them, all through the outbox (the use case
`handlers.plans.actions.remind_missing_plans`)."""

from __future__ import annotations

from bot.scheduler import JobContext
from handlers.plans.actions import remind_missing_plans
from handlers.shared.usecase import Env


async def run_reminder(job: JobContext) -> None:
    """Runs one reminder (payload: unit_id, year, days) for the branches following the
    season of that unit. (The scheduler wakes the sender after every job.)"""
    payload = job.payload
    unit_id, year, days = int(payload["unit_id"]), int(payload["year"]), int(payload["days"])
    await remind_missing_plans(job.session, unit_id, year, days, Env(job.settings, job.now))
