"""Authentication, authorisation, limits and audit at the gateway, against the real RabbitMQ, a
real service that reads the caller as every service does (``KitService.caller``), and the
gateway's real database; one test runs the gateway under gunicorn and talks HTTP to it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, request
from flask.testing import FlaskClient

from gateway import rpc
from gateway.app import close, create_app
from gateway.auth import TOKENS, optional_auth, require_owner, requires, scope_filters
from gateway.limits import accepts, rate_limit
from gateway.store import EXTENSION as STORE
from gateway.users import USER_ROLES, User, add_user, ensure_demo_users, set_active
from servicekit.base import KitService
from servicekit.base import rpc as kit_rpc

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
IDP = "https://idp.example.test/weihai"
REPO = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


class WhoAmI(KitService):
    """A service that answers the principal it was called by, as a use case would see it."""

    name = "whoami"

    @kit_rpc
    def whoami(self) -> dict:
        return asdict(self.caller)


def _add_test_routes(app: Flask) -> None:
    @requires("city_hr", "district_hr", read=True)
    def whoami() -> dict:
        return rpc.call("whoami", "whoami")

    @requires("city_hr")
    def create_thing() -> tuple[dict, int]:
        return {"id": "thing-1"}, 201

    @requires("city_hr", "district_hr")
    def district_thing(district: str) -> dict:
        require_owner(district=district)
        return {"district": district}

    @requires("city_hr", "district_hr", "host_unit", read=True)
    def things() -> dict:
        return scope_filters(request.args.to_dict())

    @optional_auth
    def public_whoami() -> dict:
        return rpc.call("whoami", "whoami")

    @optional_auth
    @rate_limit("OBJECTION_RATE_LIMIT")
    def objection() -> tuple[dict, int]:
        return {"id": "objection-1"}, 201

    @requires("host_unit")
    @accepts("multipart/form-data", max_bytes=3 * MIB)
    def upload() -> tuple[dict, int]:
        return {"id": "file-1", "bytes": len(request.files["file"].read())}, 201

    app.add_url_rule("/test/whoami", view_func=whoami)
    app.add_url_rule("/test/uploads", view_func=upload, methods=["POST"])
    app.add_url_rule("/test/things", view_func=create_thing, methods=["POST"])
    app.add_url_rule("/test/things", view_func=things, methods=["GET"])
    app.add_url_rule(
        "/test/districts/<district>/things", view_func=district_thing, methods=["POST"]
    )
    app.add_url_rule("/test/public", view_func=public_whoami)
    app.add_url_rule("/test/objections", view_func=objection, methods=["POST"])


@pytest.fixture(scope="module")
def idp_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def gateway_config(
    service_config: dict, database_url: str, idp_key: ec.EllipticCurvePrivateKey
) -> dict:
    idp_public = idp_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        **service_config,
        # The gateway's own database: a fresh SQLite file, or a schema of TEST_DATABASE_URL.
        "GATEWAY_DATABASE_URL": database_url,
        "LOGIN_RATE_LIMIT": "100 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute",
        "OBJECTION_RATE_LIMIT": "2 per minute",
        "JWT_TRUSTED_ISSUERS": [
            {
                "issuer": IDP,
                "audience": "weihai-portal",
                "algorithm": "ES256",
                "public_key": idp_public.decode(),
                "claims": {"actor": "preferred_username", "district": "district_code"},
                "roles": {"hrss-district": "district_hr"},
                "actor_prefix": "idp:",
            }
        ],
    }


@pytest.fixture
def app(runner_factory: Any, service_config: dict, gateway_config: dict) -> Iterator[Flask]:
    runner_factory(service_config, WhoAmI).start()
    app = create_app(gateway_config)
    _add_test_routes(app)
    yield app
    close(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _token(app: Flask, role: str, **binding: str) -> str:
    return app.extensions[TOKENS].issue(User(f"test-{role}", role, role, **binding))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _as(app: Flask, role: str, **binding: str) -> dict[str, str]:
    return _bearer(_token(app, role, **binding))


def _assert_error(response: Any, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    return body


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed_by_platform(app: Flask, **claims: Any) -> str:
    tokens = app.extensions[TOKENS]
    now = datetime.now(UTC)
    base = {
        "iss": tokens.platform.issuer,
        "aud": tokens.platform.audience,
        "sub": "huancui-hr",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "role": "district_hr",
        "district": "371002",
    }
    return jwt.encode({**base, **claims}, tokens.private_key, "RS256")


def _expired(app: Flask) -> str:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    return _signed_by_platform(app, iat=an_hour_ago - timedelta(hours=1), exp=an_hour_ago)


# --- authentication negatives: each is a 401 in the error shape ----------------------------


def test_no_token_is_a_401_with_a_bearer_challenge_in_chinese_or_english(
    client: FlaskClient,
) -> None:
    response = client.get("/test/whoami", headers={"Accept-Language": "zh-CN"})
    body = _assert_error(response, 401, "auth.required")
    assert "请先登录" in body["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    response = client.get("/test/whoami", headers={"Authorization": "Basic Y2l0eTpocg=="})
    assert "Sign in first" in _assert_error(response, 401, "auth.required")["message"]


def test_refused_tokens_are_401s_naming_the_reason(app: Flask, client: FlaskClient) -> None:
    tokens = app.extensions[TOKENS]
    public_pem = tokens.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {
        "iss": tokens.platform.issuer,
        "aud": tokens.platform.audience,
        "sub": "x",
        "iat": 1,
        "exp": 4_000_000_000,
        "role": "city_hr",
    }
    payload = _b64(json.dumps(claims).encode())
    unsigned = f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{payload}."
    hs_header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    hs_signature = hmac.new(public_pem, f"{hs_header}.{payload}".encode(), hashlib.sha256)
    valid = _signed_by_platform(app)
    head, _, signature = valid.split(".")
    cases = [
        ("expired", _expired(app)),
        ("invalid_audience", _signed_by_platform(app, aud="another-api")),
        ("untrusted_issuer", _signed_by_platform(app, iss="https://evil.example.test")),
        ("disallowed_algorithm", unsigned),  # alg: none
        # HS/RS confusion: HS256 with the RSA public key as the HMAC secret.
        ("disallowed_algorithm", f"{hs_header}.{payload}.{_b64(hs_signature.digest())}"),
        # Another payload under the valid token's signature (tampered).
        ("invalid_signature", f"{head}.{payload}.{signature}"),
        ("malformed", "garbage"),
    ]
    for reason, token in cases:
        response = client.get("/test/whoami", headers=_bearer(token))
        body = _assert_error(response, 401, "auth.invalid_token")
        assert body["details"] == {"reason": reason}, reason
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert client.get("/test/whoami", headers=_bearer(valid)).status_code == 200


def test_a_token_of_a_configured_external_issuer_is_accepted_and_mapped(
    client: FlaskClient, idp_key: ec.EllipticCurvePrivateKey
) -> None:
    now = datetime.now(UTC)
    claims = {
        "iss": IDP,
        "aud": "weihai-portal",
        "sub": "a1b2",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "preferred_username": "li.na",
        "role": ["hrss-district"],
        "district_code": "371003",
    }
    response = client.get("/test/whoami", headers=_bearer(jwt.encode(claims, idp_key, "ES256")))
    assert response.status_code == 200
    # What the service's use cases see as self.caller.
    assert response.json == {
        "actor": "idp:li.na",
        "role": "district_hr",
        "district": "371003",
        "organisation": None,
        "expert": None,
    }
    wrong_audience = jwt.encode({**claims, "aud": "other"}, idp_key, "ES256")
    _assert_error(
        client.get("/test/whoami", headers=_bearer(wrong_audience)), 401, "auth.invalid_token"
    )


# --- roles -----------------------------------------------------------------------------------


def test_the_principal_reaches_the_service_in_the_rpc_context(
    app: Flask, client: FlaskClient
) -> None:
    # R13.1: the service receives the district and checks it again (KitService.caller).
    response = client.get("/test/whoami", headers=_as(app, "district_hr", district="371002"))
    assert response.status_code == 200
    assert response.json == {
        "actor": "test-district_hr",
        "role": "district_hr",
        "district": "371002",
        "organisation": None,
        "expert": None,
    }
    host = _as(app, "host_unit", organisation="org-7")
    assert client.get("/test/public", headers=host).json["organisation"] == "org-7"


def test_a_role_not_allowed_is_a_403(app: Flask, client: FlaskClient) -> None:
    response = client.get("/test/whoami", headers=_as(app, "enterprise", organisation="o-1"))
    body = _assert_error(response, 403, "forbidden.role")
    assert body["details"]["allowed"] == ["city_hr", "district_hr", "auditor"]
    response = client.post("/test/things", headers=_as(app, "district_hr", district="371002"))
    _assert_error(response, 403, "forbidden.role")


def test_the_auditor_reads_everything_and_changes_nothing(app: Flask, client: FlaskClient) -> None:
    auditor = _as(app, "auditor")
    assert client.get("/test/whoami", headers=auditor).json["role"] == "auditor"
    assert client.get("/test/things?district=371003", headers=auditor).json == {
        "district": "371003"
    }
    body = _assert_error(client.post("/test/things", headers=auditor), 403, "forbidden.read_only")
    assert body["details"]["method"] == "POST"
    _assert_error(
        client.post("/test/districts/371002/things", headers=auditor), 403, "forbidden.read_only"
    )


def test_a_district_acts_on_its_own_district_only(app: Flask, client: FlaskClient) -> None:
    # R13.1
    huancui = _as(app, "district_hr", district="371002")
    assert client.post("/test/districts/371002/things", headers=huancui).status_code == 200
    body = _assert_error(
        client.post("/test/districts/371003/things", headers={**huancui, "Accept-Language": "zh"}),
        403,
        "forbidden.district",
    )
    assert "371003" in body["message"] and "区市" in body["message"]
    city = _as(app, "city_hr")
    assert client.post("/test/districts/371003/things", headers=city).status_code == 200


def test_a_list_is_narrowed_to_what_the_principal_may_see(app: Flask, client: FlaskClient) -> None:
    # R13.1: a district's list is its own district's; asking for another's is refused.
    huancui = _as(app, "district_hr", district="371002")
    assert client.get("/test/things", headers=huancui).json == {"district": "371002"}
    _assert_error(
        client.get("/test/things?district=371003", headers=huancui), 403, "forbidden.district"
    )
    host = _as(app, "host_unit", organisation="org-7")
    assert client.get("/test/things?status=active", headers=host).json == {
        "status": "active",
        "organisation": "org-7",
    }
    assert client.get("/test/things", headers=_as(app, "city_hr")).json == {}


def test_a_public_route_serves_the_anonymous_and_refuses_a_bad_token(
    app: Flask, client: FlaskClient
) -> None:
    anonymous = client.get("/test/public").json
    assert (anonymous["actor"], anonymous["role"]) == ("anonymous", "public")
    assert client.get("/test/public", headers=_as(app, "city_hr")).json["role"] == "city_hr"
    _assert_error(
        client.get("/test/public", headers=_bearer(_expired(app))), 401, "auth.invalid_token"
    )


# --- login and rate limits ------------------------------------------------------------------


def test_login_answers_a_token_that_opens_the_routes_of_its_role(
    app: Flask, client: FlaskClient
) -> None:
    add_user(
        app.extensions[STORE], "wendeng-hr", PASSWORD, "district_hr", "文登区", district="371003"
    )
    response = client.post(
        "/api/v1/auth/token", json={"username": "Wendeng-HR", "password": PASSWORD}
    )
    assert response.status_code == 200
    login = response.json
    assert login["token_type"] == "Bearer"
    assert (login["role"], login["binding"]) == ("district_hr", {"district": "371003"})
    assert login["expires_in"] == 3600
    me = client.get("/api/v1/auth/me", headers=_bearer(login["access_token"])).json
    assert me == {
        "actor": "wendeng-hr",
        "role": "district_hr",
        "district": "371003",
        "organisation": None,
        "expert": None,
    }


def test_login_refuses_unknown_fields_and_bodies_that_are_not_json(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/auth/token", json={"username": "a", "password": "b", "role": "city_hr"}
    )
    body = _assert_error(response, 422, "invalid_input")
    assert body["details"]["fields"] == {"role": ["Unknown field."]}
    response = client.post(
        "/api/v1/auth/token",
        data={"username": "a", "password": "b"},
        headers={"Accept-Language": "zh"},
    )
    body = _assert_error(response, 415, "unsupported_media_type")
    assert body["details"]["content_type"] == "application/x-www-form-urlencoded"
    assert "application/json" in body["message"]


def test_failed_logins_at_one_account_are_rate_limited(app: Flask, client: FlaskClient) -> None:
    store = app.extensions[STORE]
    add_user(store, "city-hr", PASSWORD, "city_hr")
    add_user(store, "retired", PASSWORD, "auditor")
    set_active(store, "retired", False)
    # Signing in successfully uses none of the allowance (3 per minute, failures only).
    for _ in range(4):
        ok = client.post("/api/v1/auth/token", json={"username": "city-hr", "password": PASSWORD})
        assert ok.status_code == 200
    _assert_error(
        client.post("/api/v1/auth/token", json={"username": "retired", "password": PASSWORD}),
        401,
        "auth.invalid_credentials",
    )
    wrong = {"username": "city-hr", "password": "guess-guess-guess"}
    for _ in range(3):
        _assert_error(
            client.post("/api/v1/auth/token", json=wrong), 401, "auth.invalid_credentials"
        )
    # Now even the right password waits: the account is being guessed at.
    response = client.post(
        "/api/v1/auth/token",
        json={"username": "CITY-HR", "password": PASSWORD},
        headers={"Accept-Language": "zh-CN"},
    )
    body = _assert_error(response, 429, "rate_limited")
    assert "请求过于频繁" in body["message"]
    assert body["details"]["limit"] == "3 per 1 minute"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert body["details"]["retry_after"] == int(response.headers["Retry-After"])
    # Another account is not affected.
    other = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"})
    _assert_error(other, 401, "auth.invalid_credentials")


def test_failed_logins_from_one_address_are_rate_limited(gateway_config: dict) -> None:
    app = create_app({**gateway_config, "LOGIN_RATE_LIMIT": "2 per minute"})
    try:
        client = app.test_client()
        for name in ("a-user", "b-user"):
            response = client.post("/api/v1/auth/token", json={"username": name, "password": "x"})
            _assert_error(response, 401, "auth.invalid_credentials")
        third = client.post("/api/v1/auth/token", json={"username": "c-user", "password": "x"})
        assert "Too many requests" in _assert_error(third, 429, "rate_limited")["message"]
        elsewhere = client.post(
            "/api/v1/auth/token",
            json={"username": "c-user", "password": "x"},
            environ_base={"REMOTE_ADDR": "10.9.8.7"},
        )
        _assert_error(elsewhere, 401, "auth.invalid_credentials")
    finally:
        close(app)


def test_public_objections_are_rate_limited_per_address(client: FlaskClient) -> None:
    assert [client.post("/test/objections").status_code for _ in range(2)] == [201, 201]
    _assert_error(client.post("/test/objections"), 429, "rate_limited")
    other = client.post("/test/objections", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 201


def test_behind_a_proxy_the_forwarded_client_is_limited_and_audited(gateway_config: dict) -> None:
    app = create_app({**gateway_config, "PROXY_FIX_X_FOR": 1})
    _add_test_routes(app)
    try:
        client = app.test_client()

        def object_from(address: str) -> int:
            headers = {"X-Forwarded-For": f"198.51.100.9, {address}"}  # the proxy appends
            return client.post("/test/objections", headers=headers).status_code

        assert [object_from("203.0.113.5") for _ in range(3)] == [201, 201, 429]
        assert object_from("203.0.113.6") == 201
        origins = [row["origin"] for row in app.extensions[STORE].audit_rows()]
        assert origins == ["203.0.113.5"] * 3 + ["203.0.113.6"]
    finally:
        close(app)


def test_the_auditor_cannot_write_even_where_the_public_may(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/test/objections", headers=_as(app, "auditor"))
    _assert_error(response, 403, "forbidden.read_only")


def test_bodies_are_json_unless_a_route_takes_uploads_with_its_own_ceiling(
    app: Flask, client: FlaskClient
) -> None:
    host = _as(app, "host_unit", organisation="org-7")

    def upload(size: int) -> Any:
        data = {"file": (io.BytesIO(b"%" * size), "evidence.pdf", "application/pdf")}
        return client.post("/test/uploads", headers=host, data=data)

    assert upload(2 * MIB).json == {"id": "file-1", "bytes": 2 * MIB}
    assert _assert_error(upload(4 * MIB), 413, "payload_too_large")["details"] == {
        "max_bytes": 3 * MIB
    }
    refused = client.post("/test/uploads", headers=host, json={"file": "x"})
    assert _assert_error(refused, 415, "unsupported_media_type")["details"]["accepted"] == [
        "multipart/form-data"
    ]
    city = _as(app, "city_hr")
    too_big = client.post("/test/things", headers=city, json={"note": "x" * (2 * MIB)})
    assert _assert_error(too_big, 413, "payload_too_large")["details"] == {"max_bytes": MIB}
    as_text = client.post("/test/things", headers=city, data="{}", content_type="text/plain")
    _assert_error(as_text, 415, "unsupported_media_type")
    as_json = client.post(
        "/test/things", headers=city, data="{}", content_type="application/json; charset=utf-8"
    )
    assert as_json.status_code == 201


# --- audit ----------------------------------------------------------------------------------


def test_every_state_changing_request_is_audited(app: Flask, client: FlaskClient) -> None:
    city = _as(app, "city_hr")
    huancui = _as(app, "district_hr", district="371002")
    client.post(
        "/test/things",
        headers={**city, "X-Request-ID": "req-create-1"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    client.post("/test/districts/371003/things", headers=huancui)  # refused, R13.1
    client.post("/test/things")  # no token
    client.get("/test/whoami", headers=city)  # a read: not audited
    client.post("/api/v1/auth/token", json={"username": "ghost", "password": "x"})

    rows = app.extensions[STORE].audit_rows()
    assert [(r["method"], r["route"], r["status"]) for r in rows] == [
        ("POST", "/test/things", 201),
        ("POST", "/test/districts/<district>/things", 403),
        ("POST", "/test/things", 401),
        ("POST", "/api/v1/auth/token", 401),
    ]
    created, refused, anonymous, login = rows
    assert (created["actor"], created["role"], created["object_id"]) == (
        "test-city_hr",
        "city_hr",
        "thing-1",
    )
    assert (created["request_id"], created["origin"], created["tenant"]) == (
        "req-create-1",
        "10.1.2.3",
        "371000",
    )
    assert created["error_code"] is None and created["at"] is not None
    assert (refused["actor"], refused["district"], refused["object_id"]) == (
        "test-district_hr",
        "371002",
        "371003",
    )
    assert refused["error_code"] == "forbidden.district"
    assert (anonymous["actor"], anonymous["role"], anonymous["error_code"]) == (
        "anonymous",
        "public",
        "auth.required",
    )
    assert (login["object_id"], login["error_code"]) == ("ghost", "auth.invalid_credentials")


# --- documentation --------------------------------------------------------------------------


def test_the_openapi_document_shows_who_may_call_what(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    me = spec["paths"]["/api/v1/auth/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert set(me["x-roles"]) == set(USER_ROLES)  # any signed-in role
    assert {"401", "403"} <= set(me["responses"])
    login = spec["paths"]["/api/v1/auth/token"]["post"]
    assert "security" not in login
    assert {"200", "401", "422", "429"} <= set(login["responses"])


# --- the gateway as deployed: gunicorn, HTTP ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_gunicorn(config_file: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "GATEWAY_CONFIG": str(config_file), "GATEWAY_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            # The master listens before its worker has loaded the app: a read may wait.
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return process
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"gunicorn did not start: {log.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def test_over_http_a_demo_user_signs_in_and_its_token_opens_its_routes(
    gateway_config: dict, tmp_path: Path
) -> None:
    config = {k: v for k, v in gateway_config.items() if k != "JWT_TRUSTED_ISSUERS"}
    config_file = tmp_path / "gateway.yaml"
    config_file.write_text(yaml.safe_dump(config))
    demo = {row["username"]: row for row in ensure_demo_users(config, {"expert": "expert-1"})}
    port, log = _free_port(), tmp_path / "gunicorn.log"
    base = f"http://127.0.0.1:{port}/api/v1"

    process = _start_gunicorn(config_file, port, log)
    try:
        # First start without a configured key: one is generated, and the log says where.
        assert "generated a new RS256 signing key pair" in log.read_text()
        assert (tmp_path / "var" / "keys" / "jwt-private.pem").exists()
        logins = {
            name: requests.post(
                f"{base}/auth/token",
                json={"username": name, "password": demo[name]["password"]},
                timeout=10,
            )
            for name in ("wendeng-hr", "expert")
        }
        assert [r.status_code for r in logins.values()] == [200, 200]
        assert logins["expert"].json()["binding"] == {"expert": "expert-1"}
        token = logins["wendeng-hr"].json()["access_token"]
        me = requests.get(f"{base}/auth/me", headers=_bearer(token), timeout=10)
        assert me.json() == {
            "actor": "wendeng-hr",
            "role": "district_hr",
            "district": "371003",
            "organisation": None,
            "expert": None,
        }
        anonymous = requests.get(f"{base}/auth/me", timeout=10)
        assert anonymous.status_code == 401
        assert anonymous.json()["code"] == "auth.required"
        assert anonymous.headers["X-Request-ID"]
    finally:
        _stop(process)
