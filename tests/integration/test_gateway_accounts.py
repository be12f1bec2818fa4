"""Accounts through the gateway (gateway/accounts.py): self-registration, its verification by
the right district or the city, and the administrator's users, whose deactivation ends their
tokens at once. Against the real applications service (a verified host unit is registered
there)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from stdnum.cn import uscc

from gateway.app import close, create_app
from gateway.store import EXTENSION as STORE
from gateway.users import add_user
from services.applications.service import ApplicationsService
from tests.integration.bearer import bearer

pytestmark = pytest.mark.integration

HUANCUI, WENDENG = "371002", "371003"
PASSWORD = "Register-2026-pass"
_serial = count(1)


def credit_code(district: str = HUANCUI) -> str:
    base = f"91{district}{next(_serial):09d}"[:17]
    return base + uscc.calc_check_digit(base)


def host_unit(**changes: Any) -> dict[str, Any]:
    return {"name": "威海海洋生物研究院", "credit_code": credit_code(),
            "category": "research_institute", "city_level": False, "contact_name": "刘青",
            "contact_phone": "0631-5200000",
            "address": "威海市环翠区文化西路 1 号", **changes}


def registration(username: str, role: str = "host_unit", **changes: Any) -> dict[str, Any]:
    organisation = {
        "host_unit": host_unit(),
        "enterprise": {"name": "威海远洋科技有限公司", "credit_code": credit_code(),
                       "contact_name": "孙明", "contact_phone": "0631-5300000"},
        "expert": {"name": "赵海", "employer": "山东大学（威海）", "contact_phone": "13800000000"},
    }[role]
    return {"username": username, "password": PASSWORD, "display_name": f"{username} 注册",
            "role": role, "district": HUANCUI, "organisation": organisation, **changes}


@pytest.fixture
def app(runner_factory: Any, service_config: dict, database_url: str) -> Iterator[Flask]:
    runner_factory(service_config, ApplicationsService).start()
    app = create_app({**service_config, "GATEWAY_DATABASE_URL": database_url,
                      "REGISTRATION_RATE_LIMIT": "8 per minute"})
    add_user(app.extensions[STORE], "root-admin", PASSWORD, "admin", "系统管理员")
    yield app
    close(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _error(response: Any, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json) == {"code", "message", "details"}
    assert response.json["code"] == code
    return response.json


def _login(client: FlaskClient, username: str, password: str = PASSWORD,
           language: str = "en") -> Any:
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       headers={"Accept-Language": language})


def _token(client: FlaskClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = _login(client, username, password)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def _register(client: FlaskClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/registrations", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def test_a_registration_is_pending_and_cannot_sign_in(client: FlaskClient) -> None:
    created = _register(client, registration("ocean-institute"))
    assert created["status"] == "pending" and created["role"] == "host_unit"
    assert (created["username"], created["district"]) == ("ocean-institute", HUANCUI)
    assert created["display_name"] == "ocean-institute 注册" and "password" not in created
    assert created["organisation"]["name"] == "威海海洋生物研究院"
    assert created["bound_to"] is None and created["decided_by"] is None

    en = _error(_login(client, "ocean-institute"), 403, "auth.registration_pending")
    assert "verify" in en["message"]
    zh = _error(_login(client, "ocean-institute", language="zh-CN"), 403,
                "auth.registration_pending")
    assert "审核" in zh["message"]
    # A wrong password learns nothing about the registration.
    _error(_login(client, "ocean-institute", "Wrong-password-1"), 401,
           "auth.invalid_credentials")


def test_a_registration_is_checked(client: FlaskClient) -> None:
    bad_code = registration("bad-code", organisation=host_unit(credit_code="91371002MA3C00000X"))
    body = _error(client.post("/api/v1/registrations", json=bad_code), 422,
                  "registration.credit_code")
    assert body["details"] == {"field": "organisation.credit_code"}
    zh = client.post("/api/v1/registrations", json=bad_code,
                     headers={"Accept-Language": "zh"}).json
    assert "统一社会信用代码" in zh["message"]

    missing = registration("no-category", organisation=host_unit(category=None))
    body = _error(client.post("/api/v1/registrations", json=missing), 422, "invalid_input")
    assert "category" in body["details"]["fields"]["organisation"]

    short = registration("short-pass", password="short")
    _error(client.post("/api/v1/registrations", json=short), 422, "user.password")
    _error(client.post("/api/v1/registrations", json=registration("a b")), 422, "user.username")
    staff = {**registration("would-be-staff", role="expert"), "role": "district_hr"}
    _error(client.post("/api/v1/registrations", json=staff), 422, "invalid_input")

    _register(client, registration("taken-name", role="expert"))
    _error(client.post("/api/v1/registrations", json=registration("Taken-Name", role="expert")),
           409, "user.exists")


def test_registrations_are_rate_limited(client: FlaskClient) -> None:
    for n in range(8):
        client.post("/api/v1/registrations", json=registration(f"flood-{n}", role="expert"))
    response = client.post("/api/v1/registrations", json=registration("flood-9", role="expert"))
    _error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1


def test_staff_see_their_own_districts_registrations(app: Flask, client: FlaskClient) -> None:
    huancui = _register(client, registration("huancui-unit"))
    wendeng = _register(client, registration("wendeng-expert", role="expert", district=WENDENG))
    city = bearer(app, "city_hr")
    huancui_hr = bearer(app, "district_hr", district=HUANCUI)

    listed = client.get("/api/v1/registrations?status=pending", headers=city).json
    assert [row["id"] for row in listed["items"]] == [huancui["id"], wendeng["id"]]
    assert listed["total"] == 2
    own = client.get("/api/v1/registrations?status=pending", headers=huancui_hr).json
    assert [row["id"] for row in own["items"]] == [huancui["id"]]
    _error(client.get(f"/api/v1/registrations?district={WENDENG}", headers=huancui_hr), 403,
           "forbidden.district")
    _error(client.get("/api/v1/registrations", headers=bearer(app, "host_unit",
                                                              organisation="o-1")),
           403, "forbidden.role")
    _error(client.get("/api/v1/registrations"), 401, "auth.required")
    assert client.get("/api/v1/registrations?status=verified", headers=city).json["total"] == 0

    # Another district's staff may not decide it either.
    wendeng_hr = bearer(app, "district_hr", district=WENDENG)
    _error(client.post(f"/api/v1/registrations/{huancui['id']}/verify", json={},
                       headers=wendeng_hr), 403, "forbidden.district")


def test_verifying_a_host_unit_registers_and_binds_it(app: Flask, client: FlaskClient) -> None:
    created = _register(client, registration("marine-lab"))
    huancui_hr = bearer(app, "district_hr", "huancui-wang", district=HUANCUI)
    response = client.post(f"/api/v1/registrations/{created['id']}/verify", json={},
                           headers=huancui_hr)
    assert response.status_code == 200, response.get_data(as_text=True)
    verified = response.json
    assert (verified["status"], verified["decided_by"]) == ("verified", "huancui-wang")
    unit = client.get(f"/api/v1/host-units/{verified['bound_to']}", headers=huancui_hr).json
    assert unit["credit_code"] == created["organisation"]["credit_code"]
    assert unit["district"] == HUANCUI

    me = client.get("/api/v1/auth/me", headers=_token(client, "marine-lab")).json
    assert (me["role"], me["organisation"]) == ("host_unit", verified["bound_to"])
    _error(client.post(f"/api/v1/registrations/{created['id']}/verify", json={},
                       headers=huancui_hr), 409, "registration.decided")

    # A second registration of the same unit binds to the unit already registered.
    again = _register(client, registration(
        "marine-lab-2", organisation={**created["organisation"], "name": "同一单位"}))
    city = bearer(app, "city_hr")
    _error(client.post(f"/api/v1/registrations/{again['id']}/verify", json={}, headers=city),
           409, "host_unit.duplicate")
    other = _register(client, registration("other-unit"))
    _error(client.post(f"/api/v1/registrations/{other['id']}/verify",
                       json={"organisation": verified["bound_to"]}, headers=city),
           409, "registration.credit_code_mismatch")
    bound = client.post(f"/api/v1/registrations/{again['id']}/verify",
                        json={"organisation": verified["bound_to"]}, headers=city).json
    assert bound["bound_to"] == verified["bound_to"]


def test_enterprises_and_experts_bind_to_the_given_or_a_new_id(
    app: Flask, client: FlaskClient
) -> None:
    city = bearer(app, "city_hr")
    enterprise = _register(client, registration("ocean-tech", role="enterprise"))
    expert = _register(client, registration("zhao-hai", role="expert"))
    given = client.post(f"/api/v1/registrations/{enterprise['id']}/verify",
                        json={"organisation": "org-ocean-tech"}, headers=city).json
    assert given["bound_to"] == "org-ocean-tech"
    created = client.post(f"/api/v1/registrations/{expert['id']}/verify", json={},
                          headers=city).json
    assert created["status"] == "verified" and len(created["bound_to"]) == 36
    me = client.get("/api/v1/auth/me", headers=_token(client, "zhao-hai")).json
    assert (me["role"], me["expert"]) == ("expert", created["bound_to"])
    me = client.get("/api/v1/auth/me", headers=_token(client, "ocean-tech")).json
    assert me["organisation"] == "org-ocean-tech"


def test_a_rejected_registration_says_why(app: Flask, client: FlaskClient) -> None:
    created = _register(client, registration("not-a-unit", role="enterprise"))
    huancui_hr = bearer(app, "district_hr", district=HUANCUI)
    _error(client.post(f"/api/v1/registrations/{created['id']}/reject", json={},
                       headers=huancui_hr), 422, "invalid_input")
    rejected = client.post(f"/api/v1/registrations/{created['id']}/reject",
                           json={"reason": "营业执照与信用代码不符"}, headers=huancui_hr).json
    assert (rejected["status"], rejected["reason"]) == ("rejected", "营业执照与信用代码不符")
    body = _error(_login(client, "not-a-unit", language="zh"), 403, "auth.registration_rejected")
    assert "营业执照与信用代码不符" in body["message"]
    _error(client.post(f"/api/v1/registrations/{created['id']}/verify", json={},
                       headers=huancui_hr), 409, "registration.decided")
    _error(client.post("/api/v1/registrations/no-such-id/verify", json={}, headers=huancui_hr),
           404, "registration.not_found")


def test_the_administrator_manages_users(app: Flask, client: FlaskClient) -> None:
    admin = _token(client, "root-admin")
    created = client.post("/api/v1/users", headers=admin, json={
        "username": "rongcheng-hr", "password": PASSWORD, "role": "district_hr",
        "display_name": "荣成市人社局", "district": "371082"})
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.json == {"username": "rongcheng-hr", "display_name": "荣成市人社局",
                            "role": "district_hr", "active": True,
                            "binding": {"district": "371082"}, "registration": None}
    _error(client.post("/api/v1/users", headers=admin, json={
        "username": "rongcheng-hr", "password": PASSWORD, "role": "auditor"}), 409, "user.exists")
    _error(client.post("/api/v1/users", headers=admin, json={
        "username": "unbound-hr", "password": PASSWORD, "role": "district_hr"}), 422,
        "user.binding")
    _error(client.post("/api/v1/users", headers=bearer(app, "city_hr"), json={
        "username": "sneaky", "password": PASSWORD, "role": "admin"}), 403, "forbidden.role")

    listed = client.get("/api/v1/users?role=district_hr", headers=admin).json
    assert [user["username"] for user in listed["items"]] == ["rongcheng-hr"]
    assert client.get("/api/v1/users", headers=admin).json["total"] == 2

    audit = app.extensions[STORE].audit_rows()
    assert (audit[-1]["route"], audit[-1]["actor"], audit[-1]["status"]) == (
        "/api/v1/users", "test-city_hr", 403)  # the refused attempt is audited too
    assert any(row["object_id"] == "rongcheng-hr" and row["status"] == 201 for row in audit)


def test_deactivation_ends_a_users_tokens_at_once(app: Flask, client: FlaskClient) -> None:
    admin = _token(client, "root-admin")
    add_user(app.extensions[STORE], "leaving-hr", PASSWORD, "district_hr", district=HUANCUI)
    old = _token(client, "leaving-hr")
    assert client.get("/api/v1/auth/me", headers=old).status_code == 200

    off = client.post("/api/v1/users/leaving-hr/deactivate", headers=admin)
    assert off.status_code == 200 and off.json["active"] is False
    body = _error(client.get("/api/v1/auth/me", headers=old), 401, "auth.invalid_token")
    assert body["details"] == {"reason": "revoked"}
    _error(_login(client, "leaving-hr"), 401, "auth.invalid_credentials")

    assert client.post("/api/v1/users/leaving-hr/reactivate", headers=admin).json["active"]
    _error(client.get("/api/v1/auth/me", headers=old), 401, "auth.invalid_token")
    fresh = _token(client, "leaving-hr")
    assert client.get("/api/v1/auth/me", headers=fresh).status_code == 200

    _error(client.post("/api/v1/users/leaving-hr/reset-password", headers=admin,
                       json={"password": "short"}), 422, "user.password")
    reset = client.post("/api/v1/users/leaving-hr/reset-password", headers=admin,
                        json={"password": "Another-pass-2026"})
    assert reset.status_code == 200
    _error(client.get("/api/v1/auth/me", headers=fresh), 401, "auth.invalid_token")
    _error(_login(client, "leaving-hr"), 401, "auth.invalid_credentials")
    assert client.get("/api/v1/auth/me", headers=_token(client, "leaving-hr",
                                                        "Another-pass-2026")).status_code == 200
    _error(client.post("/api/v1/users/nobody/deactivate", headers=admin), 404, "user.not_found")


def test_a_pending_account_is_verified_not_reactivated(app: Flask, client: FlaskClient) -> None:
    _register(client, registration("waiting-unit"))
    admin = _token(client, "root-admin")
    _error(client.post("/api/v1/users/waiting-unit/reactivate", headers=admin), 409,
           "user.not_verified")
    listed = client.get("/api/v1/users", headers=admin).json["items"]
    waiting = next(user for user in listed if user["username"] == "waiting-unit")
    assert (waiting["active"], waiting["registration"], waiting["binding"]) == (
        False, "pending", {})
