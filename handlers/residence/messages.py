"""What other people receive about residence ties, through the outbox and in their own
language: the ask to confirm a tie or an activity, the answer to the member, the reminders
and the yearly ask for comments, each with its buttons as Bot API JSON."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from bot.i18n import Translator
from bot.settings import Settings
from handlers.residence import buttons
from handlers.residence.buttons import ActivityRef, TieRef
from handlers.shared.readers import reader_translator
from handlers.shared.residence_words import tie_text
from storage.models import Member, ResidenceActivity, ResidenceTie, Unit
from storage.outbox import NewMessage, text_payload

Markup = dict[str, Any]  # the Bot API JSON of an inline keyboard, for outbox rows
Builder = Callable[[Translator], tuple[str, Markup | None]]  # a message in a reader's language


def unit_name(unit: Unit | None) -> str:
    return escape(unit.name) if unit else "—"


def tie_request_text(tie: ResidenceTie, member: Member, _: Translator) -> str:
    head = _(
        "🏠 <b>{name}</b> ({branch}) has registered a residence tie with your branch:",
        name=escape(member.full_name),
        branch=escape(member.branch.name),
    )
    return f"{head}\n\n{tie_text(tie, _)}"


def decide_markup(tie: ResidenceTie, _: Translator) -> Markup:
    """Confirm and Decline under a tie waiting for its residence branch."""
    row = [
        buttons.CONFIRM.json(_("✅ Confirm"), TieRef(tie.id)),
        buttons.DECLINE.json(_("❌ Decline"), TieRef(tie.id)),
    ]
    return {"inline_keyboard": [row]}


def tie_request(tie: ResidenceTie, member: Member) -> Builder:
    """The ask to a residence branch leader: confirm or decline the member's tie."""

    def build(_: Translator) -> tuple[str, Markup | None]:
        return tie_request_text(tie, member, _), decide_markup(tie, _)

    return build


def activity_ask(
    name: str, branch: str, activity: ResidenceActivity, _: Translator
) -> tuple[str, Markup]:
    """A member's residence activity as its leaders read it (HTML, user text escaped), with
    the confirm button: sent as the ask, and again in the leaders' list."""
    text = _(
        "🏠 <b>{name}</b> ({branch}) took part in a residence activity on {date}:\n{what}",
        name=escape(name),
        branch=escape(branch),
        date=_.date_text(activity.held_on),
        what=escape(activity.what),
    )
    confirm = buttons.CONFIRM_ACTIVITY.json(_("✅ Confirm participation"), ActivityRef(activity.id))
    return text, {"inline_keyboard": [[confirm]]}


def activity_request(activity: ResidenceActivity, member: Member) -> Builder:
    def build(_: Translator) -> tuple[str, Markup | None]:
        return activity_ask(member.full_name, member.branch.name, activity, _)

    return build


def decided(tie: ResidenceTie) -> Builder:
    """The member learns how their residence branch answered."""

    def build(_: Translator) -> tuple[str, None]:
        head = _(
            "🏠 Your residence tie has been answered by {branch}:",
            branch=unit_name(tie.residence_branch),
        )
        return f"{head}\n\n{tie_text(tie, _)}", None

    return build


def register_reminder(member: Member, settings: Settings) -> NewMessage | None:
    """A member missing from the residence figures, reminded to register (with Telegram)."""
    if member.telegram_user_id is None:
        return None
    _ = reader_translator(member.account, settings)
    text = _(
        "🔔 Reminder: please register your residence tie (Quy định 213): open the menu, "
        "🏠 Residence ties, and press the button below."
    )
    markup = {"inline_keyboard": [[buttons.REGISTER.json(_("📝 Register my residence"))]]}
    payload = text_payload(text, reply_markup=markup)
    return NewMessage(member.telegram_user_id, payload, member_id=member.id)


def comment_reminder(host: Member, count: int, year: int, settings: Settings) -> NewMessage:
    _ = reader_translator(host.account, settings)
    text = _.plural(
        "🔔 Reminder: {count} member tied to your branch is waiting for their yearly residence "
        "comment for {year}.",
        "🔔 Reminder: {count} members tied to your branch are waiting for their yearly residence "
        "comment for {year}.",
        count,
        year=year,
    )
    markup = {"inline_keyboard": [[buttons.COMMENTS.json(_("✍️ Write the comments"))]]}
    payload = text_payload(text, reply_markup=markup)
    return NewMessage(host.telegram_user_id or 0, payload, member_id=host.id)


def comments_open(host: Member, count: int, year: int, settings: Settings) -> NewMessage:
    """The yearly ask, when the comment window opens."""
    _ = reader_translator(host.account, settings)
    _opens, closes = settings.residence_comment_window(year)
    text = _.plural(
        "✍️ The yearly residence comments for {year} are open until {closes}: {count} member tied "
        "to your branch is waiting for your comment.",
        "✍️ The yearly residence comments for {year} are open until {closes}: {count} members "
        "tied to your branch are waiting for your comment.",
        count,
        year=year,
        closes=_.date_text(closes),
    )
    markup = {"inline_keyboard": [[buttons.COMMENTS.json(_("✍️ Write the comments"))]]}
    return NewMessage(
        host.telegram_user_id or 0, text_payload(text, reply_markup=markup), member_id=host.id
    )
