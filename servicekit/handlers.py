"""``event_handler``: nameko's event handler, made idempotent, bounded and dead-lettering.

- The body must be a valid envelope of a registered contract; the method receives an
  ``Envelope``. Anything else (not JSON, wrong shape, unknown type) is dead-lettered at once
  with the reason, and the worker carries on.
- The unit of work records (event id, handler) in the same transaction as the effect, so a
  redelivered event is acknowledged without a second effect.
- A handler that raises is retried after a delay that doubles each time (a per-message TTL on
  the handler's ``.retry`` queue, which dead-letters back to the handler's queue): no hot loop.
  After ``EVENT_RETRIES`` retries the message goes to the service's dead-letter queue, with
  the reason, for an operator to list and replay (``servicekit.deadletter``).
- The original is acknowledged only after its retry or dead-letter copy is confirmed by the
  broker; if that publish fails the original is requeued, never dropped.
- Events cross between the city's and the districts' brokers (federation): one its source
  tenant may not send is dead-lettered with the reason; a city event about another district
  is acknowledged with no effect on a district's instance (``servicekit.tenancy``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial
from typing import Any

from kombu import Queue
from nameko.amqp.publish import get_connection, get_producer
from nameko.containers import WorkerContext
from nameko.events import EventHandler as NamekoEventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer

from servicekit.config import tenant_of
from servicekit.db import AlreadyProcessed
from servicekit.envelope import MalformedEvent, parse_envelope
from servicekit.tenancy import ForbiddenSource, admit

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-kit-attempt"
DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY_MS = 1000
MAX_RETRY_DELAY_MS = 5 * 60 * 1000


def dead_letter_queue(service: str) -> Queue:
    return Queue(f"{service}.dead-letters", durable=True, auto_delete=False)


def retry_queue(handler_queue: str) -> Queue:
    """The waiting room of one handler queue: expired messages go back to that queue."""
    return Queue(
        f"{handler_queue}.retry",
        durable=True,
        auto_delete=False,
        queue_arguments={
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": handler_queue,
        },
    )


class _DecodeSafeQueueConsumer(QueueConsumer):
    """nameko's queue consumer, except that a body kombu cannot decode is handed to the
    handler to dead-letter instead of killing the consumer (and the service with it)."""

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = provider.handle_undecodable
        return consumers


class EventHandler(NamekoEventHandler):
    queue_consumer = _DecodeSafeQueueConsumer()

    def __init__(self, source_service: str, event_type: str, **kwargs: Any) -> None:
        self.retries_override = kwargs.pop("retries", None)
        super().__init__(source_service, event_type, **kwargs)

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        self.amqp_uri = config["AMQP_URI"]
        self.tenant = tenant_of(config)
        self.retries = (
            self.retries_override
            if self.retries_override is not None
            else int(config.get("EVENT_RETRIES", DEFAULT_RETRIES))
        )
        self.retry_delay_ms = int(config.get("EVENT_RETRY_DELAY_MS", DEFAULT_RETRY_DELAY_MS))
        self.handler_name = f"{self.container.service_name}.{self.method_name}"
        self.retry_queue = retry_queue(self.queue.name)
        self.dead_letters = dead_letter_queue(self.container.service_name)

    def start(self) -> None:
        # Declared before consuming so a first failure has somewhere to go.
        with get_connection(self.amqp_uri) as connection:
            channel = connection.channel()
            for queue in (self.queue, self.retry_queue, self.dead_letters):
                queue.bind(channel).declare()
        super().start()

    def inbox_key(self, worker_ctx: WorkerContext) -> tuple[str, str]:
        """(event id, handler) that the unit of work records with the effect."""
        return (worker_ctx.args[0].id, self.handler_name)

    def handle_message(self, body: Any, message: Any) -> None:
        try:
            envelope = parse_envelope(body, self.source_service, self.event_type)
        except MalformedEvent as exc:
            self._settle(message, self._dead_letter, message, f"malformed event: {exc}")
            return
        try:
            ours = admit(envelope.tenant, self.source_service, self.event_type,
                         envelope.payload, self.tenant)
        except ForbiddenSource as exc:
            self._settle(message, self._dead_letter, message, f"forbidden source: {exc}")
            return
        if not ours:
            log.debug("%s: event %s concerns another district; skipped",
                      self.handler_name, envelope.id)
            self.queue_consumer.ack_message(message)
            return
        context_data = self.unpack_message_headers(message)
        try:
            self.container.spawn_worker(
                self,
                (envelope,),
                {},
                context_data=context_data,
                handle_result=partial(self.handle_result, message),
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_undecodable(self, message: Any, exc: Exception) -> None:
        self._settle(message, self._dead_letter, message, f"undecodable body: {exc}")

    def handle_result(
        self, message: Any, worker_ctx: WorkerContext, result: Any = None, exc_info: Any = None
    ) -> tuple[Any, Any]:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return result, None
        if isinstance(exc_info[1], AlreadyProcessed):
            log.info("redelivered event skipped: %s", exc_info[1])
            self.queue_consumer.ack_message(message)
            return None, None
        reason = f"{exc_info[0].__name__}: {exc_info[1]}"
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0))
        if attempt < self.retries:
            self._settle(message, self._retry_later, message, attempt + 1, reason)
        else:
            self._settle(message, self._dead_letter, message, reason)
        return result, exc_info

    def _settle(self, message: Any, publish: Any, *args: Any) -> None:
        """Ack the original only once its copy is safely published; otherwise requeue it."""
        try:
            publish(*args)
        except Exception:
            log.exception("could not park message %s; requeued", message.delivery_tag)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _retry_later(self, message: Any, attempt: int, reason: str) -> None:
        delay = min(self.retry_delay_ms * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS)
        log.warning(
            "%s failed (%s); retry %d of %d in %d ms",
            self.handler_name, reason, attempt, self.retries, delay,
        )
        headers = dict(message.headers or {})
        headers[ATTEMPT_HEADER] = attempt
        headers["x-kit-last-error"] = reason[:1000]
        self._republish(message, self.retry_queue.name, headers, expiration=delay / 1000)

    def _dead_letter(self, message: Any, reason: str) -> None:
        log.error("%s: dead-lettered: %s", self.handler_name, reason)
        headers = dict(message.headers or {})
        headers.update(
            {
                "x-kit-original-queue": self.queue.name,
                "x-kit-handler": self.handler_name,
                "x-kit-reason": reason[:2000],
                "x-kit-attempts": int(headers.get(ATTEMPT_HEADER, 0)) + 1,
                "x-kit-failed-at": datetime.now(UTC).isoformat(),
            }
        )
        self._republish(message, self.dead_letters.name, headers)

    def _republish(
        self, message: Any, queue_name: str, headers: dict, expiration: float | None = None
    ) -> None:
        with get_producer(self.amqp_uri, confirms=True) as producer:
            producer.publish(
                message.body,
                exchange="",
                routing_key=queue_name,
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=2,
                expiration=expiration,
                message_id=message.properties.get("message_id"),
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0},
            )


event_handler = EventHandler.decorator
