"""Who may change what, through the gateway, against the four real services and RabbitMQ.

1. The role × endpoint matrix: every state-changing operation of the OpenAPI document, read
   from the document itself (so a route added by any blueprint joins the matrix), called by
   every role and by the anonymous public. A role that the operation's ``x-roles`` does not
   name is a 403 (anonymous: 401, the auditor: 403 ``forbidden.read_only``); a role it names
   gets past the gateway's role check to the body's validation or to the service.
2. Cross-district and cross-organisation attempts on real records, created through the API by
   their rightful principals: each is refused and changes nothing (R13.1).

One set of services, one gateway and one vhost serve the whole module.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient
from nameko.runners import ServiceRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from stdnum.cn import uscc

from gateway.app import close, create_app
from gateway.users import BINDING_OF_ROLE, USER_ROLES
from servicekit.clock import SHANGHAI, set_clock_file
from servicekit.tenants import CITY
from services.applications.domain import CONDITIONS
from services.applications.service import ApplicationsService
from services.evaluation.domain import CRITERIA, RECORD_BASED
from services.evaluation.service import EvaluationService
from services.matching.service import MatchingService
from services.subsidy.service import SubsidyService
from tests.integration.bearer import bearer
from tests.integration.helpers import wait_for

pytestmark = pytest.mark.integration

SERVICES = (ApplicationsService, EvaluationService, SubsidyService, MatchingService)
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# No broker listens here: building the document needs none, and a stray call fails fast.
NO_BROKER = "amqp://guest:guest@127.0.0.1:1/"
HUANCUI, WENDENG = "371002", "371003"
# Every role a user can have (docs/api.md), and the public without a token.
ROLES = (*USER_ROLES, "anonymous")
# The one record a bound role acts for in the matrix: none of them exists.
BINDINGS = {
    role: {kind: HUANCUI if kind == "district" else f"matrix-{role}"}
    for role, kind in BINDING_OF_ROLE.items()
}
MISSING_ID = "00000000-0000-4000-8000-000000000000"
MULTIPART = "multipart/form-data"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PLACEHOLDER = re.compile(r"\{[^}]+\}")


# --- the OpenAPI document, read when the module is collected -----------------------------------


def openapi_document() -> tuple[dict[str, Any], set[tuple[str, str]]]:
    """The gateway's OpenAPI document as the app builds it (no broker or database needed), and
    the operations whose views take multipart uploads (``gateway.limits.accepts``)."""
    with tempfile.TemporaryDirectory() as var:
        app = create_app({"AMQP_URI": NO_BROKER, "VAR_DIR": var, "MIGRATE_ON_START": False})
        try:
            document = app.test_client().get("/api/v1/openapi.json").json
            uploads = {
                (method, openapi_path(rule.rule))
                for rule in app.url_map.iter_rules()
                for method in rule.methods or ()
                if MULTIPART in _accepted_types(app, rule.endpoint, method)
            }
            return document, uploads
        finally:
            close(app)


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: /a/<int:b_id> → /a/{b_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _accepted_types(app: Flask, endpoint: str, method: str) -> tuple[str, ...]:
    view = app.view_functions[endpoint]
    view = getattr(getattr(view, "view_class", None), method.lower(), view)
    return getattr(view, "_accepts", ((),))[0]


def operations(document: dict[str, Any], methods: tuple[str, ...]) -> list[tuple[str, str, dict]]:
    """(METHOD, path, operation) of every operation of the document with one of ``methods``."""
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method.upper() in methods
    ]


def schema_of(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def json_body_schema(document: dict[str, Any], operation: dict) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return schema_of(document, content["application/json"]["schema"])


DOCUMENT, UPLOADS = openapi_document()
# Writes that need a token; signing in (no security at all) is tested in test_gateway_auth.py.
WRITES = [
    (method, path, operation)
    for method, path, operation in operations(DOCUMENT, WRITE_METHODS)
    if "security" in operation
]


def expected_cell(method: str, path: str, operation: dict, role: str) -> tuple[int, str | None]:
    """The status (and error code) the gateway owes ``role`` calling this operation with an
    empty body and ids that do not exist."""
    admitted = operation["x-roles"]
    if role == "anonymous":
        if "public" not in admitted:
            return 401, "auth.required"
    elif role == "auditor":
        return 403, "forbidden.read_only"  # whatever a route declares: docs/api.md
    elif role not in admitted:
        return 403, "forbidden.role"
    # Past the role check: the body's validation answers first, then the service.
    body = json_body_schema(DOCUMENT, operation)
    required_parameters = [
        p for p in operation.get("parameters", []) if p["in"] != "path" and p.get("required")
    ]
    if (body is not None and body.get("required")) or required_parameters:
        return 422, "invalid_input"
    if (method, path) in UPLOADS:
        return 422, None  # no file sent: the view names its missing field
    if "{" in path:
        return 404, ".not_found"  # the service's own, e.g. application.not_found
    return min(int(s) for s in operation["responses"] if s.startswith("2")), None


def _cells() -> list[Any]:
    return [
        pytest.param(method, path, role, id=f"{method} {path} as {role}")
        for method, path, _ in WRITES
        for role in ROLES
    ]


# --- one platform for the module: vhost, databases, the four services, the gateway -------------


@pytest.fixture(scope="module")
def module_rabbit(request: pytest.FixtureRequest, vhost_pipeline: Any) -> Iterator[dict]:
    """A vhost of its own for the module (nameko's rabbit_config is per test)."""
    uri = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        yield {"AMQP_URI": f"{uri.scheme}://{uri.netloc}/{vhost}", "vhost": vhost}


@pytest.fixture(scope="module")
def module_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A DATABASE_URL template with {service} for the module: SQLite files, or one schema
    per service of TEST_DATABASE_URL (as tests/conftest.py does per test)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db')}/{{service}}.sqlite3"
        return
    prefix = f"m{uuid.uuid4().hex[:10]}"
    names = [*(s.name for s in SERVICES), "gateway"]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE SCHEMA "{prefix}_{name}"'))
    separator = "&" if make_url(base).query else "?"
    yield f"{base}{separator}options=-csearch_path%3D{prefix}_{{service}}"
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{prefix}_{name}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clock") / "clock"
    set_clock(path, "2026-09-01 09:00")
    return path


def set_clock(path: Path, wall_clock: str) -> None:
    """The services' time, as a Weihai wall-clock time."""
    set_clock_file(path, datetime.fromisoformat(wall_clock).replace(tzinfo=SHANGHAI))


@pytest.fixture(scope="module")
def app(
    module_rabbit: dict,
    module_databases: str,
    clock_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Flask]:
    config = {
        **module_rabbit,
        "TENANT": CITY,
        "DATABASE_URL": module_databases,
        "VAR_DIR": str(tmp_path_factory.mktemp("var")),
        "CLOCK_FILE": str(clock_file),
        "EVENT_RETRIES": 2,
        "EVENT_RETRY_DELAY_MS": 100,
        "OUTBOX_POLL_SECONDS": 0.2,
    }
    runner = ServiceRunner(config)
    for service in SERVICES:
        runner.add_service(service)
    runner.start()
    gateway = create_app(
        {
            **config,
            "GATEWAY_DATABASE_URL": module_databases.format(service="gateway"),
            "OBJECTION_RATE_LIMIT": "1000 per hour",
        }
    )
    try:
        yield gateway
    finally:
        close(gateway)
        runner.kill()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def headers_of(app: Flask, role: str, actor: str | None = None, **binding: str) -> dict:
    """A bearer token signed by the gateway's own key, as a login would issue it."""
    if role == "anonymous":
        return {}
    return bearer(app, role, actor or f"matrix-{role}", **(binding or BINDINGS.get(role, {})))


@pytest.fixture(scope="module")
def tokens(app: Flask) -> dict[str, dict]:
    return {role: headers_of(app, role) for role in ROLES}


# --- 1. the role × endpoint matrix -------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "role"), _cells())
def test_role_matrix(
    client: FlaskClient, tokens: dict[str, dict], method: str, path: str, role: str
) -> None:
    operation = DOCUMENT["paths"][path][method.lower()]
    status, code = expected_cell(method, path, operation, role)
    url = PLACEHOLDER.sub(MISSING_ID, path)  # ids that do not exist
    content = operation.get("requestBody", {}).get("content", {})
    body: dict[str, Any] = (
        {"data": {}, "content_type": MULTIPART} if MULTIPART in content
        else {"json": {}} if content else {}
    )
    response = client.open(url, method=method, headers=tokens[role], **body)
    assert response.status_code == status, response.get_data(as_text=True)
    if code is not None:
        # A code starting with a dot is a suffix: the service names the kind of record.
        assert response.json["code"].endswith(code) if code[0] == "." else (
            response.json["code"] == code
        )
    if status in (401, 403):
        assert set(response.json) == {"code", "message", "details"}


# --- 2. cross-district and cross-organisation attempts on real records (R13.1) ----------------


def call(client: FlaskClient, method: str, url: str, who: dict, status: int, **kwargs: Any) -> Any:
    """One request; its status must be ``status``; answers the JSON body."""
    response = client.open(url, method=method, headers=who, **kwargs)
    assert response.status_code == status, f"{method} {url}: {response.get_data(as_text=True)}"
    return response.json


def refused(
    client: FlaskClient, method: str, url: str, who: dict, code: str, **kwargs: Any
) -> dict:
    body = call(client, method, url, who, 403, **kwargs)
    assert body["code"] == code, body
    return body


_serial = iter(range(1, 10**6))


def credit_code(district: str) -> str:
    """A valid unified social credit code (its check digit computed), new on each call."""
    base = f"91{district}{next(_serial):09d}"[:17]
    return base + uscc.calc_check_digit(base)


class World:
    """Records created through the API by their rightful principals."""

    def __init__(self, app: Flask, client: FlaskClient, clock: Path) -> None:
        self.app, self.client, self.clock = app, client, clock
        self.city = headers_of(app, "city_hr", "city-li")
        self.office = headers_of(app, "talent_office", "office-sun")
        self.huancui = headers_of(app, "district_hr", "huancui-wang", district=HUANCUI)
        self.wendeng = headers_of(app, "district_hr", "wendeng-zhao", district=WENDENG)

    def call(self, method: str, url: str, who: dict, status: int, **kwargs: Any) -> Any:
        return call(self.client, method, url, who, status, **kwargs)

    def unit(self, registrar: dict, name: str, category: str, district: str) -> dict:
        unit = self.call("POST", "/api/v1/host-units", registrar, 201, json={
            "name": name, "credit_code": credit_code(district), "category": category,
            "district": district, "contact_name": "王经理", "contact_phone": "0631-5200000",
            "address": f"{name}办公楼"})
        unit["headers"] = headers_of(
            self.app, "host_unit", f"unit-{unit['id'][:8]}", organisation=unit["id"])
        return unit

    def draft(self, unit: dict, station_type: str) -> dict:
        upload = {"file": (io.BytesIO(PDF), "证明.pdf", "application/pdf")}
        evidence = self.call("POST", "/api/v1/attachments", unit["headers"], 201, data=upload,
                             content_type=MULTIPART)["attachment_id"]
        return self.call("POST", "/api/v1/applications", unit["headers"], 201, json={
            "host_unit_id": unit["id"], "station_type": station_type,
            "station_name": f"{unit['name']}人才驿站",
            "conditions": {k: {"statement": "已具备", "evidence": [evidence]} for k in CONDITIONS},
            "planned_functions": ["exchange_matchmaking"],
            "premises": {"address": "威海市环翠区测试路1号", "area_sqm": 300},
            "committed_funding": "300000.00"})

    def submitted(self, unit: dict, station_type: str) -> dict:
        application = self.draft(unit, station_type)
        return self.call("POST", f"/api/v1/applications/{application['id']}/submit",
                         unit["headers"], 200)

    def reviewer(self, expert_id: str) -> dict:
        return headers_of(self.app, "reviewer", f"expert-{expert_id[:8]}", expert=expert_id)

    def review(self, application_id: str, expert_id: str, status: int = 201) -> Any:
        return self.call("POST", f"/api/v1/applications/{application_id}/reviews",
                         self.reviewer(expert_id), status, json={
                             "inspection_date": "2026-09-01", "findings": "场地设施齐全",
                             "scores": dict.fromkeys(CONDITIONS, 22)})


@pytest.fixture(scope="module")
def world(app: Flask, client: FlaskClient, clock_file: Path) -> dict[str, Any]:
    """Host units of 环翠区 (A, C, a university D) and 文登区 (B); A's application recognised
    as a station (which evaluation then holds), C's waiting for its district, B's a draft,
    D's under review by a panel of three of four experts."""
    w = World(app, client, clock_file)
    w.call("POST", "/api/v1/policies", w.city, 201, json={  # R18.1: 2020's measures expired
        "code": "WH-2024-MATRIX", "title": "测试用后续办法", "document": "测试",
        "effective_from": "2023-12-14"})
    a = w.unit(w.huancui, "威海甲科技有限公司", "key_enterprise", HUANCUI)
    b = w.unit(w.wendeng, "文登区丙孵化器", "incubator", WENDENG)
    c = w.unit(w.huancui, "环翠区乙众创空间", "maker_space", HUANCUI)
    d = w.unit(w.huancui, "威海丁大学", "university", HUANCUI)
    experts = [w.call("POST", "/api/v1/review-experts", w.city, 201, json={
        "name": f"专家{i}", "organisation_name": "山东大学", "field": "海洋工程"})["id"]
        for i in range(4)]

    recognised = w.submitted(a, "innovation")
    url = f"/api/v1/applications/{recognised['id']}"
    w.call("POST", f"{url}/recommend", w.huancui, 200, json={"comments": "同意推荐"})
    w.call("POST", f"{url}/panel", w.city, 200, json={"expert_ids": experts[:3]})
    for expert in experts[:3]:
        w.review(recognised["id"], expert)
    w.call("POST", "/api/v1/applications/shortlist", w.city, 200,
           json={"application_ids": [recognised["id"]], "top": 1})
    set_clock(clock_file, "2026-09-15 09:00")
    notice = w.call("POST", "/api/v1/notices", w.city, 201,
                    json={"application_ids": [recognised["id"]]})
    set_clock(clock_file, "2026-09-22 09:00")  # after the five working days (R7.3)
    w.call("POST", f"/api/v1/notices/{notice['id']}/close", w.city, 200)
    station = w.call("POST", f"{url}/approve", w.office, 200, json={"comments": "同意认定"})
    wait_for(lambda: client.get(f"/api/v1/stations/{station['id']}/evaluation",
                                headers=w.city).status_code == 200)

    under_review = w.submitted(d, "innovation")  # a university goes straight to the city
    w.call("POST", f"/api/v1/applications/{under_review['id']}/panel", w.city, 200,
           json={"expert_ids": experts[:3]})
    return {
        "w": w, "a": a, "b": b, "c": c, "experts": experts, "station": station,
        "pending": w.submitted(c, "entrepreneurship"),
        "draft": w.draft(b, "entrepreneurship"),
        "under_review": under_review,
    }


def test_a_district_cannot_see_or_recommend_another_districts_application(
    world: dict,
) -> None:
    # R13.1, R7.1: 文登区 acts on its own district's applications only.
    w, pending = world["w"], world["pending"]
    url = f"/api/v1/applications/{pending['id']}"
    body = refused(w.client, "POST", f"{url}/recommend", w.wendeng, "forbidden.district",
                   json={"comments": "越权推荐"})
    assert body["details"] == {"district": HUANCUI}
    refused(w.client, "POST", f"{url}/return", w.wendeng, "forbidden.district",
            json={"comments": "越权退回"})
    refused(w.client, "POST", f"{url}/reject", w.wendeng, "forbidden.district",
            json={"comments": "越权驳回"})
    refused(w.client, "GET", url, w.wendeng, "forbidden.district")
    mine = w.call("GET", "/api/v1/applications", w.wendeng, 200)
    assert pending["id"] not in {item["id"] for item in mine["items"]}

    # Nothing changed; its own district still may recommend it.
    unchanged = w.call("GET", url, w.city, 200)
    assert unchanged["status"] == "submitted"
    assert [h["action"] for h in unchanged["history"]] == ["create", "submit_to_district"]
    recommended = w.call("POST", f"{url}/recommend", w.huancui, 200, json={"comments": "同意"})
    assert recommended["status"] != "submitted"


def test_a_host_unit_cannot_touch_another_units_application(world: dict) -> None:
    w, a, b, draft = world["w"], world["a"], world["b"], world["draft"]
    url = f"/api/v1/applications/{draft['id']}"
    refused(w.client, "PATCH", url, a["headers"], "forbidden.organisation",
            json={"station_name": "被他人改名的驿站"})
    refused(w.client, "POST", f"{url}/submit", a["headers"], "forbidden.organisation")
    refused(w.client, "GET", url, a["headers"], "forbidden.application")
    refused(w.client, "POST", "/api/v1/applications", a["headers"], "forbidden.organisation",
            json={"host_unit_id": b["id"], "station_type": "entrepreneurship",
                  "station_name": "冒名申请"})
    mine = w.call("GET", "/api/v1/applications", a["headers"], 200)
    assert draft["id"] not in {item["id"] for item in mine["items"]}

    unchanged = w.call("GET", url, b["headers"], 200)
    assert (unchanged["station_name"], unchanged["status"]) == (draft["station_name"], "draft")
    edited = w.call("PATCH", url, b["headers"], 200, json={"station_name": "丙创业驿站"})
    assert edited["station_name"] == "丙创业驿站"


def test_a_reviewer_cannot_score_an_application_not_assigned_to_it(world: dict) -> None:
    # R7.2: only the experts the city assigned review an application.
    w, experts, application = world["w"], world["experts"], world["under_review"]
    outsider = w.reviewer(experts[3])
    url = f"/api/v1/applications/{application['id']}"
    body = w.review(application["id"], experts[3], status=403)
    assert body["code"] == "forbidden.not_on_panel"
    refused(w.client, "GET", url, outsider, "forbidden.application")
    assert w.call("GET", "/api/v1/applications", outsider, 200)["total"] == 0
    assigned = w.call("GET", "/api/v1/applications", w.reviewer(experts[0]), 200)
    assert application["id"] in {item["id"] for item in assigned["items"]}

    assert w.review(application["id"], experts[0])["expert_id"] == experts[0]


def test_station_records_belong_to_the_host_unit_and_its_district(world: dict) -> None:
    # R13.1 in evaluation: the station of A (环翠区) is recorded by A and seen by 环翠区.
    w, a, b, station = world["w"], world["a"], world["b"], world["station"]
    base = f"/api/v1/stations/{station['id']}"
    activity = {"kind": "lecture", "title": "海洋装备讲座", "held_on": "2026-09-22",
                "place": "环翠区", "participants": 40, "talents_served": 6}
    refused(w.client, "POST", f"{base}/activities", b["headers"], "forbidden.not_host_unit",
            json=activity)
    refused(w.client, "POST", f"{base}/reports", b["headers"], "forbidden.not_host_unit",
            json={"kind": "plan", "year": 2026, "title": "年度计划", "content": "计划"})
    for reader in (w.wendeng, b["headers"]):
        call(w.client, "GET", f"{base}/activities", reader, 403)
        call(w.client, "GET", f"{base}/evaluation", reader, 403)
    assert w.call("GET", f"{base}/activities", w.huancui, 200)["total"] == 0

    recorded = w.call("POST", f"{base}/activities", a["headers"], 201, json=activity)
    assert recorded["station_id"] == station["id"]
    seen = w.call("GET", f"{base}/activities", w.huancui, 200)
    assert [item["activity_id"] for item in seen["items"]] == [recorded["activity_id"]]



def test_a_reviewer_cannot_score_a_station_not_assigned_to_it(
    world: dict, clock_file: Path
) -> None:
    # R16.1: the city assigns the reviewers of each station in a cycle; only they score it.
    w, station, experts = world["w"], world["station"], world["experts"]
    set_clock(clock_file, "2028-10-09 09:00")  # two years after its approval: due
    cycle = w.call("POST", "/api/v1/evaluation-cycles", w.city, 201,
                   json={"name": "2028年度驿站评估", "reference_date": "2028-09-30"})
    assert cycle["stations"] == 1
    base = f"/api/v1/evaluation-cycles/{cycle['cycle_id']}"
    w.call("POST", f"{base}/assignments", w.city, 201, json={
        "station_id": station["id"],
        "reviewers": [{"expert_id": experts[0], "affiliation": "山东大学"}]})
    # Criteria (4) and (6) are left to the station's records (R16.1).
    sheet = {"station_id": station["id"], "scores": dict.fromkeys(
        [c for c in CRITERIA if c not in RECORD_BASED], 80)}
    outsider = w.reviewer(experts[1])
    refused(w.client, "POST", f"{base}/scores", outsider, "score.not_assigned", json=sheet)
    assert w.call("GET", f"{base}/assignments", outsider, 200) == []

    scored = w.call("POST", f"{base}/scores", w.reviewer(experts[0]), 200, json=sheet)
    assert (scored["expert_id"], scored["scores"]["management"]) == (experts[0], 80)


@pytest.mark.parametrize(
    ("who", "query"),
    [
        ("wendeng", f"/api/v1/applications?district={HUANCUI}"),
        ("wendeng", f"/api/v1/host-units?district={HUANCUI}"),
        ("a", "/api/v1/applications?host_unit_id={b}"),
    ],
)
def test_a_list_filter_naming_another_district_or_organisation_is_a_403(
    world: dict, who: str, query: str
) -> None:
    # R13.1, docs/api.md: "a list filter naming someone else's district or organisation is a
    # 403, not an empty page".
    w = world["w"]
    headers = w.wendeng if who == "wendeng" else world[who]["headers"]
    response = w.client.get(query.format(b=world["b"]["id"]), headers=headers)
    assert response.status_code == 403, response.get_data(as_text=True)
    assert response.json["code"] in ("forbidden.district", "forbidden.organisation")
