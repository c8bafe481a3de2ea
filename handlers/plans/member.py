"""The member's yearly plan: write it section by section (each saved at once, so a restart
loses nothing), accept the commitment, review, submit; revise it until it is accepted."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import Action, can
from bot.delivery.sender import wake_sender_after_commit
from bot.i18n import N_
from handlers.common import Context, ack, callback_args, refuse
from handlers.drafts import saved_echo, with_cancel
from handlers.plans.common import (
    FLOW,
    SECTION_BUTTONS,
    SECTION_NAMES,
    commitment_for,
    commitment_status,
    own_plan_season,
    plan_body,
    plan_complete,
    plan_heading,
    refusal_text,
    section_list,
    tell,
    today,
)
from handlers.plans.notify import tell_committee
from handlers.readers import split_message
from handlers.typed_input import too_long_text
from storage.flows import clear_flow, save_flow
from storage.models import FlowState, PlanStatus, YearlyPlan
from storage.plan_seasons import Season
from storage.plans import (
    OPTIONAL_SECTIONS,
    SECTIONS,
    PlanError,
    accept_commitment,
    edit_refusal,
    get_plan,
    missing_sections,
    next_empty_section,
    plan_to_edit,
    save_section,
    submit_plan,
)
from storage.text import TextTooLong, clean_text

Markup = InlineKeyboardMarkup
Button = InlineKeyboardButton


async def _editable_plan(update: Update, context: Context) -> tuple[YearlyPlan, Season] | None:
    """The actor's own plan when they may change it now; else they are told why not."""
    if not can(context.actor, Action.USE_MENU) or context.actor.member_id is None:
        await refuse(update, context, "plan_not_member")
        return None
    season = await own_plan_season(context)
    plan = await get_plan(context.db, context.actor.member_id, season.year)
    refusal = edit_refusal(plan, season, today(context))
    if refusal is not None:
        await tell(update, context, refusal_text(refusal, season, context._))
        return None
    plan = plan or await plan_to_edit(context.db, context.actor.member_id, season.year)
    return plan, season


async def on_fill(update: Update, context: Context) -> None:
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
    update: Update, context: Context, plan: YearlyPlan, key: str, then: str
) -> None:
    _ = context._
    chat = update.effective_chat
    if chat is None:
        return
    data = {"key": key, "then": then}
    await save_flow(context.db, context.actor.telegram_id, FLOW, "section", data, context.now())
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
    buttons = []
    if key in OPTIONAL_SECTIONS:
        buttons.append([Button(_("⏭ Nothing to add"), callback_data="plskip")])
    if then == "review":
        buttons.append([Button(_("↩️ Back to my plan"), callback_data="plview")])
    markup = with_cancel(_, buttons)
    await chat.send_message("\n\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=markup)


async def on_plan_input(update: Update, context: Context, state: FlowState) -> None:
    """The member's text for the section they were asked: stored, then the next step."""
    _ = context._
    message = update.effective_message
    if message is None:
        return
    if state.step != "section" or not message.text:
        await _ask_again(update, context, state)
        return
    found = await _editable_plan(update, context)
    if found is None:
        await clear_flow(context.db, state.user_id, state.flow)
        return
    plan, season = found
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
    key = str(state.data.get("key"))
    save_section(plan, key, text)
    number = SECTIONS.index(key) + 1 if key in SECTIONS else 0
    echo = saved_echo(_, _("part {number}", number=number), text)
    await message.reply_text(echo, parse_mode=ParseMode.HTML)
    await _after_section(update, context, plan, season, str(state.data.get("then")))


async def _ask_again(update: Update, context: Context, state: FlowState) -> None:
    """Something the step cannot take (a photo, or text where a button is awaited): its
    question again, with its buttons below."""
    _ = context._
    message = update.effective_message
    found = await _editable_plan(update, context)
    if found is None or message is None:
        await clear_flow(context.db, state.user_id, state.flow)
        return
    plan, season = found
    if state.step == "section":
        await message.reply_text(_("Please send this part as a text."))
        key, then = str(state.data.get("key")), str(state.data.get("then"))
        await _ask_section(update, context, plan, key, then)
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


async def on_skip(update: Update, context: Context) -> None:
    """The member has nothing to add in an optional section and goes on."""
    found = await _editable_plan(update, context)
    if found is None or update.callback_query is None:
        return
    await ack(update.callback_query)
    plan, season = found
    key = next((k for k in SECTIONS if k in OPTIONAL_SECTIONS and k not in plan.sections), None)
    if key is not None:
        save_section(plan, key, "")
    await _continue(update, context, plan, season)


async def _show_commitment(update: Update, context: Context, season: Season) -> None:
    _ = context._
    chat = update.effective_chat
    if chat is None:
        return
    await save_flow(context.db, context.actor.telegram_id, FLOW, "commitment", {}, context.now())
    text = _(
        "<b>Commitment</b>\n\n{text}\n\nPlease read it, then press the button to accept it.",
        text=escape(commitment_for(season, _)),
    )
    button = Button(_("✅ I accept the commitment"), callback_data="plcommit")
    await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=Markup([[button]]))


