"""The outbox relay: publishes committed outbox rows to the service's events exchange.

Rows are published in outbox order with publisher confirms and marked published once
confirmed, so a crash between the two publishes a row twice (consumers are idempotent) and
never loses one. A refused or unconfirmed row stops the relay: its channel is dropped and
everything not yet confirmed is published again, in order, after a back-off (the relay keeps
retrying while the broker is away, and records the error on the first waiting row).

Latency (bench/outbox.py --background-load): a unit of work that commits events publishes
them itself, right after its commit, while few events are in flight (``wake``), as nameko's
plain dispatcher would; a relay greenthread woken for them instead waits for a turn behind
every other ready greenthread, which on a busy process is tens of milliseconds. The relay
greenthread collects the confirms, marks the rows (in batches), and publishes whatever nobody
else did: events streaming faster than they are confirmed (in batches, cheaper than a read
per commit), rows left by a crash or written by another process (a slow poll), and
everything again after a failure. Nothing waits for the
broker's confirms before publishing what was committed meanwhile: RabbitMQ confirms a
persistent message only once it is on disk, tens of milliseconds on a busy machine.

On PostgreSQL one relay per database publishes (a session advisory lock, held while it
leads), so two processes of a service never interleave their events.

No write transaction is held while publishing: under eventlet a SQLite writer that yields
would stall every other greenthread's write.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import zlib
from collections import deque
from datetime import UTC, datetime
from typing import Any

import eventlet
from eventlet.green import select
from kombu import Connection, Exchange, Producer
from nameko.constants import PERSISTENT
from nameko.standalone.events import get_event_exchange
from sqlalchemy import Connection as DbConnection
from sqlalchemy import Engine, func, text, update
from sqlalchemy import select as select_rows

from servicekit.tables import outbox

log = logging.getLogger(__name__)
_original_select = eventlet.patcher.original("select")

MAX_BACKOFF_SECONDS = 30.0
CONFIRM_TIMEOUT_SECONDS = 10.0
# Confirmed rows are marked published at most this long after the previous marking: a crash
# in between publishes them again (consumers are idempotent), and a write per event is saved.
MARK_SECONDS = 0.2
# Below this many events in flight a commit publishes its own events at once (latency); above
# it events are streaming and the relay's batches publish them (a read per commit cost 30 %
# more producer CPU in bench/outbox.py's bursts).
INLINE_MAX_IN_FLIGHT = 8


def _ready_now(fds: list[int]) -> bool:
    """Whether any of ``fds`` is readable, asked without yielding: the green select yields to
    the hub even with a zero timeout, which costs a round of every ready greenthread."""
    return bool(_original_select.select(fds, [], [], 0)[0])


class PublishRefused(Exception):
    """The broker nacked an event, or did not confirm it in time; it stays in the outbox.
    ``confirmed``: the positions confirmed before it."""

    def __init__(self, message: str, confirmed: list[int]) -> None:
        super().__init__(message)
        self.confirmed = confirmed


class _ConfirmChannel:
    """One connection and channel in confirm mode, kept while it works.

    Events are published without waiting; the broker's confirms (acks, possibly several at
    once) are read as they arrive. On one channel the broker keeps the order, so the confirmed
    events are a prefix of those in flight: only that prefix is settled.
    """

    def __init__(self, amqp_uri: str, exchange: Exchange) -> None:
        self.connection = Connection(amqp_uri, connect_timeout=5)
        self.connection.ensure_connection(max_retries=1)
        # py-amqp, having asked for connection.blocked notices, reads the socket with a zero
        # timeout before every publish: under eventlet that yields to the hub once per message,
        # a whole round of every ready greenthread on a busy process. The notices are still
        # read with the confirms; only that per-message read is switched off.
        self.connection.connection.client_properties["capabilities"]["connection.blocked"] = False
        self.channel = self.connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._acked)
        self.channel.events["basic_nack"].add(self._nacked)
        self.producer = Producer(self.channel, exchange=exchange, serializer="json")
        exchange.maybe_bind(self.channel)
        exchange.declare()
        self._sent = 0  # delivery tags of this channel run 1, 2, 3, …
        self._settled: dict[int, bool] = {}  # tag -> acked (True) or nacked (False)
        self.in_flight: deque[tuple[int, int, float]] = deque()  # tag, position, sent at

    def _acked(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple, True)

    def _nacked(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple, False)

    def _settle(self, tag: int, multiple: bool, acked: bool) -> None:
        for t in range(self.in_flight[0][0] if multiple and self.in_flight else tag, tag + 1):
            self._settled.setdefault(t, acked)

    def fileno(self) -> int:
        return self.connection.connection.transport.sock.fileno()

    def publish(self, rows: list[Any]) -> None:
        for row in rows:
            self.producer.publish(
                row.envelope,
                routing_key=row.event_type,
                delivery_mode=PERSISTENT,
                headers={"nameko.correlation_id": row.envelope.get("correlation_id")},
                message_id=row.envelope["id"],
            )
            self._sent += 1
            self.in_flight.append((self._sent, row.position, time.monotonic()))

    def collect(self) -> None:
        """Read the confirms that have arrived, without waiting for more."""
        while _ready_now([self.fileno()]):  # also a closed connection: drain raises
            self.connection.drain_events(timeout=CONFIRM_TIMEOUT_SECONDS)

    def take_confirmed(self) -> list[int]:
        """Positions of the confirmed prefix, taken off the flight. Raises PublishRefused at
        a nack, or when the oldest event in flight waited longer than the confirm timeout."""
        confirmed = []
        while self.in_flight:
            tag, position, sent_at = self.in_flight[0]
            acked = self._settled.pop(tag, None)
            if acked is None:
                if time.monotonic() - sent_at > CONFIRM_TIMEOUT_SECONDS:
                    raise PublishRefused(f"no confirm for outbox row {position} in "
                                         f"{CONFIRM_TIMEOUT_SECONDS:.0f}s", confirmed)
                break
            if not acked:
                raise PublishRefused(f"the broker refused outbox row {position}", confirmed)
            confirmed.append(position)
            self.in_flight.popleft()
        return confirmed

    def seconds_to_deadline(self) -> float:
        return self.in_flight[0][2] + CONFIRM_TIMEOUT_SECONDS - time.monotonic()

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
        # crc32, not hash(): str hashes differ between processes, and the lock is between them.
        self._lock_key = zlib.crc32(f"outbox:{service}".encode()) & 0x7FFFFFFF
        self._lock_conn: DbConnection | None = None
        # A pipe, not an Event: the relay waits on it and on the broker's socket at once.
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._stopped = False
        self._confirms: _ConfirmChannel | None = None
        self._sent_upto = 0  # position of the last row published on the current channel
        self._publishing = False
        self._broken: Exception | None = None  # why a publish from wake() failed
        self._dirty = True  # rows may wait that nobody published: read before waiting
        self._unmarked: list[int] = []  # confirmed, not yet marked published
        self._marked_at = 0.0  # long ago: the first confirmed rows are marked at once

    def wake(self) -> None:
        """Events were committed: publish them now, from the committing greenthread, as a
        plain dispatcher would, when the relay has a working channel, nobody else is
        publishing and few events are in flight; the relay collects the confirms and marks
        the rows. Otherwise (events streaming: the relay's batches cost less than a read per
        commit), or when that fails, the relay publishes them."""
        channel = self._confirms
        if (channel is not None and self._broken is None and not self._publishing
                and len(channel.in_flight) < INLINE_MAX_IN_FLIGHT):
            try:
                if not self._publish_new():
                    return  # the relay wakes on the confirms
            except Exception as exc:  # the relay drops the channel and retries in order
                self._broken = exc
        self._nudge()

    def _nudge(self) -> None:
        self._dirty = True
        if self._wake_w is None:
            return
        # A full pipe means the relay has plenty of wake-ups waiting already.
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"\0")

    def stop(self) -> None:
        self._stopped = True
        self._nudge()
        # Now, not when the relay's greenthread ends: a greenthread killed mid-way may never
        # get there, and the lock would outlive this relay with its pooled connection.
        self._release_lead()

    def run(self) -> None:
        # Steps at once first: rows committed before a crash or a restart leave straight away.
        backoff = 0.0
        try:
            while not self._stopped:
                try:
                    more = self.step()
                    backoff = 0.0
                except Exception as exc:
                    self._reset(exc)
                    backoff = min(max(backoff * 2, 0.2), MAX_BACKOFF_SECONDS)
                    log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
                    eventlet.sleep(backoff)
                    continue
                if not more:
                    self._wait()
        finally:
            with contextlib.suppress(Exception):  # else they are published again: harmless
                self._mark(self._unmarked)
            self._drop_channel()
            self._release_lead()
            self._close_pipe()

    def pending(self) -> int:
        with self.engine.connect() as conn:
            query = select_rows(func.count()).where(outbox.c.published_at.is_(None))
            return int(conn.execute(query).scalar_one())

    def step(self) -> bool:
        """Settle the confirms that arrived, publish what nobody published yet, mark the
        confirmed rows published: at once after a quiet spell, else every MARK_SECONDS or full
        batch (while events stream, one fsync'd write per event would cost more than the
        publishing). True when a full read suggests more rows wait."""
        if self._broken is not None:
            broken, self._broken = self._broken, None
            raise broken
        if not self._lead():
            return False
        if self._confirms is not None:
            self._confirms.collect()
            try:
                self._unmarked += self._confirms.take_confirmed()
            except PublishRefused as refused:
                self._unmarked += refused.confirmed
                raise
        more = False
        if self._dirty and not self._publishing:
            self._dirty = False
            more = self._publish_new()
        if self._unmarked and (len(self._unmarked) >= self.batch_size
                               or time.monotonic() - self._marked_at >= MARK_SECONDS):
            self._mark(self._unmarked)
            self._unmarked = []
            self._marked_at = time.monotonic()
        return more

    def _publish_new(self) -> bool:
        """Publish the rows committed since the last one published, up to a full window; True
        when the read was full. One publisher at a time: two interleaved on the socket would
        corrupt each other's frames, and the rows must leave in order."""
        self._publishing = True
        try:
            room = self.batch_size - (len(self._confirms.in_flight) if self._confirms else 0)
            rows = self._read(room) if room > 0 else []
            if rows:
                channel = self._channel()
                channel.publish(rows)
                if channel is self._confirms:  # not reset while this publish waited
                    self._sent_upto = rows[-1].position
            return bool(rows) and len(rows) == room
        finally:
            self._publishing = False

    def _read(self, limit: int) -> list[Any]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select_rows(outbox.c.position, outbox.c.event_type, outbox.c.envelope)
                .where(outbox.c.published_at.is_(None), outbox.c.position > self._sent_upto)
                .order_by(outbox.c.position)
                .limit(limit)
            ).all()
            conn.commit()
        return rows

    def _wait(self) -> None:
        """Until a commit wakes the relay, the broker sends (confirms), rows are due to be
        marked, or the poll interval passes (then rows are read again)."""
        fds, timeout = [self._wake_r], self.poll_seconds
        if self._confirms is not None:
            fds.append(self._confirms.fileno())
            if self._confirms.in_flight:
                timeout = min(timeout, self._confirms.seconds_to_deadline())
        if self._unmarked:
            timeout = min(timeout, self._marked_at + MARK_SECONDS - time.monotonic())
        readable, _, _ = select.select(fds, [], [], max(timeout, 0.0))
        if self._wake_r in readable:  # one read: eventlet's os.read waits rather than raise
            os.read(self._wake_r, 4096)
        if not readable:
            self._dirty = True

    def _lead(self) -> bool:
        """On PostgreSQL, whether this relay holds its database's relay lock (taking it if
        free); on SQLite one process writes anyway."""
        if self.engine.dialect.name != "postgresql" or self._lock_conn is not None:
            return True
        conn = self.engine.connect()
        taken = conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                             {"k": self._lock_key}).scalar_one()
        conn.commit()
        if not taken:
            conn.close()
            return False
        self._lock_conn = conn
        return True

    def _release_lead(self) -> None:
        if self._lock_conn is None:
            return
        conn, self._lock_conn = self._lock_conn, None
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._lock_key})
            conn.commit()
            conn.close()
        except Exception:  # a broken session has lost the lock with it; never pool it again
            conn.invalidate()

    def _reset(self, exc: Exception) -> None:
        """After a failure: forget the channel (what was in flight is published again) and
        record the error on the first row still waiting."""
        self._drop_channel()
        self._release_lead()
        self._sent_upto = 0
        self._dirty = True
        try:
            self._mark(self._unmarked)
            self._unmarked = []
            with self.engine.begin() as conn:
                first = conn.execute(
                    select_rows(func.min(outbox.c.position)).where(outbox.c.published_at.is_(None))
                ).scalar_one()
                if first is not None:
                    conn.execute(
                        update(outbox)
                        .where(outbox.c.position == first)
                        .values(attempts=outbox.c.attempts + 1,
                                last_error=f"{type(exc).__name__}: {exc}"[:2000])
                    )
        except Exception as db_exc:  # the database itself may be what failed
            log.debug("outbox relay: could not record the failure: %r", db_exc)

    def _channel(self) -> _ConfirmChannel:
        if self._confirms is None:
            self._confirms = _ConfirmChannel(self.amqp_uri, self.exchange)
        return self._confirms

    def _drop_channel(self) -> None:
        if self._confirms is not None:
            self._confirms.close()
            self._confirms = None

    def _close_pipe(self) -> None:
        # Set to None first: a wake() after this must not write to a reused descriptor.
        r, w, self._wake_r, self._wake_w = self._wake_r, self._wake_w, None, None
        for fd in (r, w):
            if fd is not None:
                os.close(fd)

    def _mark(self, published: list[int]) -> None:
        if not published:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.position.in_(published))
                .values(published_at=datetime.now(UTC))
            )
