"""update lanes: a lane per chat in the inbox, leases, and replies stored with the writes

Updates of different chats are handled concurrently, one chat's in order (issue 10); a
handler's Bot API calls are stored on its update in its transaction and sent after commit.
Pending updates get their chat from the stored payload, so none is handled out of order.

Revision ID: 0010_update_lanes
Revises: 0009
Create Date: 2026-12-01 10:20:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op


revision: str = '0010_update_lanes'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _chat_of(payload: dict[str, Any]) -> tuple[int, bool]:
    """As storage.inbox.lane_of, frozen here: a migration must not import the app."""
    query = payload.get('callback_query')
    if isinstance(query, dict):
        message = query.get('message') or {}
        chat = (message.get('chat') or {}).get('id') or (query.get('from') or {}).get('id')
        return int(chat or 0), True
    for key in ('message', 'edited_message', 'my_chat_member', 'chat_member'):
        part = payload.get(key)
        if isinstance(part, dict):
            return int((part.get('chat') or {}).get('id') or 0), False
    return 0, False


def upgrade() -> None:
    op.create_table('inbox_lanes',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_inbox_lanes'))
    )
    with op.batch_alter_table('inbox_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_id', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('press', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('replies', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('replies_left', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_inbox_lane', ['chat_id', 'update_id'], unique=False)
        batch_op.create_index('ix_inbox_replies_left', ['chat_id'], unique=False, sqlite_where=sa.text('replies_left > 0'), postgresql_where=sa.text('replies_left > 0'))
    inbox = sa.table(
        'inbox_updates',
        sa.column('update_id', sa.BigInteger()),
        sa.column('payload', sa.JSON()),
        sa.column('processed_at', sa.DateTime(timezone=True)),
        sa.column('chat_id', sa.BigInteger()),
        sa.column('press', sa.Boolean()),
    )
    connection = op.get_bind()
    pending = connection.execute(
        sa.select(inbox.c.update_id, inbox.c.payload).where(inbox.c.processed_at.is_(None))
    ).all()
    for update_id, payload in pending:
        chat_id, press = _chat_of(payload or {})
        connection.execute(
            inbox.update().where(inbox.c.update_id == update_id).values(chat_id=chat_id, press=press)
        )


def downgrade() -> None:
    with op.batch_alter_table('inbox_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_replies_left', sqlite_where=sa.text('replies_left > 0'), postgresql_where=sa.text('replies_left > 0'))
        batch_op.drop_index('ix_inbox_lane')
        batch_op.drop_column('replies_left')
        batch_op.drop_column('replies')
        batch_op.drop_column('press')
        batch_op.drop_column('chat_id')
    op.drop_table('inbox_lanes')
