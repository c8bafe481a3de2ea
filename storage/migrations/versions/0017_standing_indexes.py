"""standing indexes: the foreign keys of member_statuses and member_transfers get theirs

The statuses branch added these tables alongside the scale branch, which indexed every
foreign key (a join through one, or a delete of the row it points to, otherwise scans the
referring table); the schema test checks every foreign key keeps its index.

Revision ID: 0012_standing_indexes
Revises: 0011_member_transfers
Create Date: 2026-12-01 11:40:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0012_standing_indexes'
down_revision: str | None = '0011_member_transfers'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ('member_statuses', 'recorded_by_member_id'),
    ('member_transfers', 'from_branch_id'),
    ('member_transfers', 'started_by_member_id'),
    ('member_transfers', 'confirmed_by_member_id'),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.create_index(f'ix_{table}_{column}', table, [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        op.drop_index(f'ix_{table}_{column}', table_name=table)
