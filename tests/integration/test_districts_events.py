"""A district's own instances and the city's, in containers on three federated vhosts
(tests/scratch.py): the hand-over of a recommended application, the district following the
city's decisions, and what a consumer does with an event its source may not send.

The databases are one per tenant and service: SQLite files, or PostgreSQL databases
(``<prefix>_<tenant>_<service>``) when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import eventlet
import pytest
from kombu import Connection
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from deploy.rabbitmq import Management
from deploy.topology import Topology
from servicekit.db import make_engine
from servicekit.deadletter import list_dead_letters
from servicekit.envelope import make_envelope
from servicekit.errors import Conflict, InvalidInput
from servicekit.tenants import CITY
from services.applications.service import ApplicationsService
from services.subsidy.service import SubsidyService
from tests.integration.applications_world import World, credit_code
from tests.integration.helpers import wait_for
from tests.scratch import MANAGEMENT, scratch_topology

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Management(MANAGEMENT).has_federation(),
                       reason="rabbitmq_federation is off: deploy/local/setup.sh rabbitmq"),
]

HUANCUI, WENDENG = "371002", "371003"


def database_template(tmp_path: Path) -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path}/db/{{tenant}}/{{service}}.sqlite3"
    return make_url(base).set(database="{prefix}_{tenant}_{service}").render_as_string(
        hide_password=False)


class Tenants:
    """Each tenant's config and its people (an applications World per tenant)."""

    def __init__(self, topology: Topology, tmp_path: Path) -> None:
        self.topology = topology
        self.clock_file = str(tmp_path / "clock")
        self.worlds: dict[str, World] = {}
        self.configs: dict[str, dict] = {}
        for code, instance in topology.instances.items():
            self.configs[code] = {
                "AMQP_URI": instance.amqp_uri, "TENANT": code,
                "DATABASE_URL": topology.database_url.replace("{tenant}", code),
                "VAR_DIR": str(tmp_path / "var"), "CLOCK_FILE": self.clock_file,
                "EVENT_RETRIES": 1, "EVENT_RETRY_DELAY_MS": 100, "OUTBOX_POLL_SECONDS": 0.2}
            self.worlds[code] = World(self.configs[code], self.clock_file)
        self.worlds[CITY].set_time("2026-09-01 09:00")

    def close(self) -> None:
        for world in self.worlds.values():
            world.close()

    def count(self, tenant: str, service: str, table: Any) -> int:
        engine = make_engine(self.topology.database(tenant, service))
        try:
            with engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        finally:
            engine.dispose()


@pytest.fixture
def tenants(tmp_path: Path, container_factory: Any) -> Iterator[Tenants]:
    layout = {CITY: ["applications", "evaluation", "subsidy", "matching"],
              HUANCUI: ["applications", "subsidy"], WENDENG: ["applications", "subsidy"]}
    with scratch_topology(layout, database_template(tmp_path)) as topology:
        world = Tenants(topology, tmp_path)
        containers = [container_factory(service, world.configs[code])
                      for code in (CITY, HUANCUI, WENDENG)
                      for service in (ApplicationsService, SubsidyService)]
        for container in containers:
            container.start()
        for code in (CITY, HUANCUI):  # R18.1: a version in force, at each instance that decides
            world.worlds[code].register_successor_policy()
        try:
            yield world
        finally:
            world.close()
            # Stopped together (each takes a second or two), before their vhosts go.
            list(eventlet.GreenPool().imap(lambda container: container.stop(), containers))


def _recommended(tenants: Tenants) -> tuple[dict, dict]:
    """A unit of 环翠区 applies at its district, which recommends it."""
    district = tenants.worlds[HUANCUI]
    unit = district.host_unit(district=HUANCUI, name="威海海洋装备有限公司")
    app = district.draft(unit)
    district.unit(unit["id"]).submit_application({"application_id": app["id"]})
    district.district(HUANCUI).recommend_application({"application_id": app["id"],
                                                      "comments": "材料齐全，同意推荐"})
    return unit, app


def _at_city(tenants: Tenants, application_id: str) -> dict:
    city = tenants.worlds[CITY].city

    def taken_over() -> dict | None:
        try:
            return city.get_application(application_id)
        except Exception:
            return None

    return wait_for(taken_over, timeout=20)


