"""The end of the residence form: the preview, and Save, which stores the tie (the previous
one becomes history) and asks the residence branch leaders to confirm it
(`actions.register`)."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import Translator
from handlers.residence import buttons
from handlers.residence.actions import may_register, register
from handlers.residence.draft import PREVIEW, REGISTER_FLOW, RegisterDraft, save_draft
from handlers.shared.common import Context, ack, edit_text, refuse, send
from handlers.shared.usecase import env_of
from storage.flows import clear_flow, get_flow
from storage.models import FlowState, ResidenceTie, TieStatus, Unit


def may_register_here(context: Context) -> bool:
    return may_register(context.actor, context.member)


async def draft_at(
    update: Update, context: Context, steps: tuple[str, ...]
) -> tuple[FlowState, RegisterDraft] | None:
    """The member's residence draft if it is at one of `steps` (else the button is stale)."""
    user = update.effective_user
    state = await get_flow(context.db, user.id, REGISTER_FLOW) if user else None
    draft = RegisterDraft.load(state.data, state.step) if state else None
    if state is None or draft is None or draft.step not in steps or not may_register_here(context):
        await refuse(update, context, "residence_register_button")
        return None
    return state, draft


async def show_preview(update: Update, context: Context, draft: RegisterDraft) -> None:
    """The member sees everything they typed, with Save and Cancel."""
    _ = context._
    user = update.effective_user
    assert user is not None
    draft = draft.previewed()
    await save_draft(context.db, user.id, draft, context.now())
    branch = await context.db.get(Unit, draft.branch_id) if draft.branch_id else None
    if branch is None:
        branch_name = _("{name} (not in the bot)", name=draft.branch_text or "—")
    else:
        branch_name = branch.name
    tie = draft.tie()
    area = ", ".join(p for p in (tie.commune, tie.province) if p)
    lines = [
        _("Please check your residence tie:"),
        _("Address: {address}", address=escape(tie.address)),
        _("Commune and province: {area}", area=escape(area or "—")),
        _("Residence branch: {branch}", branch=escape(branch_name)),
        _(
            "Introduction letter: No. {number} of {date}",
            number=escape(tie.letter_no or "—"),
            date=_.date_text(tie.letter_date),
        ),
    ]
    row = [buttons.SAVE.button(_("💾 Save")), buttons.CANCEL.button(_("❌ Cancel"))]
    await send(update, "\n".join(lines), InlineKeyboardMarkup([row]))


async def on_save(update: Update, context: Context, _pressed: object) -> None:
    """The tie is stored (the previous one becomes history) and, when the residence branch
    is in the bot, its leaders are asked to confirm it."""
    query, member = update.callback_query, context.member
    found = await draft_at(update, context, (PREVIEW,))
    if query is None or found is None or member is None:
        return
    state, draft = found
    await ack(query)
    registered = await register(context.db, context.actor, member, draft.tie(), env_of(context))
    await clear_flow(context.db, state.user_id, state.flow)
    await edit_text(query, _saved_text(registered.tie, registered.asked, context._))


def _saved_text(tie: ResidenceTie, asked: int, _: Translator) -> str:
    """What happens next: nobody to confirm, the secretary asked, or no secretary yet."""
    if tie.status == TieStatus.UNLISTED:
        return _("Saved. Your residence branch is not in the bot, so no one confirms it here.")
    if asked:
        return _("Saved. The secretary of your residence branch has been asked to confirm it.")
    return _(
        "Saved. Your residence branch has no secretary linked to the bot yet; the tie "
        "waits for confirmation."
    )


ROUTES = (buttons.SAVE.route(on_save, "residence_register_button"),)
