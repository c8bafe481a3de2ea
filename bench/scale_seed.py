"""An organisation of realistic shape, seeded fast with bulk Core inserts: committees of 10
branches of 30 members under one root committee, with a year of activity (residence ties,
exemptions, comments, plans, a recorded meeting per branch, an organisation-wide survey and
notice). Used by bench/scale.py and by the scale tests.

Who has what follows the member's number `i` in the organisation (see the `has_*` rules), so
a test can count what a figure must show without loading anything.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import JSON, Enum, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attendance,
    Base,
    Broadcast,
    DeliveryStatus,
    Grade,
    Meeting,
    MeetingAudience,
    MeetingInvite,
    MeetingKind,
    Member,
    MemberStanding,
    MemberStatus,
    Notice,
    NoticeReceipt,
    OutboxMessage,
    PlanStatus,
    ResidenceComment,
    ResidenceExemption,
    ResidenceTie,
    Standing,
    Survey,
    SurveyParticipation,
    TelegramAccount,
    TieStatus,
    Unit,
    YearlyPlan,
)
from storage.survey_questions import Kind, Question

BRANCHES_PER_COMMITTEE = 10
MEMBERS_PER_BRANCH = 30
CHUNK = 2000
YEAR = 2026
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
ACCOUNT_BASE = 7_000_000_000  # Telegram ids of seeded members: ACCOUNT_BASE + member id


def is_linked(i: int) -> bool:
    return i % 10 != 0


def speaks_english(i: int) -> bool:
    return i % 7 == 0


def tie_status(i: int) -> TieStatus | None:
    return {0: TieStatus.CONFIRMED, 1: TieStatus.PENDING}.get(i % 3)


def is_exempt(i: int) -> bool:
    return i % 20 == 2


def has_comment(i: int) -> bool:
    return i % 6 == 0


def plan_status(i: int) -> PlanStatus | None:
    return {0: PlanStatus.ACCEPTED, 1: PlanStatus.SUBMITTED, 2: PlanStatus.DRAFT}.get(i % 4)


def is_present(i: int) -> bool:
    return i % 5 != 4


def has_answered(i: int) -> bool:
    return i % 2 == 0


def has_acknowledged(i: int) -> bool:
    return i % 3 == 0


def has_history(i: int) -> bool:
    """Half the members have their standing recorded (official since a date long past, the
    same standing as the flag gives the others): figures rank a real history."""
    return i % 2 == 1


OFFICIAL_SINCE = date(2010, 1, 1)


@dataclass
class Seeded:
    root: Unit
    branches: list[int] = field(default_factory=list)
    members: int = 0
    survey_id: int | None = None
    notice_id: int | None = None


async def seed_org(
    session: AsyncSession,
    members: int,
    code: str = "P",
    *,
    activity: bool = True,
    parent: Unit | None = None,
) -> Seeded:
    """`members` (rounded up to whole branches) under a new committee `code` (a root, or
    under `parent`)."""
    if session.bind.dialect.name == "postgresql":
        # Seeded rows refer to rows seeded just before: skip the foreign key triggers (this
        # needs a superuser; the setting ends with the transaction).
        await session.execute(text("SET LOCAL session_replication_role = replica"))
    ids = _Ids(await _max_ids(session))
    root = Unit(id=ids.next("units"), code=code, name=f"Đảng bộ {code}", name_folded=code.lower())
    root.parent_id = parent.id if parent else None
    root.path = f"{parent.path if parent else '/'}{root.id}/"
    session.add(root)
    await session.flush()
    seeded = Seeded(root)
    branch_count = -(-members // MEMBERS_PER_BRANCH)
    units, member_rows, accounts, history = [], [], [], []
    committee: dict[str, Any] = {}
    for b in range(branch_count):
        if b % BRANCHES_PER_COMMITTEE == 0:
            committee = _unit(ids.next("units"), f"{code}-C{b // 10}", root.path, False)
            units.append(committee)
        branch = _unit(ids.next("units"), f"{code}-B{b}", committee["path"], True)
        units.append(branch)
        seeded.branches.append(branch["id"])
        for _ in range(MEMBERS_PER_BRANCH):
            member_id, i = ids.next("members"), seeded.members
            seeded.members += 1
            account = ACCOUNT_BASE + member_id if is_linked(i) else None
            member_rows.append(_member(member_id, branch["id"], i, code, account))
            if has_history(i):
                history.append(_official(member_id, branch["id"]))
            if account is not None:
                language = "en" if speaks_english(i) else "vi"
                accounts.append({"user_id": account, "language": language, "consent_at": NOW})
    await bulk(session, Unit, units)
    await bulk(session, TelegramAccount, accounts)
    await bulk(session, Member, member_rows)
    await bulk(session, MemberStanding, history)
    if activity:
        await _activity(session, seeded, member_rows, ids)
    await advance_sequences(session)
    return seeded


def _unit(unit_id: int, code: str, parent_path: str, is_branch: bool) -> dict[str, Any]:
    name = ("Chi bộ " if is_branch else "Đảng bộ ") + code
    return {
        "id": unit_id,
        "code": code,
        "name": name,
        "name_folded": name.lower(),
        "parent_id": int(parent_path.rstrip("/").rsplit("/", 1)[-1]),
        "is_branch": is_branch,
        "is_residential": False,
        "path": f"{parent_path}{unit_id}/",
    }


def _member(member_id: int, branch_id: int, i: int, code: str, account: int | None) -> dict:
    name = f"Nguyễn Văn {code}{i:06d}"
    return {
        "id": member_id,
        "full_name": name,
        "name_folded": name.lower(),
        "phone": f"+84{member_id:09d}",
        "branch_id": branch_id,
        "telegram_user_id": account,
        "status": MemberStatus.ACTIVE,
    }


def _official(member_id: int, branch_id: int) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "branch_id": branch_id,
        "status": Standing.OFFICIAL,
        "valid_from": OFFICIAL_SINCE,
        "recorded_by_label": "import",
    }


async def _activity(
    session: AsyncSession, seeded: Seeded, members: list[dict[str, Any]], ids: _Ids
) -> None:
    ties, exemptions, comments, plans = [], [], [], []
    for i, m in enumerate(members):
        status = tie_status(i)
        if status is not None:
            tie_id = ids.next("residence_ties")
            ties.append(_tie(tie_id, m["id"], status, seeded.branches[0]))
            if status == TieStatus.CONFIRMED and has_comment(i):
                comments.append(_comment(tie_id, m["id"], seeded.branches[0]))
        if is_exempt(i):
            exemptions.append({"member_id": m["id"], "kind": "other", "created_at": NOW})
        plan = plan_status(i)
        if plan is not None:
            grade = Grade.GOOD if plan == PlanStatus.ACCEPTED else None
            plans.append(_plan(m["id"], plan, grade))
    await bulk(session, ResidenceTie, ties)
    await bulk(session, ResidenceExemption, exemptions)
    await bulk(session, ResidenceComment, comments)
    await bulk(session, YearlyPlan, plans)
    await _meetings(session, seeded, members, ids)
    seeded.survey_id = await _survey(session, seeded, members, ids)
    seeded.notice_id = await _notice(session, seeded, members, ids)


def _tie(tie_id: int, member_id: int, status: TieStatus, host: int) -> dict[str, Any]:
    return {
        "id": tie_id,
        "member_id": member_id,
        "address": "Số 1",
        "residence_branch_id": host,
        "status": status,
        "created_at": NOW,
    }


def _comment(tie_id: int, member_id: int, host: int) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "year": YEAR,
        "tie_id": tie_id,
        "residence_branch_id": host,
        "takes_part": True,
        "sets_example": True,
        "keeps_contact": True,
        "comment": "Tốt",
        "sent_at": NOW,
    }


def _plan(member_id: int, status: PlanStatus, grade: Grade | None) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "year": YEAR,
        "status": status,
        "sections": {},
        "assessment": {},
        "final_grade": grade,
    }


async def _meetings(
    session: AsyncSession, seeded: Seeded, members: list[dict[str, Any]], ids: _Ids
) -> None:
    """One recorded regular meeting per branch, every member invited."""
    meeting_of: dict[int, int] = {}
    rows = []
    for branch_id in seeded.branches:
        meeting_of[branch_id] = ids.next("meetings")
        rows.append(
            {
                "id": meeting_of[branch_id],
                "unit_id": branch_id,
                "kind": MeetingKind.REGULAR,
                "audience": MeetingAudience.MEMBERS,
                "starts_at": NOW,
                "place": "Hội trường",
                "agenda": "Sinh hoạt thường kỳ",
                "attendance_recorded_at": NOW,
            }
        )
    await bulk(session, Meeting, rows)
    invites = [
        {
            "meeting_id": meeting_of[m["branch_id"]],
            "member_id": m["id"],
            "attendance": Attendance.PRESENT if is_present(i) else Attendance.UNEXCUSED,
        }
        for i, m in enumerate(members)
    ]
    await bulk(session, MeetingInvite, invites)


async def _survey(
    session: AsyncSession, seeded: Seeded, members: list[dict[str, Any]], ids: _Ids
) -> int:
    """A named survey to the whole organisation, half of it answered."""
    survey_id = ids.next("surveys")
    row = {
        "id": survey_id,
        "unit_id": seeded.root.id,
        "title": "Lấy ý kiến",
        "questions": [Question("Đồng ý?", Kind.YESNO).to_json()],
        "anonymous": False,
        "min_responses": 5,
        "opens_at": NOW,
    }
    await bulk(session, Survey, [row])
    answered = [
        {"survey_id": survey_id, "member_id": m["id"], "submitted_at": NOW}
        for i, m in enumerate(members)
        if has_answered(i)
    ]
    await bulk(session, SurveyParticipation, answered)
    return survey_id


async def _notice(
    session: AsyncSession, seeded: Seeded, members: list[dict[str, Any]], ids: _Ids
) -> int:
    """A notice to the whole organisation, delivered to the linked, a third acknowledged."""
    broadcast_id, notice_id = ids.next("broadcasts"), ids.next("notices")
    await bulk(session, Broadcast, [{"id": broadcast_id, "kind": "notice", "finished_at": NOW}])
    notice = {
        "id": notice_id,
        "unit_id": seeded.root.id,
        "text": "Thông báo",
        "broadcast_id": broadcast_id,
    }
    await bulk(session, Notice, [notice])
    outbox, receipts = [], []
    for i, m in enumerate(members):
        row_id = ids.next("outbox_messages") if m["telegram_user_id"] else None
        if row_id is not None:
            outbox.append(_sent_row(row_id, broadcast_id, m))
        receipts.append(
            {
                "notice_id": notice_id,
                "member_id": m["id"],
                "outbox_message_id": row_id,
                "acknowledged_at": NOW if row_id and has_acknowledged(i) else None,
            }
        )
    await bulk(session, OutboxMessage, outbox)
    await bulk(session, NoticeReceipt, receipts)
    return notice_id


def _sent_row(row_id: int, broadcast_id: int, m: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row_id,
        "broadcast_id": broadcast_id,
        "chat_id": m["telegram_user_id"],
        "member_id": m["id"],
        "method": "sendMessage",
        "payload": {"text": "Thông báo"},
        "status": DeliveryStatus.SENT,
        "attempts": 1,
        "next_attempt_at": NOW,
        "sent_at": NOW,
    }


async def bulk(session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Core inserts in chunks (executemany), no ORM objects; on PostgreSQL a COPY, which is
    ten times faster still. Every row has the first row's keys."""
    table = cast(Table, model.__table__)
    if not rows:
        return
    if session.bind.dialect.name == "postgresql":
        await _copy(session, table, rows)
        return
    for chunk in _chunks(rows):
        await session.execute(insert(table), chunk)


