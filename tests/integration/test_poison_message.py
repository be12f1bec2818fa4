"""A poison message (a handler that raises on one particular event) is retried, then
dead-lettered, while the events behind it keep flowing; once the handler is fixed,
``servicekit.deadletter replay`` applies it exactly once (issue #16, item 3)."""

from __future__ import annotations

import time

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from servicekit.base import KitService
from servicekit.db import Database
from servicekit.deadletter import list_dead_letters, replay
from servicekit.envelope import Envelope
from servicekit.handlers import event_handler
from tests.integration import kit_services
from tests.integration.helpers import received, wait_for

pytestmark = pytest.mark.integration

RETRY_DELAY_MS = 2000  # long, so "the others did not wait for the retries" is unambiguous
POISON = "poison"
BEHIND = [f"behind-{i}" for i in range(20)]
ATTEMPTS: list[float] = []
APPLIED_AT: dict[str, float] = {}
FIXED = {"yes": False}


class PickyConsumer(KitService):
    """Refuses the poison event until the fix is in; applies every other event."""

    name = "kitconsumer"
    db = Database(kit_services.KIT_ONLY_MIGRATIONS)

    @event_handler("kitproducer", "thing_happened")
    def on_thing(self, event: Envelope) -> None:
        thing = event.payload["thing_id"]
        if thing == POISON:
            ATTEMPTS.append(time.monotonic())
            if not FIXED["yes"]:
                raise RuntimeError("cannot apply the poison event")
        with self.db as uow:
            uow.audit("thing.received", "thing", thing, None,
                      {"n": event.payload["n"], "event_id": event.id})
            uow.commit()
        APPLIED_AT[thing] = time.monotonic()


def test_poison_is_dead_lettered_while_the_others_flow_and_replayed_once(
    container_factory, service_config, database_url_template
):
    ATTEMPTS.clear()
    APPLIED_AT.clear()
    FIXED["yes"] = False
    config = {**service_config, "EVENT_RETRY_DELAY_MS": RETRY_DELAY_MS}
    container_factory(PickyConsumer, config).start()
    container_factory(kit_services.Producer, config).start()
    with ServiceRpcProxy("kitproducer", config) as producer:
        [poison_id, *_] = producer.emit([POISON, *BEHIND])  # the poison first, in one commit

    wait_for(lambda: all(t in APPLIED_AT for t in BEHIND), timeout=30)
    # The events behind the poison did not wait for its retries: all applied before the
    # first retry (the stall is at most the retry delays, here none at all).
    assert max(APPLIED_AT[t] for t in BEHIND) < ATTEMPTS[0] + RETRY_DELAY_MS / 1000

    # EVENT_RETRIES = 2 in the test config: the first try and two retries, then the DLQ.
    [letter] = wait_for(lambda: list_dead_letters(config["AMQP_URI"], "kitconsumer"),
                        timeout=30)
    assert len(ATTEMPTS) == 3 and letter.attempts == 3
    assert "cannot apply the poison event" in letter.reason
    assert POISON not in APPLIED_AT

    FIXED["yes"] = True
    assert replay(config["AMQP_URI"], "kitconsumer") == 1
    wait_for(lambda: POISON in APPLIED_AT, timeout=30)
    assert replay(config["AMQP_URI"], "kitconsumer") == 0  # nothing left to apply twice
    time.sleep(0.5)
    rows = received(database_url_template)
    assert [r["event_id"] for r in rows if r["thing_id"] == POISON] == [poison_id]
    assert sorted(r["thing_id"] for r in rows) == sorted([POISON, *BEHIND])
