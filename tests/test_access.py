"""Access decisions: roles cover their unit and everything under it, nothing beside it."""

from __future__ import annotations

import pytest

from bot.access import Action, Actor, Grant, can, can_anywhere
from storage.models import Role

BRANCH_A = "/1/2/"
BRANCH_B = "/1/3/"
OTHER_DISTRICT_BRANCH = "/9/10/"


def actor(*grants: tuple[Role, str], member: bool = True) -> Actor:
    return Actor(
        telegram_id=5,
        member_id=7 if member else None,
        branch_id=2,
        branch_path=BRANCH_A,
        active=member,
        grants=tuple(Grant(role, 0, path, "") for role, path in grants),
    )


@pytest.mark.parametrize(
    ("grants", "action", "path", "allowed"),
    [
        ((), Action.USE_MENU, None, True),
        ((), Action.VIEW_MEMBERS, BRANCH_A, False),
        (((Role.SECRETARY, BRANCH_A),), Action.MANAGE_MEMBERS, BRANCH_A, True),
        (((Role.SECRETARY, BRANCH_A),), Action.MANAGE_MEMBERS, BRANCH_B, False),
        (((Role.COMMITTEE_MEMBER, BRANCH_A),), Action.VIEW_MEMBERS, BRANCH_A, True),
        (((Role.COMMITTEE_MEMBER, BRANCH_A),), Action.MANAGE_MEMBERS, BRANCH_A, False),
        (((Role.DEPUTY_SECRETARY, "/1/"),), Action.MANAGE_MEMBERS, BRANCH_B, True),
        (((Role.SECRETARY, "/1/"),), Action.MANAGE_MEMBERS, OTHER_DISTRICT_BRANCH, False),
        # "/1/" must not cover "/10/": paths end with a slash for this reason.
        (((Role.SECRETARY, "/1/"),), Action.VIEW_MEMBERS, "/10/", False),
        (((Role.SECRETARY, BRANCH_A),), Action.VIEW_MEMBERS, None, False),
    ],
)
def test_can(grants, action: Action, path: str | None, allowed: bool) -> None:
    assert can(actor(*grants), action, path) is allowed


def test_someone_not_linked_may_do_nothing() -> None:
    nobody = actor((Role.SECRETARY, BRANCH_A), member=False)
    assert not can(nobody, Action.USE_MENU)
    assert not can(nobody, Action.MANAGE_MEMBERS, BRANCH_A)
    assert not can_anywhere(nobody, Action.VIEW_MEMBERS)


def test_menu_entries_follow_roles() -> None:
    assert not can_anywhere(actor(), Action.SEND_NOTICES)
    assert can_anywhere(actor((Role.DEPUTY_SECRETARY, BRANCH_A)), Action.SEND_NOTICES)
    assert not can_anywhere(actor((Role.COMMITTEE_MEMBER, BRANCH_A)), Action.SEND_NOTICES)
