"""Messages about plans to other people, through the outbox, each in the reader's language:
the committee hears of a submitted plan or self-assessment and of a request to reopen, the
member of the committee's review, grade and reopening, and the reminders of the plans not
handed in. No Telegram here: the use cases (handlers.plans.actions) queue these."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.settings import Settings
from handlers.plans import buttons
from handlers.plans.buttons import MemberYear, PlanRef
from handlers.shared.plan_words import GRADE_NAMES
from handlers.shared.readers import reader_translator
from handlers.shared.usecase import Env
from storage import outbox
from storage.models import Member, TelegramAccount, Unit, YearlyPlan
from storage.outbox import NewMessage, text_payload
from storage.plan_reports import Person, committee_of
from storage.plan_seasons import Season

TextOf = Callable[[Translator], str]  # a message rendered in its reader's language
MAX_NAMES = 80  # the secretary's list must fit one message


def _keyboard(button: dict[str, str]) -> dict[str, Any]:
    return {"inline_keyboard": [[button]]}


async def tell_committee(
    session: AsyncSession, env: Env, member: Member, plan: YearlyPlan, event: str
) -> None:
    """Each committee member of the plan's branch but its author (when the author is the
    only one, those of the nearest unit above) hears that the plan ("submitted") or the
    self-assessment ("assessed") awaits them, with a button to read it."""
    for person in await committee_of(session, member.branch, excluding=member.id):
        if person.account is None:
            continue
        _ = reader_translator(person.account, env.settings)
        name, year = escape(member.full_name), plan.year
        if event == "submitted":
            text = _("📥 {name} submitted the yearly plan of {year}.", name=name, year=year)
            markup = _keyboard(buttons.READ.json(_("📖 Read the plan"), PlanRef(plan.id)))
        else:
            text = _("📋 {name} submitted the self-assessment of {year}.", name=name, year=year)
            markup = _keyboard(buttons.GRADE_READ.json(_("🏅 Grade"), PlanRef(plan.id)))
        payload = text_payload(text, parse_mode="HTML", reply_markup=markup)
        message = NewMessage(person.account.user_id, payload, member_id=person.member.id)
        await outbox.enqueue(session, message, env.now)


async def tell_member(session: AsyncSession, env: Env, member: Member, text_of: TextOf) -> None:
    """One message to the plan's member, rendered in their language."""
    if member.telegram_user_id is None:
        return
    account = await session.get(TelegramAccount, member.telegram_user_id)
    _ = reader_translator(account, env.settings)
    markup = _keyboard(buttons.MENU.json(_("📝 My plan")))
    payload = text_payload(text_of(_), parse_mode="HTML", reply_markup=markup)
    message = NewMessage(member.telegram_user_id, payload, member_id=member.id)
    await outbox.enqueue(session, message, env.now)


def returned_text(plan: YearlyPlan, comment: str) -> TextOf:
    return lambda _: _(
        "↩️ The committee returned your yearly plan of {year} for revision:\n<i>{comment}</i>\n"
        "Please revise it and submit it again.",
        year=plan.year,
        comment=escape(comment),
    )


def accepted_text(plan: YearlyPlan) -> TextOf:
    return lambda _: _("✅ The committee accepted your yearly plan of {year}.", year=plan.year)


def graded_text(plan: YearlyPlan) -> TextOf:
    assert plan.final_grade is not None
    grade = GRADE_NAMES[plan.final_grade]
    return lambda _: _(
        "🏅 The committee recorded your grade for {year}: {grade}.", year=plan.year, grade=_(grade)
    )


def reopened_text(year: int) -> TextOf:
    return lambda _: _(
        "🔓 The committee reopened your yearly plan of {year}: you can write and submit it now.",
        year=year,
    )


def reopen_request(
    account: TelegramAccount, reader_id: int, member: Member, season: Season, settings: Settings
) -> NewMessage:
    """The request, in the committee member's language, with the button that reopens."""
    _ = reader_translator(account, settings)
    text = _(
        "🙋 {name} did not hand in the yearly plan of {year} by the deadline ({date}) and "
        "asks you to reopen it.",
        name=escape(member.full_name),
        year=season.year,
        date=_.date_text(season.deadline),
    )
    value = MemberYear(member.id, season.year)
    markup = _keyboard(buttons.REOPEN.json(_("🔓 Reopen the plan"), value))
    return NewMessage(account.user_id, text_payload(text, "HTML", markup), member_id=reader_id)


def member_reminder(person: Person, season: Season, settings: Settings) -> NewMessage:
    _ = reader_translator(person.account, settings)
    text = _(
        "🔔 Reminder: your yearly plan of {year} and the commitment are due by {date}. "
        "Please write and submit them.",
        year=season.year,
        date=_.date_text(season.deadline),
    )
    markup = _keyboard(buttons.MENU.json(_("📝 My plan")))
    chat_id = person.account.user_id if person.account else 0
    return NewMessage(chat_id, text_payload(text, reply_markup=markup), member_id=person.member.id)


def secretary_list(
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
