"""The branch members' buttons, each declared once (shared/buttons.py). The data on the wire
is what the handlers wrote by hand before:

the list: `mb:<branch>:<page>`, `ub:<member>` reset a link, `ubok:<member>:<account>` confirmed
(for the account the button was made for), `inv:<member>` an invite link;
the standing: `sts:<member>` the card, `stx:<member>` exempt, `stxr:<member>:<reason>`,
`stxn:<member>` no end date, `stxe:<member>` end the exemption, `stxb:<member>` back from a
temporary transfer;
admission and probation: `adm:<branch>`, `prr:<member>` recognised, `prn:<member>` not
recognised, `prnok:<member>` confirmed;
transfers: `trf:<member>` start, `trk:<member>:<kind>`, `trb:<member>:<branch>` a branch in the
bot, `tro:<member>` outside the bot, `trc:<transfer>` confirm receipt.

An option chosen from a list (`stxr`, `trk`) is its index in the list; the handler checks it,
with its own refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from handlers.shared.buttons import Bounded, ButtonKind
from storage.models import MAX_TELEGRAM_ID


@dataclass(frozen=True)
class UnitRef:
    unit_id: int


@dataclass(frozen=True)
class Page:
    unit_id: int
    page: int


@dataclass(frozen=True)
class MemberRef:
    member_id: int


@dataclass(frozen=True)
class MemberAccount:
    member_id: int
    telegram_id: Annotated[int, Bounded(0, MAX_TELEGRAM_ID)]


@dataclass(frozen=True)
class MemberOption:
    """One of a list of options (a reason, a kind of transfer) for the member, by index."""

    member_id: int
    option: int


@dataclass(frozen=True)
class MemberBranch:
    member_id: int
    branch_id: int


@dataclass(frozen=True)
class TransferRef:
    transfer_id: int


# The list (handlers/members/listing.py)
PAGE = ButtonKind("mb", Page)  # a branch, ◀ Previous / Next ▶
RESET = ButtonKind("ub", MemberRef)  # 🔓 Reset link: <name>
RESET_CONFIRM = ButtonKind("ubok", MemberAccount)  # Yes, reset the link
INVITE = ButtonKind("inv", MemberRef)  # 🔗 Invite link: <name>
# The standing (handlers/members/status.py)
CARD = ButtonKind("sts", MemberRef)  # 📋 <name>
EXEMPT = ButtonKind("stx", MemberRef)  # 🛌 Exempt from activity
EXEMPT_REASON = ButtonKind("stxr", MemberOption)  # one per reason of storage.standing.DETAILS
NO_END = ButtonKind("stxn", MemberRef)  # No end date
END_EXEMPTION = ButtonKind("stxe", MemberRef)  # ▶️ End the exemption
BACK = ButtonKind("stxb", MemberRef)  # ↩️ Back at the branch
# Admission and probation (handlers/members/probation.py)
ADMISSION = ButtonKind("adm", UnitRef)  # ➕ Record an admission
RECOGNISED = ButtonKind("prr", MemberRef)  # ✅ Recognised as full member
NOT_RECOGNISED = ButtonKind("prn", MemberRef)  # ❌ Not recognised
NOT_RECOGNISED_CONFIRM = ButtonKind("prnok", MemberRef)  # Yes, record it
# Transfers (handlers/members/transfers.py)
TRANSFER = ButtonKind("trf", MemberRef)  # ➡️ Transfer of party activity
TRANSFER_KIND = ButtonKind("trk", MemberOption)  # Official / Temporary
TRANSFER_BRANCH = ButtonKind("trb", MemberBranch)  # a receiving branch in the bot
TRANSFER_OUTSIDE = ButtonKind("tro", MemberRef)  # Not in the bot: <name>
TRANSFER_CONFIRM = ButtonKind("trc", TransferRef)  # ✅ Confirm receipt (outbox)
