"""The gateway's REST API, as seen by the current request: its token and its language.

Views call ``api().get("/stations", params=...)``; paths are relative to /api/v1. A refusal
raises ``ApiError`` whose message is already in the user's language (the gateway answers zh
or en per Accept-Language); a 401 raises ``LoginRequired`` (the app sends the user to log in
and back). ``public_api()`` calls without the token: public pages must work even when the
session's token has just expired (the gateway answers 401, never anonymous, to a bad token).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from flask import current_app, g, session
from flask_babel import get_locale, gettext

from portal import timing

_local = threading.local()
TIMEOUT_SECONDS = 20  # above the gateway's RPC timeout (10 s) so its 503 reaches us


class ApiError(Exception):
    """A refusal of the gateway: ``{"code", "message", "details"}`` and the HTTP status."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


class LoginRequired(ApiError):
    """No token, or the gateway no longer accepts it."""


def _http() -> requests.Session:
    # One connection pool per thread: requests.Session is not documented as thread-safe.
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def accept_language() -> str:
    return "en" if str(get_locale()).startswith("en") else "zh-CN"


class Api:
    def __init__(self, base_url: str, token: str | None, language: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.token = token
        self.language = language

    def _headers(self, idempotency_key: str | None = None) -> dict[str, str]:
        headers = {"Accept-Language": self.language, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def request(self, method: str, path: str, *, params: dict | None = None,
                json: Any = None, files: dict | None = None,
                idempotency_key: str | None = None) -> requests.Response:
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        started = time.perf_counter()
        try:
            response = _http().request(
                method, self.base + path, params=clean or None, json=json, files=files,
                headers=self._headers(idempotency_key), timeout=TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            timing.record(method, path, time.perf_counter() - started)
            raise ApiError(503, "gateway_unreachable",
                           gettext("平台暂时无法访问，请稍后再试。"),
                           {"reason": type(exc).__name__}) from exc
        timing.record(method, response.request.path_url.removeprefix("/api/v1"),
                      time.perf_counter() - started)
        if response.status_code >= 400:
            raise _error_of(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None

    def get(self, path: str, params: dict | None = None) -> Any:
        return self._json("GET", path, params=params)

    def post(self, path: str, json: Any = None, files: dict | None = None,
             idempotency_key: str | None = None) -> Any:
        return self._json("POST", path, json=json, files=files, idempotency_key=idempotency_key)

    def put(self, path: str, json: Any = None, idempotency_key: str | None = None) -> Any:
        return self._json("PUT", path, json=json, idempotency_key=idempotency_key)

    def patch(self, path: str, json: Any = None, idempotency_key: str | None = None) -> Any:
        return self._json("PATCH", path, json=json, idempotency_key=idempotency_key)

    def delete(self, path: str, idempotency_key: str | None = None) -> Any:
        return self._json("DELETE", path, idempotency_key=idempotency_key)

    def get_bytes(self, path: str, params: dict | None = None) -> tuple[bytes, str, str | None]:
        """A download: its bytes, content type and the gateway's Content-Disposition header
        (RFC 6266, already carrying any filename; a page passes it on unchanged)."""
        response = self.request("GET", path, params=params)
        return (response.content, response.headers.get("Content-Type", ""),
                response.headers.get("Content-Disposition"))


def _error_of(response: requests.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = body.get("code") or f"http_{response.status_code}"
    message = body.get("message") or gettext("平台未能处理该请求（HTTP %(status)s）。",
                                             status=response.status_code)
    cls = LoginRequired if response.status_code == 401 else ApiError
    return cls(response.status_code, code, message, body.get("details") or {})


def api() -> Api:
    """The API as the signed-in user (anonymous when no one is signed in)."""
    if "api" not in g:
        g.api = Api(current_app.config["GATEWAY_URL"], session.get("token"), accept_language())
    return g.api


def public_api() -> Api:
    """The API as the public: for pages anyone may open."""
    return Api(current_app.config["GATEWAY_URL"], None, accept_language())
