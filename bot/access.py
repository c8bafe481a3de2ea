"""The one place that decides whether a person may do something to a unit or a member.

Every handler and every button press asks here, on the server: callback data comes from the
client and can be forged, and roles change while old buttons stay on people's screens.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from storage.models import Member, MemberStatus, Role


class Action(enum.StrEnum):
    USE_MENU = "use_menu"
    VIEW_OWN_RECORD = "view_own_record"
    VIEW_MEMBERS = "view_members"
    MANAGE_MEMBERS = "manage_members"
    VIEW_REPORTS = "view_reports"
    SEND_NOTICES = "send_notices"
    # Create surveys, see their results and who has not answered, remind them.
    MANAGE_SURVEYS = "manage_surveys"
    VIEW_EXPORT_LOG = "view_export_log"
    MANAGE_MEETINGS = "manage_meetings"
    # Residence ties: the residence branch's leaders confirm ties and activities and write the
    # yearly comment; the workplace committee sees the overview, records exemptions, reminds.
    HOST_RESIDENCE = "host_residence"
    VIEW_RESIDENCE = "view_residence"
    MANAGE_RESIDENCE = "manage_residence"
    REVIEW_PLANS = "review_plans"  # read, accept or return members' yearly plans
    GRADE_MEMBERS = "grade_members"  # record the year's final grade


# Which roles allow which unit-scoped action; a role covers its unit and every unit under it.
UNIT_ACTIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_MEMBERS: frozenset(Role),
    Action.VIEW_REPORTS: frozenset(Role),
    Action.MANAGE_MEMBERS: frozenset({Role.SECRETARY, Role.DEPUTY_SECRETARY}),
    Action.SEND_NOTICES: frozenset({Role.SECRETARY, Role.DEPUTY_SECRETARY}),
    # "A secretary or committee creates a survey": every committee role.
    Action.MANAGE_SURVEYS: frozenset(Role),
    # Who exported the unit's data: the secretary's oversight of the committee's exports.
    Action.VIEW_EXPORT_LOG: frozenset({Role.SECRETARY, Role.DEPUTY_SECRETARY}),
    Action.MANAGE_MEETINGS: frozenset({Role.SECRETARY, Role.DEPUTY_SECRETARY}),
    Action.HOST_RESIDENCE: frozenset({Role.SECRETARY, Role.DEPUTY_SECRETARY}),
    Action.VIEW_RESIDENCE: frozenset(Role),
    Action.MANAGE_RESIDENCE: frozenset({Role.SECRETARY, Role.DEPUTY_SECRETARY}),
    # The branch committee (secretary, deputy, committee members) reviews and grades.
    Action.REVIEW_PLANS: frozenset(Role),
    Action.GRADE_MEMBERS: frozenset(Role),
}


@dataclass(frozen=True)
class Grant:
    role: Role
    unit_id: int
    unit_path: str
    unit_name: str


@dataclass(frozen=True)
class Actor:
    """The person behind an update, as far as permissions go."""

    telegram_id: int
    member_id: int | None = None
    branch_id: int | None = None
    branch_path: str | None = None
    active: bool = False
    grants: tuple[Grant, ...] = ()

    @property
    def is_member(self) -> bool:
        return self.member_id is not None and self.active

    @classmethod
    def of(cls, telegram_id: int, member: Member | None) -> Actor:
        if member is None:
            return cls(telegram_id=telegram_id)
        grants = tuple(
            Grant(ra.role, ra.unit_id, ra.unit.path, ra.unit.name) for ra in member.roles
        )
        return cls(
            telegram_id=telegram_id,
            member_id=member.id,
            branch_id=member.branch_id,
            branch_path=member.branch.path,
            active=member.status == MemberStatus.ACTIVE,
            grants=grants,
        )


def covers(grant_path: str, target_path: str) -> bool:
    """A unit path covers itself and every path under it ('/1/' covers '/1/4/')."""
    return target_path.startswith(grant_path)


def can(actor: Actor, action: Action, unit_path: str | None = None) -> bool:
    """May `actor` do `action` (on the unit at `unit_path`, for unit-scoped actions)?"""
    if not actor.is_member:
        return False
    if action in (Action.USE_MENU, Action.VIEW_OWN_RECORD):
        return True
    allowed = UNIT_ACTIONS.get(action, frozenset())
    return unit_path is not None and any(
        g.role in allowed and covers(g.unit_path, unit_path) for g in actor.grants
    )


def can_anywhere(actor: Actor, action: Action) -> bool:
    """Does the actor hold any role allowing `action` (to decide which menu entries to show)?"""
    allowed = UNIT_ACTIONS.get(action, frozenset())
    return actor.is_member and any(g.role in allowed for g in actor.grants)


def can_on_member(actor: Actor, action: Action, member: Member) -> bool:
    """Unit-scoped action on a member: decided on the member's own branch."""
    return can(actor, action, member.branch.path)


def paths_for(actor: Actor, action: Action) -> set[str]:
    """The unit paths under which the actor may do `action` (empty for a plain member)."""
    if not actor.is_member:
        return set()
    allowed = UNIT_ACTIONS.get(action, frozenset())
    return {g.unit_path for g in actor.grants if g.role in allowed}