async def _copy(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    enums = {c.name for c in table.columns if isinstance(c.type, Enum)}
    if (json_columns | enums) & set(columns):
        records = [tuple(_copy_value(row[c], c in json_columns) for c in columns) for row in rows]
    else:
        records = [tuple(row[c] for c in columns) for row in rows]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


def _copy_value(value: Any, is_json: bool) -> Any:
    if is_json:
        return json.dumps(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


class _Ids:
    """Ids handed out here (explicit ids let rows refer to each other without reading back)."""

    def __init__(self, start: dict[str, int]) -> None:
        self.last = dict(start)

    def next(self, table: str) -> int:
        self.last[table] = self.last.get(table, 0) + 1
        return self.last[table]


SEQUENCED = (
    "units",
    "members",
    "residence_ties",
    "meetings",
    "surveys",
    "broadcasts",
    "notices",
    "outbox_messages",
)


async def _max_ids(session: AsyncSession) -> dict[str, int]:
    tables: dict[str, Table] = {t: Base.metadata.tables[t] for t in SEQUENCED}
    return {
        name: int(await session.scalar(select(func.coalesce(func.max(t.c.id), 0))) or 0)
        for name, t in tables.items()
    }


async def advance_sequences(session: AsyncSession) -> None:
    """PostgreSQL: the id sequences move past the explicit ids (SQLite needs nothing)."""
    if session.bind.dialect.name != "postgresql":
        return
    for table in (*SEQUENCED, "residence_exemptions", "residence_comments", "yearly_plans"):
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        )
