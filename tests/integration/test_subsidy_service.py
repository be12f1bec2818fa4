"""The subsidy service in its container, on the real RabbitMQ and database: the events it
consumes (published as their producers would), its RPCs, and the events it emits."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

import pytest
from kombu import Connection, Exchange
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from servicekit.clock import SHANGHAI, set_clock_file
from servicekit.db import make_engine
from servicekit.envelope import make_envelope
from servicekit.errors import Conflict, Forbidden, InvalidInput
from servicekit.tables import outbox, processed_events
from servicekit.tenants import CITY
from services.subsidy.models import Grant, LedgerEntry
from services.subsidy.service import SubsidyService
from tests.integration.helpers import wait_for

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
CITY_HR = {"actor": "hr-wang", "role": "city_hr"}
HOST = {"actor": "host-chen", "role": "host_unit", "organisation": "unit-1"}


def publish(config: dict, source: str, event_type: str, payload: dict,
            envelope: dict | None = None) -> dict:
    """Publish an event as its producer's outbox relay would (or ``envelope`` again)."""
    envelope = envelope or make_envelope(source, CITY, event_type, payload, str(uuid.uuid4()))
    exchange = Exchange(f"{source}.events", type="topic", durable=True)
    with Connection(config["AMQP_URI"]) as conn:
        conn.Producer().publish(envelope, exchange=exchange, routing_key=event_type,
                                serializer="json", declare=[exchange],
                                headers={"nameko.correlation_id": envelope["correlation_id"]})
    return envelope


def station_approved(config: dict, station_id: str = "st-1", unit: str = "unit-1") -> None:
    publish(config, "applications", "station_approved", {
        "station_id": station_id, "application_id": f"app-{station_id}",
        "plaque_number": f"WH-{station_id}", "name": f"Station {station_id}",
        "station_type": "innovation", "host_unit_id": unit, "host_unit_name": "Host",
        "district": "371002", "approved_on": "2026-01-10", "policy_version": "2020"})


def selection(selection_id: str, fen: int = 10_000_000, provincial: bool = False,
              station_id: str = "st-1") -> dict:
    return {"selection_id": selection_id, "cycle_id": "cy-2026", "station_id": station_id,
            "district": "371002", "proposed_subsidy_fen": fen, "provincial": provincial,
            "confirmed_on": "2026-06-01"}


@pytest.fixture
def config(service_config: dict, tmp_path: Any) -> dict:
    clock_file = tmp_path / "clock"
    set_clock_file(clock_file, datetime(2026, 6, 15, 10, tzinfo=SHANGHAI))
    return {**service_config, "CLOCK_FILE": str(clock_file)}


@pytest.fixture
def subsidy(container_factory: Any, config: dict) -> dict:
    container_factory(SubsidyService, config).start()
    return config


def rpc(config: dict, principal: dict) -> ServiceRpcProxy:
    return ServiceRpcProxy("subsidy", config, context_data=principal)


def db(config: dict) -> Any:
    return make_engine(config["DATABASE_URL"].format(service="subsidy"))


def count(config: dict, query: Any) -> int:
    engine = db(config)
    try:
        with engine.connect() as conn:
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def grants(config: dict) -> list[dict]:
    with rpc(config, CITY_HR) as city:
        return city.list_grants({})["items"]


def test_selection_event_makes_one_grant_however_often_it_arrives(subsidy):  # R9.1, R9.2
    envelope = publish(subsidy, "evaluation", "demonstration_selected",
                       selection("sel-1", provincial=True))
    publish(subsidy, "evaluation", "demonstration_selected", {}, envelope=envelope)
    # The producer sends the same selection again, as a new event.
    publish(subsidy, "evaluation", "demonstration_selected", selection("sel-1", provincial=True))
    wait_for(lambda: count(subsidy, select(func.count()).select_from(processed_events)) == 2)
    kinds = sorted((g["kind"], g["status"], g["proposed_amount"]) for g in grants(subsidy))
    assert kinds == [("construction", "proposed", "100000.00"),
                     ("provincial_reward", "proposed", None)]
    assert count(subsidy, select(func.count()).select_from(Grant)) == 2


