"""The notices' buttons, each declared once (shared/buttons.py). The data on the wire is what
the handlers wrote by hand before: `nnew`, `na:<unit>`, `nst:<notice>`, `nack:<notice>`..."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.shared.buttons import ButtonKind


@dataclass(frozen=True)
class UnitRef:
    unit_id: int


@dataclass(frozen=True)
class NoticeRef:
    notice_id: int


@dataclass(frozen=True)
class NamesPage:
    notice_id: int
    which: int  # the list: its place in handlers/notices/status.py LISTS
    page: int  # from 0


NEW = ButtonKind("nnew")  # ✍️ New notice / Continue the draft
AUDIENCE = ButtonKind("na", UnitRef)  # the unit that gets the notice
SEND = ButtonKind("nsend")  # 📤 Send under the preview
CANCEL = ButtonKind("ncancel")  # ❌ Cancel: the draft is discarded
LIST = ButtonKind("nlist")  # 📋 Notices sent
STATUS = ButtonKind("nst", NoticeRef)  # 📊 Status / 🔄 Refresh
NAMES = ButtonKind("nsl", NamesPage)  # ▶ a list's names of the status, page by page
REMIND = ButtonKind("nrm", NoticeRef)  # 🔔 Remind the members who did not acknowledge
ACKNOWLEDGE = ButtonKind("nack", NoticeRef)  # the members' ✅ Received
