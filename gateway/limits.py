"""Limits on what a request may be: body size and type, and how often a client may try.

- Body size: ``MAX_CONTENT_LENGTH`` (1 MiB) for every request; a view taking uploads raises
  its own ceiling with ``@accepts(..., max_bytes=...)``.
- Body type: a request with a body must send JSON (``application/json``) unless its view
  declares other types with ``@accepts``; anything else is a 415 before the view runs.
- Rate: ``@rate_limit("LOGIN_RATE_LIMIT", ...)`` counts a client's requests (or only its
  failures) in a moving window; over the limit is a 429 with Retry-After. Counts live in this
  process (the gateway runs one, see gunicorn.conf.py) unless RATE_LIMIT_STORAGE_URI names
  a shared store of the ``limits`` library (e.g. redis://).
"""

from __future__ import annotations

import functools
import io
import math
import time
from collections.abc import Callable
from copy import deepcopy
from typing import Any, TypeVar

from flask import Flask, Response, after_this_request, current_app, request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.errors import RateLimited, UnsupportedMediaType

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION = "gateway.limits"
MULTIPART_FILE = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    },
}
JSON = "application/json"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

DEFAULTS: dict[str, Any] = {
    "RATE_LIMIT_STORAGE_URI": "memory://",
    # Failed logins from one client address, and at one username from anywhere. An office
    # behind one NAT address shares the first, so it is the looser of the two.
    "LOGIN_RATE_LIMIT": "20 per minute",
    "LOGIN_ACCOUNT_RATE_LIMIT": "5 per 15 minutes",
    # Objections to a public notice from one client address (Art 7(3): anyone may object).
    "OBJECTION_RATE_LIMIT": "10 per hour",
}


class RateLimits:
    """The app's moving-window counters, and the limits named in its configuration."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config
        self._limiter = MovingWindowRateLimiter(
            storage_from_string(str(config["RATE_LIMIT_STORAGE_URI"]))
        )
        # Parse every *_RATE_LIMIT now, so a malformed one stops the gateway at start.
        self._items = {
            key: parse(str(value)) for key, value in config.items() if key.endswith("_RATE_LIMIT")
        }

    def item(self, name: str) -> RateLimitItem:
        return self._items[name]

    def allowed(self, name: str, key: str) -> bool:
        return self._limiter.test(self._items[name], name, key)

    def hit(self, name: str, key: str) -> bool:
        return self._limiter.hit(self._items[name], name, key)

    def refusal(self, name: str, key: str) -> RateLimited:
        item = self._items[name]
        reset = self._limiter.get_window_stats(item, name, key).reset_time
        return RateLimited.of(str(item), max(1, math.ceil(reset - time.time())))


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        if not app.config.get(key):  # unset or empty (a ${VAR:} left unset): the default
            app.config[key] = value
    app.extensions[EXTENSION] = RateLimits(app.config)
    app.before_request(_check_body)


def client_address() -> str:
    """The client's address (ProxyFix makes it the proxy's client when configured)."""
    return request.remote_addr or "unknown"


def every_request(_response: Response) -> bool:
    return True


def rate_limit(
    name: str,
    key: Callable[[], str] = client_address,
    counts: Callable[[Response], bool] = every_request,
) -> Callable[[F], F]:
    """Refuse with 429 once ``key()`` has used up the limit configured under ``name``.

    ``counts(response)`` decides which answers use it up: by default every one; for a login
    only the failed ones, so that a user who signs in is never locked out by doing so.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            limits: RateLimits = current_app.extensions[EXTENSION]
            who = key()
            if not limits.allowed(name, who):
                raise limits.refusal(name, who)

            @after_this_request
            def count(response: Response) -> Response:
                if counts(response):
                    limits.hit(name, who)
                return response

            return view(*args, **kwargs)

        return limited  # type: ignore[return-value]

    return decorator


def accepts(*content_types: str, max_bytes: int | None = None) -> Callable[[F], F]:
    """Let a view take bodies of these types (e.g. ``"multipart/form-data"``) instead of
    JSON alone, up to ``max_bytes`` instead of MAX_CONTENT_LENGTH."""

    def decorator(view: F) -> F:
        view._accepts = (content_types, max_bytes)  # type: ignore[attr-defined]
        if "multipart/form-data" in content_types:
            # Document the upload (flask-smorest reads the view's _apidoc).
            doc = deepcopy(getattr(view, "_apidoc", {}))
            doc.setdefault("manual_doc", {})["requestBody"] = MULTIPART_FILE
            view._apidoc = doc  # type: ignore[attr-defined]
        return view

    return decorator


def _view_limits() -> tuple[tuple[str, ...], int | None]:
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:  # a MethodView: the method's own function says
        view = getattr(view_class, request.method.lower(), None)
    return getattr(view, "_accepts", ((JSON,), None))


def _has_body() -> bool:
    return (
        bool(request.content_length)
        or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    )


def _buffer_chunked_body(limit: int) -> None:
    """A chunked body has no Content-Length to refuse early, and werkzeug would silently cut
    it at the limit (a 400 for broken JSON): read up to one byte past the limit, refuse more
    with 413, and hand the rest of the request the body with its length known."""
    body = request.environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    request.environ["wsgi.input"] = io.BytesIO(body)
    request.environ["CONTENT_LENGTH"] = str(len(body))
    request.environ.pop("HTTP_TRANSFER_ENCODING", None)


def _check_body() -> None:
    """Before any view: refuse a body that is too large or of a type the view does not take."""
    content_types, max_bytes = _view_limits()
    if max_bytes is not None:
        request.max_content_length = max_bytes
    limit = request.max_content_length
    # A declared oversized body is refused before any view runs, not only when one reads it.
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    # Only a server that ends the stream itself (gunicorn) hands a chunked body on at all.
    if limit is not None and request.content_length is None and _has_body() \
            and request.environ.get("wsgi.input_terminated"):
        _buffer_chunked_body(limit)
    if request.method not in BODY_METHODS or not _has_body() or request.url_rule is None:
        return
    mimetype = request.mimetype
    if mimetype in content_types or (JSON in content_types and mimetype.endswith("+json")):
        return
    raise UnsupportedMediaType.of(mimetype, content_types)
