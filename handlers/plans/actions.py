"""What members and their committee do with yearly plans, without Telegram: write, commit to
and submit the plan, assess it at year end, accept or return it, record the grade, ask for and
grant a reopening after the deadline, and the reminders of the plans not handed in. A handler,
a job, the command line or a test calls these with a session, the actor and typed arguments;
the caller commits.

A refusal is raised: `NotAllowed` when the actor may not do this at all (the handler's polite
refusal), `Refused` with the reason's code (handlers.plans.common.REFUSALS) when the plan is
not in a state for it now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Action, Actor, can
from handlers.plans import notify
from handlers.shared.usecase import Env, NotAllowed
from storage import audit, outbox
from storage.members import get_member
from storage.models import Grade, Member, PlanStatus, Role, Unit, YearlyPlan
from storage.plan_reports import committee_of, missing_members
from storage.plan_schedule import KIND as REMINDER_KIND
from storage.plan_seasons import Season, ancestor_ids, current_season, planning_season, season_for
from storage.plans import (
    OPTIONAL_SECTIONS,
    SECTIONS,
    GoalResult,
    PlanError,
    accept_commitment,
    assessment_refusal,
    edit_refusal,
    get_plan,
    get_plan_with_member,
    missing_sections,
    plan_to_edit,
    record_grade,
    review_plan,
    save_section,
    set_goal_result,
    submit_assessment,
    submit_plan,
)
from storage.units import branches_under


class Refused(Exception):
    """The plan is not in a state for this now; `code` names the reason, `season` the season
    whose dates it names (None: it names none), and the empty sections or the grade already
    recorded when it names them."""

    def __init__(
        self,
        code: str,
        season: Season | None = None,
        *,
        missing: Sequence[str] = (),
        grade: Grade | None = None,
    ) -> None:
        super().__init__(code)
        self.code, self.season, self.missing, self.grade = code, season, tuple(missing), grade


def today(env: Env) -> date:
    """The local date: deadlines are days in the organisation's time zone."""
    return env.now.astimezone(env.settings.tz).date()


async def plan_season(session: AsyncSession, actor: Actor, env: Env) -> Season:
    """The season whose plan the actor writes now: next year's once it has opened."""
    defaults = env.settings.plan_season_defaults()
    return await planning_season(session, actor.branch_path or "/", today(env), defaults)


async def assessed_season(session: AsyncSession, actor: Actor, env: Env) -> Season:
    """The season the actor's branch is in now: the year the self-assessment is about."""
    defaults = env.settings.plan_season_defaults()
    return await current_season(session, actor.branch_path or "/", today(env), defaults)


def may_review(actor: Actor, plan: YearlyPlan | None, action: Action) -> bool:
    """Committee actions on a plan are decided on its member's branch; nobody reviews or
    grades their own plan (a committee above, or a colleague, does)."""
    return (
        plan is not None
        and plan.member_id != actor.member_id
        and can(actor, action, plan.member.branch.path)
    )


# The member's own plan.


@dataclass(frozen=True)
class Writable:
    """The actor's own plan, which they may change now, and its season."""

    plan: YearlyPlan
    season: Season


async def plan_to_write(session: AsyncSession, actor: Actor, env: Env) -> Writable:
    """The actor's own plan of the season being planned, created when they start it."""
    if not can(actor, Action.USE_MENU) or actor.member_id is None:
        raise NotAllowed("write a plan")
    season = await plan_season(session, actor, env)
    plan = await get_plan(session, actor.member_id, season.year)
    refusal = edit_refusal(plan, season, today(env))
    if refusal is not None:
        raise Refused(refusal, season)
    plan = plan or await plan_to_edit(session, actor.member_id, season.year)
    return Writable(plan, season)


async def write_section(
    session: AsyncSession, actor: Actor, key: str, text: str, env: Env
) -> Writable:
    """One section of the plan, stored at once (a restart loses nothing)."""
    found = await plan_to_write(session, actor, env)
    save_section(found.plan, key, text)
    return found


async def skip_section(session: AsyncSession, actor: Actor, env: Env) -> Writable:
    """Nothing to add in the first optional section not answered yet."""
    found = await plan_to_write(session, actor, env)
    plan = found.plan
    key = next((k for k in SECTIONS if k in OPTIONAL_SECTIONS and k not in plan.sections), None)
    if key is not None:
        save_section(plan, key, "")
    return found


