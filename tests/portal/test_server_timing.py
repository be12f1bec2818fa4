"""The Server-Timing header (portal/timing.py): each gateway call of a page and the page's own
time, only when switched on."""

from __future__ import annotations

import re

from portal.app import create_app
from tests.portal.conftest import FakeGateway


def test_a_page_names_each_gateway_call_and_its_own_time(gateway: FakeGateway) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "GATEWAY_URL": "http://gw",
                      "SERVER_TIMING": True})
    response = app.test_client().get("/stations?district=371002")
    header = response.headers["Server-Timing"]
    calls = re.findall(r'api\d+;dur=([\d.]+);desc="(\w+) ([^"]+)"', header)
    assert ("GET", "/stations?district=371002&limit=20&offset=0") in [
        (m, p) for _, m, p in calls]
    page = float(re.search(r"page;dur=([\d.]+)", header).group(1))
    assert page >= max(float(d) for d, _, _ in calls)


def test_it_is_off_by_default(browser) -> None:  # type: ignore[no-untyped-def]
    assert "Server-Timing" not in browser.get("/stations").headers
