"""Database helpers shared by features."""
from __future__ import annotations

import re

from portal.extensions import db
from portal.errors import INT_MAX


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
