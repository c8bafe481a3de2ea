"""The button codec (handlers/shared/buttons.py): buttons keep the wire format they were written in
by hand, so those already in chats and outbox rows still work, and forged data is refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

import pytest

from handlers.members import buttons as member_buttons
from handlers.members.buttons import (
    MemberAccount,
    MemberBranch,
    MemberOption,
    MemberRef,
    Page,
    TransferRef,
)
from handlers.members.buttons import UnitRef as MemberUnitRef
from handlers.notices import buttons as notice_buttons
from handlers.notices.buttons import NoticeRef, UnitRef
from handlers.onboarding import buttons as onboarding_buttons
from handlers.onboarding.buttons import ConsentAnswer, LanguageChoice
from handlers.reports import buttons as report_buttons
from handlers.reports.buttons import DatasetChoice, DatasetFormat, DatasetRef, DatasetUnit
from handlers.reports.buttons import UnitRef as ReportUnitRef
from handlers.shared import drafts
from handlers.shared.buttons import PRESSED, Bounded, ButtonKind
from handlers.shared.drafts import FlowName


@dataclass(frozen=True)
class Pair:
    member_id: int
    year: Annotated[int, Bounded(2000, 2100)]


@dataclass(frozen=True)
class Answer:
    choice: Literal["yes", "no"]


@dataclass(frozen=True)
class MaybeRow:
    row: int | None = None


def test_notice_buttons_are_written_as_the_handlers_wrote_them_by_hand() -> None:
    notice_id, unit_id = 417, 12
    made = [
        notice_buttons.NEW.data(),
        notice_buttons.AUDIENCE.data(UnitRef(unit_id)),
        notice_buttons.SEND.data(),
        notice_buttons.CANCEL.data(),
        notice_buttons.LIST.data(),
        notice_buttons.STATUS.data(NoticeRef(notice_id)),
        notice_buttons.REMIND.data(NoticeRef(notice_id)),
        notice_buttons.ACKNOWLEDGE.data(NoticeRef(notice_id)),
    ]
    today = ["nnew", f"na:{unit_id}", "nsend", "ncancel", "nlist"]
    today += [f"nst:{notice_id}", f"nrm:{notice_id}", f"nack:{notice_id}"]
    assert made == today
    assert notice_buttons.ACKNOWLEDGE.json("✅ Received", NoticeRef(notice_id)) == {
        "text": "✅ Received",
        "callback_data": f"nack:{notice_id}",
    }
    button = notice_buttons.STATUS.button("📊 Status", NoticeRef(notice_id))
    assert (button.text, button.callback_data) == ("📊 Status", f"nst:{notice_id}")


def test_todays_data_parses_to_typed_values() -> None:
    assert notice_buttons.ACKNOWLEDGE.parse("nack:417") == NoticeRef(417)
    assert notice_buttons.AUDIENCE.parse("na:2147483647") == UnitRef(2**31 - 1)
    assert notice_buttons.NEW.parse("nnew") is PRESSED
    assert ButtonKind("plro", Pair).parse("plro:5:2026") == Pair(5, 2026)
    assert ButtonKind("consent", Answer).parse("consent:no") == Answer("no")
    plrec = ButtonKind("plrec", MaybeRow)
    assert (plrec.parse("plrec"), plrec.parse("plrec:3")) == (MaybeRow(), MaybeRow(3))
    assert (plrec.data(MaybeRow()), plrec.data(MaybeRow(3))) == ("plrec", "plrec:3")
    # Its route answers both (every field may be left off), and no longer prefix.
    matched = [bool(re.match(plrec.pattern, d)) for d in ("plrec", "plrec:3", "plrecx", "plre")]
    assert matched == [True, True, False, False]
    assert not re.match(ButtonKind("plro", Pair).pattern, "plro")  # a field is required


@pytest.mark.parametrize(
    "data",
    [
        "nack:abc",
        "nack:",
        "nack",
        "nack:-1",
        "nack:+1",
        "nack: 1",
        "nack:1_000",
        "nack:2147483648",  # beyond a 32-bit id: must not reach a query
        "nack:1:2",
        "nackx:1",
        "na:1",
        "nack:١٢",  # digits of another script are digits to str.isdigit, not to us
    ],
)
def test_forged_or_malformed_data_does_not_parse(data: str) -> None:
    assert notice_buttons.ACKNOWLEDGE.parse(data) is None


def test_fields_are_bounds_checked_and_choices_closed() -> None:
    kind = ButtonKind("plro", Pair)
    assert kind.parse("plro:5:1999") is None and kind.parse("plro:5:2101") is None
    assert kind.parse("plro:5") is None  # a required field missing
    assert ButtonKind("consent", Answer).parse("consent:maybe") is None
    assert notice_buttons.NEW.parse("nnew:1") is None


def test_patterns_route_only_their_kind() -> None:
    data = ["nst:1", "nsend", "nstx:1", "nnew", "nnewer", "nack:1", "na:1"]
    matched = {
        kind.prefix: [d for d in data if re.match(kind.pattern, d)]
        for kind in (notice_buttons.STATUS, notice_buttons.NEW, notice_buttons.AUDIENCE)
    }
    assert matched == {"nst": ["nst:1"], "nnew": ["nnew"], "na": ["na:1"]}


def test_declarations_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValueError, match="prefix"):
        ButtonKind("n:st")
    with pytest.raises(ValueError, match="64 bytes"):
        ButtonKind("x", Answer).data(Answer("y" * 70))  # type: ignore[arg-type]

    @dataclass(frozen=True)
    class OptionalFirst:
        a: int | None
        b: int

    with pytest.raises(TypeError, match="optional"):
        ButtonKind("of", OptionalFirst)


# --- the small features: each kind's data is what its handler wrote by hand ----------------


def test_onboarding_buttons_are_written_as_the_handlers_wrote_them_by_hand() -> None:
    other_code = "en"
    made = [
        onboarding_buttons.CONSENT.data(ConsentAnswer("yes")),
        onboarding_buttons.CONSENT.data(ConsentAnswer("no")),
        onboarding_buttons.LANGUAGE.data(LanguageChoice(other_code)),
    ]
    assert made == ["consent:yes", "consent:no", f"lang:{other_code}"]
    # What is in chats parses back to what it was made from.
    assert onboarding_buttons.CONSENT.parse("consent:no") == ConsentAnswer("no")
    assert onboarding_buttons.LANGUAGE.parse(f"lang:{other_code}") == LanguageChoice(other_code)


def test_member_buttons_are_written_as_the_handlers_wrote_them_by_hand() -> None:
    b = member_buttons
    unit, member, page, account, reason, kind, branch, transfer = 12, 417, 3, 2**40, 2, 1, 9, 77
    made = {
        b.PAGE.data(Page(unit, page)): f"mb:{unit}:{page}",
        b.RESET.data(MemberRef(member)): f"ub:{member}",
        b.RESET_CONFIRM.data(MemberAccount(member, account)): f"ubok:{member}:{account}",
        b.INVITE.data(MemberRef(member)): f"inv:{member}",
        b.CARD.data(MemberRef(member)): f"sts:{member}",
        b.EXEMPT.data(MemberRef(member)): f"stx:{member}",
        b.EXEMPT_REASON.data(MemberOption(member, reason)): f"stxr:{member}:{reason}",
        b.NO_END.data(MemberRef(member)): f"stxn:{member}",
        b.END_EXEMPTION.data(MemberRef(member)): f"stxe:{member}",
        b.BACK.data(MemberRef(member)): f"stxb:{member}",
        b.ADMISSION.data(MemberUnitRef(unit)): f"adm:{unit}",
        b.RECOGNISED.data(MemberRef(member)): f"prr:{member}",
        b.NOT_RECOGNISED.data(MemberRef(member)): f"prn:{member}",
        b.NOT_RECOGNISED_CONFIRM.data(MemberRef(member)): f"prnok:{member}",
        b.TRANSFER.data(MemberRef(member)): f"trf:{member}",
        b.TRANSFER_KIND.data(MemberOption(member, kind)): f"trk:{member}:{kind}",
        b.TRANSFER_BRANCH.data(MemberBranch(member, branch)): f"trb:{member}:{branch}",
        b.TRANSFER_OUTSIDE.data(MemberRef(member)): f"tro:{member}",
        b.TRANSFER_CONFIRM.data(TransferRef(transfer)): f"trc:{transfer}",
    }
    assert list(made) == list(made.values())
    assert b.TRANSFER_CONFIRM.json("✅ Confirm receipt", TransferRef(transfer)) == {
        "text": "✅ Confirm receipt",
        "callback_data": f"trc:{transfer}",
    }
    # A reset confirmed for a Telegram account id beyond a row id still parses (52 bits).
    assert b.RESET_CONFIRM.parse(f"ubok:{member}:{2**52}") == MemberAccount(member, 2**52)
    assert b.RESET_CONFIRM.parse(f"ubok:{member}:{2**52 + 1}") is None
    assert b.RESET.parse(f"ub:{2**31}") is None


def test_report_buttons_are_written_as_the_handlers_wrote_them_by_hand() -> None:
    b = report_buttons
    key, unit, choice, fmt = "surveys", 12, 417, 1
    tail = ""  # a dataset about no item among several
    made = {
        b.DATASET.data(DatasetRef(key)): f"xd:{key}",
        b.UNIT.data(DatasetUnit(key, unit)): f"xu:{key}:{unit}",
        b.CHOICE.data(DatasetChoice(key, unit, choice)): f"xc:{key}:{unit}:{choice}",
        b.FORMAT.data(DatasetFormat(key, unit, fmt)): f"xf:{key}:{unit}:{fmt}{tail}",
        b.FORMAT.data(DatasetFormat(key, unit, fmt, choice)): f"xf:{key}:{unit}:{fmt}:{choice}",
        b.LOG.data(): "xlog",
        b.SCORECARD.data(): "sc",
        b.SCORECARD_UNIT.data(ReportUnitRef(unit)): f"scu:{unit}",
        b.SCORECARD_TABLE.data(ReportUnitRef(unit)): f"scc:{unit}",
    }
    assert list(made) == list(made.values())
    assert b.FORMAT.parse(f"xf:{key}:{unit}:{fmt}") == DatasetFormat(key, unit, fmt)
    assert b.FORMAT.parse(f"xf:{key}:{unit}:{fmt}:{choice}") == DatasetFormat(
        key, unit, fmt, choice
    )
    assert b.SCORECARD.parse("sc:1") is None and b.UNIT.parse(f"xu::{unit}") is None


def test_draft_buttons_are_written_as_the_handlers_wrote_them_by_hand() -> None:
    """❌ / ▶️ / ✅ / ✏️ under every waiting question: `dfx`, then `dfr|dfs|dfe:<flow>`."""
    flow = FlowName("survey_answer")
    assert drafts.CANCEL.data() == "dfx"
    assert drafts.RESUME.data(flow) == "dfr:survey_answer"
    assert drafts.SEND.data(flow) == "dfs:survey_answer"
    assert drafts.EDIT.data(flow) == "dfe:survey_answer"
    assert drafts.SEND.parse("dfs:plan_return") == FlowName("plan_return")
    assert drafts.CANCEL.parse("dfx") is PRESSED
    assert drafts.RESUME.parse("dfs:plan") is None
    assert re.match(drafts.EDIT.pattern, "dfe:meeting_edit")
    assert not re.match(drafts.EDIT.pattern, "dfe")
