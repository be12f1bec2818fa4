"""Log in and out, the session, expiry, refusals, and the host unit's guided form."""

from __future__ import annotations

from typing import Any

from tests.portal.conftest import FakeGateway, form_tokens, login


def test_login_keeps_the_token_on_the_server(browser: Any, gateway: FakeGateway) -> None:
    login(browser, gateway)
    cookie = browser.get_cookie("portal_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert "tok-host" not in cookie.value
    gateway.on("GET", "/applications", 200, {"items": [], "total": 0, "limit": 50, "offset": 0})
    gateway.on("GET", "/stations", 200, {"items": [], "total": 0, "limit": 200, "offset": 0})
    html = browser.get("/host/").get_data(as_text=True)
    assert "威高集团有限公司" in html and "依托单位" in html
    assert gateway.calls[-1]["headers"]["Authorization"] == "Bearer tok-host"


def test_a_wrong_password_is_shown_on_the_login_page(browser: Any, gateway: FakeGateway) -> None:
    gateway.on("POST", "/auth/token", 401, {
        "code": "auth.invalid_credentials", "message": "用户名或密码错误，或账号已停用。",
        "details": {}})
    tokens = form_tokens(browser.get("/login").get_data(as_text=True))
    response = browser.post("/login", data={**tokens, "username": "host-unit", "password": "x"})
    html = response.get_data(as_text=True)
    assert "用户名或密码错误" in html and 'value="host-unit"' in html


def test_an_expired_token_sends_the_user_to_log_in_and_back(browser: Any,
                                                             gateway: FakeGateway) -> None:
    login(browser, gateway)
    gateway.on("GET", "/applications/a9", 401, {"code": "auth.invalid_token",
                                                "message": "expired", "details": {}})
    response = browser.get("/host/applications/a9")
    assert response.status_code == 302
    assert "/login?next=/host/applications/a9" in response.headers["Location"]
    assert browser.get("/host/").status_code == 302  # the stale token is gone


def test_a_refusal_of_the_api_shows_the_refusal_page_not_the_data(
        browser: Any, gateway: FakeGateway) -> None:
    login(browser, gateway)
    gateway.on("GET", "/applications/a9", 403, {
        "code": "forbidden.organisation", "message": "无权查看其他单位的申请。", "details": {}})
    response = browser.get("/host/applications/a9")
    assert response.status_code == 403
    assert "无权查看其他单位的申请。" in response.get_data(as_text=True)


def test_another_roles_page_is_refused(browser: Any, gateway: FakeGateway) -> None:
    login(browser, gateway, {**_token("expert"), "binding": {"expert": "e1"}})
    assert browser.get("/host/").status_code == 403


def _token(role: str) -> dict:
    return {"access_token": f"tok-{role}", "token_type": "Bearer", "expires_in": 3600,
            "username": role, "display_name": role, "role": role, "binding": {}}


def test_a_wrong_host_category_is_shown_beside_the_type(browser: Any,
                                                        gateway: FakeGateway) -> None:
    login(browser, gateway)
    gateway.on("POST", "/applications", 422, {
        "code": "application.host_category",
        "message": "服务型驿站的依托单位须为行业协会等；该单位为产业集群重点企业（R5.2）。",
        "details": {"field": "station_type", "rule": "R5.2"}})
    tokens = form_tokens(browser.get("/host/applications/new").get_data(as_text=True))
    response = browser.post("/host/applications/new", data={
        **tokens, "station_type": "service", "station_name": "我的驿站"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="station_type-error"' in html and "R5.2" in html and 'value="我的驿站"' in html
    assert 'aria-describedby="station_type-error"' in html


REGISTRATION = {"role": "host_unit", "username": "new-unit", "password": "a-long-secret",
                "password_again": "a-long-secret", "display_name": "新单位", "district": "371002",
                "organisation_name": "新单位有限公司", "credit_code": "91371002MA3C8XYK01",
                "host_category": "incubator", "contact_name": "张三",
                "contact_phone": "0631-5200000", "address": "环翠区新威路 1 号"}


def _register(browser: Any, **changes: str) -> Any:
    tokens = form_tokens(browser.get("/register").get_data(as_text=True))
    return browser.post("/register", data={**tokens, **REGISTRATION, **changes})


def test_registration_sends_the_accounts_apis_request_shape(browser: Any,
                                                             gateway: FakeGateway) -> None:
    gateway.on("POST", "/registrations", 201, {"id": "r1", "status": "pending"})
    response = _register(browser)
    assert response.status_code == 302 and response.headers["Location"].endswith("/register/done")
    sent = [c for c in gateway.calls if c["method"] == "POST"][-1]["json"]
    assert sent == {
        "username": "new-unit", "password": "a-long-secret", "display_name": "新单位",
        "role": "host_unit", "district": "371002",
        "organisation": {"name": "新单位有限公司", "credit_code": "91371002MA3C8XYK01",
                         "category": "incubator", "city_level": False, "contact_name": "张三",
                         "contact_phone": "0631-5200000", "address": "环翠区新威路 1 号"}}


def test_an_expert_sends_its_name_employer_and_phone(browser: Any,
                                                      gateway: FakeGateway) -> None:
    gateway.on("POST", "/registrations", 201, {"id": "r2", "status": "pending"})
    _register(browser, role="expert", display_name="李教授", employer="山东大学（威海）",
              organisation_name="", credit_code="", host_category="")
    sent = [c for c in gateway.calls if c["method"] == "POST"][-1]["json"]
    assert sent["organisation"] == {"name": "李教授", "employer": "山东大学（威海）",
                                    "contact_phone": "0631-5200000"}


def test_what_a_role_requires_is_asked_before_the_api(browser: Any,
                                                      gateway: FakeGateway) -> None:
    response = _register(browser, address="", contact_phone="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="address-error"' in html and 'id="contact_phone-error"' in html
    assert not [c for c in gateway.calls if c["method"] == "POST" and "registrations" in
                c["path"]]


def test_the_apis_refusals_are_shown_beside_the_fields(browser: Any,
                                                       gateway: FakeGateway) -> None:
    gateway.on("POST", "/registrations", 422, {
        "code": "invalid_input", "message": "请求中有无效字段。",
        "details": {"fields": {"organisation": {"name": ["名称过长。"],
                                                "category": ["类别无效。"]}},
                    "role": "host_unit"}})
    html = _register(browser).get_data(as_text=True)
    assert 'id="organisation_name-error"' in html and "名称过长。" in html
    assert 'id="host_category-error"' in html and "类别无效。" in html
    assert 'value="新单位有限公司"' in html
    gateway.on("POST", "/registrations", 422, {
        "code": "registration.credit_code", "message": "统一社会信用代码无效（校验位或格式错误）。",
        "details": {"field": "organisation.credit_code"}})
    html = _register(browser).get_data(as_text=True)
    assert 'id="credit_code-error"' in html and "校验位或格式错误" in html
    gateway.on("POST", "/registrations", 409, {
        "code": "user.exists", "message": "用户名（new-unit）已被使用。", "details": {}})
    html = _register(browser).get_data(as_text=True)
    assert 'id="username-error"' in html and "已被使用" in html


def test_money_and_dates() -> None:
    from portal.app import create_app
    from portal.filters import datetime_filter, money, yuan

    with create_app({"TESTING": True}).test_request_context("/"):
        assert money(123450) == "¥1,234.50" and yuan("300000") == "¥300,000.00"
        assert datetime_filter("2026-12-08T16:00:00+00:00") == "2026-12-09 00:00"


def test_the_conditions_step_uploads_evidence_and_saves_the_draft(
        browser: Any, gateway: FakeGateway) -> None:
    import io

    login(browser, gateway)
    draft = {"id": "a1", "number": "WHRCYZ-2026-0009", "station_name": "驿站", "status": "draft",
             "station_type": "innovation", "history": [],
             "conditions": {"commitment": {"statement": "旧", "evidence": ["e" * 64]}}}
    gateway.on("GET", "/applications/a1", 200, draft)
    gateway.on("POST", "/attachments", 201, {"attachment_id": "f" * 64, "filename": "p.pdf"})
    gateway.on("PATCH", "/applications/a1", 200, draft)
    page = browser.get("/host/applications/a1/edit/conditions").get_data(as_text=True)
    assert "旧" in page
    data = {**form_tokens(page), "commitment_statement": "新的说明", "action": "next",
            "commitment_files": (io.BytesIO(b"%PDF-1.4"), "p.pdf", "application/pdf")}
    response = browser.post("/host/applications/a1/edit/conditions", data=data,
                            content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/premises")
    patch = [c for c in gateway.calls if c["method"] == "PATCH"][-1]["json"]
    assert patch["conditions"]["commitment"] == {"statement": "新的说明",
                                                 "evidence": ["e" * 64, "f" * 64]}


def test_submit_shows_which_conditions_are_missing(browser: Any, gateway: FakeGateway) -> None:
    login(browser, gateway)
    gateway.on("GET", "/applications/a1", 200, {
        "id": "a1", "station_name": "驿站", "status": "returned", "station_type": "innovation",
        "round": 2, "history": [{"at": "2026-12-01T01:00:00+00:00", "action": "return",
                                 "to_status": "returned", "comments": "请补充管理制度。"}]})
    gateway.on("POST", "/applications/a1/submit", 422, {
        "code": "application.conditions_incomplete", "message": "尚缺：管理制度（R6.1）。",
        "details": {"field": "conditions", "rule": "R6.1", "missing": ["management"]}})
    page = browser.get("/host/applications/a1/review").get_data(as_text=True)
    assert "请补充管理制度。" in page  # the return's comments
    response = browser.post("/host/applications/a1/review", data=form_tokens(page))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "尚缺：管理制度（R6.1）。" in html
    assert 'class="error-text">4.' in html
