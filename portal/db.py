"""Database helpers shared by features."""
from __future__ import annotations

from portal.extensions import db


def vi_collate(column):
    """Order a text column the Vietnamese way in the database (SQLite: our `vi` collation; PostgreSQL: ICU)."""
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        return column.collate("vi")
    if dialect == "postgresql":
        return column.collate("vi-x-icu")
    return column
