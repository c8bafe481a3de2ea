"""The data model: organisation tree, members, roles, accounts, invites, inbox, audit log,
the delivery outbox, drafts (flow state), notices, scheduled jobs, meetings, residence
ties, yearly plans and surveys."""

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
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage import clock

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
MAX_ROW_ID = 2**31 - 1  # database ids are 32-bit; a forged larger one must not reach a query
MAX_TELEGRAM_ID = 2**52  # Telegram's user ids fit in 52 bits

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
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    is_branch: Mapped[bool] = mapped_column(default=False)
    # A residential branch (chi bộ khu phố, thôn...): its members are not "working members"
    # who must register a residence tie. Any branch can still be someone's residence branch.
    is_residential: Mapped[bool] = mapped_column(default=False, server_default=false())
    # "/1/4/9/": ancestors then self, so "is under" is a prefix test in one query.
    path: Mapped[str] = mapped_column(String(512), index=True, default="/")
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())


class TelegramAccount(Base):
    """A Telegram user who has talked to the bot, bound to a member or not yet."""

    __tablename__ = "telegram_accounts"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8))
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    consent_at: Mapped[datetime | None]
    pending_invite: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
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
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        default=clock.now, server_default=func.now(), onupdate=clock.now
    )

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
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())

    member: Mapped[Member] = relationship(back_populates="roles", lazy="raise")
    unit: Mapped[Unit] = relationship(lazy="raise")


class InviteCode(Base):
    """A one-time deep-link code that binds a Telegram account to a member."""

    __tablename__ = "invite_codes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # A newer invite, a binding or a reset makes older links void: a forwarded old link
    # must not bind whoever opens it later.
    revoked_at: Mapped[datetime | None]


class InboxUpdate(Base):
    """A raw Telegram update, stored before Telegram is told we have it."""

    __tablename__ = "inbox_updates"
    __table_args__ = (
        Index("ix_inbox_pending", "processed_at", "update_id"),
        Index("ix_inbox_lane", "chat_id", "update_id"),
        # Handled updates whose replies have not all left: few at any time.
        Index(
            "ix_inbox_replies_left",
            "chat_id",
            sqlite_where=text("replies_left > 0"),
            postgresql_where=text("replies_left > 0"),
        ),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    processed_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # set aside after repeated handler failures
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Exception class only: messages can carry personal data.
    last_error: Mapped[str | None] = mapped_column(String(255))
    # The lane: updates of one chat are handled one at a time, in order (0: no chat).
    chat_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # A button press: lanes starting with one go first (its answer must come within seconds).
    press: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The Bot API calls the handler made, stored with its writes and sent after the commit
    # (bot/replies.py); `replies_left` counts those not yet sent.
    replies: Mapped[dict[str, Any] | None]
    replies_left: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class InboxLane(Base):
    """Who handles a chat's updates now: one holder at a time, until `lease_until` (renewed
    while it works), so several processes on one database never handle one chat at once."""

    __tablename__ = "inbox_lanes"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    holder: Mapped[str] = mapped_column(String(64))
    lease_until: Mapped[datetime]


class SendPace(Base):
    """When the next message may go, shared by every instance on one PostgreSQL database
    (bot/shared_pace.py): key 0 for all messages, else a chat id."""

    __tablename__ = "send_pace"

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    next_at: Mapped[datetime]


class AuditEntry(Base):
    """Who did what to which object, for the committee's records."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now(), index=True)
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
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
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    # What was sent, in its creator's words and language ("the notice «…»"), for the report.
    subject: Mapped[str | None] = mapped_column(String(255))
    finished_at: Mapped[datetime | None]  # every row final
    # The creator's delivery report entered the outbox (in the transaction that finished it).
    report_sent_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A message to send: stored first, then sent by the one sender, its outcome recorded."""

    __tablename__ = "outbox_messages"
    # The sender claims due rows: pending, next_attempt_at passed, oldest first.
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at", "id"),)

    # Broadcast and member ids without foreign keys: a broadcast to a province writes its
    # rows in one statement from the rows it refers to, and a key would check each row
    # again (migration 0019_bulk_rows_unchecked).
    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int | None] = mapped_column(index=True)  # broadcasts.id
    chat_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(index=True)  # members.id
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
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())


class FlowState(Base):
    """A half-finished conversation (a notice, a meeting, a plan, a survey answer...): one per
    Telegram user and flow, so a restart or a second worker continues where the person was,
    and a side question (why will you miss the meeting?) leaves the other drafts alone."""

    __tablename__ = "flow_states"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    flow: Mapped[str] = mapped_column(String(32), primary_key=True)
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
    # The person went elsewhere (a menu entry, a command, "hủy"): the draft is kept, but what
    # they type no longer answers its question until they come back to it.
    paused: Mapped[bool] = mapped_column(default=False, server_default=false())


