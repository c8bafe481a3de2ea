"""bulk rows unchecked: outbox rows and notice receipts refer without foreign keys

A notice to a province writes 300,000 outbox rows and 300,000 receipts in two INSERT ...
SELECT statements; each foreign key made PostgreSQL look up the referred row once per row
(about 2.5 s per key at that size, under load, five keys). The ids come from the rows the
same statement joins, members and broadcasts are never deleted, and the outbox's retention
keeps every row a receipt refers to (storage/outbox.prune), so these checks could never
fail. The receipt's notice keeps its key: deleting a notice still deletes its receipts. The
indexes stay (joins go through them).

Revision ID: 0019_bulk_rows_unchecked
Revises: 0012_standing_indexes
Create Date: 2026-12-01 13:50:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0019_bulk_rows_unchecked'
down_revision: str | None = '0021_transfer_period'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = (
    ('outbox_messages', 'broadcast_id', 'broadcasts'),
    ('outbox_messages', 'member_id', 'members'),
    ('notice_receipts', 'member_id', 'members'),
    ('notice_receipts', 'outbox_message_id', 'outbox_messages'),
)


def upgrade() -> None:
    for table in ('outbox_messages', 'notice_receipts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, column, referred in KEYS:
                if name == table:
                    batch_op.drop_constraint(f'fk_{table}_{column}_{referred}', type_='foreignkey')


def downgrade() -> None:
    for table in ('notice_receipts', 'outbox_messages'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, column, referred in KEYS:
                if name == table:
                    batch_op.create_foreign_key(
                        f'fk_{table}_{column}_{referred}', referred, [column], ['id']
                    )
