"""Documented 403s are enforced (issue 13, item 8): an X-Tenant naming another district is
refused with no TENANT_BROKERS configured too, and a list filter naming another district or
another expert is a 403, not an empty page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.app import close, create_app
from services.matching.service import MatchingService
from tests.integration.bearer import bearer

pytestmark = pytest.mark.integration


@pytest.fixture
def app(runner_factory: Any, service_config: dict) -> Iterator[Flask]:
    runner_factory(service_config, MatchingService).start()
    app = create_app(service_config)  # no TENANT_BROKERS: one tenant's services
    yield app
    close(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _forbidden(response: Any, code: str) -> dict:
    assert response.status_code == 403, response.get_data(as_text=True)
    assert response.json["code"] == code and set(response.json) == {"code", "message", "details"}
    return response.json


def test_a_district_naming_another_tenant_is_refused_without_routes(app: Flask,
                                                                     client: FlaskClient) -> None:
    huancui = bearer(app, "district_hr", district="371002")
    refused = _forbidden(client.get("/api/v1/demands", headers={**huancui, "X-Tenant": "371003",
                                                                 "Accept-Language": "zh"}),
                         "forbidden.tenant")
    assert refused["details"]["tenant"] == "371003" and "371003" in refused["message"]
    own = client.get("/api/v1/demands", headers={**huancui, "X-Tenant": "371002"})
    assert own.status_code == 200


def test_a_filter_naming_another_district_or_expert_is_a_403(app: Flask,
                                                             client: FlaskClient) -> None:
    # R13.1
    huancui = bearer(app, "district_hr", district="371002")
    _forbidden(client.get("/api/v1/demands?district=371003", headers=huancui),
               "forbidden.district")
    assert client.get("/api/v1/demands?district=371002", headers=huancui).status_code == 200
    expert = bearer(app, "expert", expert="ex-1")
    refused = _forbidden(client.get("/api/v1/collaborations?expert_id=ex-2", headers=expert),
                         "forbidden.expert")
    assert refused["details"] == {"field": "expert_id", "expert": "ex-2"}
    assert client.get("/api/v1/collaborations?expert_id=ex-1", headers=expert).status_code == 200
    # City staff filter as they like.
    city = bearer(app, "city_hr")
    assert client.get("/api/v1/demands?district=371003", headers=city).status_code == 200