def test_a_recommended_application_is_taken_over_by_the_city_whole(tenants: Tenants) -> None:
    unit, app = _recommended(tenants)
    assert app["number"] == "WHRCYZ-371002-2026-0001"  # its district's own numbering
    taken = _at_city(tenants, app["id"])
    assert (taken["number"], taken["status"], taken["district"], taken["route"]) == (
        app["number"], "at_city", HUANCUI, "district")
    assert taken["conditions"] == app["conditions"]
    assert taken["committed_funding"] == "300000.00"
    assert [(h["action"], h["role"]) for h in taken["history"]] == [
        ("create", "host_unit"), ("submit_to_district", "host_unit"),
        ("recommend", "district_hr"), ("take_over", "system")]
    city = tenants.worlds[CITY].city
    assert city.get_host_unit(unit["id"])["credit_code"] == unit["credit_code"]
    # R13.1: at the city too, another district's staff may not read it.
    assert tenants.worlds[CITY].district(HUANCUI).get_application(app["id"])["id"] == app["id"]
    # Redelivered or not, the city holds it once; the district keeps its own copy, at_city.
    assert tenants.worlds[HUANCUI].city.get_application(app["id"])["status"] == "at_city"
    assert tenants.worlds[CITY].city.list_applications({})["total"] == 1


def test_the_city_decides_and_the_owning_district_follows(tenants: Tenants) -> None:  # R7.4
    unit, app = _recommended(tenants)
    _at_city(tenants, app["id"])
    city = tenants.worlds[CITY]
    experts = city.review_experts(3)
    city.city.form_panel({"application_id": app["id"], "expert_ids": experts})
    for expert in experts:
        city.reviewer(expert).record_review({
            "application_id": app["id"], "inspection_date": "2026-09-01",
            "findings": "场地设施齐全", "scores": dict.fromkeys(
                ("commitment", "environment", "experts", "management"), 22)})
    city.city.shortlist_applications({"application_ids": [app["id"]], "top": 1})
    city.set_time("2026-09-15 09:00")
    notice = city.city.publish_notice({"application_ids": [app["id"]]})
    city.set_time("2026-09-21 09:00")
    city.city.close_notice({"notice_id": notice["id"]})
    station = city.talent_office.approve_application({"application_id": app["id"],
                                                      "comments": "同意认定"})
    assert station["plaque_number"] == "威人驿〔2026〕001号"

    huancui = tenants.worlds[HUANCUI].district(HUANCUI)
    registry = wait_for(lambda: huancui.list_stations({})["items"], timeout=20)
    assert [(s["id"], s["plaque_number"], s["status"], s["host_unit_id"]) for s in registry] == [
        (station["id"], station["plaque_number"], "active", unit["id"])]
    copy = huancui.get_application(app["id"])
    assert copy["status"] == "approved"
    assert copy["history"][-1]["action"] == "city_approved"
    # 文登区 hears the approval and skips it: not its station, nothing dead-lettered.
    wendeng = tenants.worlds[WENDENG].district(WENDENG)
    time.sleep(1)
    assert wendeng.list_stations({})["total"] == 0
    assert list_dead_letters(tenants.configs[WENDENG]["AMQP_URI"], "applications") == []
    # The district's own fund knows the station: it may support it (Art 14).
    with ServiceRpcProxy("subsidy", tenants.configs[HUANCUI], context_data={
            "actor": "hr", "role": "district_hr", "district": HUANCUI}) as subsidy:
        subsidy.set_fund_budget({"district": HUANCUI, "fiscal_year": 2026,
                                 "budget": "500000.00", "document": "环财预〔2026〕1号"})
        grant = wait_for(lambda: _propose(subsidy, station["id"]), timeout=20)
    assert (grant["station_id"], grant["status"], grant["district"]) == (
        station["id"], "proposed", HUANCUI)

    # R17.1: the city's evaluation requires a rectification; the city's registry changes and
    # the district's copy follows it.
    _publish(tenants.configs[CITY]["AMQP_URI"], make_envelope("evaluation", CITY,
             "rectification_required", {
                 "rectification_id": "r-1", "cycle_id": "c-1", "station_id": station["id"],
                 "findings": "年度活动不足", "deadline": "2027-03-31"}, None), "evaluation")
    followed = wait_for(lambda: (s := huancui.get_station(station["id"]))["status"]
                        == "rectifying" and s, timeout=20)
    assert [h["to_status"] for h in followed["history"]] == ["active", "rectifying"]
    assert tenants.worlds[CITY].city.get_station(station["id"])["status"] == "rectifying"


def _propose(subsidy: Any, station_id: str) -> dict | None:
    try:
        return subsidy.propose_grant({"station_id": station_id, "amount": "20000.00",
                                      "purpose": "venue_subsidy"})
    except Exception:
        return None


