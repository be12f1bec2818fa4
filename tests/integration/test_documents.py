"""The official documents as PDF (issue 15), through the gateway, against the real
applications, evaluation and subsidy services loaded with the `make run` demo data: each PDF
is A4 with its font embedded, and its text (read back with pypdf) carries the record's
number, names, dates and amounts; a principal who may not read the record gets no document."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from contracts.rpc.evaluation import GRADES_ZH
from deploy.local.demo import (
    Demo,
    load_applications,
    load_current_applications,
    load_evaluation,
    load_subsidy,
)
from gateway.app import close, create_app
from gateway.documents.formats import chinese_date
from gateway.documents.layout import FONT_PACKAGE, font_file
from services.applications.service import ApplicationsService
from services.evaluation.service import EvaluationService
from services.subsidy.service import SubsidyService
from tests.integration.bearer import bearer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path(font_file()).exists(), reason=(
        f"the documents' font is not installed: as root, apt-get install -y {FONT_PACKAGE}")),
]

A4 = (595.28, 841.89)


@pytest.fixture
def world(container_factory: Any, service_config: dict, database_url: str,
          tmp_path: Path) -> Iterator[tuple[Flask, dict[str, Any]]]:
    """The gateway over the three services with the demo's records: a closed notice and an
    open one, three stations evaluated (excellent and a demonstration station, pass, fail
    and rectifying) and the demonstration grant with a tranche and spending."""
    clock = tmp_path / "clock"
    config = {**service_config, "CLOCK_FILE": str(clock)}
    for service in (ApplicationsService, EvaluationService, SubsidyService):
        container_factory(service, config).start()
    demo = Demo(config, clock, lambda _line: None)
    try:
        first = load_applications(demo)
        load_current_applications(demo, first)
        evaluated = load_evaluation(demo, first["stations"])
        load_subsidy(demo, evaluated["demonstration"])
    finally:
        demo.close()
    app = create_app({**config, "GATEWAY_DATABASE_URL": database_url})
    yield app, {"stations": first["stations"], "cycle": evaluated["cycle"]}
    close(app)


def _text(client: FlaskClient, url: str, headers: dict[str, str]) -> str:
    """The PDF's text without white space (pypdf breaks lines where the page does)."""
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.json)
    assert time.perf_counter() - started < 5  # the ≤ 1 s figure is bench/documents.py's
    assert response.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor  # embedded, not left to the reader's fonts
    return "".join("".join(page.extract_text() or "" for page in reader.pages).split())


def _has(text: str, *values: str) -> None:
    for value in values:
        assert "".join(value.split()) in text, value


