"""yearly plans: seasons, plans, revisions

The yearly plan, commitment, self-assessment and grade (issue 3); per-unit seasons.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 13:13:24.430728
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('plan_seasons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('reminder_days', sa.JSON(), nullable=False),
    sa.Column('assessment_opens_on', sa.Date(), nullable=False),
    sa.Column('assessment_closes_on', sa.Date(), nullable=False),
    sa.Column('commitment_vi', sa.Text(), nullable=True),
    sa.Column('commitment_en', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_plan_seasons_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_seasons')),
    sa.UniqueConstraint('unit_id', 'year', name='uq_plan_season')
    )
    with op.batch_alter_table('plan_seasons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_seasons_unit_id'), ['unit_id'], unique=False)

    op.create_table('yearly_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'returned', 'accepted', name='plan_status', native_enum=False, length=32), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('commitment_text', sa.Text(), nullable=True),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_member_id', sa.Integer(), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('assessment', sa.JSON(), nullable=False),
    sa.Column('proposed_grade', sa.Enum('excellent', 'good', 'completed', 'not_completed', name='grade', native_enum=False, length=32), nullable=True),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('final_grade', sa.Enum('excellent', 'good', 'completed', 'not_completed', name='grade', native_enum=False, length=32), nullable=True),
    sa.Column('graded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('graded_by_member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['graded_by_member_id'], ['members.id'], name=op.f('fk_yearly_plans_graded_by_member_id_members')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_yearly_plans_member_id_members')),
    sa.ForeignKeyConstraint(['reviewed_by_member_id'], ['members.id'], name=op.f('fk_yearly_plans_reviewed_by_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_yearly_plans')),
    sa.UniqueConstraint('member_id', 'year', name='uq_yearly_plan')
    )
    with op.batch_alter_table('yearly_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_yearly_plans_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_yearly_plans_year'), ['year'], unique=False)

    op.create_table('plan_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('actor_member_id', sa.Integer(), nullable=True),
    sa.Column('sections', sa.JSON(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_member_id'], ['members.id'], name=op.f('fk_plan_revisions_actor_member_id_members')),
    sa.ForeignKeyConstraint(['plan_id'], ['yearly_plans.id'], name=op.f('fk_plan_revisions_plan_id_yearly_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_revisions'))
    )
    with op.batch_alter_table('plan_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_revisions_plan_id'), ['plan_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('plan_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_revisions_plan_id'))

    op.drop_table('plan_revisions')
    with op.batch_alter_table('yearly_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_yearly_plans_year'))
        batch_op.drop_index(batch_op.f('ix_yearly_plans_member_id'))

    op.drop_table('yearly_plans')
    with op.batch_alter_table('plan_seasons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_seasons_unit_id'))

    op.drop_table('plan_seasons')
