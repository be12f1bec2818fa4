"""Pagination of list RPCs: one request shape, one page shape."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

MAX_LIMIT = 200
MAX_OFFSET = 2**31 - 1


class PageRequest(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))
    # Bounded so that no database is asked for an offset beyond its integer type.
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


def paginate(session: Session, query: Select, limit: int, offset: int) -> tuple[list[Any], int]:
    """One page of ``query``'s rows (scalars) and the total count of the unpaged query."""
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = list(session.scalars(query.limit(limit).offset(offset)))
    return items, int(total)


def page(items: list[dict], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}
