"""The matching routes of the gateway against the real matching service and RabbitMQ: roles,
the error shape, a demand taken from posting to a collaboration over HTTP, the talent map as
JSON and SVG, and file import and export."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from gateway.app import close, create_app
from services.matching.demo_data import DEMANDS, EXPERTS
from tests.integration.bearer import bearer
from tests.integration.matching_world import start_world

pytestmark = pytest.mark.integration

CARBON = DEMANDS["carbon_forming"]


@pytest.fixture
def world(container_factory, service_config, database_url_template, tmp_path):
    yield from start_world(container_factory, service_config, database_url_template, tmp_path)


@pytest.fixture
def app(world: Any, database_url: str) -> Iterator[Flask]:
    app = create_app({**world.config, "GATEWAY_DATABASE_URL": database_url})
    yield app
    close(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _error(response: Any, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["code"] == code
    return body


def test_roles_and_the_error_shape(app: Flask, client: FlaskClient) -> None:
    firm = bearer(app, "enterprise", organisation=CARBON["enterprise_id"])
    _error(client.post("/api/v1/demands", json=CARBON["request"]), 401, "auth.required")
    host_unit = bearer(app, "host_unit", organisation="hu-1")
    _error(client.post("/api/v1/demands", json=CARBON["request"], headers=host_unit), 403,
           "forbidden.role")
    _error(client.post("/api/v1/experts", json=EXPERTS["wang_cf"],
                       headers=bearer(app, "auditor")), 403, "forbidden.read_only")
    bad = _error(client.post("/api/v1/demands", json={**CARBON["request"], "industry": "X",
                                                      "urgent": True}, headers=firm),
                 422, "invalid_input")
    assert {"industry", "urgent"} <= set(bad["details"]["fields"])
    zh = client.post("/api/v1/demands", json={**CARBON["request"], "budget": "1.234"},
                     headers={**firm, "Accept-Language": "zh-CN"})
    body = _error(zh, 422, "money.invalid")
    assert "元" in body["message"] and body["details"]["field"] == "budget"


def test_demand_to_collaboration_over_http(app: Flask, client: FlaskClient) -> None:
    city = bearer(app, "city_hr")
    firm = bearer(app, "enterprise", organisation=CARBON["enterprise_id"])
    for key in ("wang_cf", "zheng_ship", "li_fiber"):
        assert client.post("/api/v1/experts", json=EXPERTS[key], headers=city).status_code == 201
    listed = client.get("/api/v1/experts?district=371002",
                        headers=bearer(app, "district_hr", district="371002")).get_json()
    assert listed["total"] == 1 and listed["items"][0]["phone"] == "139****0001"
    _error(client.get("/api/v1/experts?colour=red", headers=city), 422, "invalid_input")

    demand = client.post("/api/v1/demands", json=CARBON["request"], headers=firm)
    assert demand.status_code == 201
    demand_id = demand.get_json()["id"]
    _error(client.post(f"/api/v1/demands/{demand_id}/triage", json={"action": "accept"},
                       headers=bearer(app, "district_hr", district="371002")),
           403, "forbidden.district")  # R13.1
    assert client.post(f"/api/v1/demands/{demand_id}/triage", json={"action": "accept"},
                       headers=city).get_json()["status"] == "matching"
    run = client.post(f"/api/v1/demands/{demand_id}/recommendations", json={"limit": 5},
                      headers=city)
    assert run.status_code == 201
    names = [r["expert"]["name"] for r in run.get_json()["recommendations"]]
    assert names[0] == "王海涛" and "李晓东" not in names  # same organisation: excluded
    assert run.get_json()["recommendations"][0]["matched_terms"]
    published = client.post(f"/api/v1/demands/{demand_id}/recommendations/publish", json={},
                            headers=city).get_json()
    rec_id = published["recommendations"][0]["id"]

    seen = client.get(f"/api/v1/demands/{demand_id}/recommendations", headers=firm).get_json()
    assert [r["id"] for r in seen["recommendations"]] == [
        r["id"] for r in published["recommendations"]]
    _error(client.get(f"/api/v1/demands/{demand_id}/recommendations",
                      headers=bearer(app, "enterprise", organisation="ent-other")),
           403, "demand.not_yours")
    inbox = client.get("/api/v1/notifications", headers=firm).get_json()
    assert inbox["total"] == 1
    _error(client.post(f"/api/v1/demands/not-this-one/recommendations/{rec_id}/accept",
                       json={}, headers=firm), 404, "recommendation.not_found")
    accepted = client.post(f"/api/v1/demands/{demand_id}/recommendations/{rec_id}/accept",
                           json={"mode": "joint_development"}, headers=firm)
    assert accepted.status_code == 200
    assert accepted.get_json()["collaboration"]["mode"] == "joint_development"
    _error(client.post(f"/api/v1/demands/{demand_id}/recommendations/{rec_id}/accept",
                       json={}, headers=firm), 409, "recommendation.already_answered")
    collaborations = client.get("/api/v1/collaborations", headers=bearer(app, "auditor"))
    assert collaborations.get_json()["total"] == 1

    talent_map = client.get("/api/v1/talent-map?metric=collaborations", headers=firm)
    districts = {d["code"]: d for d in talent_map.get_json()["districts"]}
    assert districts["371071"]["collaborations"] == 1
    svg = client.get("/api/v1/talent-map", headers={**firm, "Accept": "image/svg+xml"})
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert client.get("/api/v1/talent-map?format=svg&talent_level=B",
                      headers=firm).mimetype == "image/svg+xml"
    _error(client.get("/api/v1/talent-map?talent_level=Q", headers=firm), 422, "invalid_input")


def test_import_and_export_files(app: Flask, client: FlaskClient) -> None:
    city = bearer(app, "city_hr")
    csv = ("姓名,工作单位,行业代码,区市代码,人才层次,合作方式,同意联系,邮箱\n").encode()
    _error(client.post("/api/v1/experts/import", headers=city,
                       data={"file": (io.BytesIO(csv), "experts.csv")},
                       content_type="multipart/form-data"), 422, "import.unknown_columns")
    rows = ("姓名,工作单位,行业代码,区市代码,人才层次,合作方式,同意联系,电子邮箱\n"
            "王一,某大学,C,371002,B,part_time,是,wang@example.com\n"
            "王二,某大学,C,371002,B,part_time,是,not-an-email\n").encode()
    refused = _error(client.post("/api/v1/experts/import", headers=city,
                                 data={"file": (io.BytesIO(rows), "experts.csv")},
                                 content_type="multipart/form-data"), 422, "import.bad_rows")
    assert refused["details"]["problems"][0]["row"] == 3
    assert refused["details"]["problems"][0]["field"] == "email"
    dry = client.post("/api/v1/experts/import", headers=city,
                      data={"file": (io.BytesIO(rows), "experts.csv"), "dry_run": "true"},
                      content_type="multipart/form-data")
    assert dry.status_code == 200 and dry.get_json()["bad_rows"] == [3]
    _error(client.post("/api/v1/experts/import", headers=city,
                       data={"file": (io.BytesIO(rows), "experts.txt")},
                       content_type="multipart/form-data"), 422, "import.format")
    good = rows.rsplit(b"\n", 2)[0] + b"\n"
    done = client.post("/api/v1/experts/import", headers=city,
                       data={"file": (io.BytesIO(good), "experts.csv")},
                       content_type="multipart/form-data")
    assert done.status_code == 200 and done.get_json()["imported"] == 1

    exported = client.get("/api/v1/experts/export?format=xlsx", headers=bearer(app, "auditor"))
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(exported.data)).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert dict(zip(header, row, strict=True))["电子邮箱"] == "w***@example.com"
    _error(client.get("/api/v1/experts/export", headers=bearer(app, "enterprise",
                                                            organisation="ent-x")),
           403, "forbidden.role")