async def commit_to_plan(
    session: AsyncSession, actor: Actor, commitment: str, env: Env
) -> Writable:
    """The member accepts the commitment they read (its text is kept with the plan)."""
    found = await plan_to_write(session, actor, env)
    missing = missing_sections(found.plan)
    if missing:
        raise Refused("incomplete", found.season, missing=missing)
    accept_commitment(found.plan, commitment, env.now)
    return found


async def submit_own_plan(
    session: AsyncSession, actor: Actor, member: Member, env: Env
) -> Writable:
    """The member hands the plan in; the branch committee is told."""
    if actor.member_id != member.id:
        raise NotAllowed("submit another member's plan")
    found = await plan_to_write(session, actor, env)
    try:
        await submit_plan(session, found.plan, env.now)
    except PlanError as error:
        raise Refused(error.code, found.season, missing=missing_sections(found.plan)) from error
    await notify.tell_committee(session, env, member, found.plan, "submitted")
    env.wake_sender()
    return found


# The member's self-assessment.


async def plan_to_assess(session: AsyncSession, actor: Actor, env: Env) -> YearlyPlan:
    """The actor's own accepted plan while its self-assessment is open."""
    if not can(actor, Action.USE_MENU) or actor.member_id is None:
        raise NotAllowed("assess a plan")
    season = await assessed_season(session, actor, env)
    plan = await get_plan(session, actor.member_id, season.year)
    refusal = assessment_refusal(plan, season, today(env))
    if refusal is not None:
        raise Refused(refusal, season)
    assert plan is not None
    return plan


async def mark_goal(
    session: AsyncSession, actor: Actor, key: str, result: GoalResult, env: Env
) -> YearlyPlan:
    """How far the member carried out one goal (raises Refused for a section that is not
    one of the plan's goals)."""
    plan = await plan_to_assess(session, actor, env)
    try:
        set_goal_result(plan, key, result)
    except PlanError as error:
        raise Refused(error.code) from error
    return plan


async def note_goal(
    session: AsyncSession, actor: Actor, key: str, note: str, env: Env
) -> tuple[YearlyPlan, bool]:
    """The member's note on a goal they marked; False when the goal is not marked (nothing
    was stored)."""
    plan = await plan_to_assess(session, actor, env)
    mark = plan.assessment.get(key)
    if mark is None:
        return plan, False
    set_goal_result(plan, key, GoalResult(mark["result"]), note)
    return plan, True


async def submit_self_assessment(
    session: AsyncSession, actor: Actor, member: Member, grade: Grade, env: Env
) -> YearlyPlan:
    """The self-assessment goes to the committee with the proposed grade (final)."""
    if actor.member_id != member.id:
        raise NotAllowed("assess another member's plan")
    plan = await plan_to_assess(session, actor, env)
    try:
        await submit_assessment(session, plan, grade, env.now)
    except PlanError as error:
        raise Refused(error.code) from error
    await notify.tell_committee(session, env, member, plan, "assessed")
    env.wake_sender()
    return plan


# The committee.


async def plan_to_review(
    session: AsyncSession, actor: Actor, plan_id: int, action: Action
) -> YearlyPlan:
    """The plan, if the actor holds a committee role over its member for `action`."""
    plan = await get_plan_with_member(session, plan_id)
    if plan is None or not may_review(actor, plan, action):
        raise NotAllowed(f"{action.value} plan {plan_id}")
    return plan


async def accept_plan(
    session: AsyncSession, actor: Actor, plan_id: int, read_version: int, env: Env
) -> YearlyPlan:
    """The plan is accepted as the committee member read it; the member is told."""
    plan = await plan_to_review(session, actor, plan_id, Action.REVIEW_PLANS)
    try:
        await review_plan(session, plan, actor.member_id, env.now, read_version=read_version)
    except PlanError as error:
        raise Refused(error.code) from error
    await notify.tell_member(session, env, plan.member, notify.accepted_text(plan))
    env.wake_sender()
    return plan


async def return_plan(
    session: AsyncSession,
    actor: Actor,
    plan_id: int,
    comment: str,
    read_version: int | None,
    env: Env,
) -> YearlyPlan:
    """The plan goes back to its member with the comment; the history keeps both."""
    plan = await plan_to_review(session, actor, plan_id, Action.REVIEW_PLANS)
    try:
        await review_plan(
            session, plan, actor.member_id, env.now, comment, read_version=read_version
        )
    except PlanError as error:
        raise Refused(error.code) from error
    await notify.tell_member(session, env, plan.member, notify.returned_text(plan, comment))
    env.wake_sender()
    return plan


