"""The residence ties dataset: each active member of the units (their workplace branch), their
current tie, exemption, and the residence branch's comment of the chosen year."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import clock
from storage.exports.dataset import (
    N_,
    Choice,
    Column,
    Dataset,
    ExportScope,
    Kind,
    Row,
    in_scope,
    member_years,
    stream_batches,
    year_choices,
)
from storage.models import (
    ExemptionKind,
    Member,
    MemberStatus,
    ResidenceComment,
    ResidenceExemption,
    ResidenceTie,
    TieStatus,
    Unit,
)

TIE_LABELS = {
    TieStatus.PENDING.value: N_("Waiting for confirmation"),
    TieStatus.CONFIRMED.value: N_("Confirmed"),
    TieStatus.DECLINED.value: N_("Declined"),
    TieStatus.UNLISTED.value: N_("Registered (branch not in the bot)"),
}
EXEMPTION_LABELS = {
    ExemptionKind.ARMED_FORCES.value: N_("armed forces living in barracks"),
    ExemptionKind.AWAY_OR_MOBILE.value: N_("working far away or on the move"),
    ExemptionKind.FULL_TIME_STUDY.value: N_("full-time study"),
    ExemptionKind.OTHER.value: N_("other reason"),
    ExemptionKind.NOT_INTRODUCED.value: N_("exempt from the introduction"),
}
COLUMNS = (
    Column(N_("Branch"), width=28),
    Column(N_("Full name"), width=28),
    Column(N_("Address"), width=36),
    Column(N_("Residence branch"), width=28),
    Column(N_("Letter no."), width=12),
    Column(N_("Letter date"), Kind.DATE, width=12),
    Column(N_("Tie"), width=22, labels=TIE_LABELS),
    Column(N_("Exemption"), width=26, labels=EXEMPTION_LABELS),
    Column(N_("Takes part in the branch meetings"), Kind.YES_NO, width=12),
    Column(N_("Sets an example where they live"), Kind.YES_NO, width=12),
    Column(N_("Keeps contact with the people"), Kind.YES_NO, width=12),
    Column(N_("Residence comment"), width=40),
)


async def comment_years(session: AsyncSession, unit: Unit) -> list[Choice]:
    """Years with residence comments on the unit's members, newest first, and the current one."""
    years = await member_years(session, unit, ResidenceComment.year, ResidenceComment.member_id)
    return year_choices(years, clock.now().year)


async def residence_dataset(session: AsyncSession, scope: ExportScope) -> Dataset:
    """Members of working and residential branches alike; the tie and exemption in force now."""
    year = scope.choice or clock.now().year
    home = aliased(Unit)
    query = (
        select(
            Unit.name,
            Member.full_name,
            ResidenceTie.address,
            func.coalesce(home.name, ResidenceTie.residence_branch_text),
            ResidenceTie.letter_no,
            ResidenceTie.letter_date,
            ResidenceTie.status,
            ResidenceExemption.kind,
            ResidenceComment.takes_part,
            ResidenceComment.sets_example,
            ResidenceComment.keeps_contact,
            ResidenceComment.comment,
        )
        .join(Member, Member.branch_id == Unit.id)
        .outerjoin(
            ResidenceTie, (ResidenceTie.member_id == Member.id) & ResidenceTie.ended_at.is_(None)
        )
        .outerjoin(home, home.id == ResidenceTie.residence_branch_id)
        .outerjoin(
            ResidenceExemption,
            (ResidenceExemption.member_id == Member.id) & ResidenceExemption.ended_at.is_(None),
        )
        .outerjoin(
            ResidenceComment,
            (ResidenceComment.member_id == Member.id) & (ResidenceComment.year == year),
        )
        .where(in_scope(Unit.path, scope), Member.status == MemberStatus.ACTIVE)
        .order_by(Unit.name_folded, Unit.id, Member.name_folded, Member.id)
    )

    def convert(row: Any) -> Row:
        return tuple(row)

    return Dataset(
        N_("Residence ties and comments"), COLUMNS, stream_batches(session, query, convert)
    )
