"""The `search_index` table: the index of the postgres engine (`portal.search.postgres_engine`).

It is on the models' metadata, so migration 0012, `create_all` and Alembic's comparison see one schema on
both databases; on SQLite it exists but stays empty (the text-search columns are plain TEXT there), which
keeps the schema the same wherever `PORTAL_SEARCH_ENGINE` points. The rows are derived data: `flask
reindex` rebuilds them from the documents, so there is no foreign key to `document`.

The `tsvector` columns hold terms the portal folds itself (`portal.search.analysis`), written as
`tsvector` literals (no text-search parser, no `unaccent`): `words` (every word of every field, folded,
for matching), `short` (title, number and issuer, for search-as-you-type), `exact` (the accented forms,
for ranking exact-accent matches first), `pairs` (word pairs, for phrases) and `ranking` (positions and
weights — title A, number B, issuer and summary C, the text's first words D — small enough to stay in
the row, so ranking every match never reads a large vector out of TOAST).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR

from portal.extensions import db

__all__ = ["search_index"]

_TSVECTOR = sa.Text().with_variant(TSVECTOR(), "postgresql")

search_index = sa.Table(
    "search_index",
    db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("issuer", sa.Text, nullable=False),
    sa.Column("summary", sa.Text),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("year", sa.Integer),
    sa.Column("type", sa.String(16)),
    sa.Column("report_kind", sa.String(16)),
    sa.Column("bloc", sa.String(32)),
    sa.Column("unit", sa.String(32)),
    sa.Column("issue_date", sa.Date),
    sa.Column("date_key", sa.BigInteger, nullable=False),
    sa.Column("number_key", sa.Text, nullable=False),
    sa.Column("words", _TSVECTOR, nullable=False),
    sa.Column("short", _TSVECTOR, nullable=False),
    sa.Column("exact", _TSVECTOR, nullable=False),
    sa.Column("pairs", _TSVECTOR, nullable=False),
    sa.Column("ranking", _TSVECTOR, nullable=False),
    sa.Index("ix_search_index_words", "words", postgresql_using="gin"),
    sa.Index("ix_search_index_short", "short", postgresql_using="gin"),
    sa.Index("ix_search_index_exact", "exact", postgresql_using="gin"),
    sa.Index("ix_search_index_pairs", "pairs", postgresql_using="gin"),
    # Number prefixes (`19-ct-%`) whatever the database's collation.
    sa.Index("ix_search_index_number_key", "number_key", postgresql_ops={"number_key": "text_pattern_ops"}),
    sa.Index("ix_search_index_date_key", "date_key"),
)

# Every match is ranked from `ranking`: keep it in the row (MAIN: compressed in place, moved out last) so
# ranking a match never looks it up in the TOAST table; the large vectors and the text go out first.
KEEP_IN_ROW = "ALTER TABLE search_index ALTER COLUMN ranking SET STORAGE MAIN"
sa.event.listen(search_index, "after_create", sa.DDL(KEEP_IN_ROW).execute_if(dialect="postgresql"))
