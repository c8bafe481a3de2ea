"""Every feature of the bot, in the order their handlers are tried: the one list bot/app.py
reads (see docs/architecture.md).

A converted feature declares itself in its package (`handlers/notices/feature.py`). The
others are declared here through the same object, wrapping what bot/app.py registered for
them before: their handler lists, menu entries, flows and jobs, unchanged. Converting one
means moving its entry into its package and its buttons to the codec (handlers/buttons.py).
"""

from __future__ import annotations

from bot.i18n import N_
from handlers import probation, transfers
from handlers.drafts import Draft
from handlers.feature import Feature
from handlers.language import language_handlers
from handlers.meetings.feature import FEATURE as MEETINGS_FEATURE
from handlers.member_status import STATUS_FLOW, member_status_handlers, on_status_input
from handlers.members import member_handlers, show_branch_members
from handlers.menu import NOT_LINKED, show_help
from handlers.notices.feature import BULK as NOTICE_BULK
from handlers.notices.feature import FEATURE as NOTICES
from handlers.onboarding import on_typed_before_link, onboarding_handlers
from handlers.plans.feature import FEATURE as PLANS
from handlers.profile import profile_handlers, show_me
from handlers.reports import report_handlers, show_reports
from handlers.residence.feature import FEATURE as RESIDENCE
from handlers.scorecard import scorecard_handlers
from handlers.shared import audience
from handlers.surveys.feature import BULK as SURVEY_BULK
from handlers.surveys.feature import FEATURE as SURVEYS_FEATURE
from storage.probation import KIND as PROBATION_JOB
from storage.transfers import OVERDUE_KIND as TRANSFER_JOB

MEMBERS = N_("👥 Branch members")


ONBOARDING = Feature("onboarding", onboarding_handlers, menu={NOT_LINKED: on_typed_before_link})
LANGUAGE = Feature("language", language_handlers)
PROFILE = Feature("profile", profile_handlers, menu={"me": show_me})
MEMBERS_LIST = Feature("members", member_handlers, menu={"members": show_branch_members})
MEMBER_STATUS = Feature(
    "member_status",
    member_status_handlers,
    flows={
        STATUS_FLOW: Draft(
            on_status_input, N_("a member's party standing"), MEMBERS, buttons=r"^(sts:|stx)"
        )
    },
)
PROBATION = Feature(
    "probation",
    probation.probation_handlers,
    flows={
        probation.PROBATION_FLOW: Draft(
            probation.on_probation_input,
            N_("an admission or probation"),
            MEMBERS,
            buttons=r"^(adm:|prn:|prnok:|prr:)",
        )
    },
    jobs={PROBATION_JOB: probation.remind_probation},
)
TRANSFERS = Feature(
    "transfers",
    transfers.transfer_handlers,
    flows={
        transfers.TRANSFER_FLOW: Draft(
            transfers.on_transfer_input,
            N_("a transfer of party activity"),
            MEMBERS,
            buttons=r"^tr[bcfko]:",
        )
    },
    jobs={TRANSFER_JOB: transfers.flag_overdue},
)
REPORTS = Feature("reports", report_handlers, menu={"reports": show_reports})
SCORECARD = Feature("scorecard", scorecard_handlers)
# Messages to many (handlers/shared/audience.py): one stored job kind for every feature's sends.
BULK_SEND = Feature(
    "bulk_send", jobs={audience.KIND: audience.bulk_job((*NOTICE_BULK, *SURVEY_BULK))}
)
HELP = Feature("help", menu={"help": show_help})

FEATURES: tuple[Feature, ...] = (
    ONBOARDING,
    LANGUAGE,
    PROFILE,
    MEMBERS_LIST,
    MEMBER_STATUS,
    PROBATION,
    TRANSFERS,
    NOTICES,
    MEETINGS_FEATURE,
    RESIDENCE,
    PLANS,
    REPORTS,
    SCORECARD,
    SURVEYS_FEATURE,
    BULK_SEND,
    HELP,
)
