"""``?page=`` of a list page ↔ the API's ``limit``/``offset``."""

from __future__ import annotations

from flask import request

PAGE_SIZE = 20


def page_params(size: int = PAGE_SIZE) -> dict[str, int]:
    """limit and offset for the API from the page number in the query (1-based)."""
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    return {"limit": size, "offset": (page - 1) * size}
