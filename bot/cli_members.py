"""`chibo member status`: mark a member active or inactive (moved away, deceased, removed)."""

from __future__ import annotations

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_support import fail, load_settings, run_in_transaction
from storage import audit
from storage.members import find_member
from storage.models import MemberStatus

STATUS_CHOICE = click.Choice([s.value for s in MemberStatus])


@click.group()
def member() -> None:
    """Members of the rosters."""


@member.command("status")
@click.argument("person")
@click.argument("status", type=STATUS_CHOICE)
def member_status(person: str, status: str) -> None:
    """Set PERSON (phone or party card number) active or inactive.

    An inactive member keeps their records but gets no menu and no messages.
    """
    settings, _ = load_settings()

    async def work(session: AsyncSession) -> str | None:
        found = await find_member(session, person)
        if found is None:
            return None
        found.status = MemberStatus(status)
        await audit.record(
            session,
            "member_status",
            actor_label="cli",
            unit_id=found.branch_id,
            object_type="member",
            object_id=found.id,
            details={"status": status},
        )
        return found.full_name

    name = run_in_transaction(settings, work)
    if name is None:
        fail(_("No member has the phone or party card number {person}.", person=person))
    click.echo(_("Done: {name}.", name=name))
