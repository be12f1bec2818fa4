"""The federation of deploy/ on the real RabbitMQ: the definitions a topology renders, applied
to three fresh vhosts (the city, 环翠区, 文登区), move the events each way with no code of ours.

Each test publishes envelopes the way the outbox relay does and reads the handler queues that
the definitions declared (the services' own, so these are the queues they would consume).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from kombu import Connection

from deploy.rabbitmq import Management
from deploy.topology import Topology
from servicekit.envelope import make_envelope
from servicekit.tenants import CITY
from tests.scratch import MANAGEMENT, scratch_topology

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Management(MANAGEMENT).has_federation(),
                       reason="rabbitmq_federation is off: deploy/local/setup.sh rabbitmq"),
]

HUANCUI, WENDENG = "371002", "371003"
TENANTS = {CITY: ["applications", "evaluation", "subsidy", "matching"],
           HUANCUI: ["applications", "subsidy"], WENDENG: ["applications", "subsidy"]}


def handler_queue(source: str, event_type: str, service: str, method: str) -> str:
    return f"evt-{source}-{event_type}--{service}.{method}"


TAKE_OVER = handler_queue("applications", "application_forwarded", "applications",
                          "on_application_forwarded")
REGISTRY = handler_queue("applications", "station_approved", "applications",
                         "on_station_approved")
FUND = handler_queue("applications", "station_approved", "subsidy", "on_station_approved")
EVALUATION = handler_queue("applications", "station_approved", "evaluation",
                           "on_station_approved")
OUTCOME = handler_queue("evaluation", "evaluation_completed", "applications",
                        "on_evaluation_completed")


@pytest.fixture(scope="module")
def topology() -> Iterator[Topology]:
    with scratch_topology(TENANTS, "sqlite:////tmp/{prefix}/{tenant}/{service}.sqlite3") as t:
        _wait_for_links(t)
        yield t


def _wait_for_links(topology: Topology, timeout: float = 30.0) -> None:
    """Every link of every vhost running: 2 exchanges × 2 districts at the city, 3 at each."""
    expected = {CITY: 4, HUANCUI: 3, WENDENG: 3}
    deadline = time.monotonic() + timeout
    while True:
        running = {code: sum(link.get("status") == "running" for link in
                             Management(i.management_url).federation_links(i.vhost))
                   for code, i in topology.instances.items()}
        if running == expected:
            return
        assert time.monotonic() < deadline, f"federation links: {running}"
        time.sleep(0.3)


def publish(topology: Topology, tenant: str, service: str, event_type: str,
            payload: dict[str, Any], envelope_tenant: str | None = None) -> str:
    """An event as the outbox relay publishes it, on ``tenant``'s vhost."""
    envelope = make_envelope(service, envelope_tenant or tenant, event_type, payload, None)
    with Connection(topology.instances[tenant].amqp_uri) as conn:
        conn.Producer().publish(envelope, exchange=f"{service}.events", routing_key=event_type,
                                serializer="json", delivery_mode=2, message_id=envelope["id"])
    return envelope["id"]


def drain(topology: Topology, tenant: str, queue: str, expect: int = 0,
          timeout: float = 10.0) -> list[str]:
    """Event ids taken from ``queue``: waits for ``expect`` of them, then half a second more
    for any extra (a duplicate would show)."""
    ids: list[str] = []
    deadline = time.monotonic() + timeout
    settle: float | None = None
    with Connection(topology.instances[tenant].amqp_uri) as conn:
        channel = conn.channel()
        while True:
            message = channel.basic_get(queue, no_ack=True)
            if message is not None:
                ids.append(message.properties["message_id"])
                continue
            now = time.monotonic()
            if len(ids) >= expect:
                settle = settle or now + 0.5
                if now > settle:
                    return ids
            elif now > deadline:
                return ids
            time.sleep(0.05)


def _decided(application_id: str, district: str) -> dict[str, Any]:
    return {"application_id": application_id, "number": f"WHRCYZ-{district}-2026-0001",
            "district": district, "decided_by": "district", "comments": "推荐"}


def _approved(station_id: str, district: str) -> dict[str, Any]:
    return {"station_id": station_id, "application_id": f"app-{station_id}",
            "plaque_number": f"威人驿〔2026〕{station_id[-3:]}号", "name": "驿站",
            "station_type": "innovation", "host_unit_id": "unit-1", "host_unit_name": "单位",
            "district": district, "approved_on": "2026-10-13", "policy_version": "WH-TEST"}


