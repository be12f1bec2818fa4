"""Server-Timing (W3C) of a page: its own time and each gateway call it made, so a benchmark
(bench/portal.py) or an operator's browser tools can see where a slow page spends its time.
Off unless PORTAL_SERVER_TIMING=1: the header names API paths, which the public need not see.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g


def record(method: str, path_url: str, seconds: float) -> None:
    """One gateway call of this request (``path_url``: the path and query as sent, ASCII)."""
    if "api_calls" in g:
        g.api_calls.append((method, path_url, seconds))


def header_value(calls: list[tuple[str, str, float]], page_seconds: float) -> str:
    entries = [f'api{i};dur={seconds * 1000:.2f};desc="{method} {path}"'
               for i, (method, path, seconds) in enumerate(calls)]
    return ", ".join([*entries, f"page;dur={page_seconds * 1000:.2f}"])


def init_app(app: Flask) -> None:
    if not app.config.get("SERVER_TIMING"):
        return

    @app.before_request
    def _start() -> None:
        g.page_started = time.perf_counter()
        g.api_calls = []

    @app.after_request
    def _header(response: Response) -> Response:
        if "page_started" in g:
            response.headers["Server-Timing"] = header_value(
                g.api_calls, time.perf_counter() - g.page_started)
        return response
