"""Messages about plans to other people, through the outbox, each in the reader's language:
the committee hears of a submitted plan, the member of the committee's review and grade."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from bot.i18n import Translator
from handlers.common import Context
from handlers.plans.common import GRADE_NAMES
from handlers.readers import reader_translator
from storage import outbox
from storage.models import Member, TelegramAccount, YearlyPlan
from storage.outbox import NewMessage, text_payload
from storage.plan_reports import committee_of

TextOf = Callable[[Translator], str]  # a message rendered in its reader's language


def _button(label: str, data: str) -> dict[str, object]:
    return {"inline_keyboard": [[{"text": label, "callback_data": data}]]}


async def tell_committee(context: Context, plan: YearlyPlan, event: str) -> None:
    """Each committee member of the plan's branch but its author (when the author is the
    only one, those of the nearest unit above) hears that the plan ("submitted") or the
    self-assessment ("assessed") awaits them, with a button to read it."""
    member = context.member
    if member is None:
        return
    for person in await committee_of(context.db, member.branch, excluding=member.id):
        if person.account is None:
            continue
        _ = reader_translator(person.account, context.settings)
        name, year = escape(member.full_name), plan.year
        if event == "submitted":
            text = _("📥 {name} submitted the yearly plan of {year}.", name=name, year=year)
            markup = _button(_("📖 Read the plan"), f"plr:{plan.id}")
        else:
            text = _("📋 {name} submitted the self-assessment of {year}.", name=name, year=year)
            markup = _button(_("🏅 Grade"), f"plgr:{plan.id}")
        payload = text_payload(text, parse_mode="HTML", reply_markup=markup)
        message = NewMessage(person.account.user_id, payload, member_id=person.member.id)
        await outbox.enqueue(context.db, message, context.now())


async def tell_member(context: Context, member: Member, text_of: TextOf) -> None:
    """One message to the plan's member, rendered in their language."""
    if member.telegram_user_id is None:
        return
    account = await context.db.get(TelegramAccount, member.telegram_user_id)
    _ = reader_translator(account, context.settings)
    markup = _button(_("📝 My plan"), "plmenu")
    payload = text_payload(text_of(_), parse_mode="HTML", reply_markup=markup)
    message = NewMessage(member.telegram_user_id, payload, member_id=member.id)
    await outbox.enqueue(context.db, message, context.now())


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
