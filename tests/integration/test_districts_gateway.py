"""The gateway's tenant routes (gateway/rpc.py): each request goes to the instance of the
tenant that owns its data, on that tenant's own broker (here: a vhost each).

A probe service runs on the city's vhost and on each district's and answers with the tenant
its configuration names, so a test sees where a request went.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import eventlet
import pytest
from flask import Flask
from flask.testing import FlaskClient
from nameko.dependency_providers import Config
from nameko.rpc import rpc as nameko_rpc

from deploy.rabbitmq import Management
from gateway import rpc
from gateway.app import close, create_app
from gateway.auth import TOKENS, requires
from gateway.users import User
from servicekit.tenants import CITY
from tests.scratch import BROKER, MANAGEMENT

pytestmark = pytest.mark.integration

HUANCUI, WENDENG, RONGCHENG = "371002", "371003", "371082"


class Probe:
    name = "probe"
    config = Config()

    @nameko_rpc
    def where(self) -> str:
        return str(self.config["TENANT"])


@requires()
def _where_signed_in() -> dict:
    return {"tenant": rpc.call("probe", "where")}


@pytest.fixture
def brokers(container_factory: Any) -> Iterator[dict[str, str]]:
    """A vhost per tenant, each with its probe."""
    management = Management(MANAGEMENT)
    prefix = f"whgw{uuid.uuid4().hex[:8]}"
    uris = {code: f"{BROKER}/{prefix}-{code}" for code in (CITY, HUANCUI, WENDENG)}
    management.apply({
        "vhosts": [{"name": f"{prefix}-{code}"} for code in uris],
        "permissions": [{"user": "guest", "vhost": f"{prefix}-{code}", "configure": ".*",
                         "write": ".*", "read": ".*"} for code in uris]})
    containers = [container_factory(Probe, {"AMQP_URI": uri, "TENANT": code})
                  for code, uri in uris.items()]
    try:
        for container in containers:
            container.start()
        yield uris
    finally:
        list(eventlet.GreenPool().imap(lambda container: container.stop(), containers))
        for code in uris:
            management.delete_vhost(f"{prefix}-{code}")


@pytest.fixture
def app(brokers: dict[str, str], tmp_path: Any) -> Iterator[Flask]:
    app = create_app({
        "AMQP_URI": brokers[CITY], "TENANT": CITY, "VAR_DIR": str(tmp_path),
        "TENANT_BROKERS": brokers,
        # 文登区 runs its own probe but is not configured to serve it: the city's answers.
        "TENANT_SERVICES": {HUANCUI: ["applications", "subsidy", "probe"],
                            WENDENG: ["applications", "subsidy"]},
        "RPC_TIMEOUT_SECONDS": 5})
    app.add_url_rule("/test/where", "where", lambda: {"tenant": rpc.call("probe", "where")})
    app.add_url_rule("/test/where-signed-in", "where_signed_in", _where_signed_in)
    yield app
    close(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _as(app: Flask, role: str, **binding: str) -> dict[str, str]:
    user = User(f"test-{role}", role, role, **binding)
    return {"Authorization": f"Bearer {app.extensions[TOKENS].issue(user)}"}


def _where(client: FlaskClient, path: str = "/test/where", **headers: str) -> Any:
    return client.get(path, headers=headers)


def test_a_request_goes_to_the_tenant_it_names_or_to_the_city(client: FlaskClient) -> None:
    assert _where(client).json == {"tenant": CITY}
    assert _where(client, **{"X-Tenant": HUANCUI}).json == {"tenant": HUANCUI}
    # A district that runs no instance of the service: the city's serves its data.
    assert _where(client, **{"X-Tenant": WENDENG}).json == {"tenant": CITY}
    assert _where(client, **{"X-Tenant": RONGCHENG}).json == {"tenant": CITY}


def test_an_unknown_tenant_is_a_404_before_anything_else(client: FlaskClient) -> None:
    response = _where(client, **{"X-Tenant": "999999"})
    assert response.status_code == 404
    assert response.json["code"] == "tenant.not_found"
    assert response.json["details"]["tenant"] == "999999"
    assert set(response.json) == {"code", "message", "details"}
    # Even where no RPC would be made, and in Chinese when asked.
    zh = client.post("/api/v1/auth/token", json={"username": "x", "password": "y"},
                     headers={"X-Tenant": "city", "Accept-Language": "zh-CN"})
    assert (zh.status_code, zh.json["message"]) == (404, "不存在租户（city）。")


def test_a_district_hr_is_served_by_its_own_district(app: Flask, client: FlaskClient) -> None:
    huancui = _as(app, "district_hr", district=HUANCUI)
    path = "/test/where-signed-in"
    assert _where(client, path, **huancui).json == {"tenant": HUANCUI}
    assert _where(client, path, **huancui, **{"X-Tenant": HUANCUI}).json == {"tenant": HUANCUI}
    refused = _where(client, path, **huancui, **{"X-Tenant": CITY})
    assert (refused.status_code, refused.json["code"]) == (403, "forbidden.tenant")  # R13.1
    assert refused.json["details"]["rule"] == "R13.1"
    # A district whose own instance does not run the service is served by the city's.
    wendeng = _as(app, "district_hr", district=WENDENG)
    assert _where(client, path, **wendeng).json == {"tenant": CITY}
    # The city's staff act anywhere they name.
    city = _as(app, "city_hr")
    assert _where(client, path, **city).json == {"tenant": CITY}
    assert _where(client, path, **city, **{"X-Tenant": HUANCUI}).json == {"tenant": HUANCUI}


def test_tenant_routes_refuse_a_configuration_they_cannot_serve() -> None:
    with pytest.raises(ValueError, match="unknown tenants"):
        rpc.TenantRoutes.from_config({"TENANT": CITY, "TENANT_BROKERS": {"999999": BROKER}},
                                     1, 1.0)
    with pytest.raises(ValueError, match="the city's"):
        rpc.TenantRoutes.from_config({"TENANT": HUANCUI, "TENANT_BROKERS": {CITY: BROKER}},
                                     1, 1.0)
    assert rpc.TenantRoutes.from_config({"TENANT": CITY}, 1, 1.0) is None
