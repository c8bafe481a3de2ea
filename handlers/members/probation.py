"""Admission and probation in the bot: the secretary or deputy records an admission from the
branch's member list (name, phone, admission date, decision number); the stored job
reminds the branch secretary a month before the 12 months end and on the day (then every
few days) until the outcome is recorded: recognised as a full member on a date, or not.

Buttons (handlers/members/buttons.py): record an admission, recognised, not recognised (asks
to confirm), confirmed. Every press asks again whether the presser manages the branch.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.access import Action, can
from bot.i18n import N_, Translator
from bot.scheduler import JobContext
from bot.standing_text import STANDING_NAMES
from handlers.members import buttons
from handlers.members.actions import admit_member, may_manage, record_probation_outcome
from handlers.members.buttons import MemberRef, UnitRef
from handlers.members.draft import (
    DATE,
    DECISION,
    NAME,
    PHONE,
    AdmissionDraft,
    RecognitionDraft,
    probation_draft,
    save_draft,
)
from handlers.members.messages import outcome_rows, to_secretaries
from handlers.members.pick import managed
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse, send
from handlers.shared.typed_input import parse_day, typed_text
from handlers.shared.usecase import env_of
from storage import outbox, schedule
from storage.flows import clear_flow
from storage.members import get_member
from storage.models import FlowState, Member, Role, Unit
from storage.probation import KIND, Admission, PhoneOwner, on_probation, phone_owner, probation_end
from storage.standing import StandingError

NAME_LIMIT = 255
DECISION_LIMIT = 64
PROBLEMS = {
    "phone_invalid": N_("That is not a phone number. Please send it again."),
    "phone_taken": N_("A member with this phone number is already on a roster."),
    "not_on_probation": N_("This member is not on probation any more."),
    "ends_before_start": N_("The date must not be before the admission date."),
    "admitted_before_leaving": N_(
        "The readmission date must come after the day they left the roster. Please send "
        "the admission date again."
    ),
}


async def on_admission(update: Update, context: Context, pressed: UnitRef) -> None:
    """The admission starts: the new member's full name is asked first."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    unit = await context.db.get(Unit, pressed.unit_id)
    allowed = unit is not None and can(context.actor, Action.MANAGE_MEMBERS, unit.path)
    if query is None or user is None or unit is None or not allowed or not unit.is_branch:
        await refuse(update, context, "admission")
        return
    await ack(query)
    await save_draft(context.db, user.id, AdmissionDraft(unit.id), context.now())
    await send(
        update, _("➕ Admission to {branch}. The new member's full name?", branch=escape(unit.name))
    )


async def on_probation_input(update: Update, context: Context, state: FlowState) -> None:
    """Each typed step of an admission, or the date of recognition."""
    draft = probation_draft(state.data, state.step)
    if isinstance(draft, RecognitionDraft):
        await _recognised_on(update, context, state, draft)
        return
    branch = await context.db.get(Unit, draft.branch_id)
    if branch is None or not can(context.actor, Action.MANAGE_MEMBERS, branch.path):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "admission_draft")
        return
    steps = {
        NAME: _step_name,
        PHONE: _step_phone,
        DATE: _step_date,
        DECISION: _step_decision,
    }
    await steps[draft.step](update, context, state, draft, branch)


async def _next(context: Context, state: FlowState, draft: AdmissionDraft) -> None:
    await save_draft(context.db, state.user_id, draft, context.now())


async def _step_name(
    update: Update, context: Context, state: FlowState, draft: AdmissionDraft, branch: Unit
) -> None:
    name = await typed_text(update, context, NAME_LIMIT, N_("The name"))
    if name is None:
        return
    await _next(context, state, draft.with_name(name))
    await send(update, context._("Their phone number?"))


