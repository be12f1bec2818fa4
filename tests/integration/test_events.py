"""The outbox → relay → broker → idempotent handler pipeline, on the real RabbitMQ."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import eventlet
import pytest
from kombu import Connection, Exchange
from nameko.standalone.rpc import ServiceRpcProxy

from servicekit.deadletter import list_dead_letters, replay
from tests.integration import kit_services
from tests.integration.helpers import received, wait_for

pytestmark = pytest.mark.integration


def _emit(config: dict, things: list[str]) -> list[str]:
    with ServiceRpcProxy("kitproducer", config) as producer:
        return producer.emit(things)


def _publish_raw(config: dict, body: bytes | dict, content_type: str = "application/json") -> None:
    """Publish straight onto the producer's events exchange, as a foreign or broken sender."""
    exchange = Exchange("kitproducer.events", type="topic", durable=True)
    with Connection(config["AMQP_URI"]) as conn:
        producer = conn.Producer()
        if isinstance(body, dict):
            producer.publish(body, exchange=exchange, routing_key="thing_happened",
                             serializer="json", declare=[exchange])
        else:
            producer.publish(body, exchange=exchange, routing_key="thing_happened",
                             content_type=content_type, content_encoding="utf-8",
                             declare=[exchange])


def test_committed_events_reach_the_consumer_once_with_their_envelope(
    runner_factory, service_config, database_url_template
):
    runner = runner_factory(service_config, kit_services.Producer, kit_services.Consumer)
    runner.start()
    ids = _emit(service_config, ["a", "b", "c"])
    rows = wait_for(lambda: len(received(database_url_template)) == 3 and
                    received(database_url_template))
    assert sorted(r["event_id"] for r in rows) == sorted(ids)
    assert sorted(r["thing_id"] for r in rows) == ["a", "b", "c"]


def test_event_published_while_consumer_is_down_is_handled_when_it_returns(
    container_factory, service_config, database_url_template
):
    consumer = container_factory(kit_services.Consumer, service_config)
    consumer.start()  # declares its durable queue
    consumer.stop()
    producer = container_factory(kit_services.Producer, service_config)
    producer.start()
    _emit(service_config, ["while-down-1", "while-down-2"])
    wait_for(lambda: _queue_depth(service_config, _handler_queue()) == 2)
    assert received(database_url_template) == []

    consumer = container_factory(kit_services.Consumer, service_config)
    consumer.start()
    rows = wait_for(lambda: len(received(database_url_template)) == 2 and
                    received(database_url_template))
    assert {r["thing_id"] for r in rows} == {"while-down-1", "while-down-2"}


def test_redelivered_event_is_applied_once(
    container_factory, service_config, database_url_template
):
    consumer = container_factory(kit_services.Consumer, service_config)
    consumer.start()
    envelope = _valid_envelope("dup")
    for _ in range(3):
        _publish_raw(service_config, envelope)
    wait_for(lambda: received(database_url_template))
    _until_quiet(service_config)
    rows = received(database_url_template)
    assert [r["thing_id"] for r in rows] == ["dup"]
    assert rows[0]["event_id"] == envelope["id"]


def test_always_failing_handler_is_dead_lettered_after_the_retries_without_hot_loop(
    container_factory, service_config
):
    kit_services.FAILED_CALLS.clear()
    consumer = container_factory(kit_services.FailingConsumer, service_config)
    consumer.start()
    envelope = _valid_envelope("doomed")
    _publish_raw(service_config, envelope)

    letters = wait_for(lambda: list_dead_letters(service_config["AMQP_URI"], "kitconsumer"))
    # EVENT_RETRIES = 2 in the test config: the first try and two retries, then the DLQ.
    assert len(kit_services.FAILED_CALLS) == 3
    gaps = [b - a for a, b in zip(kit_services.FAILED_CALLS, kit_services.FAILED_CALLS[1:],
                                  strict=False)]
    # EVENT_RETRY_DELAY_MS = 100, doubling: waits of about 0.1 s and 0.2 s, not a hot loop.
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19
    [letter] = letters
    assert letter.handler == "kitconsumer.on_thing"
    assert "RuntimeError: downstream refused doomed" in letter.reason
    assert letter.attempts == 3
    assert json.loads(letter.body)["id"] == envelope["id"]
    # Listing leaves the queue as it was.
    assert len(list_dead_letters(service_config["AMQP_URI"], "kitconsumer")) == 1


def test_dead_letter_replay_reaches_the_repaired_handler(
    container_factory, service_config, database_url_template
):
    failing = container_factory(kit_services.FailingConsumer, service_config)
    failing.start()
    envelope = _valid_envelope("second-chance")
    _publish_raw(service_config, envelope)
    wait_for(lambda: list_dead_letters(service_config["AMQP_URI"], "kitconsumer"))
    failing.stop()

    repaired = container_factory(kit_services.Consumer, service_config)
    repaired.start()
    assert replay(service_config["AMQP_URI"], "kitconsumer") == 1
    rows = wait_for(lambda: received(database_url_template))
    assert [r["event_id"] for r in rows] == [envelope["id"]]
    assert list_dead_letters(service_config["AMQP_URI"], "kitconsumer") == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"not": "an envelope"}, "malformed event: invalid envelope"),
        (b"{this is not json", "undecodable body"),
    ],
)
def test_malformed_event_is_dead_lettered_with_reason_and_worker_keeps_going(
    container_factory, service_config, database_url_template, body, reason
):
    consumer = container_factory(kit_services.Consumer, service_config)
    consumer.start()
    _publish_raw(service_config, body)
    [letter] = wait_for(lambda: list_dead_letters(service_config["AMQP_URI"], "kitconsumer"))
    assert reason in letter.reason
    assert letter.attempts == 1

    good = _valid_envelope("after-the-bad-one")
    _publish_raw(service_config, good)
    rows = wait_for(lambda: received(database_url_template))
    assert [r["thing_id"] for r in rows] == ["after-the-bad-one"]


def test_payload_breaking_its_contract_is_dead_lettered(container_factory, service_config):
    consumer = container_factory(kit_services.Consumer, service_config)
    consumer.start()
    envelope = _valid_envelope("x")
    envelope["payload"] = {"thing_id": "x", "n": "not a number"}
    _publish_raw(service_config, envelope)
    [letter] = wait_for(lambda: list_dead_letters(service_config["AMQP_URI"], "kitconsumer"))
    assert "payload breaks its contract" in letter.reason


def _handler_queue() -> str:
    return "evt-kitproducer-thing_happened--kitconsumer.on_thing"


def _queue_depth(config: dict, queue: str) -> int:
    with Connection(config["AMQP_URI"]) as conn:
        _, count, _ = conn.default_channel.queue_declare(queue=queue, passive=True)
    return count


def _until_quiet(config: dict) -> None:
    """Wait until the handler queue is empty and nothing is unacknowledged."""
    wait_for(lambda: _queue_depth(config, _handler_queue()) == 0)
    eventlet.sleep(0.5)


def _valid_envelope(thing_id: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": "thing_happened",
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": {"service": "kitproducer", "tenant": "371000"},
        "correlation_id": "test",
        "payload": {"thing_id": thing_id, "n": 0},
    }

