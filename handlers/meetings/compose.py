"""Creating a meeting: unit, kind, time, place, agenda, audience, preview, then invitations
through the outbox and reminders in the scheduler. Each step is a stored draft."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can_anywhere
from bot.delivery.sender import wake_sender_after_commit
from bot.i18n import N_, Translator
from bot.scheduler import wake_scheduler_after_commit
from handlers.common import (
    Context,
    ack,
    callback_args,
    edit_text,
    refuse,
    refuse_draft_gone,
    units_for,
)
from handlers.drafts import saved_echo
from handlers.meetings.messages import (
    AGENDA_LIMIT,
    AUDIENCE_LABELS,
    AUDIENCES,
    FLOW,
    KIND_LABELS,
    KINDS,
    PLACE_LIMIT,
    attachment_messages,
    broadcast,
    html_card,
    invitation_text,
    may_manage,
    messages_to,
    parse_when,
    schedule_reminders,
)
from handlers.readers import audience_name
from handlers.typed_input import notice_content, too_long_text
from storage import audit
from storage.flows import clear_flow, get_flow, lock_flow, save_flow, touch_flow
from storage.meetings import NewMeeting, add_meeting, audience, invitees, reachable
from storage.models import AttachmentKind, FlowState, Meeting, MeetingAudience, MeetingKind, Unit
from storage.text import clean_text

Draft = dict[str, Any]


async def managed_units(context: Context) -> list[Unit]:
    """Units the actor may call meetings for: their committees, then the branches."""
    return await units_for(context, Action.MANAGE_MEETINGS)


async def on_new(update: Update, context: Context) -> None:
    """The secretary continues their draft meeting, or starts one by choosing the unit."""
    _ = context._
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    if not can_anywhere(context.actor, Action.MANAGE_MEETINGS):
        await refuse(update, context, "meeting_new")
        return
    await ack(query)
    draft = await get_flow(context.db, user.id, FLOW)
    if draft is not None and await _resume(update, context, draft):
        return
    units = await managed_units(context)
    if len(units) == 1:
        await _save(context, user.id, "kind", {"unit_id": units[0].id})
        await _ask(update, context, "kind")
        return
    await _save(context, user.id, "unit", {})
    rows = [[InlineKeyboardButton(audience_name(u, _), callback_data=f"mu:{u.id}")] for u in units]
    await chat.send_message(_("Which unit is the meeting for?"), reply_markup=_markup(rows, _))


async def _save(context: Context, user_id: int, step: str, data: Draft) -> FlowState:
    return await save_flow(context.db, user_id, FLOW, step, data, context.now())


def _markup(rows: list[list[InlineKeyboardButton]], _: Translator) -> InlineKeyboardMarkup:
    cancel = InlineKeyboardButton(_("❌ Cancel"), callback_data="mdrop")
    return InlineKeyboardMarkup([*rows, [cancel]])


async def _draft_unit(context: Context, draft: FlowState | None) -> Unit | None:
    """The draft's unit, if the actor may still call meetings there."""
    unit_id = int(draft.data.get("unit_id", 0)) if draft else 0
    unit = await context.db.get(Unit, unit_id) if unit_id else None
    return unit if may_manage(context.actor, unit) else None


async def _resume(update: Update, context: Context, draft: FlowState) -> bool:
    """Shows the draft's step again; False (draft dropped) if its unit is no longer theirs."""
    if draft.step == "unit":
        return False
    if await _draft_unit(context, draft) is None:
        await clear_flow(context.db, draft.user_id, draft.flow)
        return False
    await touch_flow(context.db, draft, context.now())  # typed answers go here again
    await _ask(update, context, draft.step, draft.data)
    return True


async def _ask(
    update: Update, context: Context, step: str, data: Draft | None = None, echo: str = ""
) -> None:
    """The question of a step (and for the last one, the preview), after `echo`: what the
    previous answer saved."""
    _ = context._
    first = echo + "\n\n" if echo else ""
    chat = update.effective_chat
    if chat is None:
        return
    if step == "preview" and data is not None:
        await _show_preview(update, context, data)
        return
    if step == "kind":
        rows = [
            [InlineKeyboardButton(_(KIND_LABELS[k]), callback_data=f"mk:{i}")]
            for i, k in enumerate(KINDS)
        ]
        await chat.send_message(_("What kind of meeting?"), reply_markup=_markup(rows, _))
    elif step == "audience":
        rows = [
            [InlineKeyboardButton(_(AUDIENCE_LABELS[a]), callback_data=f"mau:{i}")]
            for i, a in enumerate(AUDIENCES)
        ]
        await chat.send_message(first + _("Who is invited?"), reply_markup=_markup(rows, _))
    else:
        await chat.send_message(first + _step_question(step, _), reply_markup=_markup([], _))


