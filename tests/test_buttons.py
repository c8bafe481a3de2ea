"""The button codec (handlers/buttons.py): buttons keep the wire format they were written in
by hand, so those already in chats and outbox rows still work, and forged data is refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

import pytest

from handlers.buttons import PRESSED, Bounded, ButtonKind
from handlers.notices import buttons as notice_buttons
from handlers.notices.buttons import NoticeRef, UnitRef


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
