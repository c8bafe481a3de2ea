"""The one parser of typed dates."""

from __future__ import annotations

from datetime import date

import pytest

from storage.dates import parse_typed_date

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("05/11/2026", date(2026, 11, 5)),
        ("5/11/2026", date(2026, 11, 5)),
        ("5.11.2026", date(2026, 11, 5)),
        ("05-11-2026", date(2026, 11, 5)),
        ("2026-11-05", date(2026, 11, 5)),
        ("5/11", date(2026, 11, 5)),
        (" 5 / 11 ", date(2026, 11, 5)),
        ("hôm nay", TODAY),
        ("Hôm nay", TODAY),
        ("hom nay", TODAY),
        ("hôm qua", date(2026, 11, 30)),
        ("ngày 5 tháng 11", date(2026, 11, 5)),
        ("Ngày 5 tháng 11 năm 2025", date(2025, 11, 5)),
        ("5 thang 11", date(2026, 11, 5)),
        ("today", TODAY),
        ("yesterday", date(2026, 11, 30)),
    ],
)
def test_a_typed_date_is_read(typed: str, meant: date) -> None:
    assert parse_typed_date(typed, TODAY) == meant


@pytest.mark.parametrize("typed", ["", "31/02/2026", "hôm sau", "5", "tháng 11", "32/1", "abc"])
def test_what_is_not_a_date_is_refused(typed: str) -> None:
    assert parse_typed_date(typed, TODAY) is None
