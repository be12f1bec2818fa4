"""The staff pages against the real gateway of a running `make run` (skipped without one):
each role's pages render, and 文登 staff opening a 环翠 application see the refusal page."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from portal.app import create_app

GATEWAY = "http://127.0.0.1:8000"
PASSWORD = "Weihai-Demo-2026"


def _reachable() -> bool:
    try:
        return requests.get(f"{GATEWAY}/healthz", timeout=2).ok
    except requests.RequestException:
        return False


pytestmark = pytest.mark.skipif(not _reachable(),
                                reason="no gateway on 127.0.0.1:8000: start `make run`")


def signed_in(username: str) -> Any:
    browser = create_app({"TESTING": True, "SECRET_KEY": "live", "GATEWAY_URL": GATEWAY}) \
        .test_client()
    page = browser.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]*)"', page).group(1)
    response = browser.post("/login", data={"csrf_token": csrf, "username": username,
                                            "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


@pytest.mark.parametrize(("username", "paths"), [
    ("huancui-hr", ["/staff/district/", "/staff/district/?status=at_city",
                    "/staff/district/registrations"]),
    ("city-hr", ["/staff/city/", "/staff/city/ranking", "/staff/city/notices",
                 "/staff/district/registrations"]),
    ("reviewer", ["/staff/expert/"]),
    ("talent-office", ["/staff/office/"]),
])
def test_role_pages_render(username: str, paths: list[str]) -> None:
    browser = signed_in(username)
    for path in paths:
        response = browser.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:2000])


def _huancui_application() -> str:
    token = requests.post(f"{GATEWAY}/api/v1/auth/token", json={
        "username": "huancui-hr", "password": PASSWORD}, timeout=10).json()["access_token"]
    items = requests.get(f"{GATEWAY}/api/v1/applications", params={"limit": 1}, timeout=10,
                         headers={"Authorization": f"Bearer {token}"}).json()["items"]
    if not items:
        pytest.skip("the demo data has no 环翠 application")
    return items[0]["id"]


def test_detail_pages_and_cross_district_refusal() -> None:
    application_id = _huancui_application()
    own = signed_in("huancui-hr").get(f"/staff/district/applications/{application_id}")
    assert own.status_code == 200
    other = signed_in("wendeng-hr").get(f"/staff/district/applications/{application_id}")
    assert other.status_code == 403
    assert "办理进度" not in other.get_data(as_text=True)  # the refusal page, not the data
    city = signed_in("city-hr").get(f"/staff/city/applications/{application_id}")
    assert city.status_code == 200
