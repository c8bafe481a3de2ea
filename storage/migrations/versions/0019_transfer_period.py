"""transfer period: a temporary transfer names the period it keeps the member away

The member takes part at the receiving branch while the sending branch's "transferred
temporarily" period lasts; the link says which period that is (its end is the return).

Revision ID: 0021_transfer_period
Revises: 0012_standing_indexes
Create Date: 2026-12-01 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021_transfer_period'
down_revision: str | None = '0018_send_pace'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('member_transfers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_member_transfers_period_id_member_statuses',
            'member_statuses',
            ['period_id'],
            ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_index('ix_member_transfers_period_id', ['period_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('member_transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_member_transfers_period_id')
        batch_op.drop_constraint('fk_member_transfers_period_id_member_statuses', type_='foreignkey')
        batch_op.drop_column('period_id')
