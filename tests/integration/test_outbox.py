"""The transactional outbox on the real broker: order, crashes, broker restarts."""

from __future__ import annotations

import subprocess

import pytest
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from servicekit.db import UnitOfWork, make_engine
from servicekit.migrations import upgrade
from servicekit.tables import audit_log
from servicekit.tenants import CITY
from tests.integration import kit_services
from tests.integration.helpers import received, unpublished, wait_for

pytestmark = pytest.mark.integration


def _commit_without_relay(database_url_template: str, things: list[str]) -> list[str]:
    """Commit events as a producer that died before its relay ran would have left them."""
    engine = make_engine(database_url_template.format(service="kitproducer"))
    upgrade(engine, kit_services.KIT_ONLY_MIGRATIONS)
    with UnitOfWork(sessionmaker(engine), "kitproducer", CITY, {}) as uow:
        ids = [uow.add_event("thing_happened", {"thing_id": t, "n": n}, "things")
               for n, t in enumerate(things)]
        uow.commit()
    engine.dispose()
    return ids


def test_relay_publishes_in_commit_order(container_factory, service_config):
    exchange = Exchange("kitproducer.events", type="topic", durable=True)
    tap = Queue("order-tap", exchange=exchange, routing_key="thing_happened", durable=True)
    with Connection(service_config["AMQP_URI"]) as conn:
        tap.bind(conn.default_channel).declare()
    producer = container_factory(kit_services.Producer, service_config)
    producer.start()
    expected: list[str] = []
    with ServiceRpcProxy("kitproducer", service_config) as rpc:
        for batch in range(5):
            expected += rpc.emit([f"{batch}-{i}" for i in range(20)])

    seen: list[str] = []
    with Connection(service_config["AMQP_URI"]) as conn:
        queue = tap.bind(conn.default_channel)
        while len(seen) < len(expected):
            message = wait_for(lambda: queue.get(no_ack=True), timeout=10)
            seen.append(message.payload["id"])
    assert seen == expected


def test_events_committed_before_a_crash_are_published_when_the_service_restarts(
    container_factory, service_config, database_url_template
):
    consumer = container_factory(kit_services.Consumer, service_config)
    consumer.start()
    ids = _commit_without_relay(database_url_template, ["orphan-1", "orphan-2", "orphan-3"])
    assert unpublished(database_url_template) == 3

    producer = container_factory(kit_services.Producer, service_config)
    producer.start()
    rows = wait_for(lambda: len(received(database_url_template)) == 3 and
                    received(database_url_template))
    assert sorted(r["event_id"] for r in rows) == sorted(ids)
    assert unpublished(database_url_template) == 0


def test_consumer_killed_mid_work_loses_nothing_and_applies_once(
    container_factory, service_config, database_url_template
):
    slow = container_factory(kit_services.SlowConsumer, service_config)
    slow.start()
    producer = container_factory(kit_services.Producer, service_config)
    producer.start()
    with ServiceRpcProxy("kitproducer", service_config) as rpc:
        [event_id] = rpc.emit(["interrupted"])
    wait_for(lambda: slow._worker_threads, timeout=10)
    slow.kill()
    assert received(database_url_template) == []

    consumer = container_factory(kit_services.Consumer, service_config)
    consumer.start()
    rows = wait_for(lambda: received(database_url_template))
    assert [r["event_id"] for r in rows] == [event_id]


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def test_broker_restart_between_commit_and_relay_loses_nothing(
    container_factory, service_config, database_url_template
):
    consumer = container_factory(kit_services.Consumer, service_config)
    consumer.start()
    producer = container_factory(kit_services.Producer, service_config)
    producer.start()
    _rabbitmqctl("stop_app")
    try:
        ids = _commit_without_relay(database_url_template, ["during-outage-1", "during-outage-2"])
        wait_for(lambda: _attempted(database_url_template), timeout=10)
    finally:
        _rabbitmqctl("start_app")
        _rabbitmqctl("await_startup")
    rows = wait_for(lambda: len(received(database_url_template)) == 2 and
                    received(database_url_template), timeout=60)
    assert sorted(r["event_id"] for r in rows) == sorted(ids)
    assert unpublished(database_url_template) == 0


def _attempted(database_url_template: str) -> bool:
    """The relay tried while the broker was away and recorded why it failed."""
    from servicekit.tables import outbox

    engine = make_engine(database_url_template.format(service="kitproducer"))
    try:
        with engine.connect() as conn:
            row = conn.execute(select(outbox.c.attempts, outbox.c.last_error)
                               .order_by(outbox.c.position)).first()
    finally:
        engine.dispose()
    return bool(row and row.attempts >= 1 and row.last_error)


def test_correlation_id_travels_from_rpc_through_the_event_to_the_consumer(
    runner_factory, service_config, database_url_template
):
    runner = runner_factory(service_config, kit_services.Producer, kit_services.Consumer)
    runner.start()
    with ServiceRpcProxy("kitproducer", service_config,
                         context_data={"correlation_id": "req-42"}) as rpc:
        rpc.emit(["traced"])
    wait_for(lambda: received(database_url_template))
    engine = make_engine(database_url_template.format(service="kitconsumer"))
    with engine.connect() as conn:
        stamped = conn.execute(select(audit_log.c.correlation_id, audit_log.c.tenant)).one()
    engine.dispose()
    assert stamped.correlation_id == "req-42"
    assert stamped.tenant == CITY
