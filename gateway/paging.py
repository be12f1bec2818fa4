"""Paged lists at the API, the same shape as the services' (servicekit.paging):
``?limit=&offset=`` in, ``{"items", "total", "limit", "offset"}`` out.

    class StationQuery(PageQuery):
        district = fields.String()

    @blp.arguments(StationQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(StationSchema))
    def get(self, query): ...
"""

from __future__ import annotations

from functools import cache

from marshmallow import Schema, fields

from servicekit.paging import MAX_LIMIT, PageRequest

__all__ = ["MAX_LIMIT", "PageQuery", "page_of"]


class PageQuery(PageRequest):
    """``limit`` 1..200 (default 50) and ``offset`` ≥ 0 (default 0); add a list's filters."""


@cache
def page_of(item: type[Schema]) -> type[Schema]:
    """The schema of one page of ``item``s (one class per item schema, so the OpenAPI
    document names it once)."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item)),
            "total": fields.Integer(metadata={"description": "Items matching, all pages"}),
            "limit": fields.Integer(),
            "offset": fields.Integer(),
        },
        name=f"{item.__name__.removesuffix('Schema')}Page",
    )
