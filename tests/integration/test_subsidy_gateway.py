"""The subsidy routes of the gateway, against the real subsidy service and RabbitMQ: roles,
the error shape, a grant driven over HTTP with the Idempotency-Key, evidence and exports."""

from __future__ import annotations

import base64
import csv
import io
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from gateway.app import close, create_app
from servicekit.clock import SHANGHAI, set_clock_file
from services.subsidy.service import SubsidyService
from tests.integration.bearer import bearer
from tests.integration.helpers import wait_for
from tests.integration.test_subsidy_service import publish, selection, station_approved

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.4\n%receipt\n"


@pytest.fixture
def app(runner_factory: Any, service_config: dict, database_url: str,
        tmp_path: Any) -> Iterator[Flask]:
    clock_file = tmp_path / "clock"
    set_clock_file(clock_file, datetime(2026, 6, 15, 10, tzinfo=SHANGHAI))
    config = {**service_config, "CLOCK_FILE": str(clock_file)}
    runner_factory(config, SubsidyService).start()
    app = create_app({**config, "GATEWAY_DATABASE_URL": database_url})
    yield app
    close(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _grant(app: Flask, client: FlaskClient, city: dict) -> str:
    station_approved(app.config, "st-1", "unit-1")
    publish(app.config, "evaluation", "demonstration_selected", selection(str(uuid.uuid4())))
    page = wait_for(lambda: (r := client.get("/api/v1/grants", headers=city).json)["total"]
                    and r)
    return page["items"][0]["grant_id"]


def test_a_grant_over_http(app: Flask, client: FlaskClient) -> None:  # R9.1, R9.3
    city = bearer(app, "city_hr", actor="hr-wang")
    host = bearer(app, "host_unit", organisation="unit-1")
    grant_id = _grant(app, client, city)

    budget = client.post("/api/v1/funds/budgets", headers=city, json={
        "fiscal_year": 2026, "budget": "500000.00", "document": "威财预〔2026〕12号"})
    assert budget.status_code == 201 and budget.json["available"] == "500000.00"
    # R9.4: the jointly confirmed 100000.00 is what the grant commits; approval cannot move it.
    changed = client.post(f"/api/v1/grants/{grant_id}/approve", headers={
        **city, "Accept-Language": "zh-CN"}, json={"amount": "200000.00", "document": "批复"})
    assert (changed.status_code, changed.json["code"]) == (409, "grant.amount_jointly_confirmed")
    assert "R9.4" in changed.json["message"] and changed.json["details"]["field"] == "amount"
    approved = client.post(f"/api/v1/grants/{grant_id}/approve", headers=city,
                           json={"document": "批复"})
    assert approved.status_code == 200 and approved.json["balances"]["committed"] == "100000.00"
    again = client.post(f"/api/v1/grants/{grant_id}/approve", headers=city,
                        json={"document": "批复"})
    assert (again.status_code, again.json["code"]) == (409, "grant.wrong_status")

    url = f"/api/v1/grants/{grant_id}/disbursements"
    tranche = {"amount": "80000.00", "payment_reference": "BANK-9"}
    missing = client.post(url, headers=city, json=tranche)
    assert missing.status_code == 422 and "Idempotency-Key" in missing.json["details"]["fields"]
    keyed = {**city, "Idempotency-Key": "tranche-1-of-grant"}
    first = client.post(url, headers=keyed, json=tranche)
    retry = client.post(url, headers=keyed, json=tranche)
    assert first.status_code == retry.status_code == 201 and first.json == retry.json
    assert len(client.get(url, headers=host).json) == 1

    spend = {"category": "creative_practice", "amount": "30000.00", "spent_on": "2026-06-14",
             "description": "maker week",
             "attachments": [{"filename": "发票.pdf", "content_type": "application/pdf",
                              "content_base64": base64.b64encode(PDF).decode()}]}
    items = f"/api/v1/grants/{grant_id}/expenditures"
    assert client.post(items, headers=city, json=spend).status_code == 403
    refused = client.post(items, headers=host, json={**spend, "category": "banquet"})
    assert (refused.status_code, refused.json["code"]) == (422,
                                                           "expenditure.category_not_allowed")
    beyond = client.post(items, headers=host, json={**spend, "amount": "80000.01"})
    assert (beyond.status_code, beyond.json["code"]) == (409, "expenditure.exceeds_unspent")
    item = client.post(items, headers=host, json=spend)
    assert item.status_code == 201
    sha = item.json["attachments"][0]["sha256"]
    download = client.get(f"{items}/{item.json['expenditure_id']}/attachments/{sha}",
                          headers=bearer(app, "auditor"))
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    # RFC 6266/5987: the Chinese name survives (gateway.downloads), with an ASCII fallback.
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"download.pdf\"; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf")
    queried = client.post(f"{items}/{item.json['expenditure_id']}/review", headers=city,
                          json={"decision": "query", "comment": "which week?"})
    assert queried.json["status"] == "queried"
    answered = client.post(f"{items}/{item.json['expenditure_id']}/answer", headers=host,
                           json={"explanation": "the week of 10 June"})
    assert answered.json["status"] == "reported"
    assert client.get(items, headers=host).json["items"][0]["notes"][-1]["kind"] == "answer"

    ledger = client.get(f"/api/v1/grants/{grant_id}/ledger", headers=bearer(app, "auditor")).json
    assert [(e["kind"], e["actor"], e["document"]) for e in ledger["items"]][:2] == [
        ("commitment", "hr-wang", "批复"), ("disbursement", "hr-wang", "BANK-9")]
    check = client.get("/api/v1/subsidy/ledger-check", headers=bearer(app, "auditor")).json
    assert check["ok"] and check["entries"] == 4


