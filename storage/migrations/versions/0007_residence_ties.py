"""residence ties: ties, exemptions, activities, yearly comments; residential branches

Residence ties of working members (Quy định 213-QĐ/TW, issue 3).

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-23 13:14:03.979323
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('residence_exemptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('armed_forces', 'away_or_mobile', 'full_time_study', 'other', 'not_introduced', name='exemption_kind', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('recorded_by_member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_residence_exemptions_member_id_members')),
    sa.ForeignKeyConstraint(['recorded_by_member_id'], ['members.id'], name=op.f('fk_residence_exemptions_recorded_by_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residence_exemptions'))
    )
    with op.batch_alter_table('residence_exemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residence_exemptions_member_id'), ['member_id'], unique=False)

    op.create_table('residence_ties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('commune', sa.String(length=255), nullable=True),
    sa.Column('province', sa.String(length=255), nullable=True),
    sa.Column('residence_branch_id', sa.Integer(), nullable=True),
    sa.Column('residence_branch_text', sa.String(length=255), nullable=True),
    sa.Column('letter_no', sa.String(length=64), nullable=True),
    sa.Column('letter_date', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'declined', 'unlisted', name='tie_status', native_enum=False, length=32), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('decided_by_member_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_member_id'], ['members.id'], name=op.f('fk_residence_ties_decided_by_member_id_members')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_residence_ties_member_id_members')),
    sa.ForeignKeyConstraint(['residence_branch_id'], ['units.id'], name=op.f('fk_residence_ties_residence_branch_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residence_ties'))
    )
    with op.batch_alter_table('residence_ties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residence_ties_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residence_ties_residence_branch_id'), ['residence_branch_id'], unique=False)

    op.create_table('residence_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tie_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_member_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_member_id'], ['members.id'], name=op.f('fk_residence_activities_confirmed_by_member_id_members')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_residence_activities_member_id_members')),
    sa.ForeignKeyConstraint(['tie_id'], ['residence_ties.id'], name=op.f('fk_residence_activities_tie_id_residence_ties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residence_activities'))
    )
    with op.batch_alter_table('residence_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residence_activities_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residence_activities_tie_id'), ['tie_id'], unique=False)

    op.create_table('residence_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('tie_id', sa.Integer(), nullable=False),
    sa.Column('residence_branch_id', sa.Integer(), nullable=False),
    sa.Column('takes_part', sa.Boolean(), nullable=False),
    sa.Column('sets_example', sa.Boolean(), nullable=False),
    sa.Column('keeps_contact', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('written_by_member_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_residence_comments_member_id_members')),
    sa.ForeignKeyConstraint(['residence_branch_id'], ['units.id'], name=op.f('fk_residence_comments_residence_branch_id_units')),
    sa.ForeignKeyConstraint(['tie_id'], ['residence_ties.id'], name=op.f('fk_residence_comments_tie_id_residence_ties')),
    sa.ForeignKeyConstraint(['written_by_member_id'], ['members.id'], name=op.f('fk_residence_comments_written_by_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residence_comments')),
    sa.UniqueConstraint('member_id', 'year', name='uq_residence_comment')
    )
    with op.batch_alter_table('residence_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residence_comments_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residence_comments_residence_branch_id'), ['residence_branch_id'], unique=False)

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_residential', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('is_residential')

    with op.batch_alter_table('residence_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residence_comments_residence_branch_id'))
        batch_op.drop_index(batch_op.f('ix_residence_comments_member_id'))

    op.drop_table('residence_comments')
    with op.batch_alter_table('residence_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residence_activities_tie_id'))
        batch_op.drop_index(batch_op.f('ix_residence_activities_member_id'))

    op.drop_table('residence_activities')
    with op.batch_alter_table('residence_ties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residence_ties_residence_branch_id'))
        batch_op.drop_index(batch_op.f('ix_residence_ties_member_id'))

    op.drop_table('residence_ties')
    with op.batch_alter_table('residence_exemptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residence_exemptions_member_id'))

    op.drop_table('residence_exemptions')
