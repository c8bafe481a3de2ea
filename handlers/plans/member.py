"""The member's yearly plan: write it section by section (each saved at once, so a restart
loses nothing), accept the commitment, review, submit; revise it until it is accepted."""

from __future__ import annotations

from collections.abc import Awaitable
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.i18n import N_
from handlers.plans import actions, buttons
from handlers.plans.actions import Refused, Writable
from handlers.plans.buttons import SectionRef
from handlers.plans.common import (
    SECTION_BUTTONS,
    SECTION_NAMES,
    commitment_for,
    commitment_status,
    plan_body,
    plan_complete,
    plan_heading,
    refused_text,
    tell,
)
from handlers.plans.draft import FLOW, PlanDraft, Then, save_draft
from handlers.shared.buttons import Route
from handlers.shared.common import Context, ack, refuse
from handlers.shared.drafts import saved_echo, with_cancel
from handlers.shared.plan_seasons import own_plan_season, today
from handlers.shared.readers import split_message
from handlers.shared.typed_input import too_long_text
from handlers.shared.usecase import NotAllowed, env_of
from storage.flows import clear_flow
from storage.models import FlowState, PlanStatus, YearlyPlan
from storage.plan_seasons import Season
from storage.plans import OPTIONAL_SECTIONS, SECTIONS, edit_refusal, get_plan, next_empty_section
from storage.text import TextTooLong, clean_text

Markup = InlineKeyboardMarkup


REFUSED = "plan_not_member"  # the presser may not write a plan (not an active member)


async def _writing(update: Update, context: Context, write: Awaitable[Writable]) -> Writable | None:
    """What a use case on the actor's own plan gave; else they are told why not (the polite
    refusal when they may not write a plan, the reason when the plan cannot change now)."""
    try:
        found = await write
    except NotAllowed:
        await refuse(update, context, REFUSED)
        return None
    except Refused as refused:
        await tell(update, context, refused_text(refused, context._))
        return None
    return found


async def _editable_plan(update: Update, context: Context) -> tuple[YearlyPlan, Season] | None:
    """The actor's own plan when they may change it now; else they are told why not."""
    found = await _writing(
        update, context, actions.plan_to_write(context.db, context.actor, env_of(context))
    )
    return (found.plan, found.season) if found is not None else None


async def on_fill(update: Update, context: Context, _pressed: object) -> None:
    """The member continues where they were: the next empty section, the commitment, or the
    whole plan to review."""
    found = await _editable_plan(update, context)
    if found is None or update.callback_query is None:
        return
    await ack(update.callback_query)
    plan, season = found
    await _continue(update, context, plan, season)


async def _continue(update: Update, context: Context, plan: YearlyPlan, season: Season) -> None:
    key = next_empty_section(plan)
    if key is not None:
        await _ask_section(update, context, plan, key, "next")
    elif plan.committed_at is None:
        await _show_commitment(update, context, season)
    else:
        await clear_flow(context.db, context.actor.telegram_id, FLOW)
        await _show_review(update, context, plan, season)


