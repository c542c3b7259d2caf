"""schedule: milestones and their hand check-offs

Revision ID: 0003_schedule
Revises: b7cb474c867f
Create Date: 2026-11-25 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_schedule'
down_revision = 'b7cb474c867f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('responsible', sa.String(length=10), nullable=False),
    sa.Column('evidence_type', sa.String(length=8), nullable=True),
    sa.Column('source_document_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("scope IN ('bloc', 'unit', 'board', 'council')", name=op.f('ck_milestone_scope')),
    sa.CheckConstraint("responsible IN ('leader', 'member', 'board', 'council')", name=op.f('ck_milestone_responsible')),
    sa.CheckConstraint('starts_on IS NULL OR starts_on <= due_on', name=op.f('ck_milestone_window')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_milestone_year')),
    sa.ForeignKeyConstraint(['source_document_id'], ['document.id'], name=op.f('fk_milestone_source_document_id_document'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone')),
    sa.UniqueConstraint('year', 'seq', name='uq_milestone_year_seq')
    )
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_year'), ['year'], unique=False)

    op.create_table('milestone_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('bloc_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_by_name', sa.String(length=200), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bloc_id'], ['bloc.id'], name=op.f('fk_milestone_check_bloc_id_bloc')),
    sa.ForeignKeyConstraint(['checked_by_id'], ['user.id'], name=op.f('fk_milestone_check_checked_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_milestone_check_milestone_id_milestone'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_milestone_check_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_check'))
    )
    with op.batch_alter_table('milestone_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_check_bloc_id'), ['bloc_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestone_check_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index('uq_milestone_check_bloc', ['milestone_id', 'bloc_id'], unique=True,
                              sqlite_where=sa.text('unit_id IS NULL'), postgresql_where=sa.text('unit_id IS NULL'))
        batch_op.create_index('uq_milestone_check_unit', ['milestone_id', 'unit_id'], unique=True,
                              sqlite_where=sa.text('unit_id IS NOT NULL'), postgresql_where=sa.text('unit_id IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('milestone_check', schema=None) as batch_op:
        batch_op.drop_index('uq_milestone_check_unit', sqlite_where=sa.text('unit_id IS NOT NULL'),
                            postgresql_where=sa.text('unit_id IS NOT NULL'))
        batch_op.drop_index('uq_milestone_check_bloc', sqlite_where=sa.text('unit_id IS NULL'),
                            postgresql_where=sa.text('unit_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_milestone_check_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_milestone_check_bloc_id'))

    op.drop_table('milestone_check')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_year'))

    op.drop_table('milestone')
