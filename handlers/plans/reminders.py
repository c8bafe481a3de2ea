"""The plan reminder job: members who have not handed in their plan get a private reminder,
and each branch secretary the list of them, all through the outbox."""

from __future__ import annotations

from html import escape

from bot.scheduler import JobContext
from bot.settings import Settings
from handlers.plans.common import season_defaults
from handlers.readers import reader_translator
from storage import audit, outbox
from storage.models import Role, Unit
from storage.outbox import NewMessage, text_payload
from storage.plan_reports import Person, committee_of, missing_members
from storage.plan_schedule import KIND
from storage.plan_seasons import Season, ancestor_ids, season_for
from storage.units import branches_under

MAX_NAMES = 80  # the secretary's list must fit one message


async def remind_missing_plans(job: JobContext) -> None:
    """Runs one reminder (payload: unit_id, year, days) for the branches following the
    season of that unit."""
    unit = await job.session.get(Unit, int(job.payload["unit_id"]))
    year, days = int(job.payload["year"]), int(job.payload["days"])
    if unit is None:
        return
    defaults = season_defaults(job.settings)
    reminded = 0
    for branch in await branches_under(job.session, {unit.path}):
        season = await season_for(job.session, branch.path, year, defaults)
        owner = season.unit_id if season.unit_id is not None else ancestor_ids(branch.path)[0]
        # Another unit's season (or a changed calendar) governs this branch now.
        if owner != unit.id or days not in season.reminder_days:
            continue
        reminded += await _remind_branch(job, branch, season)
    await audit.record(
        job.session,
        "plan_reminders",
        actor_label="scheduler",
        unit_id=unit.id,
        details={"year": year, "days": days, "reminded": reminded},
    )


async def _remind_branch(job: JobContext, branch: Unit, season: Season) -> int:
    """Enqueues the branch's reminders and the secretary's list; returns how many members."""
    today = job.now.astimezone(job.settings.tz).date()
    missing = await missing_members(job.session, branch.id, season.year, today)
    if not missing:
        return 0
    linked = [p for p in missing if p.account is not None]
    messages = [_member_reminder(p, season, job.settings) for p in linked]
    for secretary in await committee_of(job.session, branch, (Role.SECRETARY,)):
        messages.append(_secretary_list(secretary, branch, missing, season, job.settings))
    await outbox.enqueue_broadcast(job.session, KIND, messages, unit_id=branch.id, now=job.now)
    return len(linked)


def _member_reminder(person: Person, season: Season, settings: Settings) -> NewMessage:
    _ = reader_translator(person.account, settings)
    text = _(
        "🔔 Reminder: your yearly plan of {year} and the commitment are due by {date}. "
        "Please write and submit them.",
        year=season.year,
        date=_.date_text(season.deadline),
    )
    markup = {"inline_keyboard": [[{"text": _("📝 My plan"), "callback_data": "plmenu"}]]}
    chat_id = person.account.user_id if person.account else 0
    return NewMessage(chat_id, text_payload(text, reply_markup=markup), member_id=person.member.id)


def _secretary_list(
    secretary: Person, branch: Unit, missing: list[Person], season: Season, settings: Settings
) -> NewMessage:
    _ = reader_translator(secretary.account, settings)
    lines = [
        _.plural(
            "📋 {count} member of {branch} has not handed in their yearly plan of {year} (due "
            "{date}):",
            "📋 {count} members of {branch} have not handed in their yearly plan of {year} (due "
            "{date}):",
            len(missing),
            branch=escape(branch.name),
            year=season.year,
            date=_.date_text(season.deadline),
        )
    ]
    lines += [f"• {escape(p.member.full_name)}" for p in missing[:MAX_NAMES]]
    if len(missing) > MAX_NAMES:
        lines.append(_("…and {count} more.", count=len(missing) - MAX_NAMES))
    chat_id = secretary.account.user_id if secretary.account else 0
    payload = text_payload("\n".join(lines), parse_mode="HTML")
    return NewMessage(chat_id, payload, member_id=secretary.member.id)
