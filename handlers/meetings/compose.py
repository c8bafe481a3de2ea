"""Creating a meeting: unit, kind, time, place, agenda, audience, preview, then invitations
through the outbox and reminders in the scheduler (`actions.create_meeting`). Each step is a
stored draft (handlers/meetings/draft.py)."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot.access import Action, can_anywhere
from bot.i18n import N_, Translator
from handlers.meetings import buttons
from handlers.meetings.actions import TimePassed, create_meeting, may_manage
from handlers.meetings.buttons import (
    AUDIENCES,
    KINDS,
    AudienceChoice,
    KindChoice,
    MeetingRef,
    UnitRef,
)
from handlers.meetings.draft import (
    AGENDA_LIMIT,
    AUDIENCE,
    FLOW,
    KIND,
    PLACE,
    PLACE_LIMIT,
    PREVIEW,
    TIME,
    TYPED_STEPS,
    UNIT,
    Agenda,
    MeetingDraft,
    parse_when,
    save_draft,
)
from handlers.meetings.messages import AUDIENCE_LABELS, KIND_LABELS, html_card
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, edit_text, refuse, refuse_draft_gone, units_for
from handlers.shared.drafts import saved_echo
from handlers.shared.readers import audience_name
from handlers.shared.typed_input import notice_content, too_long_text
from handlers.shared.usecase import NotAllowed, env_of
from storage.flows import clear_flow, get_flow, lock_flow, touch_flow
from storage.meetings import audience
from storage.models import AttachmentKind, FlowState, Meeting, Unit
from storage.text import clean_text


async def managed_units(context: Context) -> list[Unit]:
    """Units the actor may call meetings for: their committees, then the branches."""
    return await units_for(context, Action.MANAGE_MEETINGS)


async def on_new(update: Update, context: Context, _pressed: object) -> None:
    """The secretary continues their draft meeting, or starts one by choosing the unit."""
    _ = context._
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    if not can_anywhere(context.actor, Action.MANAGE_MEETINGS):
        await refuse(update, context, "meeting_new")
        return
    await ack(query)
    state = await get_flow(context.db, user.id, FLOW)
    if state is not None and await _resume(update, context, state):
        return
    units = await managed_units(context)
    if len(units) == 1:
        draft = MeetingDraft(units[0].id)
        await save_draft(context.db, user.id, draft, context.now())
        await _ask(update, context, draft)
        return
    await save_draft(context.db, user.id, MeetingDraft(), context.now())
    rows = [[buttons.UNIT.button(audience_name(u, _), UnitRef(u.id))] for u in units]
    await chat.send_message(_("Which unit is the meeting for?"), reply_markup=_markup(rows, _))


def _markup(rows: list[list[InlineKeyboardButton]], _: Translator) -> InlineKeyboardMarkup:
    cancel = buttons.DROP.button(_("❌ Cancel"))
    return InlineKeyboardMarkup([*rows, [cancel]])


def _load(state: FlowState | None) -> MeetingDraft | None:
    return MeetingDraft.load(state.data, state.step) if state is not None else None


async def _draft_unit(context: Context, draft: MeetingDraft | None) -> Unit | None:
    """The draft's unit, if the actor may still call meetings there."""
    unit_id = draft.unit_id if draft is not None else None
    unit = await context.db.get(Unit, unit_id) if unit_id else None
    return unit if may_manage(context.actor, unit) else None


async def _resume(update: Update, context: Context, state: FlowState) -> bool:
    """Shows the draft's step again; False (draft dropped) if its unit is no longer theirs."""
    draft = MeetingDraft.load(state.data, state.step)
    if draft.step == UNIT:
        return False
    if await _draft_unit(context, draft) is None:
        await clear_flow(context.db, state.user_id, state.flow)
        return False
    await touch_flow(context.db, state, context.now())  # typed answers go here again
    await _ask(update, context, draft)
    return True


async def _ask(update: Update, context: Context, draft: MeetingDraft, echo: str = "") -> None:
    """The question of the draft's step (and for the last one, the preview), after `echo`:
    what the previous answer saved."""
    _ = context._
    first = echo + "\n\n" if echo else ""
    chat = update.effective_chat
    if chat is None:
        return
    step = draft.step
    if step == PREVIEW:
        await _show_preview(update, context, draft)
        return
    if step == KIND:
        rows = [
            [buttons.KIND.button(_(KIND_LABELS[k]), KindChoice(i))] for i, k in enumerate(KINDS)
        ]
        await chat.send_message(_("What kind of meeting?"), reply_markup=_markup(rows, _))
    elif step == AUDIENCE:
        rows = [
            [buttons.AUDIENCE.button(_(AUDIENCE_LABELS[a]), AudienceChoice(i))]
            for i, a in enumerate(AUDIENCES)
        ]
        await chat.send_message(first + _("Who is invited?"), reply_markup=_markup(rows, _))
    else:
        await chat.send_message(first + _step_question(step, _), reply_markup=_markup([], _))


