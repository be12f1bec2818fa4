"""文登 staff opening a 环翠 application's URL in the portal get a refusal page, not the data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from playwright.sync_api import expect

from deploy.local.sandbox import Sandbox
from tests.browser.conftest import PASSWORD, visit

HUANCUI = "371002"


def _huancui_application(stack: Sandbox) -> dict:
    token = requests.post(f"{stack.gateway_url}/api/v1/auth/token", timeout=10,
                          json={"username": "city-hr", "password": PASSWORD}).json()
    listed = requests.get(f"{stack.gateway_url}/api/v1/applications", timeout=10,
                          params={"limit": 200},
                          headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    return next(a for a in listed["items"] if a.get("district") == HUANCUI)


def test_wendeng_staff_cannot_open_a_huancui_application(
        stack: Sandbox, login: Callable[..., Any]) -> None:
    application = _huancui_application(stack)
    page = login("wendeng-hr")
    page.goto(f"/staff/district/applications/{application['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("无权访问")
    expect(page.locator("main")).not_to_contain_text(application["station_name"])
    visit(page, "staff-district-refused")
