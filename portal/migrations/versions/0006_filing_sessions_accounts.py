"""filing rules, server-side sessions, temporary passwords

- document.filed_by_board: only documents the Board filed prove a Board or council milestone.
  Existing documents count as the Board's when a Board account (or the portal's own import, with
  no account) uploaded them.
- user.must_change_password: a temporary password set by the Board must be changed at next login.
- user_session: one row per logged-in browser, so logout and deactivation end it on the server.

Revision ID: 0006_filing_sessions
Revises: 0005_outbox_autoincrement
Create Date: 2026-12-07 05:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006_filing_sessions"
down_revision = "0005_outbox_autoincrement"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("filed_by_board", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        'UPDATE document SET filed_by_board = true WHERE uploaded_by_id IS NULL '
        'OR uploaded_by_id IN (SELECT id FROM "user" WHERE role = \'admin\')'
    )
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_user_session_user_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    with op.batch_alter_table("user_session") as batch:
        batch.create_index(batch.f("ix_user_session_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("user_session") as batch:
        batch.drop_index(batch.f("ix_user_session_user_id"))
    op.drop_table("user_session")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("must_change_password")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("filed_by_board")