def _step_question(step: str, _: Translator) -> str:
    if step == TIME:
        return _("When does it start? Send the date and time, for example 25/12/2026 19:30.")
    if step == PLACE:
        return _("Where? Send the place or the link of the online meeting.")
    return _("Send the agenda as a text, or a document or photo with the agenda as its caption.")


async def on_unit(update: Update, context: Context, chosen: UnitRef) -> None:
    """The secretary picked the unit; next, the kind of meeting."""
    query, user = update.callback_query, update.effective_user
    unit = await context.db.get(Unit, chosen.unit_id)
    state = await get_flow(context.db, user.id, FLOW) if user else None
    if query is None or user is None or state is None or not may_manage(context.actor, unit):
        await refuse(update, context, "meeting_unit")
        return
    assert unit is not None
    await ack(query)
    draft = MeetingDraft(unit.id)
    await save_draft(context.db, user.id, draft, context.now())
    await _ask(update, context, draft)


async def on_kind(update: Update, context: Context, chosen: KindChoice) -> None:
    """The kind is chosen; next, the time."""
    draft = await _choosing(update, context, KIND)
    if draft is not None:
        await _chosen(update, context, draft.with_kind(KINDS[chosen.index]))


async def on_audience(update: Update, context: Context, chosen: AudienceChoice) -> None:
    """The audience is chosen; next, the preview."""
    draft = await _choosing(update, context, AUDIENCE)
    if draft is not None:
        await _chosen(update, context, draft.with_audience(AUDIENCES[chosen.index]))


async def _choosing(update: Update, context: Context, step: str) -> MeetingDraft | None:
    """The presser's draft, if it waits for this step's buttons; else a refusal."""
    query, user = update.callback_query, update.effective_user
    draft = _load(await get_flow(context.db, user.id, FLOW) if user else None)
    unit = await _draft_unit(context, draft)
    if query is None or draft is None or unit is None or draft.step != step:
        await refuse(update, context, f"meeting_{step}")
        return None
    await ack(query)
    return draft


async def _chosen(update: Update, context: Context, draft: MeetingDraft) -> None:
    await save_draft(context.db, context.actor.telegram_id, draft, context.now())
    await _ask(update, context, draft)


async def on_meeting_input(update: Update, context: Context, state: FlowState) -> None:
    """The secretary's answer to the time, place or agenda question of the open draft."""
    _ = context._
    message = update.effective_message
    if message is None:
        return
    draft = MeetingDraft.load(state.data, state.step)
    if await _draft_unit(context, draft) is None:
        await clear_flow(context.db, state.user_id, state.flow)  # the role is gone: so is the draft
        await refuse(update, context, "meeting_draft_forbidden")
        return
    step = draft.step
    if step not in TYPED_STEPS:  # the question again, its buttons below
        await message.reply_text(_("Please answer with the buttons below."))
        await _ask(update, context, draft)
        return
    answered, problem = _read_step(draft, message, context)
    if problem is not None:
        await message.reply_text(problem)
        return
    await save_draft(context.db, state.user_id, answered, context.now())
    await _ask(update, context, answered, _echo(step, answered, _))


def _echo(step: str, draft: MeetingDraft, _: Translator) -> str:
    """What was just saved, as the bot read it (a typed time shown as understood)."""
    if step == TIME:
        assert draft.starts_at is not None
        return saved_echo(_, _("the time"), _.datetime_text(draft.starts_at), html=False)
    if step == PLACE:
        return saved_echo(_, _("the place"), str(draft.place), html=False)
    assert draft.agenda is not None
    return saved_echo(_, _("the agenda"), draft.agenda.text, html=False)


