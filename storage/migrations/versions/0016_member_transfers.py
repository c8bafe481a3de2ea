"""member transfers: transfer of party activity between branches

Revision ID: 0011_member_transfers
Revises: 0010_member_statuses
Create Date: 2026-12-01 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011_member_transfers'
down_revision: str | None = '0010_member_statuses'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('member_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('official', 'temporary', name='transfer_kind', native_enum=False, length=32), nullable=False),
    sa.Column('from_branch_id', sa.Integer(), nullable=False),
    sa.Column('to_branch_id', sa.Integer(), nullable=True),
    sa.Column('destination', sa.String(length=255), nullable=True),
    sa.Column('letter_no', sa.String(length=64), nullable=True),
    sa.Column('letter_date', sa.Date(), nullable=True),
    sa.Column('started_by_member_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_member_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_member_id'], ['members.id'], name=op.f('fk_member_transfers_confirmed_by_member_id_members')),
    sa.ForeignKeyConstraint(['from_branch_id'], ['units.id'], name=op.f('fk_member_transfers_from_branch_id_units')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_transfers_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_member_id'], ['members.id'], name=op.f('fk_member_transfers_started_by_member_id_members')),
    sa.ForeignKeyConstraint(['to_branch_id'], ['units.id'], name=op.f('fk_member_transfers_to_branch_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_transfers'))
    )
    with op.batch_alter_table('member_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_transfers_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_transfers_to_branch_id'), ['to_branch_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('member_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_transfers_to_branch_id'))
        batch_op.drop_index(batch_op.f('ix_member_transfers_member_id'))
    op.drop_table('member_transfers')
