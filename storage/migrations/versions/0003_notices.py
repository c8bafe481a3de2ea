"""notices: flow states (drafts), notices, receipts

Notices with acknowledgements (issue 4), and the draft table later flows reuse.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:09:10.807759
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('flow_states',
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('flow', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_flow_states'))
    )
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('created_by_member_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('attachment_file_id', sa.String(length=255), nullable=True),
    sa.Column('attachment_kind', sa.Enum('document', 'photo', name='attachment_kind', native_enum=False, length=32), nullable=True),
    sa.Column('broadcast_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_notices_broadcast_id_broadcasts')),
    sa.ForeignKeyConstraint(['created_by_member_id'], ['members.id'], name=op.f('fk_notices_created_by_member_id_members')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_notices_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_unit_id'), ['unit_id'], unique=False)

    op.create_table('notice_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_notice_receipts_member_id_members')),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_receipts_notice_id_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_messages.id'], name=op.f('fk_notice_receipts_outbox_message_id_outbox_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_receipts')),
    sa.UniqueConstraint('notice_id', 'member_id', name='uq_notice_receipt')
    )
    with op.batch_alter_table('notice_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_receipts_member_id'), ['member_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('notice_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_receipts_member_id'))

    op.drop_table('notice_receipts')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_unit_id'))

    op.drop_table('notices')
    op.drop_table('flow_states')