def test_each_document_carries_its_record(world: tuple[Flask, dict[str, Any]]) -> None:
    app, data = world
    client = app.test_client()
    city = bearer(app, "city_hr")
    excellent, passing, failing = data["stations"][:3]
    unit = bearer(app, "host_unit", organisation=excellent["host_unit_id"])

    # 公示: the closed 2024 notice for staff, the open one for anyone.
    notices = client.get("/api/v1/notices", headers=city).json
    for notice in notices:
        text = _text(client, f"/api/v1/notices/{notice['id']}/document.pdf", city)
        _has(text, notice["number"], chinese_date(notice["opens_on"]),
             chinese_date(notice["closes_on"]), "5个工作日")
        for entry in notice["applications"]:
            _has(text, entry["number"], entry["station_name"], entry["host_unit_name"])
    for notice in client.get("/api/v1/public/notices").json:
        _has(_text(client, f"/api/v1/public/notices/{notice['id']}/document.pdf", {}),
             notice["number"])
    closed = next(n for n in notices if n["status"] != "open")
    assert client.get(f"/api/v1/public/notices/{closed['id']}/document.pdf").status_code == 404

    # 批复 and 证书: the station's plaque number, its application's number, the day.
    station = client.get(f"/api/v1/stations/{excellent['id']}").json
    application = client.get(f"/api/v1/applications/{station['application_id']}",
                             headers=unit).json
    approved = chinese_date(station["approved_on"])
    _has(_text(client, f"/api/v1/stations/{station['id']}/approval.pdf", unit),
         "批复", station["plaque_number"], application["number"], station["name"],
         station["host_unit_name"], approved, "威海市人才工作领导小组办公室")
    _has(_text(client, f"/api/v1/stations/{station['id']}/certificate.pdf", unit),
         "证书", station["plaque_number"], station["name"], station["host_unit_name"], approved)

    # 评估结果通知: score, rank, grade of each station in the finalized cycle.
    cycle = data["cycle"]
    for evaluated in (excellent, passing, failing):
        profile = client.get(f"/api/v1/stations/{evaluated['id']}/evaluation",
                             headers=city).json
        [result] = [r for r in profile["results"] if r["cycle_id"] == cycle]
        text = _text(client, f"/api/v1/stations/{evaluated['id']}/evaluation/{cycle}/result.pdf",
                     city)
        _has(text, profile["plaque_number"], profile["name"], result["cycle_name"],
             f"{result['score']}分", f"第{result['rank']}位", f"等次为{GRADES_ZH[result['grade']]}",
             *result["criteria"].values())
        if result["rectification"]:
            _has(text, chinese_date(result["rectification"]["deadline"]))

    # 限期整改通知: the findings, the day it was opened and the deadline.
    failing_unit = bearer(app, "host_unit", organisation=failing["host_unit_id"])
    [rectification] = client.get(f"/api/v1/rectifications?station_id={failing['id']}",
                                 headers=city).json["items"]
    _has(_text(client, f"/api/v1/rectifications/{rectification['rectification_id']}/notice.pdf",
               failing_unit),
         "限期整改", rectification["findings"], chinese_date(rectification["opened_on"]),
         chinese_date(rectification["deadline"]), failing["name"])

    # 示范驿站通知: confirmed by both departments, with the subsidy in figures and capitals.
    [selection] = client.get(f"/api/v1/evaluation-cycles/{cycle}/demonstrations",
                             headers=city).json["items"]
    _has(_text(client, f"/api/v1/demonstrations/{selection['selection_id']}/notice.pdf",
               bearer(app, "org_department")),
         excellent["name"], station["plaque_number"], f"{selection['proposed_subsidy']}元",
         "人民币壹拾伍万元整", chinese_date(selection["confirmed_on"]), "中共威海市委组织部")

    # 资金对账单: the approval document, the amount, each tranche and expenditure, balances.
    grants = client.get(f"/api/v1/grants?station_id={excellent['id']}", headers=unit).json
    for grant in grants["items"]:
        detail = client.get(f"/api/v1/grants/{grant['grant_id']}", headers=unit).json
        spent = client.get(f"/api/v1/grants/{grant['grant_id']}/expenditures",
                           headers=unit).json["items"]
        text = _text(client, f"/api/v1/grants/{grant['grant_id']}/statement.pdf", unit)
        _has(text, detail["decision_document"], f"{detail['amount']}元",
             chinese_date(detail["decided_at"]),
             *(f"{detail['balances'][k]}元" for k in ("disbursed", "spent", "unspent")))
        for tranche in detail["disbursements"]:
            _has(text, tranche["payment_reference"], f"{tranche['amount']}元",
                 chinese_date(tranche["paid_on"]))
        for item in spent:
            _has(text, item["description"], f"{item['amount']}元")
    assert {g["amount"] for g in grants["items"]} == {"150000.00", "20000.00"}


def test_a_document_is_only_for_who_may_read_its_record(
        world: tuple[Flask, dict[str, Any]]) -> None:
    app, data = world
    client = app.test_client()
    excellent, passing, _failing = data["stations"][:3]
    other_unit = bearer(app, "host_unit", organisation=passing["host_unit_id"])
    url = f"/api/v1/stations/{excellent['id']}/approval.pdf"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=other_unit).status_code == 403
    assert client.get(url, headers=bearer(app, "enterprise", organisation="e-1")).status_code \
        == 403
    grant = client.get(f"/api/v1/grants?station_id={excellent['id']}",
                       headers=bearer(app, "city_hr")).json["items"][0]
    refused = client.get(f"/api/v1/grants/{grant['grant_id']}/statement.pdf",
                         headers=other_unit)
    assert refused.status_code == 403
    assert refused.json["code"].startswith("forbidden")
    # No such record: no document.
    unknown = client.get(f"/api/v1/stations/{excellent['id']}/evaluation/no-such-cycle/"
                         "result.pdf", headers=bearer(app, "city_hr"))
    assert unknown.status_code == 404
    assert client.get("/api/v1/demonstrations/no-such/notice.pdf",
                      headers=bearer(app, "city_hr")).status_code == 404
