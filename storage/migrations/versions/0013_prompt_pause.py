"""prompt pause: flow_states.paused

Going to another menu entry, sending a command or typing "hủy" leaves the pending question:
the draft is kept, but typed messages stop answering it until the person comes back.

Revision ID: 0010_prompt_pause
Revises: 0009
Create Date: 2026-12-01 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010_prompt_pause'
down_revision: str | None = '0010_broadcast_subject'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('flow_states', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('paused', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('flow_states', schema=None) as batch_op:
        batch_op.drop_column('paused')