def _step_question(step: str, _: Translator) -> str:
    if step == "time":
        return _("When does it start? Send the date and time, for example 25/12/2026 19:30.")
    if step == "place":
        return _("Where? Send the place or the link of the online meeting.")
    return _("Send the agenda as a text, or a document or photo with the agenda as its caption.")


async def on_unit(update: Update, context: Context) -> None:
    """The secretary picked the unit; next, the kind of meeting."""
    query, user = update.callback_query, update.effective_user
    args = callback_args(query, 1) if query else None
    unit = await context.db.get(Unit, args[0]) if args else None
    draft = await get_flow(context.db, user.id, FLOW) if user else None
    if query is None or user is None or draft is None or not may_manage(context.actor, unit):
        await refuse(update, context, "meeting_unit")
        return
    assert unit is not None
    await ack(query)
    await _save(context, user.id, "kind", {"unit_id": unit.id})
    await _ask(update, context, "kind")


async def on_kind(update: Update, context: Context) -> None:
    """The kind is chosen; next, the time."""
    await _choice(update, context, "kind", KINDS, "time")


async def on_audience(update: Update, context: Context) -> None:
    """The audience is chosen; next, the preview."""
    await _choice(update, context, "audience", AUDIENCES, "preview")


async def _choice(
    update: Update, context: Context, step: str, options: list[Any], next_step: str
) -> None:
    query, user = update.callback_query, update.effective_user
    args = callback_args(query, 1) if query else None
    draft = await get_flow(context.db, user.id, FLOW) if user else None
    unit = await _draft_unit(context, draft)
    valid = args is not None and args[0] < len(options)
    if query is None or draft is None or unit is None or not valid or draft.step != step:
        await refuse(update, context, f"meeting_{step}")
        return
    assert args is not None
    await ack(query)
    data = {**draft.data, step: options[args[0]].value}
    await _save(context, draft.user_id, next_step, data)
    await _ask(update, context, next_step, data)


async def on_meeting_input(update: Update, context: Context, draft: FlowState) -> None:
    """The secretary's answer to the time, place or agenda question of the open draft."""
    _ = context._
    message = update.effective_message
    if message is None:
        return
    if await _draft_unit(context, draft) is None:
        await clear_flow(context.db, draft.user_id, draft.flow)  # the role is gone: so is the draft
        await refuse(update, context, "meeting_draft_forbidden")
        return
    if draft.step not in ("time", "place", "agenda"):  # the question again, its buttons below
        await message.reply_text(_("Please answer with the buttons below."))
        await _ask(update, context, draft.step, draft.data)
        return
    value, problem = _read_step(draft.step, message, context)
    if problem is not None:
        await message.reply_text(problem)
        return
    step = draft.step  # saving moves the draft on
    next_step = {"time": "place", "place": "agenda", "agenda": "audience"}[step]
    data = {**draft.data, **value}
    await _save(context, draft.user_id, next_step, data)
    await _ask(update, context, next_step, data, _echo(step, data, _))


def _echo(step: str, data: Draft, _: Translator) -> str:
    """What was just saved, as the bot read it (a typed time shown as understood)."""
    if step == "time":
        when = _.datetime_text(datetime.fromisoformat(str(data["starts_at"])))
        return saved_echo(_, _("the time"), when, html=False)
    if step == "place":
        return saved_echo(_, _("the place"), str(data["place"]), html=False)
    return saved_echo(_, _("the agenda"), str(data["agenda"]), html=False)


def _read_step(step: str, message: Any, context: Context) -> tuple[Draft, str | None]:
    """The step's value from the message, or why it cannot be used (the draft is kept)."""
    _ = context._
    if step == "time":
        when = parse_when(message.text or "", context.settings.tz, context.now())
        if when is None:
            return {}, _("I could not read that. Please send it like 25/12/2026 19:30.")
        if when <= context.now():
            return {}, _("That time has passed. Please send a time in the future.")
        return {"starts_at": when.isoformat()}, None
    if step == "place":
        place = clean_text(message.text or "").strip()
        problem = _length_problem(place, PLACE_LIMIT, N_("The place"), _)
        return {"place": place}, problem
    content = notice_content(message)
    if content is None or not content["text"].strip():
        return {}, _("Please send the agenda as a text (or as the caption of a document).")
    agenda = clean_text(content["text"]).strip()
    data = {"agenda": agenda, "file_id": content["file_id"], "attach_kind": content["kind"]}
    return data, _length_problem(agenda, AGENDA_LIMIT, N_("The agenda"), _)


def _length_problem(text: str, limit: int, field: str, _: Translator) -> str | None:
    if not text:
        return _("Please send a text.")
    return None if len(text) <= limit else too_long_text(_, field, len(text), limit)


def _new_meeting(data: Draft, created_by: int | None) -> NewMeeting:
    kind = AttachmentKind(data["attach_kind"]) if data.get("attach_kind") else None
    return NewMeeting(
        unit_id=int(data["unit_id"]),
        kind=MeetingKind(data["kind"]),
        audience=MeetingAudience(data["audience"]),
        starts_at=datetime.fromisoformat(data["starts_at"]),
        place=data["place"],
        agenda=data["agenda"],
        created_by_member_id=created_by,
        attachment=(str(data["file_id"]), kind) if kind else None,
    )


