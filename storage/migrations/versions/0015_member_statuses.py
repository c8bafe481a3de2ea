"""member statuses: a dated history of each member's party standing

Today's flag becomes history: an active member is official since a date nobody recorded
(NULL, before any other date); an inactive one was official until the day the row last
changed and removed from then (the nearest date the database knows).

Revision ID: 0010_member_statuses
Revises: 0010_scale_indexes
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010_member_statuses'
down_revision: str | None = '0010_scale_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STANDINGS = (
    'probationary', 'official', 'exempt', 'transferred_temporary', 'transferred_out', 'removed'
)


def upgrade() -> None:
    op.create_table('member_statuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum(*STANDINGS, name='standing', native_enum=False, length=32), nullable=False),
    sa.Column('detail', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('decision_no', sa.String(length=64), nullable=True),
    sa.Column('recorded_by_member_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_label', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['units.id'], name=op.f('fk_member_statuses_branch_id_units')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_statuses_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_member_id'], ['members.id'], name=op.f('fk_member_statuses_recorded_by_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_statuses'))
    )
    with op.batch_alter_table('member_statuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_statuses_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index('ix_member_statuses_member', ['member_id', 'valid_from'], unique=False)
    _backfill()


def _backfill() -> None:
    day = 'date(updated_at)' if op.get_bind().dialect.name == 'sqlite' else 'CAST(updated_at AS DATE)'
    columns = 'member_id, branch_id, status, valid_from, valid_to, recorded_by_label'
    op.execute(
        f"INSERT INTO member_statuses ({columns}) "
        "SELECT id, branch_id, 'official', NULL, NULL, 'migration' FROM members "
        "WHERE status = 'active'"
    )
    op.execute(
        f"INSERT INTO member_statuses ({columns}) "
        f"SELECT id, branch_id, 'official', NULL, {day}, 'migration' FROM members "
        "WHERE status <> 'active'"
    )
    op.execute(
        f"INSERT INTO member_statuses ({columns}) "
        f"SELECT id, branch_id, 'removed', {day}, NULL, 'migration' FROM members "
        "WHERE status <> 'active'"
    )


def downgrade() -> None:
    with op.batch_alter_table('member_statuses', schema=None) as batch_op:
        batch_op.drop_index('ix_member_statuses_member')
        batch_op.drop_index(batch_op.f('ix_member_statuses_branch_id'))
    op.drop_table('member_statuses')