async def _step_phone(
    update: Update, context: Context, state: FlowState, draft: AdmissionDraft, branch: Unit
) -> None:
    """The phone finds anyone already on a roster at once: a member on one is refused (the
    roster lists members; one moving here comes by a transfer), a former member is
    re-admitted on their record (docs/populations.md, "Admission")."""
    _ = context._
    phone = await typed_text(update, context, 32, N_("The phone number"))
    if phone is None:
        return
    try:
        owner = await phone_owner(context.db, phone, context.today())
    except StandingError as error:
        await send(update, _(PROBLEMS[error.code]))
        return
    if owner is not None and not owner.former:
        await send(update, _on_a_roster(owner, branch, _))
        return
    if owner is not None:
        await send(update, _former_member(owner, branch, _))
    await _next(context, state, draft.with_phone(phone))
    await send(update, _("The admission date (ngày kết nạp)? Send it as dd/mm/yyyy."))


def _on_a_roster(owner: PhoneOwner, branch: Unit, _: Translator) -> str:
    """Named only to the secretary of the member's own branch (the roster is not shown
    to other branches)."""
    if owner.member.branch_id == branch.id:
        standing = _(STANDING_NAMES[owner.standing]) if owner.standing else _("admitted")
        return _(
            "{name} (this phone number) is already on the branch's roster: {standing}. "
            "An admission is recorded only for someone new to the roster; send another "
            "number, or /huy.",
            name=f"<b>{escape(owner.member.full_name)}</b>",
            standing=standing,
        )
    return _(
        "This phone number belongs to a member on another branch's roster. A member who moves "
        "here comes by a transfer started by their branch; send another number, or /huy."
    )


def _former_member(owner: PhoneOwner, branch: Unit, _: Translator) -> str:
    if owner.member.branch_id == branch.id:
        return _(
            "This phone number is {name}'s, a former member of the branch. The admission is "
            "recorded on their record (readmission), with their history kept.",
            name=f"<b>{escape(owner.member.full_name)}</b>",
        )
    return _(
        "This phone number belongs to a former member of another branch. The admission is "
        "recorded on their record (readmission), with their history kept."
    )


async def _step_date(
    update: Update, context: Context, state: FlowState, draft: AdmissionDraft, branch: Unit
) -> None:
    _ = context._
    message = update.effective_message
    day = parse_day(message.text or "", context.today()) if message else None
    if day is None or day > context.today():
        await send(update, _("Please send a date as dd/mm/yyyy, for example 01/06/2026."))
        return
    await _next(context, state, draft.with_date(day))
    await send(update, _("The number of the admission decision?"))


async def _step_decision(
    update: Update, context: Context, state: FlowState, draft: AdmissionDraft, branch: Unit
) -> None:
    _ = context._
    decision = await typed_text(update, context, DECISION_LIMIT, N_("The decision number"))
    if decision is None:
        return
    name, phone, admitted_on = draft.full_name, draft.phone, draft.admitted_on
    assert name is not None and phone is not None and admitted_on is not None
    new = Admission(name, phone, admitted_on, decision)
    try:
        member = await admit_member(context.db, context.actor, branch, new, env_of(context))
    except StandingError as error:
        await send(update, _(PROBLEMS[error.code]))
        if error.code.startswith("phone"):
            await _next(context, state, draft.back_to(PHONE))
        elif error.code == "admitted_before_leaving":
            await _next(context, state, draft.back_to(DATE))
        return
    await clear_flow(context.db, state.user_id, state.flow)
    text = _(
        "➕ Recorded: {name} is a probationary member of {branch} from {date} (decision "
        "{number}). The probation ends on {end}; I will remind the secretary a month before.",
        name=f"<b>{escape(member.full_name)}</b>",
        branch=escape(branch.name),
        date=_.date_text(new.admitted_on),
        number=escape(decision),
        end=_.date_text(probation_end(new.admitted_on)),
    )
    await send(update, text)


async def _managed(update: Update, context: Context, pressed: MemberRef) -> Member | None:
    member = await managed(update, context, pressed.member_id, "probation_outcome")
    if member is None:
        return None
    if await on_probation(context.db, member.id, context.today()) is None:
        await refuse(update, context, "probation_stale")
        return None
    return member


async def on_recognised(update: Update, context: Context, pressed: MemberRef) -> None:
    _ = context._
    member = await _managed(update, context, pressed)
    query, user = update.callback_query, update.effective_user
    if member is None or query is None or user is None:
        return
    await ack(query)
    await save_draft(context.db, user.id, RecognitionDraft(member.id), context.now())
    text = _(
        "On which date was {name} recognised as a full member? Send it as dd/mm/yyyy.",
        name=f"<b>{escape(member.full_name)}</b>",
    )
    await send(update, text)


