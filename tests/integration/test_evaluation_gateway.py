"""The evaluation routes of the gateway, against the real evaluation service and RabbitMQ: roles,
the error shape, a cycle driven over HTTP, and the exports."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from kombu import Connection, Exchange
from openpyxl import load_workbook

from gateway.app import close, create_app
from servicekit.clock import SHANGHAI, set_clock_file
from servicekit.envelope import make_envelope
from servicekit.tenants import CITY
from services.evaluation.service import EvaluationService
from tests.integration.bearer import bearer
from tests.integration.helpers import wait_for

pytestmark = pytest.mark.integration

CRITERIA = ("development", "industry_effect", "talent_team", "events_and_talents_served",
            "management", "plans_and_reports")


_EVENTS = "events_and_talents_served"


def _judged(value: int) -> dict[str, int]:
    """The four criteria of judgement; (4) and (6) are left to the records (R16.1)."""
    return {c: value for c in CRITERIA if c not in (_EVENTS, "plans_and_reports")}


def _approve(config: dict, station_id: str, unit: str, district: str) -> None:
    payload = {"station_id": station_id, "application_id": f"app-{station_id}",
               "plaque_number": f"WH-{station_id}", "name": f"=Station {station_id}",
               "station_type": "service", "host_unit_id": unit, "host_unit_name": unit,
               "district": district, "approved_on": "2024-03-01", "policy_version": "2020"}
    envelope = make_envelope("applications", CITY, "station_approved", payload,
                             str(uuid.uuid4()))
    exchange = Exchange("applications.events", type="topic", durable=True)
    with Connection(config["AMQP_URI"]) as conn:
        conn.Producer().publish(envelope, exchange=exchange, routing_key="station_approved",
                                serializer="json", declare=[exchange],
                                headers={"nameko.correlation_id": envelope["correlation_id"]})


@pytest.fixture
def app(runner_factory: Any, service_config: dict, database_url: str,
        tmp_path: Any) -> Iterator[Flask]:
    clock_file = tmp_path / "clock"
    set_clock_file(clock_file, datetime(2026, 6, 30, 9, tzinfo=SHANGHAI))
    config = {**service_config, "CLOCK_FILE": str(clock_file)}
    runner_factory(config, EvaluationService).start()
    app = create_app({**config, "GATEWAY_DATABASE_URL": database_url})
    yield app
    close(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_records_need_the_right_principal_and_valid_input(app: Flask,
                                                          client: FlaskClient) -> None:
    _approve(app.config, "s1", "unit-a", "371002")
    host = bearer(app, "host_unit", organisation="unit-a")
    activity = {"kind": "salon", "title": "Expert salon", "held_on": "2026-05-01",
                "place": "Huancui", "participants": 20, "talents_served": 8}
    url = "/api/v1/stations/s1/activities"
    wait_for(lambda: client.get(url, headers=host).status_code == 200)

    assert client.post(url, json=activity).status_code == 401
    refused = client.post(url, json=activity, headers=bearer(app, "host_unit", organisation="b"))
    assert (refused.status_code, refused.json["code"]) == (403, "forbidden.not_host_unit")
    unknown = client.post(url, json={**activity, "verified": True}, headers=host)
    assert unknown.status_code == 422 and "verified" in unknown.json["details"]["fields"]
    too_many = client.post(url, json={**activity, "talents_served": 21},
                           headers={**host, "Accept-Language": "zh-CN"})
    assert too_many.status_code == 422
    assert too_many.json["code"] == "activity.talents_exceed_participants"
    assert "超过" in too_many.json["message"]

    created = client.post(url, json=activity, headers=host)
    assert created.status_code == 201 and created.json["kind_zh"] == "人才沙龙"
    # R13.1: the district of the station sees it, another district does not.
    seen = client.get(url, headers=bearer(app, "district_hr", district="371002"))
    assert seen.json["total"] == 1
    other = client.get(url, headers=bearer(app, "district_hr", district="371003"))
    assert (other.status_code, other.json["code"]) == (403, "forbidden.district")
    assert client.post(url, json=activity, headers=bearer(app, "auditor")).status_code == 403
    assert client.get(url, headers=bearer(app, "auditor")).status_code == 200
    profile = client.get("/api/v1/stations/s1/evaluation", headers=host).json
    assert profile["records"]["activities"] == 1


def test_a_cycle_over_http_with_exports_and_demonstration(app: Flask,
                                                          client: FlaskClient) -> None:
    # R9.1, R9.4, R12.1, R16.1, R17.2
    for station_id, unit in (("s1", "unit-a"), ("s2", "unit-b")):
        _approve(app.config, station_id, unit, "371002")
    city = bearer(app, "city_hr", actor="city-li")
    # One event serving one talent meets the targets: s1's criterion (4) is 100 from records.
    wait_for(lambda: client.post("/api/v1/stations/s1/activities", json={
        "kind": "salon", "title": "Expert salon", "held_on": "2026-05-01", "place": "Weihai",
        "participants": 20, "talents_served": 1},
        headers=bearer(app, "host_unit", organisation="unit-a")).status_code == 201)
    wait_for(lambda: client.post("/api/v1/evaluation-cycles", headers=city, json={
        "name": "2026", "reference_date": "2026-06-30", "bands": {"excellent": 80, "pass": 70},
        "targets": {"events": 1, "person_times": 1}}).status_code == 201)
    cycle = client.get("/api/v1/evaluation-cycles", headers=city).json["items"][0]
    base = f"/api/v1/evaluation-cycles/{cycle['cycle_id']}"
    for station_id, expert in (("s1", "e1"), ("s2", "e2")):
        assigned = client.post(f"{base}/assignments", headers=city, json={
            "station_id": station_id,
            "reviewers": [{"expert_id": expert, "affiliation": "uni"}]})
        assert assigned.status_code == 201
    reviewer = bearer(app, "reviewer", expert="e1")
    mine = client.get(f"{base}/assignments", headers=reviewer).json
    assert [a["station_id"] for a in mine] == ["s1"]
    assert "sources" in mine[0]["prefill"]["events_and_talents_served"]
    out_of_scale = client.post(f"{base}/scores", headers=reviewer, json={
        "station_id": "s1", "scores": {c: 101 for c in CRITERIA}})
    assert (out_of_scale.status_code, out_of_scale.json["code"]) == (422, "score.out_of_scale")
    # R16.1: a free 95 for criterion (6), which s1's records give 0, is refused.
    free = client.post(f"{base}/scores", headers=reviewer, json={
        "station_id": "s1", "scores": {c: 95 for c in CRITERIA if c != _EVENTS}})
    assert (free.status_code, free.json["code"]) == (
        422, "score.record_based_beyond_adjustment")
    assert client.post(f"{base}/scores", headers=reviewer, json={
        "station_id": "s1", "scores": {**_judged(95), "plans_and_reports": 10},
        "adjustment_reasons": {"plans_and_reports": "Plans kept by the district."}},
    ).status_code == 200
    assert client.post(f"{base}/finalize", headers=city, json={}).status_code == 409
    assert client.post(f"{base}/scores", headers=bearer(app, "reviewer", expert="e2"), json={
        "station_id": "s2", "scores": _judged(50)}).status_code == 200
    finalized = client.post(f"{base}/finalize", headers=city, json={})
    assert finalized.json["outcomes"] == {"excellent": 1, "fail": 1}

    report = client.get(f"{base}/report", headers=bearer(app, "auditor")).json
    assert [(r["station_id"], r["grade"]) for r in report["rows"]] == [
        ("s1", "excellent"), ("s2", "fail")]
    exported = client.get(f"{base}/report.csv", headers=city)
    assert exported.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert lines[0][0] == "排名 Rank"
    assert lines[1][1:3] == ["WH-s1", "'=Station s1"]  # a formula-like name stays text
    workbook = load_workbook(io.BytesIO(client.get(f"{base}/report.xlsx", headers=city).data))
    ranking = workbook["Ranking"]
    assert ranking["F2"].value == 83.25 and ranking["G3"].value == "不合格 fail"
    assert report["rows"][0]["adjustments"][0]["reason"] == "Plans kept by the district."
    own = client.get(f"{base}/report", headers=bearer(app, "host_unit", organisation="unit-b"))
    assert [r["station_id"] for r in own.json["rows"]] == ["s2"]

    rectifications = client.get("/api/v1/rectifications", headers=city).json["items"]
    rid = rectifications[0]["rectification_id"]
    early = client.post(f"/api/v1/rectifications/{rid}/reassessment", headers=city,
                        json={"score": 80, "comments": "x"})
    assert (early.status_code, early.json["code"]) == (409, "rectification.no_evidence")

    proposed = client.post(f"{base}/demonstrations", headers=city, json={
        "station_id": "s1", "proposed_subsidy": "80000.00"})
    assert proposed.status_code == 201
    sid = proposed.json["selection_id"]
    assert client.post(f"/api/v1/demonstrations/{sid}/confirm",
                       headers=bearer(app, "district_hr", district="371002")).status_code == 403
    assert client.post(f"/api/v1/demonstrations/{sid}/confirm", headers=city).json[
        "status"] == "proposed"
    done = client.post(f"/api/v1/demonstrations/{sid}/confirm",
                       headers=bearer(app, "org_department", actor="org-wu"))
    assert (done.json["status"], done.json["proposed_subsidy"]) == ("confirmed", "80000.00")
    # R9.4: a selection at a time the departments choose, no cycle named; s2 failed.
    anytime = client.post("/api/v1/demonstrations", headers=city, json={
        "station_id": "s2", "proposed_subsidy": "60000.00"})
    assert (anytime.status_code, anytime.json["code"]) == (409, "demonstration.record_not_good")
    unknown = client.post("/api/v1/demonstrations", headers=city, json={
        "station_id": "s2", "proposed_subsidy": "60000.00", "grade": "excellent"})
    assert unknown.status_code == 422

    # R12.1: the city publishes a typical case; anyone reads it without logging in.
    case = {"kind": "typical_case", "station_id": "s1", "title": "典型事迹",
            "published_on": "2026-06-01", "summary": "驿站服务成效。"}
    assert client.post("/api/v1/publicity", json=case,
                       headers=bearer(app, "host_unit", organisation="unit-a")).status_code == 403
    assert client.post("/api/v1/publicity", json={**case, "paid": True},
                       headers=city).status_code == 422
    assert client.post("/api/v1/publicity", json=case, headers=city).status_code == 201
    public = client.get("/api/v1/public/publicity")
    assert public.status_code == 200 and public.json["items"][0]["kind_zh"] == "典型事迹"
    # R17.2: a commendation over HTTP, in Chinese and English when refused.
    late = client.post("/api/v1/stations/s1/commendations", headers=city, json={
        "document": "威人社字〔2026〕30号", "commended_on": "2026-07-01", "reason": "优秀"})
    assert (late.status_code, late.json["code"]) == (422, "date.in_future")
