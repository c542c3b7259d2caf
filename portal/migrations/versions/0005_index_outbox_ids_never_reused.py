"""index_outbox: ids never reused on SQLite (AUTOINCREMENT)

A plain SQLite rowid is handed out again once the table is empty, so an applier that deleted "its"
rows by id could delete a newer upload's pending update (an acknowledged document then never reached
the index). PostgreSQL sequences never reuse ids: nothing to do there. The rows are kept.

Revision ID: 0005_outbox_autoincrement
Revises: 0004_scoring
Create Date: 2026-12-07 03:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0005_outbox_autoincrement"
down_revision = "0004_scoring"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("index_outbox", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
        pass


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("index_outbox", recreate="always", table_kwargs={"sqlite_autoincrement": False}):
        pass
