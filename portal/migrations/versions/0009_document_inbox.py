"""The inbox of unconfirmed documents (document.confirmed_at, confirmed_by_id) and notes on documents.

Backfill: an existing document stays confirmed only when a person confirmed it for sure — a metadata
edit is in the audit log (who and when are taken from the latest one), or its title was given at
upload rather than read by the portal (demo and API uploads with typed metadata). Uploads whose
metadata the portal read, and that nobody has edited since, go to the inbox.

Revision ID: 0009_document_inbox
Revises: 0008_score_feed
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_document_inbox"
down_revision = "0008_score_feed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("confirmed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_document_confirmed_by_id_user"), "user", ["confirmed_by_id"], ["id"], ondelete="SET NULL")
        batch.create_index(batch.f("ix_document_inbox"), ["metadata_confirmed", "deleted_at", "uploaded_at"])
    op.create_table(
        "document_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_username", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"], name=op.f("fk_document_note_author_id_user"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], name=op.f("fk_document_note_document_id_document"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_note")),
    )
    with op.batch_alter_table("document_note") as batch:
        batch.create_index(batch.f("ix_document_note_document_id"), ["document_id"], unique=False)
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    document = sa.table("document", sa.column("id", sa.Integer), sa.column("title", sa.String),
                        sa.column("detected", sa.JSON), sa.column("metadata_confirmed", sa.Boolean),
                        sa.column("confirmed_at", sa.DateTime(timezone=True)), sa.column("confirmed_by_id", sa.Integer),
                        sa.column("uploaded_at", sa.DateTime(timezone=True)), sa.column("uploaded_by_id", sa.Integer))
    audit = sa.table("audit_event", sa.column("id", sa.Integer), sa.column("at", sa.DateTime(timezone=True)),
                     sa.column("actor_id", sa.Integer), sa.column("action", sa.String),
                     sa.column("object_type", sa.String), sa.column("object_id", sa.String))
    edits: dict[str, tuple] = {}
    rows = bind.execute(sa.select(audit.c.object_id, audit.c.at, audit.c.actor_id)
                        .where(audit.c.object_type == "document", audit.c.action == "update").order_by(audit.c.id))
    for object_id, at, actor_id in rows:
        edits[object_id] = (at, actor_id)  # the latest edit wins
    confirmed, unconfirmed = [], []
    for row in bind.execute(sa.select(document.c.id, document.c.title, document.c.detected, document.c.metadata_confirmed,
                                      document.c.uploaded_at, document.c.uploaded_by_id)):
        edit = edits.get(str(row.id))
        detected_title = (row.detected or {}).get("title") if isinstance(row.detected, dict) else None
        title_given = bool(row.metadata_confirmed and row.title and row.title != detected_title)
        if edit is not None:
            confirmed.append({"i": row.id, "at": edit[0], "by": edit[1]})
        elif title_given:
            confirmed.append({"i": row.id, "at": row.uploaded_at, "by": row.uploaded_by_id})
        else:
            unconfirmed.append(row.id)
    if confirmed:
        bind.execute(document.update().where(document.c.id == sa.bindparam("i"))
                     .values(metadata_confirmed=True, confirmed_at=sa.bindparam("at"), confirmed_by_id=sa.bindparam("by")),
                     confirmed)
    for start in range(0, len(unconfirmed), 500):
        bind.execute(document.update().where(document.c.id.in_(unconfirmed[start:start + 500]))
                     .values(metadata_confirmed=False, confirmed_at=None, confirmed_by_id=None))


def downgrade() -> None:
    with op.batch_alter_table("document_note") as batch:
        batch.drop_index(batch.f("ix_document_note_document_id"))
    op.drop_table("document_note")
    with op.batch_alter_table("document") as batch:
        batch.drop_index(batch.f("ix_document_inbox"))
        batch.drop_constraint(batch.f("fk_document_confirmed_by_id_user"), type_="foreignkey")
        batch.drop_column("confirmed_by_id")
        batch.drop_column("confirmed_at")
