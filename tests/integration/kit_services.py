"""Small real services that exercise the kit end to end: a producer that commits events
through the outbox and consumers that apply them through the idempotent handler."""

from __future__ import annotations

import time

from marshmallow import Schema, fields

from contracts import register
from servicekit.base import KitService, rpc
from servicekit.db import Database
from servicekit.envelope import Envelope
from servicekit.handlers import event_handler

# The test services use only the kit's tables (outbox, inbox, audit, dead letters). Every
# service's migrations bring the kit branch along; evaluation's are borrowed for it, and the
# evaluation tables they create as well go unused here.
KIT_ONLY_MIGRATIONS = "services.evaluation:migrations"


class ThingHappened(Schema):
    thing_id = fields.String(required=True)
    n = fields.Integer(required=True)


register("kitproducer", "thing_happened", 1, ThingHappened)


class Producer(KitService):
    name = "kitproducer"
    db = Database(KIT_ONLY_MIGRATIONS)

    @rpc
    def emit(self, thing_ids: list[str]) -> list[str]:
        """Commit one event per thing, all in one transaction; returns the event ids."""
        with self.db as uow:
            ids = [
                uow.add_event("thing_happened", {"thing_id": t, "n": n}, aggregate_id="things")
                for n, t in enumerate(thing_ids)
            ]
            uow.commit()
        return ids


class Consumer(KitService):
    name = "kitconsumer"
    db = Database(KIT_ONLY_MIGRATIONS)

    @event_handler("kitproducer", "thing_happened")
    def on_thing(self, event: Envelope) -> None:
        with self.db as uow:
            uow.audit(
                "thing.received",
                "thing",
                event.payload["thing_id"],
                None,
                {"n": event.payload["n"], "event_id": event.id},
            )
            uow.commit()


FAILED_CALLS: list[float] = []


class FailingConsumer(KitService):
    name = "kitconsumer"
    db = Database(KIT_ONLY_MIGRATIONS)

    @event_handler("kitproducer", "thing_happened")
    def on_thing(self, event: Envelope) -> None:
        FAILED_CALLS.append(time.monotonic())
        raise RuntimeError(f"downstream refused {event.payload['thing_id']}")


class SlowConsumer(KitService):
    """Applies the event only after a pause, so a test can kill it mid-work."""

    name = "kitconsumer"
    db = Database(KIT_ONLY_MIGRATIONS)

    @event_handler("kitproducer", "thing_happened")
    def on_thing(self, event: Envelope) -> None:
        with self.db as uow:
            time.sleep(2)
            uow.audit("thing.received", "thing", event.payload["thing_id"], None,
                      {"n": event.payload["n"], "event_id": event.id})
            uow.commit()
