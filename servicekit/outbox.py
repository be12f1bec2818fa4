"""The outbox relay: publishes committed outbox rows to the service's events exchange.

Rows are published in outbox order with publisher confirms and marked published afterwards,
so a crash between the two publishes a row twice (consumers are idempotent) and never loses
one. A row that fails stops the batch, so nothing of the same aggregate overtakes it; the relay
backs off and retries while the broker is away. Units of work wake the relay on commit; a slow
poll catches anything else (rows left by a crash, rows written by another process).

No write transaction is held while publishing: under eventlet a SQLite writer that yields
would stall every other greenthread's write.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

import eventlet
from kombu import Connection, Exchange, Producer
from nameko.constants import PERSISTENT
from nameko.standalone.events import get_event_exchange
from sqlalchemy import Engine, func, select, text, update

from servicekit.tables import outbox

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0
CONFIRM_TIMEOUT_SECONDS = 10.0


class PublishRefused(Exception):
    """The broker nacked an event; it stays in the outbox for the next attempt."""


class _ConfirmChannel:
    """One connection and channel in confirm mode, kept between batches.

    A batch is published without waiting message by message; the broker's confirms (acks,
    possibly several at once) are then awaited together. On one channel the broker keeps the
    order, so the confirmed events are a prefix of the batch: only they are marked published.
    """

    def __init__(self, amqp_uri: str, exchange: Exchange) -> None:
        self.connection = Connection(amqp_uri, connect_timeout=5)
        self.connection.ensure_connection(max_retries=1)
        self.channel = self.connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._acked)
        self.channel.events["basic_nack"].add(self._nacked)
        self.producer = Producer(self.channel, exchange=exchange, serializer="json")
        exchange.maybe_bind(self.channel)
        exchange.declare()
        self.exchange = exchange
        self._sent = 0  # delivery tags of this channel run 1, 2, 3, …
        self._acked_tags: set[int] = set()
        self._nacked_tags: set[int] = set()

    def _acked(self, tag: int, multiple: bool) -> None:
        self._settle(self._acked_tags, tag, multiple)

    def _nacked(self, tag: int, multiple: bool) -> None:
        self._settle(self._nacked_tags, tag, multiple)

    def _settle(self, into: set[int], tag: int, multiple: bool) -> None:
        settled = self._acked_tags | self._nacked_tags
        into.update(t for t in (range(1, tag + 1) if multiple else (tag,)) if t not in settled)

    def publish_in_order(self, events: list[tuple[dict[str, Any], str]]) -> list[int]:
        """Publish every event, await the confirms; returns the tags of the confirmed prefix."""
        first = self._sent + 1
        for envelope, event_type in events:
            self.producer.publish(
                envelope,
                routing_key=event_type,
                delivery_mode=PERSISTENT,
                headers={"nameko.correlation_id": envelope.get("correlation_id")},
                message_id=envelope["id"],
            )
            self._sent += 1
        tags = range(first, self._sent + 1)
        deadline = time.monotonic() + CONFIRM_TIMEOUT_SECONDS
        while any(t not in self._acked_tags and t not in self._nacked_tags for t in tags):
            self.connection.drain_events(timeout=max(deadline - time.monotonic(), 0.01))
        confirmed = []
        for tag in tags:
            if tag not in self._acked_tags:
                break
            confirmed.append(tag)
        self._acked_tags.difference_update(tags)
        self._nacked_tags.difference_update(tags)
        return confirmed

    def close(self) -> None:
        try:
            self.connection.release()
        except Exception as exc:  # a broken connection may fail to close; it is dropped anyway
            log.debug("closing the relay's connection failed: %r", exc)


class OutboxRelay:
    def __init__(self, engine: Engine, config: dict[str, Any], service: str) -> None:
        self.engine = engine
        self.amqp_uri = config["AMQP_URI"]
        self.exchange = get_event_exchange(service, config)
        self.batch_size = int(config.get("OUTBOX_BATCH_SIZE", 100))
        self.poll_seconds = float(config.get("OUTBOX_POLL_SECONDS", 1.0))
        # A Postgres advisory lock keeps a second relay of the same database from interleaving.
        self._lock_key = hash(f"outbox:{service}") & 0x7FFFFFFF
        self._wake = threading.Event()
        self._stopped = False
        self._confirms: _ConfirmChannel | None = None

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self._drop_channel()

    def run(self) -> None:
        # Drains first: rows committed before a crash or a restart leave at once.
        backoff = 0.0
        while not self._stopped:
            self._wake.clear()
            try:
                while not self._stopped and self.publish_batch() == self.batch_size:
                    pass
                backoff = 0.0
            except Exception as exc:
                backoff = min(max(backoff * 2, 0.2), MAX_BACKOFF_SECONDS)
                log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
                eventlet.sleep(backoff)
                continue
            self._wake.wait(self.poll_seconds)

    def pending(self) -> int:
        with self.engine.connect() as conn:
            query = select(func.count()).where(outbox.c.published_at.is_(None))
            return int(conn.execute(query).scalar_one())

    def publish_batch(self) -> int:
        """Publish up to one batch of unpublished rows; returns how many went out."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as lock_conn:
                if not lock_conn.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": self._lock_key}
                ).scalar_one():
                    return 0
                try:
                    return self._publish_batch()
                finally:
                    lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._lock_key})
                    lock_conn.commit()
        return self._publish_batch()

    def _publish_batch(self) -> int:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outbox.c.position, outbox.c.event_type, outbox.c.envelope)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.position)
                .limit(self.batch_size)
            ).all()
            conn.commit()
        if not rows:
            return 0
        published: list[int] = []
        try:
            published = self._channel().publish_in_order(
                [(row.envelope, row.event_type) for row in rows]
            )
            if len(published) < len(rows):
                raise PublishRefused(f"the broker refused event {len(published) + 1} of the batch")
        except Exception as exc:
            if not isinstance(exc, PublishRefused):
                self._drop_channel()
            done = [row.position for row in rows[: len(published)]]
            failed = rows[len(published)].position
            self._mark(done, failed=(failed, f"{type(exc).__name__}: {exc}"))
            raise
        self._mark([row.position for row in rows])
        return len(rows)

    def _channel(self) -> _ConfirmChannel:
        if self._confirms is None:
            self._confirms = _ConfirmChannel(self.amqp_uri, self.exchange)
        return self._confirms

    def _drop_channel(self) -> None:
        if self._confirms is not None:
            self._confirms.close()
            self._confirms = None

    def _mark(self, published: list[int], failed: tuple[int, str] | None = None) -> None:
        with self.engine.begin() as conn:
            if published:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.position.in_(published))
                    .values(published_at=datetime.now(UTC))
                )
            if failed is not None:
                position, error = failed
                conn.execute(
                    update(outbox)
                    .where(outbox.c.position == position)
                    .values(attempts=outbox.c.attempts + 1, last_error=error[:2000])
                )
