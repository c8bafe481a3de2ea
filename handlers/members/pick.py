"""What the members' handlers share: the member a button names (if the presser manages their
branch), and the option a picker's button names (a reason for an exemption, the kind of a
transfer: its index in the list)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from telegram import Update

from handlers.members.actions import may_manage
from handlers.members.buttons import MemberOption
from handlers.shared.common import Context, refuse
from storage.members import get_member
from storage.models import Member

T = TypeVar("T")


async def managed(update: Update, context: Context, member_id: int, refusal: str) -> Member | None:
    """The member named by the pressed button, if the presser manages their branch;
    otherwise the usual refusal (button data can be forged)."""
    member = await get_member(context.db, member_id)
    if member is None or not may_manage(context.actor, member):
        await refuse(update, context, refusal)
        return None
    return member


def chosen(options: Sequence[T], pressed: MemberOption) -> T | None:
    """The option a picker's button names; None for an index the list does not have."""
    return options[pressed.option] if pressed.option < len(options) else None
