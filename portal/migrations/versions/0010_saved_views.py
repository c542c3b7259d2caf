"""Saved views of the archive list (issue 13): a named set of filters and sort, private or shared, and per-person pins.

Revision ID: 0010_saved_views
Revises: 0009_document_inbox
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_saved_views"
down_revision = "0009_document_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_key", sa.String(length=80), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("sort", sa.String(length=12), nullable=False),
        sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_saved_view_owner_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_view")),
        sa.UniqueConstraint("owner_id", "name_key", name="uq_saved_view_owner_name"),
    )
    with op.batch_alter_table("saved_view") as batch:
        batch.create_index(batch.f("ix_saved_view_owner_id"), ["owner_id"], unique=False)
    op.create_table(
        "saved_view_pin",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("view_id", sa.Integer(), nullable=False),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_saved_view_pin_user_id_user"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["view_id"], ["saved_view.id"], name=op.f("fk_saved_view_pin_view_id_saved_view"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "view_id", name=op.f("pk_saved_view_pin")),
    )
    with op.batch_alter_table("saved_view_pin") as batch:
        batch.create_index(batch.f("ix_saved_view_pin_view_id"), ["view_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("saved_view_pin") as batch:
        batch.drop_index(batch.f("ix_saved_view_pin_view_id"))
    op.drop_table("saved_view_pin")
    with op.batch_alter_table("saved_view") as batch:
        batch.drop_index(batch.f("ix_saved_view_owner_id"))
    op.drop_table("saved_view")
