"""A portal app whose gateway is a scripted stand-in: each test says what the API answers.

The stand-in replaces the HTTP session of portal.client, so the portal's own code (headers,
error mapping, forms, templates) runs as in production; tests/browser drives the real stack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from portal import client
from portal.app import create_app


class FakeGateway:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Callable[[dict], tuple[int, Any]] | tuple] = {}
        self.calls: list[dict] = []

    def on(self, method: str, path: str, status: int = 200, body: Any = None,
           handler: Callable[[dict], tuple[int, Any]] | None = None) -> None:
        self.routes[(method, path)] = handler or (status, body)

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        path = url.split("/api/v1", 1)[1]
        call = {"method": method, "path": path, **kwargs}
        self.calls.append(call)
        answer = self.routes.get((method, path))
        if answer is None:
            answer = (404, {"code": "not_found", "message": "Not found.", "details": {}})
        status, body = answer(call) if callable(answer) else answer
        response = requests.Response()
        response.request = requests.Request(method, url, params=kwargs.get("params")).prepare()
        response.status_code = status
        if isinstance(body, bytes):
            response._content = body
            response.headers["Content-Type"] = "image/svg+xml"
        else:
            response._content = json.dumps(body).encode() if body is not None else b""
            response.headers["Content-Type"] = "application/json"
        return response


PUBLIC_DEFAULTS: dict[tuple[str, str], tuple[int, Any]] = {
    ("GET", "/public/notices"): (200, [{
        "id": "n1", "number": "威人驿公示〔2026〕1号", "published_on": "2026-12-02",
        "opens_on": "2026-12-02", "closes_on": "2026-12-08",
        "closes_at": "2026-12-08T16:00:00+00:00", "status": "open",
        "applications": [{"application_id": "a1", "number": "WHRCYZ-2026-0007",
                          "station_name": "海洋研究院高层次人才驿站",
                          "station_type": "innovation", "host_unit_name": "海洋研究院",
                          "district": "371071"}]}]),
    ("GET", "/stations"): (200, {"items": [{
        "id": "s1", "name": "威高集团有限公司高层次人才驿站",
        "plaque_number": "威人驿〔2024〕001号",
        "station_type": "innovation", "host_unit_id": "h1", "host_unit_name": "威高集团有限公司",
        "district": "371071", "status": "active", "approved_on": "2024-09-23",
        "policy_version": "WH-2024"}], "total": 1, "limit": 20, "offset": 0}),
    ("GET", "/policies"): (200, [{
        "code": "WH-2020", "title": "威海市高层次人才驿站管理暂行办法",
        "document": "威人组发〔2020〕10号", "effective_from": "2020-12-14",
        "effective_to": None, "note": "", "registered_by": "migration"}]),
}


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> FakeGateway:
    fake = FakeGateway()
    for (method, path), answer in PUBLIC_DEFAULTS.items():
        fake.on(method, path, *answer)
    monkeypatch.setattr(client, "_http", lambda: fake)
    return fake


@pytest.fixture
def app(gateway: FakeGateway) -> Iterator[Any]:
    yield create_app({"TESTING": True, "SECRET_KEY": "test", "GATEWAY_URL": "http://gw"})


@pytest.fixture
def browser(app: Any) -> Any:
    return app.test_client()


def form_tokens(html: str) -> dict[str, str]:
    """The hidden fields of the first form on a page (CSRF token, idempotency key)."""
    return dict(re.findall(r'name="(csrf_token|idempotency_key)" type="hidden" value="([^"]*)"',
                           html))


HOST_TOKEN = {"access_token": "tok-host", "token_type": "Bearer", "expires_in": 3600,
              "username": "host-unit", "display_name": "依托单位（演示）", "role": "host_unit",
              "binding": {"organisation": "h1"}}


def login(browser: Any, gateway: FakeGateway, answer: dict | None = None) -> None:
    gateway.on("POST", "/auth/token", 200, answer or HOST_TOKEN)
    gateway.on("GET", "/host-units/h1", 200, {"id": "h1", "name": "威高集团有限公司",
                                               "category": "key_enterprise"})
    page = browser.get("/login").get_data(as_text=True)
    response = browser.post("/login", data={**form_tokens(page), "username": "host-unit",
                                             "password": "Weihai-Demo-2026"})
    assert response.status_code == 302, response.get_data(as_text=True)
