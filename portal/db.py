"""Database helpers shared by features."""
from __future__ import annotations

import re

from portal.errors import INT_MAX
from portal.extensions import db


def row_id(value) -> int | None:
    """Return `value` as an id that could name a row (an int 1..INT_MAX), or None when it names none.

    Ids are PostgreSQL `integer`: a bigger number or a stray string sent to the driver fails the query
    (a 500) instead of finding nothing, so getters turn such values into "not found" before querying.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not re.fullmatch(r"\s*[0-9]{1,10}\s*", value):
            return None
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= INT_MAX:
        return None
    return value


def get_by_id(model, value, **options):
    """The `model` row whose id is `value`, or None when there is none or `value` can name no row (see row_id)."""
    ident = row_id(value)
    return db.session.get(model, ident, **options) if ident is not None else None


def vi_collate(column):
    """Order a text column the Vietnamese way in the database (SQLite: our `vi` collation; PostgreSQL: ICU)."""
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        return column.collate("vi")
    if dialect == "postgresql":
        return column.collate("vi-x-icu")
    return column


def insert_ignoring_conflicts(table, rows: list[dict]) -> int:
    """Insert rows, skipping any that would break a unique constraint; return how many were inserted."""
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # preserve_rowcount: without it SQLAlchemy reports -1 for an INSERT on psycopg, which read as a
    # conflict and made every first save of a score (version 0) answer 409 on PostgreSQL.
    stmt = insert(table).values(rows).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    return db.session.execute(stmt).rowcount
