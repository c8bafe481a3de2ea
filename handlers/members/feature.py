"""The branch members' features, declared once: bot/app.py registers what is listed here (four
features, tried in this order)."""

from __future__ import annotations

from bot.i18n import N_
from handlers.members import buttons, draft, listing, probation, status, transfers
from handlers.shared.buttons import any_of
from handlers.shared.drafts import Draft
from handlers.shared.feature import Feature
from storage.probation import KIND as PROBATION_JOB
from storage.transfers import OVERDUE_KIND as TRANSFER_JOB

MEMBERS = N_("👥 Branch members")


MEMBERS_LIST = Feature(
    "members", buttons=listing.ROUTES, menu={"members": listing.show_branch_members}
)
MEMBER_STATUS = Feature(
    "member_status",
    buttons=status.ROUTES,
    flows={
        draft.STATUS_FLOW: Draft(
            status.on_status_input,
            N_("a member's party standing"),
            MEMBERS,
            buttons=any_of(
                buttons.CARD,
                buttons.EXEMPT,
                buttons.EXEMPT_REASON,
                buttons.NO_END,
                buttons.END_EXEMPTION,
                buttons.BACK,
            ),
        )
    },
)
PROBATION = Feature(
    "probation",
    buttons=probation.ROUTES,
    flows={
        draft.PROBATION_FLOW: Draft(
            probation.on_probation_input,
            N_("an admission or probation"),
            MEMBERS,
            buttons=any_of(
                buttons.ADMISSION,
                buttons.NOT_RECOGNISED,
                buttons.NOT_RECOGNISED_CONFIRM,
                buttons.RECOGNISED,
            ),
        )
    },
    jobs={PROBATION_JOB: probation.remind_probation},
)
TRANSFERS = Feature(
    "transfers",
    buttons=transfers.ROUTES,
    flows={
        draft.TRANSFER_FLOW: Draft(
            transfers.on_transfer_input,
            N_("a transfer of party activity"),
            MEMBERS,
            buttons=any_of(
                buttons.TRANSFER_BRANCH,
                buttons.TRANSFER_CONFIRM,
                buttons.TRANSFER,
                buttons.TRANSFER_KIND,
                buttons.TRANSFER_OUTSIDE,
            ),
        )
    },
    jobs={TRANSFER_JOB: transfers.flag_overdue},
)
