"""Pages render, in Chinese or English, and the public flows work against the API's answers."""

from __future__ import annotations

from typing import Any

from tests.portal.conftest import FakeGateway, form_tokens

TITLE = "威海市高层次人才驿站管理服务平台"


def test_public_pages_render_in_chinese(browser: Any, gateway: FakeGateway) -> None:
    gateway.on("GET", "/stations/s1", 200, {
        "id": "s1", "name": "威高集团有限公司高层次人才驿站",
        "plaque_number": "威人驿〔2024〕001号",
        "station_type": "innovation", "host_unit_name": "威高集团有限公司", "district": "371071",
        "status": "active", "approved_on": "2024-09-23", "policy_version": "WH-2024",
        "history": [{"at": "2024-09-23T02:00:00+00:00", "action": "approve",
                     "to_status": "active", "role": "talent_office"}]})
    for path in ("/", "/stations", "/stations/s1", "/measures", "/notices/n1", "/login",
                 "/register", "/talent-map"):
        response = browser.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert TITLE in html and 'lang="zh-CN"' in html, path
    station = browser.get("/stations/s1").get_data(as_text=True)
    assert "威人驿〔2024〕001号" in station and "2024-09-23 10:00" in station  # Asia/Shanghai


def test_the_language_switch_changes_the_pages_and_what_the_api_is_asked(
        browser: Any, gateway: FakeGateway) -> None:
    response = browser.get("/lang/en?next=/stations")
    assert response.status_code == 302 and response.headers["Location"].endswith("/stations")
    html = browser.get("/").get_data(as_text=True)
    assert "Weihai High-level Talent Station Service Platform" in html
    assert 'lang="en"' in html and "Recently recognised stations" in html
    assert gateway.calls[-1]["headers"]["Accept-Language"] == "en"
    browser.get("/?lang=zh_CN")
    assert TITLE in browser.get("/").get_data(as_text=True)
    assert gateway.calls[-1]["headers"]["Accept-Language"] == "zh-CN"


def test_the_switch_never_redirects_off_site(browser: Any) -> None:
    response = browser.get("/lang/en?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_a_form_without_its_csrf_token_is_refused(app: Any, browser: Any,
                                                  gateway: FakeGateway) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    response = browser.post("/notices/n1", data={"application_id": "a1",
                                                  "reason": "材料不实，请核查。"})
    assert response.status_code == 400
    assert "表单已失效" in response.get_data(as_text=True)
    assert not [c for c in gateway.calls if c["method"] == "POST"]


def test_an_objection_shows_its_receipt_and_a_double_submit_files_once(
        browser: Any, gateway: FakeGateway) -> None:
    gateway.on("POST", "/public/notices/n1/objections", 201,
               {"id": "obj-123", "status": "pending", "filed_at": "2026-12-03T01:00:00+00:00"})
    tokens = form_tokens(browser.get("/notices/n1").get_data(as_text=True))
    data = {**tokens, "application_id": "a1", "reason": "申报材料与实际不符。"}
    first = browser.post("/notices/n1", data=data)
    second = browser.post("/notices/n1", data=data)
    assert first.status_code == second.status_code == 302
    assert len([c for c in gateway.calls if c["method"] == "POST"]) == 1
    page = browser.get(first.headers["Location"]).get_data(as_text=True)
    assert "obj-123" in page and "2026-12-03 09:00" in page


def test_a_refused_objection_is_shown_with_what_was_typed(browser: Any,
                                                          gateway: FakeGateway) -> None:
    gateway.on("POST", "/public/notices/n1/objections", 429, {
        "code": "rate_limited", "message": "提交过于频繁，请稍后再试。",
        "details": {"limit": "10 per hour", "retry_after": 60}})
    tokens = form_tokens(browser.get("/notices/n1").get_data(as_text=True))
    response = browser.post("/notices/n1", data={**tokens, "application_id": "a1",
                                                  "reason": "我的异议理由在此。", "name": "王五"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "提交过于频繁，请稍后再试。" in html and "我的异议理由在此。" in html
    assert 'value="王五"' in html


def test_fields_name_their_hints_and_errors_only_when_there_are_some(browser: Any) -> None:
    html = browser.get("/login").get_data(as_text=True)
    assert "None" not in html and "aria-invalid" not in html
    register = browser.get("/register").get_data(as_text=True)
    assert 'aria-describedby="username-hint"' in register
