"""The postgres search engine's index (issue 15): the `search_index` table and its GIN indexes.

Created on both databases, so that one schema matches the models everywhere (Alembic's comparison, and
`create_all` in tests, see portal/search/index_table.py); on SQLite it stays empty (its text-search
columns are plain TEXT there) because `PORTAL_SEARCH_ENGINE=postgres` needs PostgreSQL. The rows are
derived data: after this migration, `flask reindex` fills the table when the postgres engine is chosen
(an empty index also fills from the outbox as documents change, and `flask check --repair` adds the rest).

Revision ID: 0012_search_index
Revises: 0011_archive_list_indexes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

# revision identifiers, used by Alembic.
revision = "0012_search_index"
down_revision = "0011_archive_list_indexes"
branch_labels = None
depends_on = None

VECTOR = sa.Text().with_variant(TSVECTOR(), "postgresql")
VECTORS = ("words", "short", "exact", "pairs", "ranking")


def upgrade() -> None:
    op.create_table(
        "search_index",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=True),
        sa.Column("report_kind", sa.String(length=16), nullable=True),
        sa.Column("bloc", sa.String(length=32), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("date_key", sa.BigInteger(), nullable=False),
        sa.Column("number_key", sa.Text(), nullable=False),
        *(sa.Column(name, VECTOR, nullable=False) for name in VECTORS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_index")),
    )
    for name in VECTORS[:4]:  # `ranking` is read row by row, never searched
        op.create_index(f"ix_search_index_{name}", "search_index", [name], unique=False, postgresql_using="gin")
    op.create_index("ix_search_index_number_key", "search_index", ["number_key"], unique=False,
                    postgresql_ops={"number_key": "text_pattern_ops"})
    op.create_index("ix_search_index_date_key", "search_index", ["date_key"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Every match is ranked from `ranking`: kept in the row, never looked up in TOAST (index_table.py).
        op.execute("ALTER TABLE search_index ALTER COLUMN ranking SET STORAGE MAIN")


def downgrade() -> None:
    for name in ("date_key", "number_key", *reversed(VECTORS[:4])):
        op.drop_index(f"ix_search_index_{name}", table_name="search_index")
    op.drop_table("search_index")
