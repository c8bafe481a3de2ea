"""meetings

Meetings, their invited members, answers and attendance (issue 4).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:14:11.862995
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('regular', 'thematic', 'committee', 'extraordinary', 'online', name='meeting_kind', native_enum=False, length=32), nullable=False),
    sa.Column('audience', sa.Enum('members', 'committee', name='meeting_audience', native_enum=False, length=32), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.Text(), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('attachment_file_id', sa.String(length=255), nullable=True),
    sa.Column('attachment_kind', sa.Enum('document', 'photo', name='attachment_kind', native_enum=False, length=32), nullable=True),
    sa.Column('created_by_member_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attendance_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_member_id'], ['members.id'], name=op.f('fk_meetings_created_by_member_id_members')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_meetings_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_unit_id'), ['unit_id'], unique=False)

    op.create_table('meeting_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Enum('attending', 'absent', name='meeting_answer', native_enum=False, length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attendance', sa.Enum('present', 'excused', 'unexcused', name='attendance', native_enum=False, length=32), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_invites_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_meeting_invites_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_invites')),
    sa.UniqueConstraint('meeting_id', 'member_id', name='uq_meeting_invite')
    )
    with op.batch_alter_table('meeting_invites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_invites_member_id'), ['member_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('meeting_invites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_invites_member_id'))

    op.drop_table('meeting_invites')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_unit_id'))

    op.drop_table('meetings')