async def on_commit(update: Update, context: Context) -> None:
    """The member accepts the commitment (the text they read is kept) and sees the plan."""
    _ = context._
    found = await _editable_plan(update, context)
    if found is None or update.callback_query is None:
        return
    plan, season = found
    missing = missing_sections(plan)
    if missing:
        text = refusal_text("incomplete", season, _, sections=section_list(missing, _))
        await tell(update, context, text)
        return
    await ack(update.callback_query)
    accept_commitment(plan, commitment_for(season, _), context.now())
    await clear_flow(context.db, context.actor.telegram_id, FLOW)
    await _show_review(update, context, plan, season)


async def on_view(update: Update, context: Context) -> None:
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
        [Button(_(SECTION_BUTTONS[key]), callback_data=f"pledit:{i}")]
        for i, key in enumerate(SECTIONS)
    ]
    if plan.status in (PlanStatus.DRAFT, PlanStatus.RETURNED) and plan_complete(plan):
        rows.insert(0, [Button(_("📤 Submit to the committee"), callback_data="plsubmit")])
        text = _("Check your plan, change a part if needed, then submit it.")
    elif plan.status == PlanStatus.SUBMITTED:
        text = _(
            "You can still change a part until the committee accepts the plan; you will "
            "then submit it again."
        )
    else:
        text = _("Change a part:")
    await chat.send_message(text, reply_markup=Markup(rows))


async def on_edit(update: Update, context: Context) -> None:
    """The member is asked for the new text of one section of their plan."""
    query = update.callback_query
    args = callback_args(query, 1, len(SECTIONS) - 1) if query else None
    if query is None or args is None:
        await refuse(update, context, "plan_edit")
        return
    found = await _editable_plan(update, context)
    if found is None:
        return
    await ack(query)
    await _ask_section(update, context, found[0], SECTIONS[args[0]], "review")


async def on_submit(update: Update, context: Context) -> None:
    """The member submits their plan; the branch committee is told; the member sees when."""
    _ = context._
    query = update.callback_query
    found = await _editable_plan(update, context)
    if found is None or query is None:
        return
    plan, season = found
    try:
        await submit_plan(context.db, plan, context.now())
    except PlanError as error:
        missing = section_list(missing_sections(plan), _)
        await tell(update, context, refusal_text(error.code, season, _, sections=missing))
        return
    await ack(query)
    await clear_flow(context.db, context.actor.telegram_id, FLOW)
    await tell_committee(context, plan, "submitted")
    wake_sender_after_commit(context.bot_data)
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            _(
                "📤 Your plan of {year} was submitted to the committee on {date}. You will be "
                "told when they have read it.",
                year=plan.year,
                date=_.date_text(plan.submitted_at),
            )
        )


def plan_member_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_fill, pattern=r"^plfill$"),
        CallbackQueryHandler(on_skip, pattern=r"^plskip$"),
        CallbackQueryHandler(on_commit, pattern=r"^plcommit$"),
        CallbackQueryHandler(on_view, pattern=r"^plview$"),
        CallbackQueryHandler(on_edit, pattern=r"^pledit:"),
        CallbackQueryHandler(on_submit, pattern=r"^plsubmit$"),
    ]