def test_a_district_event_reaches_the_city_once_and_no_other_district(
        topology: Topology) -> None:
    queue = handler_queue("applications", "application_recommended", "applications", "x")
    for code in (CITY, HUANCUI, WENDENG):  # a consumer of recommendations in every vhost
        with Connection(topology.instances[code].amqp_uri) as conn:
            channel = conn.channel()
            channel.queue_declare(queue, durable=True, auto_delete=False)
            channel.queue_bind(queue, "applications.events", "application_recommended")
    time.sleep(1)  # the city's links carry the new binding to the districts' exchanges
    sent = publish(topology, HUANCUI, "applications", "application_recommended",
                   _decided("a-1", HUANCUI))
    assert drain(topology, CITY, queue, expect=1) == [sent]
    assert drain(topology, HUANCUI, queue, expect=1) == [sent]  # its own, not echoed back
    assert drain(topology, WENDENG, queue) == []  # one hop: not on to another district


def test_a_city_approval_reaches_every_district_and_is_not_echoed(topology: Topology) -> None:
    sent = publish(topology, CITY, "applications", "station_approved",
                   _approved("s-001", HUANCUI))
    assert drain(topology, HUANCUI, REGISTRY, expect=1) == [sent]
    assert drain(topology, HUANCUI, FUND, expect=1) == [sent]
    # 文登区's consumers get it too and skip it (the payload names 环翠区: servicekit.tenancy).
    assert drain(topology, WENDENG, REGISTRY, expect=1) == [sent]
    assert drain(topology, CITY, EVALUATION, expect=1) == [sent]  # once: no echo back
    assert drain(topology, CITY, REGISTRY, expect=1) == [sent]
    assert drain(topology, WENDENG, FUND, expect=1) == [sent]


def test_only_the_declared_exchanges_cross(topology: Topology) -> None:
    # Evaluation is the city's: a district vhost's evaluation.events is not federated up.
    publish(topology, HUANCUI, "evaluation", "evaluation_completed", {
        "cycle_id": "c", "station_id": "s", "score": "90.00", "grade": "excellent",
        "rectification_id": None, "evaluated_on": "2026-12-01"}, envelope_tenant=CITY)
    assert len(drain(topology, HUANCUI, OUTCOME, expect=1)) == 1
    assert drain(topology, CITY, OUTCOME) == []
    # The city's evaluation outcomes do go down to the districts.
    sent = publish(topology, CITY, "evaluation", "evaluation_completed", {
        "cycle_id": "c", "station_id": "s", "score": "90.00", "grade": "excellent",
        "rectification_id": None, "evaluated_on": "2026-12-01"})
    assert drain(topology, WENDENG, OUTCOME, expect=1) == [sent]
    assert drain(topology, HUANCUI, OUTCOME, expect=1) == [sent]
    assert drain(topology, CITY, OUTCOME, expect=1) == [sent]


def test_events_wait_while_the_link_is_down_and_arrive_once_when_it_returns(
        topology: Topology) -> None:
    management = Management(MANAGEMENT)
    user = topology.settings["federation_user"]
    management.delete_user(user)  # the brokers close its connections: every link is down
    deadline = time.monotonic() + 15
    while any(link.get("status") == "running" for link in management.federation_links(
            topology.city.vhost)):
        assert time.monotonic() < deadline, "the links did not go down"
        time.sleep(0.2)
    sent = [publish(topology, HUANCUI, "applications", "application_forwarded",
                    _forwarded(f"down-{i}")) for i in range(5)]
    time.sleep(2)
    assert drain(topology, CITY, TAKE_OVER) == []
    management.put_user(user, topology.settings["federation_password"])
    for instance in topology.instances.values():
        management.set_permissions(instance.vhost, user)
    # In the order sent, each once.
    assert drain(topology, CITY, TAKE_OVER, expect=5, timeout=30) == sent
    _wait_for_links(topology)


def test_a_queue_the_definitions_declared_keeps_events_before_its_service_first_starts(
        topology: Topology) -> None:
    # No service has ever run on these vhosts: the handler queues exist from the definitions.
    queues = {q["name"] for q in Management(MANAGEMENT).queues(topology.city.vhost)}
    assert {TAKE_OVER, EVALUATION, REGISTRY} <= queues
    sent = publish(topology, WENDENG, "applications", "application_forwarded",
                   _forwarded("early", WENDENG))
    assert drain(topology, CITY, TAKE_OVER, expect=1) == [sent]


def _forwarded(application_id: str, district: str = HUANCUI) -> dict[str, Any]:
    unit = {"id": "unit-1", "name": "单位", "credit_code": "91371002MA3C0E2E0X",
            "category": "key_enterprise", "district": district, "city_level": False,
            "contact_name": "王", "contact_phone": "0631", "address": "环翠区"}
    return {"application_id": application_id, "number": f"WHRCYZ-{district}-2026-0001",
            "district": district, "station_type": "innovation", "station_name": "驿站",
            "round": 1, "conditions": {}, "planned_functions": [], "cooperating_experts": [],
            "premises": {}, "committed_funding_fen": 0,
            "submitted_at": "2026-09-01T01:00:00+00:00", "host_unit": unit,
            "attachments": [], "history": []}