async def record_final_grade(
    session: AsyncSession, actor: Actor, plan_id: int, grade: Grade, env: Env
) -> YearlyPlan:
    """The committee's final grade of the year (final); the member is told."""
    plan = await plan_to_review(session, actor, plan_id, Action.GRADE_MEMBERS)
    try:
        await record_grade(session, plan, grade, actor.member_id, env.now)
    except PlanError as error:
        raise Refused(error.code, grade=plan.final_grade) from error
    await notify.tell_member(session, env, plan.member, notify.graded_text(plan))
    env.wake_sender()
    return plan


# After the deadline.


@dataclass(frozen=True)
class Asked:
    """The committee members who got the request (none: nobody of them uses the bot)."""

    told: int
    season: Season = field(repr=False)


def missed_deadline(plan: YearlyPlan | None, refusal: str | None) -> bool:
    """The deadline passed and the plan was never handed in: only the committee can reopen."""
    return refusal == "closed" and (plan is None or plan.status == PlanStatus.DRAFT)


async def ask_to_reopen(session: AsyncSession, actor: Actor, member: Member, env: Env) -> Asked:
    """The member's request reaches the branch committee, with a button to reopen (raises
    Refused "open" when the plan can be written now)."""
    if actor.member_id != member.id or not can(actor, Action.USE_MENU):
        raise NotAllowed("ask to reopen")
    season = await plan_season(session, actor, env)
    plan = await get_plan(session, member.id, season.year)
    if not missed_deadline(plan, edit_refusal(plan, season, today(env))):
        raise Refused("open", season)
    people = await committee_of(session, member.branch, excluding=member.id)
    for person in people:
        if person.account is not None:
            message = notify.reopen_request(
                person.account, person.member.id, member, season, env.settings
            )
            await outbox.enqueue(session, message, env.now)
    env.wake_sender()
    return Asked(len(people), season)


async def reopen_plan(
    session: AsyncSession, actor: Actor, member_id: int, year: int, note: str, env: Env
) -> Member:
    """The committee member reopens the plan (it is "returned" with `note`, and may be
    written and submitted after the deadline); the member is told. Refused "handed_in"
    when the plan was handed in already."""
    member = await get_member(session, member_id)
    allowed = (
        member is not None
        and member.id != actor.member_id
        and can(actor, Action.REVIEW_PLANS, member.branch.path)
    )
    if member is None or not allowed:
        raise NotAllowed(f"reopen the plan of member {member_id}")
    plan = await plan_to_edit(session, member.id, year)
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.RETURNED):
        raise Refused("handed_in")
    plan.status = PlanStatus.RETURNED
    plan.review_comment = note
    await notify.tell_member(session, env, member, notify.reopened_text(year))
    env.wake_sender()
    return member


# The reminders (a stored job runs this).


async def remind_missing_plans(
    session: AsyncSession, unit_id: int, year: int, days: int, env: Env
) -> int:
    """One reminder of the season of `unit_id`, `days` before its deadline: the members of
    the branches following that season who have not handed in their plan get a private
    reminder, each branch secretary the list of them. Returns how many members."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        return 0
    defaults = env.settings.plan_season_defaults()
    reminded = 0
    for branch in await branches_under(session, {unit.path}):
        season = await season_for(session, branch.path, year, defaults)
        owner = season.unit_id if season.unit_id is not None else ancestor_ids(branch.path)[0]
        # Another unit's season (or a changed calendar) governs this branch now.
        if owner != unit.id or days not in season.reminder_days:
            continue
        reminded += await _remind_branch(session, branch, season, env)
    await audit.record(
        session,
        "plan_reminders",
        actor_label="scheduler",
        unit_id=unit.id,
        details={"year": year, "days": days, "reminded": reminded},
    )
    env.wake_sender()
    return reminded


async def _remind_branch(session: AsyncSession, branch: Unit, season: Season, env: Env) -> int:
    """Enqueues the branch's reminders and the secretary's list; returns how many members."""
    missing = await missing_members(session, branch.id, season.year, today(env))
    if not missing:
        return 0
    linked = [p for p in missing if p.account is not None]
    messages = [notify.member_reminder(p, season, env.settings) for p in linked]
    for secretary in await committee_of(session, branch, (Role.SECRETARY,)):
        messages.append(notify.secretary_list(secretary, branch, missing, season, env.settings))
    await outbox.enqueue_broadcast(session, REMINDER_KIND, messages, unit_id=branch.id, now=env.now)
    return len(linked)
