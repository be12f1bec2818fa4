"""District staff pages against a scripted gateway: the worklist oldest first, a decision
with post/redirect/get, a refusal kept on the form, and another district's 403 as a refusal."""

from __future__ import annotations

from typing import Any

from tests.portal.conftest import FakeGateway, form_tokens, login

HUANCUI = {"access_token": "tok-d", "token_type": "Bearer", "expires_in": 3600,
           "username": "huancui-hr", "display_name": "环翠区人社局", "role": "district_hr",
           "binding": {"district": "371002"}}


def app_of(id_: str, submitted_at: str, status: str = "submitted") -> dict[str, Any]:
    return {"id": id_, "number": f"WH-{id_}", "host_unit_id": "h1", "host_unit_name": "威高",
            "station_type": "innovation", "station_name": f"驿站{id_}", "district": "371002",
            "route": "district", "status": status, "status_name": "", "round": 1,
            "score": None, "rank": None, "submitted_at": submitted_at,
            "updated_at": submitted_at, "conditions": {}, "history": []}


def signed_in(browser: Any, gateway: FakeGateway) -> None:
    login(browser, gateway, HUANCUI)
    gateway.on("GET", "/registrations", 200, {"items": [], "total": 0, "limit": 1, "offset": 0})


def test_worklist_oldest_first(browser: Any, gateway: FakeGateway) -> None:
    signed_in(browser, gateway)
    gateway.on("GET", "/applications", 200, {"items": [
        app_of("b", "2026-11-20T02:00:00+00:00"), app_of("a", "2026-11-01T02:00:00+00:00")],
        "total": 2, "limit": 20, "offset": 0})
    html = browser.get("/staff/district/").get_data(as_text=True)
    assert html.index("WH-a") < html.index("WH-b")
    assert 'class="count">2<' in html  # the menu's count


def test_recommend_redirects_and_refusal_keeps_comments(browser: Any,
                                                        gateway: FakeGateway) -> None:
    signed_in(browser, gateway)
    gateway.on("GET", "/applications/a", 200, app_of("a", "2026-11-01T02:00:00+00:00"))
    gateway.on("GET", "/applications", 200, {"items": [], "total": 0, "limit": 1, "offset": 0})
    page = browser.get("/staff/district/applications/a").get_data(as_text=True)
    gateway.on("POST", "/applications/a/recommend", 409,
               {"code": "state", "message": "该申报已被处理。", "details": {}})
    refused = browser.post("/staff/district/applications/a", data={
        **form_tokens(page), "comments": "材料齐全", "decision": "recommend"})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "该申报已被处理。" in text and "材料齐全" in text
    gateway.on("POST", "/applications/a/recommend", 200, app_of("a", "x", "at_city"))
    done = browser.post("/staff/district/applications/a", data={
        **form_tokens(page), "comments": "材料齐全", "decision": "recommend"})
    assert done.status_code == 302
    sent = [c for c in gateway.calls if c["path"] == "/applications/a/recommend"][-1]
    assert sent["json"] == {"comments": "材料齐全"}


def test_other_district_shows_refusal_not_data(browser: Any, gateway: FakeGateway) -> None:
    signed_in(browser, gateway)
    gateway.on("GET", "/applications", 200, {"items": [], "total": 0, "limit": 1, "offset": 0})
    gateway.on("GET", "/applications/x", 403, {
        "code": "forbidden", "message": "区市人社部门无权办理其他区市的记录。", "details": {}})
    response = browser.get("/staff/district/applications/x")
    assert response.status_code == 403
    assert "无权办理其他区市的记录" in response.get_data(as_text=True)


def test_registration_reject_sends_reason(browser: Any, gateway: FakeGateway) -> None:
    signed_in(browser, gateway)
    gateway.on("GET", "/applications", 200, {"items": [], "total": 0, "limit": 1, "offset": 0})
    registration = {"id": "r1234567890", "username": "newco", "display_name": "新公司",
                    "role": "host_unit", "district": "371002", "organisation": {},
                    "status": "pending", "created_at": "2026-12-01T01:00:00+00:00"}
    gateway.on("GET", "/registrations", 200, {"items": [registration], "total": 1,
                                              "limit": 20, "offset": 0})
    html = browser.get("/staff/district/registrations").get_data(as_text=True)
    assert "新公司" in html
    csrf = form_tokens(browser.get("/login").get_data(as_text=True))["csrf_token"]
    gateway.on("POST", "/registrations/r1234567890/reject", 200, {**registration,
                                                                  "status": "rejected"})
    done = browser.post("/staff/district/registrations/r1234567890/reject", data={
        "r1234567r-csrf_token": csrf, "r1234567r-idempotency_key": "k1",
        "r1234567r-reason": "信用代码不符"})
    assert done.status_code == 302
    assert gateway.calls[-1]["json"] == {"reason": "信用代码不符"}


def test_a_registration_reads_in_words_not_codes(browser: Any, gateway: FakeGateway) -> None:
    signed_in(browser, gateway)
    gateway.on("GET", "/applications", 200, {"items": [], "total": 0, "limit": 1, "offset": 0})
    registration = {"id": "r1234567890", "username": "newco", "display_name": "新公司",
                    "role": "host_unit", "district": "371002",
                    "organisation": {"name": "新公司", "credit_code": "913710026114823782",
                                     "category": "key_enterprise", "city_level": False},
                    "status": "pending", "created_at": "2026-12-01T01:00:00+00:00"}
    gateway.on("GET", "/registrations", 200, {"items": [registration], "total": 1,
                                              "limit": 20, "offset": 0})
    html = browser.get("/staff/district/registrations").get_data(as_text=True)
    assert "<dt>统一社会信用代码</dt>" in html and "<dt>市直单位</dt><dd>否</dd>" in html
    assert "<dd>产业集群重点企业</dd>" in html
    assert "key_enterprise" not in html and "credit_code" not in html
