"""Conventions every service's SQLAlchemy models share."""

from __future__ import annotations

# One naming convention, so Alembic names constraints the same on SQLite and PostgreSQL
# (SQLite batch migrations need named constraints to alter them).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
