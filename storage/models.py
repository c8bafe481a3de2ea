"""The data model: organisation tree, members, roles, accounts, invites, inbox, audit log,
the delivery outbox, drafts (flow state), notices, scheduled jobs, meetings and residence
ties."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class Role(enum.StrEnum):
    """Leadership roles scoped to a unit; a role on a committee covers every unit under it.

    Plain membership is not a role: every member belongs to exactly one branch (`branch_id`).
    """

    COMMITTEE_MEMBER = "committee_member"
    DEPUTY_SECRETARY = "deputy_secretary"
    SECRETARY = "secretary"


class MemberStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Plain strings in the database: no native enum type to migrate on PostgreSQL.
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=_values)


def _values(cls: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in cls]


class Unit(Base):
    """A party committee (đảng bộ) or a branch (chi bộ); `path` lists ancestor ids."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_folded: Mapped[str] = mapped_column(String(255), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    is_branch: Mapped[bool] = mapped_column(default=False)
    # A residential branch (chi bộ khu phố, thôn...): its members are not "working members"
    # who must register a residence tie. Any branch can still be someone's residence branch.
    is_residential: Mapped[bool] = mapped_column(default=False, server_default=false())
    # "/1/4/9/": ancestors then self, so "is under" is a prefix test in one query.
    path: Mapped[str] = mapped_column(String(512), index=True, default="/")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class TelegramAccount(Base):
    """A Telegram user who has talked to the bot, bound to a member or not yet."""

    __tablename__ = "telegram_accounts"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8))
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    consent_at: Mapped[datetime | None]
    pending_invite: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Set when Telegram answers 403 (the person blocked the bot); cleared by a later delivery.
    blocked_at: Mapped[datetime | None]


class Member(Base):
    """A party member (đảng viên) on a branch roster."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(255))
    name_folded: Mapped[str] = mapped_column(String(255), index=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    party_card_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    branch_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    telegram_user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("telegram_accounts.user_id"), unique=True
    )
    status: Mapped[MemberStatus] = mapped_column(
        _enum(MemberStatus, "member_status"), default=MemberStatus.ACTIVE
    )
    bound_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    branch: Mapped[Unit] = relationship(lazy="raise")
    account: Mapped[TelegramAccount | None] = relationship(lazy="raise")
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="member", lazy="raise", cascade="all, delete-orphan"
    )


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("member_id", "unit_id", "role", name="uq_role_assignment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    member: Mapped[Member] = relationship(back_populates="roles", lazy="raise")
    unit: Mapped[Unit] = relationship(lazy="raise")


class InviteCode(Base):
    """A one-time deep-link code that binds a Telegram account to a member."""

    __tablename__ = "invite_codes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # A newer invite, a binding or a reset makes older links void: a forwarded old link
    # must not bind whoever opens it later.
    revoked_at: Mapped[datetime | None]


class InboxUpdate(Base):
    """A raw Telegram update, stored before Telegram is told we have it."""

    __tablename__ = "inbox_updates"
    __table_args__ = (Index("ix_inbox_pending", "processed_at", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    processed_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # set aside after repeated handler failures
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Exception class only: messages can carry personal data.
    last_error: Mapped[str | None] = mapped_column(String(255))


class AuditEntry(Base):
    """Who did what to which object, for the committee's records."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class DeliveryStatus(enum.StrEnum):
    """An outbox row's life: pending -> sending -> sent | failed | unreachable.

    A row left 'sending' by a crash goes back to 'pending' when the sender starts.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"  # 403: the person blocked the bot


class Broadcast(Base):
    """One message to many people (a notice, an invitation...): its rows share this id."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]  # every row final
    # The creator's delivery report entered the outbox (in the transaction that finished it).
    report_sent_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A message to send: stored first, then sent by the one sender, its outcome recorded."""

    __tablename__ = "outbox_messages"
    # The sender claims due rows: pending, next_attempt_at passed, oldest first.
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    method: Mapped[str] = mapped_column(String(32))  # sendMessage | sendDocument | sendPhoto
    payload: Mapped[dict[str, Any]]
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Exception class only: messages can carry personal data.
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class FlowState(Base):
    """A half-finished conversation (a notice draft, later a plan or a survey): one per
    Telegram user, so a restart or a second worker continues where the person was."""

    __tablename__ = "flow_states"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class AttachmentKind(enum.StrEnum):
    DOCUMENT = "document"
    PHOTO = "photo"


class Notice(Base):
    """A notice (thông báo) a secretary sent to a unit's members; `unit_id` is the audience:
    a branch, or a committee for all the branches under it."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    text: Mapped[str] = mapped_column(Text)  # the message text, or the attachment's caption
    # Telegram's file_id of the secretary's upload: sent again by id, never downloaded.
    attachment_file_id: Mapped[str | None] = mapped_column(String(255))
    attachment_kind: Mapped[AttachmentKind | None] = mapped_column(
        _enum(AttachmentKind, "attachment_kind")
    )
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    unit: Mapped[Unit] = relationship(lazy="raise")


