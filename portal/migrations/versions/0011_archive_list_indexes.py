"""The archive list at 100,000 documents (issue 14): partial indexes on live documents for each sort and filter.

Each index holds only live documents (`deleted_at IS NULL`, in every list query) and ends with `id`, the
tie-breaker of every sort, so a page is read straight from an index in the list's order (walked backwards
for the newest-first sorts) and the capped count reads at most 10,001 index entries. The title indexes
carry the Vietnamese collation the list sorts by: SQLite's `vi` (registered on every connection the portal
opens; a bare `sqlite3` shell without it cannot write to the document table, and `REINDEX vi` rebuilds
them if portal/text/collation.py ever changes its order) and PostgreSQL's ICU `vi-x-icu`.

Revision ID: 0011_archive_list_indexes
Revises: 0010_saved_views
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_archive_list_indexes"
down_revision = "0010_saved_views"
branch_labels = None
depends_on = None

LIVE = "deleted_at IS NULL"
# name → leading columns (then id); "title" is collated in the database.
INDEXES = (
    ("date", ("issue_date",)), ("title", ("title",)), ("number", ("number_key",)), ("uploaded", ("uploaded_at",)),
    ("year_date", ("year", "issue_date")), ("year_title", ("year", "title")), ("year_number", ("year", "number_key")),
    ("year_uploaded", ("year", "uploaded_at")), ("type_date", ("type", "issue_date")),
    ("bloc_date", ("bloc_id", "issue_date")), ("unit_date", ("unit_id", "issue_date")),
    ("issuer_date", ("issuer", "issue_date")),
)
COLLATION = {"sqlite": "vi", "postgresql": '"vi-x-icu"'}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, columns in INDEXES:
        index = f"ix_document_live_{name}"
        if "title" in columns and dialect in COLLATION:
            listed = ", ".join(f"{c} COLLATE {COLLATION[dialect]}" if c == "title" else c for c in (*columns, "id"))
            op.execute(f"CREATE INDEX {index} ON document ({listed}) WHERE {LIVE}")
        else:
            op.create_index(index, "document", [*columns, "id"], unique=False,
                            sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
    # Give the planners figures to choose between the new indexes (PostgreSQL's autovacuum keeps them up).
    op.execute("ANALYZE document")


def downgrade() -> None:
    for name, _columns in reversed(INDEXES):
        op.drop_index(f"ix_document_live_{name}", table_name="document")