def test_a_city_rejection_reaches_the_districts_copy(tenants: Tenants) -> None:
    _, app = _recommended(tenants)
    _at_city(tenants, app["id"])
    tenants.worlds[CITY].city.reject_application({"application_id": app["id"],
                                                  "comments": "不符合条件"})
    huancui = tenants.worlds[HUANCUI].district(HUANCUI)
    copy = wait_for(lambda: (a := huancui.get_application(app["id"]))["status"] == "rejected"
                    and a, timeout=20)
    assert copy["history"][-1]["comments"] == "rejected at the city: 不符合条件"
    with pytest.raises(Conflict):  # final at the district too: it cannot be recommended again
        huancui.recommend_application({"application_id": app["id"], "comments": "再推荐"})


def test_a_unit_that_applies_straight_to_the_city_is_sent_there(tenants: Tenants) -> None:
    district = tenants.worlds[HUANCUI]  # R7.1
    university = district.host_unit(category="university", district=HUANCUI, name="某大学")
    assert university["route"] == "city"
    with pytest.raises(InvalidInput) as refused:
        district.draft(university)
    assert (refused.value.code, refused.value.details["rule"]) == ("application.apply_at_city",
                                                                   "R7.1")
    assert district.city.list_applications({})["total"] == 0


def _publish(amqp_uri: str, envelope: dict, service: str) -> None:
    with Connection(amqp_uri) as conn:
        conn.Producer().publish(envelope, exchange=f"{service}.events",
                                routing_key=envelope["type"], serializer="json",
                                delivery_mode=2, message_id=envelope["id"])


def test_a_district_cannot_approve_a_station_or_speak_for_another(
        tenants: Tenants) -> None:  # R7.4
    district_uri = tenants.configs[HUANCUI]["AMQP_URI"]
    # The producer side: a district instance may not even write it to its outbox.
    with pytest.raises(ValueError, match="published by the city only"):
        make_envelope("applications", HUANCUI, "station_approved", {}, None)
    # A forged one (built as the city would, then its source changed) from the district's vhost.
    forged = make_envelope("applications", CITY, "station_approved", {
        "station_id": "forged-1", "application_id": "x", "plaque_number": "威人驿〔2026〕999号",
        "name": "伪造驿站", "station_type": "innovation", "host_unit_id": "u",
        "host_unit_name": "u", "district": HUANCUI, "approved_on": "2026-09-01",
        "policy_version": "WH-2024-TEST"}, None)
    forged["source"]["tenant"] = HUANCUI
    _publish(district_uri, forged, "applications")
    # A district handing over an application of another district.
    handover = make_envelope("applications", HUANCUI, "application_forwarded", {
        **_forwarded_payload(), "district": WENDENG}, None)
    _publish(district_uri, handover, "applications")

    city_uri = tenants.configs[CITY]["AMQP_URI"]
    letters = wait_for(lambda: len(found := list_dead_letters(city_uri, "subsidy")) >= 1
                       and found, timeout=20)
    assert [(d.message_id, d.attempts) for d in letters] == [(forged["id"], 1)]  # at once
    assert letters[0].reason == ("forbidden source: district 371002 may not publish "
                                 "applications.station_approved; only the city does")
    refused = wait_for(lambda: [d for d in list_dead_letters(city_uri, "applications")
                                if d.message_id == handover["id"]], timeout=20)
    assert refused[0].reason == ("forbidden source: district 371002 published an event "
                                 "about district 371003")
    # Nothing changed at the city: no station for the fund, no application taken over.
    from services.subsidy.models import Station
    assert tenants.count(CITY, "subsidy", Station) == 0
    assert tenants.worlds[CITY].city.list_applications({})["total"] == 0


def _forwarded_payload() -> dict:
    unit = {"id": "unit-x", "name": "单位", "credit_code": credit_code(WENDENG),
            "category": "key_enterprise", "district": WENDENG, "city_level": False,
            "contact_name": "王", "contact_phone": "0631", "address": "文登区"}
    return {"application_id": "forwarded-x", "number": "WHRCYZ-371003-2026-0001",
            "district": WENDENG, "station_type": "innovation", "station_name": "驿站",
            "round": 1, "conditions": {}, "planned_functions": [], "cooperating_experts": [],
            "premises": {}, "committed_funding_fen": 0,
            "submitted_at": "2026-09-01T01:00:00+00:00", "host_unit": unit,
            "attachments": [], "history": []}
