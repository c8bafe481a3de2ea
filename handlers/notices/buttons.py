"""The notices' buttons, each declared once (shared/buttons.py). The data on the wire is what
the handlers wrote by hand before: `nnew`, `na:<unit>`, `nst:<notice>`, `nack:<notice>`..."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from handlers.shared.buttons import Bounded, ButtonKind
from storage.notices import NoticeList

MAX_PAGE = 100_000  # of 60 names: more than any organisation has members


@dataclass(frozen=True)
class UnitRef:
    unit_id: int


@dataclass(frozen=True)
class NoticeRef:
    notice_id: int


@dataclass(frozen=True)
class NamesPage:
    notice_id: int
    which: Annotated[int, Bounded(0, len(NoticeList) - 1)]  # the list: its place in NoticeList
    page: Annotated[int, Bounded(0, MAX_PAGE)]  # from 0


NEW = ButtonKind("nnew")  # ✍️ New notice / Continue the draft
AUDIENCE = ButtonKind("na", UnitRef)  # the unit that gets the notice
SEND = ButtonKind("nsend")  # 📤 Send under the preview
CANCEL = ButtonKind("ncancel")  # ❌ Cancel: the draft is discarded
LIST = ButtonKind("nlist")  # 📋 Notices sent
STATUS = ButtonKind("nst", NoticeRef)  # 📊 Status / 🔄 Refresh
NAMES = ButtonKind("nsl", NamesPage)  # ▶ a list's names of the status, page by page
REMIND = ButtonKind("nrm", NoticeRef)  # 🔔 Remind the members who did not acknowledge
ACKNOWLEDGE = ButtonKind("nack", NoticeRef)  # the members' ✅ Received
