"""Every feature of the bot, in the order their handlers are tried: the one list bot/app.py
reads (see docs/architecture.md).

Each feature declares itself in its own package or module (`handlers/notices/feature.py`);
this list only orders them. It is the one module that imports every feature.
"""

from __future__ import annotations

from handlers.help import FEATURE as HELP
from handlers.meetings.feature import FEATURE as MEETINGS
from handlers.members.feature import MEMBER_STATUS, MEMBERS_LIST, PROBATION, TRANSFERS
from handlers.notices.feature import BULK as NOTICE_BULK
from handlers.notices.feature import FEATURE as NOTICES
from handlers.onboarding.feature import LANGUAGE, ONBOARDING
from handlers.plans.feature import FEATURE as PLANS
from handlers.profile import FEATURE as PROFILE
from handlers.reports.feature import REPORTS, SCORECARD
from handlers.residence.feature import FEATURE as RESIDENCE
from handlers.shared import audience
from handlers.shared.feature import Feature
from handlers.surveys.feature import BULK as SURVEY_BULK
from handlers.surveys.feature import FEATURE as SURVEYS

# Messages to many (handlers/shared/audience.py): one stored job kind for every feature's sends.
BULK_SEND = Feature(
    "bulk_send", jobs={audience.KIND: audience.bulk_job((*NOTICE_BULK, *SURVEY_BULK))}
)

FEATURES: tuple[Feature, ...] = (
    ONBOARDING,
    LANGUAGE,
    PROFILE,
    MEMBERS_LIST,
    MEMBER_STATUS,
    PROBATION,
    TRANSFERS,
    NOTICES,
    MEETINGS,
    RESIDENCE,
    PLANS,
    REPORTS,
    SCORECARD,
    SURVEYS,
    BULK_SEND,
    HELP,
)
