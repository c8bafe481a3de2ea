"""What members get through the outbox, rendered once per language (`storage.bulk_outbox`):
the invitation to a survey and its reminder, with the ✍️ Answer button; and the sends to many
(handlers/shared/audience.py) that queue them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.settings import Settings
from handlers.shared.audience import Bulk
from handlers.shared.readers import PerLanguage, per_language, reader_default
from handlers.surveys.buttons import START, SurveyRef
from storage.models import Survey
from storage.outbox import text_payload
from storage.surveys import get_survey, queue_invitations, queue_reminders, utc


def closes_text(survey: Survey, _: Translator) -> str:
    if survey.closes_at is None:
        return _("no closing time")
    return _("closes {time}", time=_.datetime_text(utc(survey.closes_at)))


def answer_markup(survey_id: int, label: str) -> dict[str, Any]:
    """The Bot API JSON of the invitation's one button."""
    return {"inline_keyboard": [[START.json(label, SurveyRef(survey_id))]]}


def invitation_messages(survey: Survey, settings: Settings, reminder: bool = False) -> PerLanguage:
    """The invitation (or reminder) in each language; sent as plain text."""

    def build(_: Translator) -> tuple[str, dict[str, Any]]:
        head = _("🔔 Reminder: please answer the survey") if reminder else _("🗳 New survey")
        closes = closes_text(survey, _)  # not in the call: `make messages` would lose the plural
        lines = [
            f"{head}: {survey.title}",
            _.plural(
                "{count} question, {closes}.",
                "{count} questions, {closes}.",
                len(survey.questions),
                closes=closes,
            ),
            _anonymity_text(survey, _),
        ]
        markup = answer_markup(survey.id, _("✍️ Answer"))
        return "sendMessage", text_payload("\n".join(lines), reply_markup=markup)

    return per_language(build, settings)


def _anonymity_text(survey: Survey, _: Translator) -> str:
    if survey.anonymous:
        return _("Anonymous: your answers are stored without your name.")
    return _("Named: the committee sees who answered what.")


async def send_invitations(
    session: AsyncSession, survey: Survey, settings: Settings, now: datetime
) -> int:
    """One invitation per linked audience member, as a broadcast; how many go out."""
    messages = invitation_messages(survey, settings)
    default = reader_default(settings)
    return await queue_invitations(session, survey, messages, default=default, now=now)


async def _queue_reminder(
    session: AsyncSession,
    survey_id: int,
    settings: Settings,
    now: datetime,
    only: Collection[int] | None,
) -> int:
    survey = await get_survey(session, survey_id)
    if survey is None:
        return 0
    messages = invitation_messages(survey, settings, reminder=True)
    default = reader_default(settings)
    return await queue_reminders(session, survey, messages, default=default, now=now, only=only)


# The name is that of jobs already booked: it never changes.
SURVEY_REMINDER = Bulk("survey_reminder", _queue_reminder)
BULK = (SURVEY_REMINDER,)
