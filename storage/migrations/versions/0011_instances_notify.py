"""instances notify: wake every instance when updates, messages or jobs are stored

Several `chibo run` processes share one PostgreSQL database (see bot/leadership.py). A
statement-level trigger NOTIFYs a channel when rows are added to the inbox, the outbox or
the scheduled jobs (or a job is moved); PostgreSQL delivers it on commit, to every instance
LISTENing, so the one that did not write learns of the work at once. SQLite has one process
and needs none of this.

Revision ID: 0010_instances_notify
Revises: 0009
Create Date: 2026-12-01 10:20:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0010_instances_notify'
down_revision: str | None = '0010_update_lanes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, trigger events, channel) - channels as in bot/leadership.py.
TRIGGERS = (
    ('inbox_updates', 'INSERT', 'chibo_inbox'),
    ('outbox_messages', 'INSERT', 'chibo_outbox'),
    ('scheduled_jobs', 'INSERT OR UPDATE OF due_at', 'chibo_schedule'),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION chibo_notify() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify(TG_ARGV[0], '');
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    for table, events, channel in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {table}_notify AFTER {events} ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION chibo_notify('{channel}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, _events, _channel in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS chibo_notify()")
