"""units path prefix: "under this unit" (path LIKE '/1/4/%') can use an index on PostgreSQL

Every figure of a branch or committee keeps the branches under it with a prefix test on
`units.path`. The plain index on `path` follows the database's collation (C.UTF-8 here),
which PostgreSQL does not use for LIKE, so each such test read all the units: a branch's
scorecard scanned the province's 11,000 units several times, and grew with the
organisation. An index with `varchar_pattern_ops` serves prefix tests whatever the
collation. SQLite needs none (its units table is read whole either way at its sizes).

Revision ID: 0022_units_path_prefix
Revises: 0019_bulk_rows_unchecked
Create Date: 2026-12-01 16:35:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0022_units_path_prefix'
down_revision: str | None = '0019_bulk_rows_unchecked'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index(
            'ix_units_path_prefix',
            'units',
            ['path'],
            unique=False,
            postgresql_ops={'path': 'varchar_pattern_ops'},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_units_path_prefix', table_name='units')
