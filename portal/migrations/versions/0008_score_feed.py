"""The score feed of a live meeting sheet: criteria_table.score_seq and score.seq.

Revision ID: 0008_score_feed
Revises: 0007_bloc_meeting
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_score_feed"
down_revision = "0007_bloc_meeting"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("criteria_table") as batch:
        batch.add_column(sa.Column("score_seq", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("score") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index("ix_score_seq", ["seq"])


def downgrade() -> None:
    with op.batch_alter_table("score") as batch:
        batch.drop_index("ix_score_seq")
        batch.drop_column("seq")
    with op.batch_alter_table("criteria_table") as batch:
        batch.drop_column("score_seq")