class AttachmentKind(enum.StrEnum):
    DOCUMENT = "document"
    PHOTO = "photo"


class Notice(Base):
    """A notice (thông báo) a secretary sent to a unit's members; `unit_id` is the audience:
    a branch, or a committee for all the branches under it."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    text: Mapped[str] = mapped_column(Text)  # the message text, or the attachment's caption
    # Telegram's file_id of the secretary's upload: sent again by id, never downloaded.
    attachment_file_id: Mapped[str | None] = mapped_column(String(255))
    attachment_kind: Mapped[AttachmentKind | None] = mapped_column(
        _enum(AttachmentKind, "attachment_kind")
    )
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())

    unit: Mapped[Unit] = relationship(lazy="raise")


class NoticeReceipt(Base):
    """One audience member of a notice; no outbox row means they were never linked."""

    __tablename__ = "notice_receipts"
    __table_args__ = (UniqueConstraint("notice_id", "member_id", name="uq_notice_receipt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Member and outbox ids without foreign keys, as on outbox_messages (written in bulk).
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(index=True)  # members.id
    outbox_message_id: Mapped[int | None] = mapped_column(index=True)  # outbox_messages.id
    acknowledged_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(
        primaryjoin="foreign(NoticeReceipt.member_id) == Member.id", lazy="raise"
    )


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
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())


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
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    cancelled_at: Mapped[datetime | None]
    attendance_recorded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())

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
    decided_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
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
    recorded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
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
    confirmed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    confirmed_at: Mapped[datetime | None]


class ResidenceComment(Base):
    """The residence branch's yearly comment on a member (nhận xét), sent once, then final."""

    __tablename__ = "residence_comments"
    __table_args__ = (UniqueConstraint("member_id", "year", name="uq_residence_comment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    tie_id: Mapped[int] = mapped_column(ForeignKey("residence_ties.id"), index=True)
    residence_branch_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    takes_part: Mapped[bool]  # attends residence meetings
    sets_example: Mapped[bool]  # sets an example for family and neighbours
    keeps_contact: Mapped[bool]  # keeps contact with the people
    comment: Mapped[str] = mapped_column(Text)
    written_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    sent_at: Mapped[datetime]


class PlanStatus(enum.StrEnum):
    """A yearly plan's life: draft -> submitted -> accepted, or returned -> (draft) -> submitted.

    Editing a submitted or returned plan makes it a draft again, to be submitted anew.
    """

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"


class Grade(enum.StrEnum):
    """The four grades of the year-end evaluation, best first."""

    EXCELLENT = "excellent"  # Hoàn thành xuất sắc nhiệm vụ
    GOOD = "good"  # Hoàn thành tốt nhiệm vụ
    COMPLETED = "completed"  # Hoàn thành nhiệm vụ
    NOT_COMPLETED = "not_completed"  # Không hoàn thành nhiệm vụ


class PlanSeason(Base):
    """A unit's plan calendar for one year; it applies to the unit and everything under it
    (the nearest ancestor's season wins). Without one, the settings' defaults apply."""

    __tablename__ = "plan_seasons"
    __table_args__ = (UniqueConstraint("unit_id", "year", name="uq_plan_season"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)  # the last day a plan may be submitted
    reminder_days: Mapped[list[int]] = mapped_column(JSON)  # days before the deadline
    assessment_opens_on: Mapped[date] = mapped_column(Date)
    assessment_closes_on: Mapped[date] = mapped_column(Date)
    commitment_vi: Mapped[str | None] = mapped_column(Text)
    commitment_en: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        default=clock.now, server_default=func.now(), onupdate=clock.now
    )


class YearlyPlan(Base):
    """A member's plan (kế hoạch phấn đấu, rèn luyện) for a year, its commitment, the
    self-assessment against it and the committee's grade: the year record in one row."""

    __tablename__ = "yearly_plans"
    __table_args__ = (UniqueConstraint("member_id", "year", name="uq_yearly_plan"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[PlanStatus] = mapped_column(
        _enum(PlanStatus, "plan_status"), default=PlanStatus.DRAFT
    )
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # section key -> text
    # The commitment exactly as the member read and accepted it.
    commitment_text: Mapped[str | None] = mapped_column(Text)
    committed_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    review_comment: Mapped[str | None] = mapped_column(Text)
    # section key -> {"result": done|partly|not_done, "note": str}
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    proposed_grade: Mapped[Grade | None] = mapped_column(_enum(Grade, "grade"))
    assessed_at: Mapped[datetime | None]  # the self-assessment was submitted
    final_grade: Mapped[Grade | None] = mapped_column(_enum(Grade, "grade"))
    graded_at: Mapped[datetime | None]
    graded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())

    member: Mapped[Member] = relationship(lazy="raise", foreign_keys=[member_id])


class PlanRevision(Base):
    """The plan's history: each submission (with the text as submitted), return, acceptance,
    self-assessment and grade, with who did it."""

    __tablename__ = "plan_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("yearly_plans.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    sections: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class Survey(Base):
    """A survey (phiếu khảo sát) to the members of a unit (a branch, or a committee for all
    its branches), or only to those holding a role there; `questions` is fixed once sent."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # None: every member; "leaders": secretaries, deputies and committee members.
    audience_role: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(255))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    anonymous: Mapped[bool] = mapped_column(default=False)
    # An anonymous survey's results stay hidden until this many members have answered.
    min_responses: Mapped[int] = mapped_column(Integer, default=5)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # closed early, or by the closing job
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())

    unit: Mapped[Unit] = relationship(lazy="raise")


class SurveyParticipation(Base):
    """That a member has submitted a survey: refuses a second answer and finds who to remind.
    Of an anonymous survey, this is all that is known about the member."""

    __tablename__ = "survey_participations"
    __table_args__ = (UniqueConstraint("survey_id", "member_id", name="uq_survey_participation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    submitted_at: Mapped[datetime]


class SurveyResponse(Base):
    """One submitted set of answers, `{question position: value}`.

    Anonymous surveys: `member_id` is NULL, the id is random and there is no timestamp, so
    nothing orders or dates a response against the participation rows. The table has no
    SQLite rowid (WITHOUT ROWID): rows are kept in the random id's order, not insertion order.
    """

    __tablename__ = "survey_responses"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id"), index=True
    )  # named surveys only
    answers: Mapped[dict[str, Any]]


class Standing(enum.StrEnum):
    """A member's party standing on a date (see docs/populations.md for what each counts in).

    Probationary, official, removed and transferred out are the member's base standing: a new
    one closes the one before. Exempt and transferred temporarily lie over the base for a
    while (an exempt member is still official underneath) and end on their own date.
    """

    PROBATIONARY = "probationary"  # đảng viên dự bị, from the admission date
    OFFICIAL = "official"  # đảng viên chính thức
    EXEMPT = "exempt"  # miễn công tác và sinh hoạt đảng; detail: age | health | other
    TRANSFERRED_TEMPORARY = "transferred_temporary"  # chuyển sinh hoạt tạm thời; note: where
    TRANSFERRED_OUT = "transferred_out"  # chuyển sinh hoạt chính thức ra ngoài; note: where
    REMOVED = "removed"  # detail: xoa_ten | khai_tru | left | deceased


class MemberStanding(Base):
    """One period of a member's standing at a branch: from `valid_from` (None: a date nobody
    recorded, before any other) until `valid_to` (exclusive; None: still so)."""

    __tablename__ = "member_statuses"
    __table_args__ = (Index("ix_member_statuses_member", "member_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[Standing] = mapped_column(_enum(Standing, "standing"))
    detail: Mapped[str | None] = mapped_column(String(32))  # reason or kind, per status
    note: Mapped[str | None] = mapped_column(Text)  # the reason's text, or the destination
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    decision_no: Mapped[str | None] = mapped_column(String(64))
    recorded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    recorded_by_label: Mapped[str | None] = mapped_column(String(64))  # cli, import, migration
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())


class TransferKind(enum.StrEnum):
    OFFICIAL = "official"  # chuyển sinh hoạt chính thức: leaves the sending roster
    TEMPORARY = "temporary"  # chuyển sinh hoạt tạm thời: stays on it, away for a while


class MemberTransfer(Base):
    """A transfer of party activity (chuyển sinh hoạt đảng) started by the sending branch;
    to a branch in the bot it waits for the receiving secretary's confirmation."""

    __tablename__ = "member_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TransferKind] = mapped_column(_enum(TransferKind, "transfer_kind"))
    from_branch_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    to_branch_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    destination: Mapped[str | None] = mapped_column(String(255))  # outside the bot
    letter_no: Mapped[str | None] = mapped_column(String(64))
    letter_date: Mapped[date | None] = mapped_column(Date)
    started_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    started_at: Mapped[datetime]
    confirmed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    confirmed_at: Mapped[datetime | None]
    flagged_at: Mapped[datetime | None]  # overdue, both secretaries told
    # Temporary, confirmed: the sending branch's "transferred temporarily" period; while it
    # lasts the member takes part at the receiving branch (storage/hosted.py).
    period_id: Mapped[int | None] = mapped_column(
        ForeignKey("member_statuses.id", ondelete="SET NULL"), index=True
    )

    member: Mapped[Member] = relationship(lazy="raise", foreign_keys=[member_id])
    from_branch: Mapped[Unit] = relationship(lazy="raise", foreign_keys=[from_branch_id])
    to_branch: Mapped[Unit | None] = relationship(lazy="raise", foreign_keys=[to_branch_id])