class NoticeReceipt(Base):
    """One audience member of a notice; no outbox row means they were never linked."""

    __tablename__ = "notice_receipts"
    __table_args__ = (UniqueConstraint("notice_id", "member_id", name="uq_notice_receipt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    acknowledged_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(lazy="raise")


class ScheduledJob(Base):
    """Work due at a time (a reminder, a meeting-time trigger), kept in the database so a
    restart neither loses it nor runs it twice: a job is marked done in the transaction
    that does its work."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (Index("ix_scheduled_jobs_due", "done_at", "failed_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Names the job for the code that schedules it ("meeting:12:remind:86400"): scheduling
    # the same key again moves the job instead of adding a second one.
    key: Mapped[str] = mapped_column(String(128), unique=True)
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # gave up after the last attempt; kept for a person
    last_error: Mapped[str | None] = mapped_column(String(255))  # exception class only
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class MeetingKind(enum.StrEnum):
    REGULAR = "regular"  # sinh hoạt thường kỳ (monthly)
    THEMATIC = "thematic"  # sinh hoạt chuyên đề
    COMMITTEE = "committee"  # họp chi ủy / cấp ủy
    EXTRAORDINARY = "extraordinary"  # bất thường
    ONLINE = "online"  # trực tuyến


class MeetingAudience(enum.StrEnum):
    MEMBERS = "members"  # every active member of the unit (a committee: all its branches)
    COMMITTEE = "committee"  # only those holding a role on the unit itself
    # MEMBERS plus working members whose confirmed residence tie is to a branch of the unit
    # (đảng viên 213 take part in their residence branch's meetings).
    WITH_RESIDENTS = "with_residents"


class MeetingAnswer(enum.StrEnum):
    ATTENDING = "attending"
    ABSENT = "absent"


class Attendance(enum.StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"  # vắng có lý do
    UNEXCUSED = "unexcused"  # vắng không lý do: the Charter counts these


class Meeting(Base):
    """A meeting (cuộc họp / buổi sinh hoạt) of a unit, with its invited members."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(_enum(MeetingKind, "meeting_kind"))
    audience: Mapped[MeetingAudience] = mapped_column(_enum(MeetingAudience, "meeting_audience"))
    starts_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(Text)  # an address or an online link
    agenda: Mapped[str] = mapped_column(Text)
    attachment_file_id: Mapped[str | None] = mapped_column(String(255))
    attachment_kind: Mapped[AttachmentKind | None] = mapped_column(
        _enum(AttachmentKind, "attachment_kind")
    )
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    cancelled_at: Mapped[datetime | None]
    attendance_recorded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    unit: Mapped[Unit] = relationship(lazy="raise")


class MeetingInvite(Base):
    """One invited member: their answer (until the meeting starts) and their attendance."""

    __tablename__ = "meeting_invites"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id", name="uq_meeting_invite"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    answer: Mapped[MeetingAnswer | None] = mapped_column(_enum(MeetingAnswer, "meeting_answer"))
    reason: Mapped[str | None] = mapped_column(Text)  # why absent
    answered_at: Mapped[datetime | None]
    attendance: Mapped[Attendance | None] = mapped_column(_enum(Attendance, "attendance"))

    member: Mapped[Member] = relationship(lazy="raise")


class TieStatus(enum.StrEnum):
    """A residence tie: pending until the residence secretary confirms or declines it; a tie
    to a branch outside the bot stays 'unlisted'. A newer tie ends the older one (history)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    UNLISTED = "unlisted"


class ResidenceTie(Base):
    """A working member's introduction to the party organisation where they live (213)."""

    __tablename__ = "residence_ties"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    address: Mapped[str] = mapped_column(Text)  # free text lines, as the member writes them
    # Optional structured parts; never a fixed list (communes and provinces merged in 2025).
    commune: Mapped[str | None] = mapped_column(String(255))
    province: Mapped[str | None] = mapped_column(String(255))
    residence_branch_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    residence_branch_text: Mapped[str | None] = mapped_column(String(255))  # not in the bot
    letter_no: Mapped[str | None] = mapped_column(String(64))
    letter_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[TieStatus] = mapped_column(_enum(TieStatus, "tie_status"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]  # replaced by a newer tie (moved)

    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="raise")
    residence_branch: Mapped[Unit | None] = relationship(lazy="raise")


class ExemptionKind(enum.StrEnum):
    """Categories of Hướng dẫn 33-HD/BTCTW: introduced but exempt from residence activity,
    or not introduced at all."""

    ARMED_FORCES = "armed_forces"  # lực lượng vũ trang ở doanh trại
    AWAY_OR_MOBILE = "away_or_mobile"  # làm việc xa nơi cư trú, lưu động
    FULL_TIME_STUDY = "full_time_study"  # học tập tập trung
    OTHER = "other"  # with a reason
    NOT_INTRODUCED = "not_introduced"  # exempt from the introduction altogether


class ResidenceExemption(Base):
    """The workplace committee's decision; `ended_at` set when lifted (history kept)."""

    __tablename__ = "residence_exemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[ExemptionKind] = mapped_column(_enum(ExemptionKind, "exemption_kind"))
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class ResidenceActivity(Base):
    """A residence activity the member took part in; the residence secretary may confirm."""

    __tablename__ = "residence_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    tie_id: Mapped[int] = mapped_column(ForeignKey("residence_ties.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    what: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    confirmed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    confirmed_at: Mapped[datetime | None]


class ResidenceComment(Base):
    """The residence branch's yearly comment on a member (nhận xét), sent once, then final."""

    __tablename__ = "residence_comments"
    __table_args__ = (UniqueConstraint("member_id", "year", name="uq_residence_comment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    tie_id: Mapped[int] = mapped_column(ForeignKey("residence_ties.id"))
    residence_branch_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    takes_part: Mapped[bool]  # attends residence meetings
    sets_example: Mapped[bool]  # sets an example for family and neighbours
    keeps_contact: Mapped[bool]  # keeps contact with the people
    comment: Mapped[str] = mapped_column(Text)
    written_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    sent_at: Mapped[datetime]
