"""The talent map is public (Art 8(2)): counts only, shown to anonymous visitors as to
signed-in users, always asked of the API as the public."""

from __future__ import annotations

from typing import Any

from tests.portal.conftest import FakeGateway, login

MAP = {"metric": "experts", "filters": {"industry": None, "talent_level": None},
       "districts": [{"code": "371002", "name_zh": "环翠区", "name_en": "Huancui",
                      "experts": 12, "demands": 3, "collaborations": 1}],
       "industries": [], "levels": [], "cells": {}}


def test_anonymous_visitors_see_the_map_and_its_counts(browser: Any,
                                                      gateway: FakeGateway) -> None:
    gateway.on("GET", "/talent-map", 200, MAP)
    html = browser.get("/talent-map?metric=experts").get_data(as_text=True)
    assert "登录后可查看人才地图" not in html and "登录后查看" not in html
    assert "/talent-map.svg?metric=experts" in html
    assert "环翠区" in html and "<td data-label=\"专家人数\">12</td>" in html
    call = [c for c in gateway.calls if c["path"] == "/talent-map"][-1]
    assert "Authorization" not in (call.get("headers") or {})
    gateway.on("GET", "/talent-map", 200, b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    svg = browser.get("/talent-map.svg?metric=demands")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert gateway.calls[-1]["params"] == {"format": "svg", "metric": "demands"}
    assert "Authorization" not in (gateway.calls[-1].get("headers") or {})


def test_the_page_says_so_when_the_map_is_unavailable(browser: Any,
                                                     gateway: FakeGateway) -> None:
    gateway.on("GET", "/talent-map", 503, {"code": "unavailable", "message": "x",
                                          "details": {}})
    page = browser.get("/talent-map")
    assert page.status_code == 200
    assert "人才地图暂时无法显示" in page.get_data(as_text=True)


def test_a_signed_in_user_sees_the_map_and_its_counts(browser: Any,
                                                      gateway: FakeGateway) -> None:
    login(browser, gateway)
    gateway.on("GET", "/talent-map", 200, MAP)
    html = browser.get("/talent-map?metric=experts").get_data(as_text=True)
    assert "/talent-map.svg?metric=experts" in html
    assert "环翠区" in html and "<td data-label=\"专家人数\">12</td>" in html
    # Asked as the public even with a session: a stale token must not break the page.
    call = [c for c in gateway.calls if c["path"] == "/talent-map"][-1]
    assert "Authorization" not in (call.get("headers") or {})
