"""send pace: Telegram's limits shared by every instance on one PostgreSQL

Each instance paces its own sends (bot/delivery/limits.py); with two or more, the sum could
pass 30 messages a second or 1 a second per chat. A row per key (0: overall, else a chat)
holds the earliest time the next message may go; a sender reserves a slot in one statement.

Revision ID: 0018_send_pace
Revises: 0012_standing_indexes
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0018_send_pace'
down_revision: str | None = '0012_standing_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('send_pace',
    sa.Column('key', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_send_pace'))
    )


def downgrade() -> None:
    op.drop_table('send_pace')