def test_roles_and_districts_at_the_gateway(app: Flask, client: FlaskClient) -> None:  # R13.1
    city = bearer(app, "city_hr")
    grant_id = _grant(app, client, city)
    assert client.get("/api/v1/grants").status_code == 401
    assert client.get("/api/v1/grants", headers=bearer(app, "enterprise",
                                                     organisation="e1")).status_code == 403
    other = client.get(f"/api/v1/grants/{grant_id}",
                       headers=bearer(app, "district_hr", district="371003"))
    assert (other.status_code, other.json["code"]) == (403, "forbidden.district")
    own = client.get(f"/api/v1/grants/{grant_id}",
                     headers=bearer(app, "district_hr", district="371002"))
    assert own.status_code == 200
    auditor_write = client.post("/api/v1/funds/budgets", headers=bearer(app, "auditor"), json={
        "fiscal_year": 2026, "budget": "1.00", "document": "d"})
    assert auditor_write.status_code == 403
    district_on_city_fund = client.post(
        "/api/v1/funds/budgets", headers=bearer(app, "district_hr", district="371002"),
        json={"fiscal_year": 2026, "budget": "1.00", "document": "d"})
    assert district_on_city_fund.status_code == 403
    bad = client.post("/api/v1/funds/budgets", headers=city, json={
        "fiscal_year": 2026, "budget": 100.5, "document": "d", "extra": 1})
    assert bad.status_code == 422
    assert {"budget", "extra"} <= set(bad.json["details"]["fields"])


def test_usage_exports(app: Flask, client: FlaskClient) -> None:  # R13.1
    city = bearer(app, "city_hr")
    grant_id = _grant(app, client, city)
    client.post("/api/v1/funds/budgets", headers=city, json={
        "fiscal_year": 2026, "budget": "500000.00", "document": "d"})
    client.post(f"/api/v1/grants/{grant_id}/approve", headers=city, json={"document": "d"})
    auditor = bearer(app, "auditor")

    by_station = client.get("/api/v1/subsidy/usage?by=station", headers=auditor).json
    assert by_station["rows"][0]["granted"] == "100000.00"
    sheet = client.get("/api/v1/subsidy/usage.csv?by=fund", headers=auditor)
    assert sheet.status_code == 200 and sheet.data.startswith("\ufeff".encode())
    header, row = list(csv.reader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert header[3] == "预算 Budget" and row[3] == "500000.00" and row[5] == "100000.00"
    book = client.get("/api/v1/subsidy/usage.xlsx?by=station", headers=auditor)
    assert "attachment" in book.headers["Content-Disposition"]
    cells = list(load_workbook(io.BytesIO(book.data)).active.values)
    assert cells[2][0] == "st-1" and Decimal(str(cells[2][5])) == Decimal("100000")
    slow = client.get("/api/v1/subsidy/slow-spending.csv?after_days=1", headers=auditor)
    assert slow.status_code == 200
    wrong = client.get("/api/v1/subsidy/usage?by=planet", headers=auditor)
    assert wrong.status_code == 422
