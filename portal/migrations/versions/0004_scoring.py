"""scoring: criteria tables, criteria, scorecards, scores, results, thresholds

Revision ID: 0004_scoring
Revises: 0003_schedule
Create Date: 2026-11-25 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004_scoring"
down_revision = "0003_schedule"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scoring_thresholds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('excellent', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('good', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('completed', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_thresholds')),
    sa.UniqueConstraint('year', name=op.f('uq_scoring_thresholds_year'))
    )
    op.create_table('criteria_table',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bloc_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'appraised', 'final')", name=op.f('ck_criteria_table_status')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_criteria_table_year')),
    sa.ForeignKeyConstraint(['bloc_id'], ['bloc.id'], name=op.f('fk_criteria_table_bloc_id_bloc')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria_table')),
    sa.UniqueConstraint('bloc_id', 'year', name='uq_criteria_table_bloc_year')
    )
    with op.batch_alter_table('criteria_table', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criteria_table_bloc_id'), ['bloc_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_criteria_table_year'), ['year'], unique=False)

    op.create_table('criterion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('group', sa.String(length=300), nullable=False),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('max_points', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('scored', 'bonus', 'deduction')", name=op.f('ck_criterion_kind')),
    sa.CheckConstraint('max_points > 0', name=op.f('ck_criterion_max_points')),
    sa.ForeignKeyConstraint(['table_id'], ['criteria_table.id'], name=op.f('fk_criterion_table_id_criteria_table'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criterion'))
    )
    with op.batch_alter_table('criterion', schema=None) as batch_op:
        batch_op.create_index('ix_criterion_table_position', ['table_id', 'position'], unique=False)

    op.create_table('scorecard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('self_submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('self_submitted_by', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['table_id'], ['criteria_table.id'], name=op.f('fk_scorecard_table_id_criteria_table'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_scorecard_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecard')),
    sa.UniqueConstraint('table_id', 'unit_id', name='uq_scorecard_table_unit')
    )
    with op.batch_alter_table('scorecard', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scorecard_unit_id'), ['unit_id'], unique=False)

    op.create_table('result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scorecard_id', sa.Integer(), nullable=False),
    sa.Column('total_self', sa.Numeric(precision=9, scale=2), nullable=True),
    sa.Column('total_bloc', sa.Numeric(precision=9, scale=2), nullable=True),
    sa.Column('total_appraisal', sa.Numeric(precision=9, scale=2), nullable=True),
    sa.Column('effective_total', sa.Numeric(precision=9, scale=2), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('tie', sa.Boolean(), nullable=False),
    sa.Column('classification', sa.String(length=20), nullable=True),
    sa.Column('flag', sa.String(length=20), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['scorecard_id'], ['scorecard.id'], name=op.f('fk_result_scorecard_id_scorecard'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result')),
    sa.UniqueConstraint('scorecard_id', name=op.f('uq_result_scorecard_id'))
    )
    op.create_table('score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scorecard_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('points', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.CheckConstraint("stage IN ('self', 'bloc', 'appraisal')", name=op.f('ck_score_stage')),
    sa.CheckConstraint('points IS NULL OR points >= 0', name=op.f('ck_score_points')),
    sa.ForeignKeyConstraint(['criterion_id'], ['criterion.id'], name=op.f('fk_score_criterion_id_criterion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scorecard_id'], ['scorecard.id'], name=op.f('fk_score_scorecard_id_scorecard'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_score_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score')),
    sa.UniqueConstraint('scorecard_id', 'criterion_id', 'stage', name='uq_score_cell')
    )
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_criterion_id'), ['criterion_id'], unique=False)


def downgrade():
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_criterion_id'))

    op.drop_table('score')
    op.drop_table('result')
    with op.batch_alter_table('scorecard', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scorecard_unit_id'))

    op.drop_table('scorecard')
    with op.batch_alter_table('criterion', schema=None) as batch_op:
        batch_op.drop_index('ix_criterion_table_position')

    op.drop_table('criterion')
    with op.batch_alter_table('criteria_table', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criteria_table_year'))
        batch_op.drop_index(batch_op.f('ix_criteria_table_bloc_id'))

    op.drop_table('criteria_table')
    op.drop_table('scoring_thresholds')