def test_a_grant_from_selection_to_clawback_over_rpc(subsidy):  # R9.1, R9.3, R13.1
    station_approved(subsidy)
    publish(subsidy, "evaluation", "demonstration_selected", selection("sel-2"))
    [grant] = wait_for(lambda: grants(subsidy))
    with rpc(subsidy, CITY_HR) as city, rpc(subsidy, HOST) as host:
        fund = city.set_fund_budget({"fiscal_year": 2026, "budget": "500000.00",
                                     "document": "威财预〔2026〕12号"})
        approved = city.approve_grant({"grant_id": grant["grant_id"], "document": "批复-1"})
        assert approved["status"] == "approved"
        request = {"grant_id": grant["grant_id"], "amount": "60000.00",
                   "payment_reference": "BANK-0001", "idempotency_key": "disburse-0001"}
        paid = city.disburse_grant(request)
        assert city.disburse_grant(request) == paid  # a retry pays once
        item = host.record_expenditure({
            "grant_id": grant["grant_id"], "category": "academic_discussion",
            "amount": "20000.00", "spent_on": "2026-06-12", "description": "forum",
            "attachments": [{"filename": "invoice.png", "content_type": "image/png",
                             "content_base64": base64.b64encode(PNG).decode()}]})
        with pytest.raises(InvalidInput) as refused:
            host.record_expenditure({**_spend(grant["grant_id"]), "category": "gifts"})
        assert refused.value.code == "expenditure.category_not_allowed"
        assert refused.value.details["rule"] == "R9.3"
        evidence = city.get_attachment({"expenditure_id": item["expenditure_id"],
                                        "sha256": item["attachments"][0]["sha256"]})
        assert base64.b64decode(evidence["content_base64"]) == PNG
        city.review_expenditure({"expenditure_id": item["expenditure_id"],
                                 "decision": "disallow", "comment": "no agenda attached"})

    publish(subsidy, "applications", "station_revoked", {
        "station_id": "st-1", "plaque_number": "WH-st-1", "district": "371002",
        "reason": "rectification failed", "revoked_on": "2026-06-15"})
    wait_for(lambda: grants(subsidy)[0]["status"] == "closed")
    with rpc(subsidy, {"actor": "audit-li", "role": "auditor"}) as auditor:
        closed = auditor.get_grant({"grant_id": grant["grant_id"]})
        assert closed["balances"]["receivable"] == "60000.00"
        assert auditor.get_fund({"fund_id": fund["fund_id"]})["available"] == "440000.00"
        assert auditor.check_ledger()["ok"]

    published = wait_for(lambda: _published(subsidy) if len(_published(subsidy)) == 4 else None)
    assert [e["type"] for e in published] == ["grant_approved", "grant_disbursed",
                                             "expenditure_rejected", "clawback_raised"]
    assert published[1]["payload"]["payment_reference"] == "BANK-0001"
    assert published[3]["payload"]["amount_fen"] == 6_000_000


def _spend(grant_id: str) -> dict:
    return {"grant_id": grant_id, "category": "infrastructure", "amount": "1.00",
            "spent_on": "2026-06-12", "description": "chairs",
            "attachments": [{"filename": "a.png", "content_type": "image/png",
                             "content_base64": base64.b64encode(PNG).decode()}]}


def _published(config: dict) -> list[dict]:
    engine = db(config)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(outbox.c.envelope)
                                .where(outbox.c.published_at.is_not(None))
                                .order_by(outbox.c.position)).scalars().all()
    finally:
        engine.dispose()
    return list(rows)


def test_bad_input_over_rpc_is_refused_with_reasons_and_changes_nothing(subsidy):
    publish(subsidy, "evaluation", "demonstration_selected", selection("sel-3"))
    [grant] = wait_for(lambda: grants(subsidy))
    with rpc(subsidy, CITY_HR) as city:
        with pytest.raises(InvalidInput) as unknown:
            city.set_fund_budget({"fiscal_year": 2026, "budget": "1.00", "document": "d",
                                  "overwrite": True})
        assert "overwrite" in unknown.value.details["fields"]
        with pytest.raises(InvalidInput) as decimals:
            city.set_fund_budget({"fiscal_year": 2026, "budget": "1.001", "document": "d"})
        assert "budget" in decimals.value.details["fields"]
        city.set_fund_budget({"fiscal_year": 2026, "budget": "300000.00", "document": "d"})
        for amount in ("49999.99", "200000.01"):  # R9.4: the jointly confirmed amount stays
            with pytest.raises(Conflict) as changed:
                city.approve_grant({"grant_id": grant["grant_id"], "amount": amount,
                                    "document": "d"})
            assert changed.value.code == "grant.amount_jointly_confirmed"
        city.approve_grant({"grant_id": grant["grant_id"], "document": "d"})
        with pytest.raises(Conflict):  # approving twice
            city.approve_grant({"grant_id": grant["grant_id"], "document": "d"})
        with pytest.raises(InvalidInput) as no_key:
            city.disburse_grant({"grant_id": grant["grant_id"], "amount": "1.00",
                                 "payment_reference": "B-1"})
        assert "idempotency_key" in no_key.value.details["fields"]
    other_district = {"actor": "wd", "role": "district_hr", "district": "371003"}
    with rpc(subsidy, other_district) as other, pytest.raises(Forbidden):  # R13.1
        other.get_grant({"grant_id": grant["grant_id"]})
    # The budget and the one approval: nothing else reached the ledger.
    assert count(subsidy, select(func.count()).select_from(LedgerEntry)) == 2