async def _ask_section(
    update: Update, context: Context, plan: YearlyPlan, key: str, then: Then
) -> None:
    _ = context._
    chat = update.effective_chat
    if chat is None:
        return
    draft = PlanDraft(key, then)
    await save_draft(context.db, context.actor.telegram_id, draft, context.now())
    lines = [
        _(
            "<b>Part {number}/{total}: {name}</b>\nSend your goals and measures for this part "
            "(up to {limit} characters). It is saved as soon as you send it.",
            number=SECTIONS.index(key) + 1,
            total=len(SECTIONS),
            name=escape(_(SECTION_NAMES[key])),
            limit=context.settings.plan_section_limit,
        )
    ]
    if plan.sections.get(key):
        lines.append(_("Now written:\n{text}", text=escape(plan.sections[key])))
    rows = []
    if key in OPTIONAL_SECTIONS:
        rows.append([buttons.SKIP.button(_("⏭ Nothing to add"))])
    if then == "review":
        rows.append([buttons.VIEW.button(_("↩️ Back to my plan"))])
    markup = with_cancel(_, rows)
    await chat.send_message("\n\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=markup)


async def on_plan_input(update: Update, context: Context, state: FlowState) -> None:
    """The member's text for the section they were asked: stored, then the next step."""
    _ = context._
    message = update.effective_message
    if message is None:
        return
    draft = PlanDraft.load(state.data)
    if draft.key is None or not message.text:
        await _ask_again(update, context, state, draft)
        return
    if await _editable_plan(update, context) is None:
        await clear_flow(context.db, state.user_id, state.flow)
        return
    try:
        text = clean_text(message.text, context.settings.plan_section_limit)
    except TextTooLong as error:
        await message.reply_text(
            too_long_text(_, N_("The text of this part"), error.length, error.limit)
        )
        return
    if not text:
        await message.reply_text(_("Please send the text asked for."))
        return
    key = draft.key
    found = await _writing(
        update,
        context,
        actions.write_section(context.db, context.actor, key, text, env_of(context)),
    )
    if found is None:
        return
    plan, season = found.plan, found.season
    number = SECTIONS.index(key) + 1 if key in SECTIONS else 0
    echo = saved_echo(_, _("part {number}", number=number), text)
    await message.reply_text(echo, parse_mode=ParseMode.HTML)
    await _after_section(update, context, plan, season, draft.then)


async def _ask_again(update: Update, context: Context, state: FlowState, draft: PlanDraft) -> None:
    """Something the step cannot take (a photo, or text where a button is awaited): its
    question again, with its buttons below."""
    _ = context._
    message = update.effective_message
    found = await _editable_plan(update, context)
    if found is None or message is None:
        await clear_flow(context.db, state.user_id, state.flow)
        return
    plan, season = found
    if draft.key is not None:
        await message.reply_text(_("Please send this part as a text."))
        await _ask_section(update, context, plan, draft.key, draft.then)
    else:
        await message.reply_text(_("Please answer with the buttons below."))
        await _show_commitment(update, context, season)


async def _after_section(
    update: Update, context: Context, plan: YearlyPlan, season: Season, then: str
) -> None:
    if then == "review":
        await clear_flow(context.db, context.actor.telegram_id, FLOW)
        await _show_review(update, context, plan, season)
    else:
        await _continue(update, context, plan, season)


async def on_skip(update: Update, context: Context, _pressed: object) -> None:
    """The member has nothing to add in an optional section and goes on."""
    skip = actions.skip_section(context.db, context.actor, env_of(context))
    found = await _writing(update, context, skip)
    if found is None or update.callback_query is None:
        return
    await ack(update.callback_query)
    await _continue(update, context, found.plan, found.season)


async def _show_commitment(update: Update, context: Context, season: Season) -> None:
    _ = context._
    chat = update.effective_chat
    if chat is None:
        return
    await save_draft(context.db, context.actor.telegram_id, PlanDraft(), context.now())
    text = _(
        "<b>Commitment</b>\n\n{text}\n\nPlease read it, then press the button to accept it.",
        text=escape(commitment_for(season, _)),
    )
    button = buttons.COMMIT.button(_("✅ I accept the commitment"))
    await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=Markup([[button]]))


async def on_commit(update: Update, context: Context, _pressed: object) -> None:
    """The member accepts the commitment (the text they read is kept) and sees the plan."""
    _ = context._
    found = await _editable_plan(update, context)
    if found is None or update.callback_query is None:
        return
    commitment = commitment_for(found[1], _)
    commit = actions.commit_to_plan(context.db, context.actor, commitment, env_of(context))
    committed = await _writing(update, context, commit)
    if committed is None:
        return
    await ack(update.callback_query)
    await clear_flow(context.db, context.actor.telegram_id, FLOW)
    await _show_review(update, context, committed.plan, committed.season)


