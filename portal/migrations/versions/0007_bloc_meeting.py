"""bloc meeting: the year-end meeting's details and next year's leadership proposal

- bloc_meeting: one row per bloc and year (time, place, chair, secretary, content; the proposed leader and
  deputy of the next year, who proposed and who of the Board confirmed; a version against lost updates).
- bloc_meeting_unit: the units present at the meeting.

Revision ID: 0007_bloc_meeting
Revises: 0006_filing_sessions
Create Date: 2026-12-10 09:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_bloc_meeting"
down_revision = "0006_filing_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bloc_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bloc_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('chair', sa.String(length=300), nullable=False),
    sa.Column('secretary', sa.String(length=300), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('next_leader_unit_id', sa.Integer(), nullable=True),
    sa.Column('next_deputy_unit_id', sa.Integer(), nullable=True),
    sa.Column('leadership_note', sa.String(length=2000), nullable=False),
    sa.Column('proposed_by', sa.String(length=80), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.String(length=80), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_bloc_meeting_year')),
    sa.ForeignKeyConstraint(['bloc_id'], ['bloc.id'], name=op.f('fk_bloc_meeting_bloc_id_bloc')),
    sa.ForeignKeyConstraint(['next_leader_unit_id'], ['unit.id'], name=op.f('fk_bloc_meeting_next_leader_unit_id_unit')),
    sa.ForeignKeyConstraint(['next_deputy_unit_id'], ['unit.id'], name=op.f('fk_bloc_meeting_next_deputy_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bloc_meeting')),
    sa.UniqueConstraint('bloc_id', 'year', name='uq_bloc_meeting_bloc_year')
    )
    with op.batch_alter_table('bloc_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bloc_meeting_bloc_id'), ['bloc_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bloc_meeting_year'), ['year'], unique=False)

    op.create_table('bloc_meeting_unit',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['bloc_meeting.id'], name=op.f('fk_bloc_meeting_unit_meeting_id_bloc_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_bloc_meeting_unit_unit_id_unit')),
    sa.PrimaryKeyConstraint('meeting_id', 'unit_id', name=op.f('pk_bloc_meeting_unit'))
    )
    with op.batch_alter_table('bloc_meeting_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bloc_meeting_unit_unit_id'), ['unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('bloc_meeting_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bloc_meeting_unit_unit_id'))
    op.drop_table('bloc_meeting_unit')
    with op.batch_alter_table('bloc_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bloc_meeting_year'))
        batch_op.drop_index(batch_op.f('ix_bloc_meeting_bloc_id'))
    op.drop_table('bloc_meeting')