def _read_step(
    draft: MeetingDraft, message: Message, context: Context
) -> tuple[MeetingDraft, str | None]:
    """The draft with the step's answer, or why the message cannot be used (the draft is
    kept as it was)."""
    _ = context._
    if draft.step == TIME:
        when = parse_when(message.text or "", context.settings.tz, context.now())
        if when is None:
            return draft, _("I could not read that. Please send it like 25/12/2026 19:30.")
        if when <= context.now():
            return draft, _("That time has passed. Please send a time in the future.")
        return draft.with_time(when), None
    if draft.step == PLACE:
        place = clean_text(message.text or "").strip()
        problem = _length_problem(place, PLACE_LIMIT, N_("The place"), _)
        return draft.with_place(place), problem
    content = notice_content(message)
    if content is None or not content["text"].strip():
        return draft, _("Please send the agenda as a text (or as the caption of a document).")
    text = clean_text(content["text"]).strip()
    kind = AttachmentKind(content["kind"]) if content["kind"] else None
    agenda = Agenda(text, str(content["file_id"]) if kind else None, kind)
    return draft.with_agenda(agenda), _length_problem(text, AGENDA_LIMIT, N_("The agenda"), _)


def _length_problem(text: str, limit: int, field: str, _: Translator) -> str | None:
    if not text:
        return _("Please send a text.")
    return None if len(text) <= limit else too_long_text(_, field, len(text), limit)


async def _show_preview(update: Update, context: Context, draft: MeetingDraft) -> None:
    """The meeting as members will see it, whom it goes to, and Send / Cancel."""
    _ = context._
    chat = update.effective_chat
    unit = await context.db.get(Unit, draft.unit_id) if draft.unit_id is not None else None
    if chat is None or unit is None:
        return
    preview = draft.new_meeting(None)
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
    send = buttons.SEND.button(_("📤 Send the invitations"))
    await chat.send_message(
        "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=_markup([[send]], _)
    )


async def on_send(update: Update, context: Context, _pressed: object) -> None:
    """The meeting is stored, invitations go out, reminders are scheduled."""
    _ = context._
    query, user = update.callback_query, update.effective_user
    # Locked: a second press at once waits, then finds the draft gone (invited once).
    state = await lock_flow(context.db, user.id, FLOW) if user else None
    if state is None and query and can_anywhere(context.actor, Action.MANAGE_MEETINGS):
        await refuse_draft_gone(update, context, "meeting_send_gone")
        return
    draft = _load(state)
    unit = await _draft_unit(context, draft)
    if query is None or state is None or draft is None or unit is None or draft.step != PREVIEW:
        await refuse(update, context, "meeting_send")
        return
    await ack(query)
    assert draft.starts_at is not None
    subject = _(
        "the invitation to the meeting of {when}",
        when=_.datetime_text(draft.starts_at),
    )
    try:
        created = await create_meeting(context.db, context.actor, draft, subject, env_of(context))
    except TimePassed:
        # A draft left for days: its time has passed, so ask again rather than invite
        # people to a meeting they can no longer answer.
        again = draft.back_to(TIME)
        await save_draft(context.db, state.user_id, again, context.now())
        await edit_text(query, _("The time of this meeting has passed meanwhile."))
        await _ask(update, context, again)
        return
    except NotAllowed:  # checked above: the unit is the actor's
        await refuse(update, context, "meeting_send")
        return
    await clear_flow(context.db, state.user_id, state.flow)
    answers = buttons.DETAIL.button(_("📊 Answers"), MeetingRef(created.meeting.id))
    await edit_text(
        query,
        _.plural(
            "📨 The invitation is on its way to {count} member of {unit}. Reminders will go out "
            "before the meeting.",
            "📨 The invitation is on its way to {count} members of {unit}. Reminders will go out "
            "before the meeting.",
            created.reached,
            unit=escape(unit.name),
        ),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[answers]]),
    )


async def on_drop(update: Update, context: Context, _pressed: object) -> None:
    """The draft meeting is discarded."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await ack(query)
    if await get_flow(context.db, user.id, FLOW) is not None:
        await clear_flow(context.db, user.id, FLOW)
    await edit_text(query, context._("The draft meeting was discarded."))


# The buttons of composing, and what a press of each does (refused: audited with the reason).
ROUTES: tuple[Route[Any], ...] = (
    buttons.NEW.route(on_new, "meeting_new"),
    buttons.UNIT.route(on_unit, "meeting_unit"),
    buttons.KIND.route(on_kind, "meeting_kind"),
    buttons.AUDIENCE.route(on_audience, "meeting_audience"),
    buttons.SEND.route(on_send, "meeting_send"),
    buttons.DROP.route(on_drop, "meeting_drop"),
)
# The buttons of the meeting being composed: any other press leaves its question.
DRAFT_BUTTONS = (
    buttons.AUDIENCE,
    buttons.DROP,
    buttons.KIND,
    buttons.NEW,
    buttons.SEND,
    buttons.UNIT,
)
