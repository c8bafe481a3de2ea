"""drafts per flow: flow_states keyed by (user_id, flow)

A side question (why will you miss the meeting?) used to replace the draft the person was
composing; each flow now keeps its own draft. Existing rows keep their flow, so no draft is lost.

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-23 14:40:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0009'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('flow_states', schema=None) as batch_op:
        batch_op.drop_constraint('pk_flow_states', type_='primary')
        batch_op.create_primary_key('pk_flow_states', ['user_id', 'flow'])


def downgrade() -> None:
    # One draft per person again: keep each person's most recent one.
    op.execute(
        "DELETE FROM flow_states WHERE EXISTS (SELECT 1 FROM flow_states AS newer "
        "WHERE newer.user_id = flow_states.user_id AND (newer.updated_at > flow_states.updated_at "
        "OR (newer.updated_at = flow_states.updated_at AND newer.flow < flow_states.flow)))"
    )
    with op.batch_alter_table('flow_states', schema=None) as batch_op:
        batch_op.drop_constraint('pk_flow_states', type_='primary')
        batch_op.create_primary_key('pk_flow_states', ['user_id'])
