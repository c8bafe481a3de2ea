"""/me: everything the bot stores about the member, as the data rules require."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.i18n import Translator
from bot.standing_text import period_html
from handlers.shared.common import Context
from handlers.shared.feature import Feature
from handlers.shared.plan_words import GRADE_NAMES, STATUS_NAMES
from handlers.shared.readers import split_message
from handlers.shared.residence_words import EXEMPTION_LABELS, tie_text
from storage.models import Member, MemberStanding, Role, TelegramAccount
from storage.my_data import StoredAbout, stored_about
from storage.standing import history
from storage.text import display_phone


def role_name(role: Role, _: Translator) -> str:
    names = {
        Role.SECRETARY: _("Secretary"),
        Role.DEPUTY_SECRETARY: _("Deputy secretary"),
        Role.COMMITTEE_MEMBER: _("Committee member"),
    }
    return names[role]


def member_record(member: Member, account: TelegramAccount, _: Translator) -> str:
    roles = ", ".join(
        f"{role_name(ra.role, _)} ({escape(ra.unit.name)})" for ra in member.roles
    ) or _("none")
    lines = [
        _("<b>What I store about you</b>"),
        _("Full name: {value}", value=escape(member.full_name)),
        _("Phone: {value}", value=escape(display_phone(member.phone))),
        _("Party card number: {value}", value=escape(member.party_card_no or "—")),
        _("Date of birth: {value}", value=_.date_text(member.date_of_birth)),
        _("Branch: {value}", value=escape(member.branch.name)),
        _("Roles: {value}", value=roles),
        _(
            "Telegram account: {value}, linked on {date}",
            value=account.user_id,
            date=_.date_text(member.bound_at),
        ),
        _("Language: {value}", value=_.language_name),
        _("Consent given on: {value}", value=_.date_text(account.consent_at)),
    ]
    return "\n".join(lines)


def standing_record(periods: list[MemberStanding], _: Translator) -> str:
    """The member's party standing over time, oldest first."""
    lines = [_("<b>Party standing</b>")]
    lines += [period_html(p, _) for p in periods] or [_("No status recorded.")]
    return "\n".join(lines)


def residence_record(stored: StoredAbout, _: Translator) -> str:
    lines = [_("<b>Residence</b>")]
    lines.append(tie_text(stored.tie, _) if stored.tie else _("No residence tie registered."))
    if stored.older_ties:
        lines.append(_("Earlier residence ties kept as history: {count}", count=stored.older_ties))
    if stored.exemption:
        kind = _(EXEMPTION_LABELS[stored.exemption.kind])
        if stored.exemption.reason:
            kind = f"{kind} ({escape(stored.exemption.reason)})"
        lines.append(_("Exempt from residence activity: {kind}", kind=kind))
    lines.append(
        _(
            "Residence activities recorded: {activities}; yearly comments from the residence "
            "branch: {comments}",
            activities=stored.activities,
            comments=stored.residence_comments,
        )
    )
    return "\n".join(lines)


def plans_record(stored: StoredAbout, _: Translator) -> str:
    lines = [_("<b>Yearly plans and self-assessments</b>")]
    for plan in stored.plans:
        line = _("{year}: {status}", year=plan.year, status=_(STATUS_NAMES[plan.status]))
        if plan.grade is not None:
            line += _("; grade: {grade}", grade=_(GRADE_NAMES[plan.grade]))
        lines.append(line)
    if not stored.plans:
        lines.append(_("None yet."))
    return "\n".join(lines)


def activity_record(stored: StoredAbout, _: Translator) -> str:
    return "\n".join(
        [
            _("<b>Meetings, notices and surveys</b>"),
            _(
                "Meeting invitations: {invites}; answered: {answers}; attendance recorded: "
                "{attendance}",
                invites=stored.meeting_invites,
                answers=stored.meeting_answers,
                attendance=stored.attendance_records,
            ),
            _(
                "Notices received: {notices}; acknowledged: {acknowledged}",
                notices=stored.notices,
                acknowledged=stored.notices_acknowledged,
            ),
            _(
                "Surveys answered: {surveys}; answers stored with your name: {named}. Answers "
                "to anonymous surveys are not linked to you.",
                surveys=stored.surveys_answered,
                named=stored.named_answers,
            ),
        ]
    )


async def show_me(update: Update, context: Context) -> None:
    """The member sees their own stored record."""
    _ = context._
    message = update.effective_message
    if message is None:
        return
    if context.member is None or context.account is None:
        await message.reply_text(_("You are not linked to a member yet. Send /start to begin."))
        return
    stored = await stored_about(context.db, context.member.id)
    parts = [
        member_record(context.member, context.account, _),
        standing_record(await history(context.db, context.member.id), _),
        residence_record(stored, _),
        plans_record(stored, _),
        activity_record(stored, _),
        _("The menu entries “🏠 Residence ties” and “📝 Yearly plan” show the details."),
    ]
    for text in split_message(parts):  # long addresses and reasons may need two messages
        await message.reply_text(text, parse_mode=ParseMode.HTML)


def profile_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CommandHandler("me", show_me, filters=filters.ChatType.PRIVATE)]


FEATURE = Feature("profile", profile_handlers, menu={"me": show_me})