async def on_view(update: Update, context: Context, _pressed: object) -> None:
    """The member reads their whole plan, with buttons to change a section or submit it."""
    query = update.callback_query
    if query is None or context.actor.member_id is None or not context.actor.is_member:
        await refuse(update, context, "plan_view")
        return
    season = await own_plan_season(context)
    plan = await get_plan(context.db, context.actor.member_id, season.year)
    if plan is None:
        await refuse(update, context, "plan_view_none")
        return
    await ack(query)
    await clear_flow(context.db, context.actor.telegram_id, FLOW)
    await _show_review(update, context, plan, season)


async def _show_review(update: Update, context: Context, plan: YearlyPlan, season: Season) -> None:
    _ = context._
    chat = update.effective_chat
    if chat is None or context.member is None:
        return
    paragraphs = [plan_heading(plan, context.member, _), *plan_body(plan, _)]
    paragraphs.append(commitment_status(plan, _))
    if plan.status == PlanStatus.RETURNED and plan.review_comment:
        paragraphs.append(_("Committee's comment: {comment}", comment=escape(plan.review_comment)))
    for text in split_message(paragraphs):
        await chat.send_message(text, parse_mode=ParseMode.HTML)
    await _review_actions(update, context, plan, season)


async def _review_actions(
    update: Update, context: Context, plan: YearlyPlan, season: Season
) -> None:
    _ = context._
    chat = update.effective_chat
    if chat is None or edit_refusal(plan, season, today(context)) is not None:
        return
    rows = [
        [buttons.EDIT.button(_(SECTION_BUTTONS[key]), SectionRef(i))]
        for i, key in enumerate(SECTIONS)
    ]
    if plan.status in (PlanStatus.DRAFT, PlanStatus.RETURNED) and plan_complete(plan):
        rows.insert(0, [buttons.SUBMIT.button(_("📤 Submit to the committee"))])
        text = _("Check your plan, change a part if needed, then submit it.")
    elif plan.status == PlanStatus.SUBMITTED:
        text = _(
            "You can still change a part until the committee accepts the plan; you will "
            "then submit it again."
        )
    else:
        text = _("Change a part:")
    await chat.send_message(text, reply_markup=Markup(rows))


async def on_edit(update: Update, context: Context, pressed: SectionRef) -> None:
    """The member is asked for the new text of one section of their plan."""
    query = update.callback_query
    if query is None:
        await refuse(update, context, "plan_edit")
        return
    found = await _editable_plan(update, context)
    if found is None:
        return
    await ack(query)
    await _ask_section(update, context, found[0], SECTIONS[pressed.section], "review")


async def on_submit(update: Update, context: Context, _pressed: object) -> None:
    """The member submits their plan; the branch committee is told; the member sees when."""
    _ = context._
    query, member = update.callback_query, context.member
    if query is None or member is None:
        await refuse(update, context, REFUSED)
        return
    submit = actions.submit_own_plan(context.db, context.actor, member, env_of(context))
    found = await _writing(update, context, submit)
    if found is None:
        return
    plan = found.plan
    await ack(query)
    await clear_flow(context.db, context.actor.telegram_id, FLOW)
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            _(
                "📤 Your plan of {year} was submitted to the committee on {date}. You will be "
                "told when they have read it.",
                year=plan.year,
                date=_.date_text(plan.submitted_at),
            )
        )


ROUTES: tuple[Route[Any], ...] = (
    buttons.FILL.route(on_fill, REFUSED),
    buttons.SKIP.route(on_skip, REFUSED),
    buttons.COMMIT.route(on_commit, REFUSED),
    buttons.VIEW.route(on_view, "plan_view"),
    buttons.EDIT.route(on_edit, "plan_edit"),
    buttons.SUBMIT.route(on_submit, REFUSED),
)