async def _show_preview(update: Update, context: Context, data: Draft) -> None:
    """The meeting as members will see it, whom it goes to, and Send / Cancel."""
    _ = context._
    chat = update.effective_chat
    unit = await context.db.get(Unit, int(data["unit_id"]))
    if chat is None or unit is None:
        return
    preview = _new_meeting(data, None)
    day = preview.starts_at.astimezone(context.settings.tz).date()
    people = await audience(context.db, unit, preview.audience, day)
    unlinked = sum(1 for p in people if p.account is None)
    meeting = Meeting(**{k: getattr(preview, k) for k in ("kind", "starts_at", "place", "agenda")})
    lines = [html_card(meeting, unit.name, _), ""]
    lines.append(_.plural("Invite {count} member?", "Invite {count} members?", len(people)))
    if unlinked:
        lines.append(
            _.plural(
                "{count} of them has not linked Telegram.",
                "{count} of them have not linked Telegram.",
                unlinked,
            )
        )
    send = InlineKeyboardButton(_("📤 Send the invitations"), callback_data="msend")
    await chat.send_message(
        "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=_markup([[send]], _)
    )


async def on_send(update: Update, context: Context) -> None:
    """The meeting is stored, invitations go out, reminders are scheduled."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    # Locked: a second press at once waits, then finds the draft gone (invited once).
    draft = await lock_flow(context.db, user.id, FLOW) if user else None
    if draft is None and query and can_anywhere(context.actor, Action.MANAGE_MEETINGS):
        await refuse_draft_gone(update, context, "meeting_send_gone")
        return
    unit = await _draft_unit(context, draft)
    if query is None or draft is None or unit is None or draft.step != "preview":
        await refuse(update, context, "meeting_send")
        return
    await ack(query)
    if datetime.fromisoformat(draft.data["starts_at"]) <= context.now():
        # A draft left for days: its time has passed, so ask again rather than invite
        # people to a meeting they can no longer answer.
        await _save(context, draft.user_id, "time", draft.data)
        await edit_text(query, _("The time of this meeting has passed meanwhile."))
        await _ask(update, context, "time")
        return
    meeting, count = await _create(context, unit, draft.data)
    await clear_flow(context.db, draft.user_id, draft.flow)
    wake_sender_after_commit(context.bot_data)
    wake_scheduler_after_commit(context.bot_data)
    answers = InlineKeyboardButton(_("📊 Answers"), callback_data=f"md:{meeting.id}")
    await edit_text(
        query,
        _.plural(
            "📨 The invitation is on its way to {count} member of {unit}. Reminders will go out "
            "before the meeting.",
            "📨 The invitation is on its way to {count} members of {unit}. Reminders will go out "
            "before the meeting.",
            count,
            unit=escape(unit.name),
        ),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[answers]]),
    )


async def _create(context: Context, unit: Unit, data: Draft) -> tuple[Meeting, int]:
    new = _new_meeting(data, context.actor.member_id)
    day = new.starts_at.astimezone(context.settings.tz).date()
    people = await audience(context.db, unit, new.audience, day)
    meeting = await add_meeting(context.db, new, [p.member.id for p in people])
    linked = reachable(await invitees(context.db, meeting.id))
    settings, now = context.settings, context.now()
    messages = messages_to(linked, meeting, unit.name, settings, invitation_text)
    messages += attachment_messages(linked, meeting, settings)
    _ = context._
    subject = _(
        "the invitation to the meeting of {when}",
        when=_.datetime_text(meeting.starts_at),
    )
    actor = context.actor.member_id
    await broadcast(context.db, "meeting", messages, meeting, now, actor, subject)
    await schedule_reminders(context.db, meeting, settings, now)
    await audit.record(
        context.db,
        "meeting_created",
        actor_member_id=context.actor.member_id,
        unit_id=unit.id,
        object_type="meeting",
        object_id=meeting.id,
        details={"invited": len(people), "reached": len(linked)},
    )
    return meeting, len(linked)


async def on_drop(update: Update, context: Context) -> None:
    """The draft meeting is discarded."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await ack(query)
    if await get_flow(context.db, user.id, FLOW) is not None:
        await clear_flow(context.db, user.id, FLOW)
    await edit_text(query, context._("The draft meeting was discarded."))


def meeting_compose_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_new, pattern=r"^mnew$"),
        CallbackQueryHandler(on_unit, pattern=r"^mu:"),
        CallbackQueryHandler(on_kind, pattern=r"^mk:"),
        CallbackQueryHandler(on_audience, pattern=r"^mau:"),
        CallbackQueryHandler(on_send, pattern=r"^msend$"),
        CallbackQueryHandler(on_drop, pattern=r"^mdrop$"),
    ]