async def _recognised_on(
    update: Update, context: Context, state: FlowState, draft: RecognitionDraft
) -> None:
    _ = context._
    member = await get_member(context.db, draft.member_id)
    if member is None or not may_manage(context.actor, member):
        await clear_flow(context.db, state.user_id, state.flow)
        await refuse(update, context, "probation_draft")
        return
    message = update.effective_message
    day = parse_day(message.text or "", context.today()) if message else None
    if day is None:
        await send(update, _("Please send a date as dd/mm/yyyy, for example 01/06/2026."))
        return
    try:
        await record_probation_outcome(
            context.db, context.actor, member, True, day, env_of(context)
        )
    except StandingError as error:
        await send(update, _(PROBLEMS[error.code]))
        return
    await clear_flow(context.db, state.user_id, state.flow)
    text = _(
        "✅ Recorded: {name} is a full member from {date}.",
        name=f"<b>{escape(member.full_name)}</b>",
        date=_.date_text(day),
    )
    await send(update, text)


async def on_not_recognised(update: Update, context: Context, pressed: MemberRef) -> None:
    _ = context._
    member = await _managed(update, context, pressed)
    query = update.callback_query
    if member is None or query is None:
        return
    await ack(query)
    button = buttons.NOT_RECOGNISED_CONFIRM.button(_("Yes, record it"), MemberRef(member.id))
    text = _(
        "Record that {name} was not recognised as a full member? They are struck off the "
        "roster (xóa tên) from today.",
        name=f"<b>{escape(member.full_name)}</b>",
    )
    await send(update, text, InlineKeyboardMarkup([[button]]))


async def on_not_recognised_confirm(update: Update, context: Context, pressed: MemberRef) -> None:
    _ = context._
    member = await _managed(update, context, pressed)
    query = update.callback_query
    if member is None or query is None:
        return
    await ack(query)
    today = context.today()
    await record_probation_outcome(context.db, context.actor, member, False, today, env_of(context))
    text = _("Recorded: {name} was not recognised.", name=f"<b>{escape(member.full_name)}</b>")
    await edit_text(query, text, parse_mode=ParseMode.HTML)


async def remind_probation(job: JobContext) -> None:
    """Payload: member_id, which (before, due, again). Nothing once the outcome is in."""
    member = await get_member(job.session, int(job.payload["member_id"]))
    today = job.now.astimezone(job.settings.tz).date()
    if member is None:
        return
    probation = await on_probation(job.session, member.id, today)
    if probation is None or probation.valid_from is None:
        return
    start, end = probation.valid_from, probation_end(probation.valid_from)

    def build(_: Translator) -> tuple[str, dict[str, object] | None]:
        text = _(
            "⏳ The probation of {name} ({branch}), admitted on {start}, ends on {end}. "
            "Please record the outcome.",
            name=escape(member.full_name),
            branch=escape(member.branch.name),
            start=_.date_text(start),
            end=_.date_text(end),
        )
        return text, {"inline_keyboard": outcome_rows(member.id, _)}

    messages = await to_secretaries(
        job.session, member.branch, job.settings, build, roles=(Role.SECRETARY,)
    )
    await outbox.enqueue_broadcast(
        job.session, KIND, messages, unit_id=member.branch_id, now=job.now
    )
    if job.payload.get("which") != "before":
        # On and after the day: again every few days until the outcome is recorded.
        again = job.now + timedelta(days=job.settings.probation_repeat_days)
        key = f"probation:{member.id}:again:{again.date().isoformat()}"
        await schedule.schedule(job.session, KIND, key, again, {**job.payload, "which": "again"})


ROUTES: tuple[Route[Any], ...] = (
    buttons.ADMISSION.route(on_admission, "admission"),
    buttons.RECOGNISED.route(on_recognised, "probation_outcome"),
    buttons.NOT_RECOGNISED.route(on_not_recognised, "probation_outcome"),
    buttons.NOT_RECOGNISED_CONFIRM.route(on_not_recognised_confirm, "probation_outcome"),
)
