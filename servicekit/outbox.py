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
from datetime import UTC, datetime
from typing import Any

import eventlet
from nameko.amqp.publish import get_producer
from nameko.constants import PERSISTENT
from nameko.standalone.events import get_event_exchange
from sqlalchemy import Engine, func, select, text, update

from servicekit.tables import outbox

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0


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

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

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
            with get_producer(self.amqp_uri, confirms=True) as producer:
                for row in rows:
                    envelope = row.envelope
                    producer.publish(
                        envelope,
                        exchange=self.exchange,
                        routing_key=row.event_type,
                        serializer="json",
                        delivery_mode=PERSISTENT,
                        declare=[self.exchange],
                        headers={"nameko.correlation_id": envelope.get("correlation_id")},
                        message_id=envelope["id"],
                        retry=True,
                        retry_policy={"max_retries": 1, "interval_start": 0},
                    )
                    published.append(row.position)
        except Exception as exc:
            failed = rows[len(published)].position
            self._mark(published, failed=(failed, f"{type(exc).__name__}: {exc}"))
            raise
        self._mark(published)
        return len(published)

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
