"""Outbox benchmark: events/s and commit-to-effect latency, beside plain nameko events.

Ours:  a producer worker commits a business row and its outbox row in one transaction
       → OutboxRelay publishes with confirms → broker → the kit's ``event_handler`` (envelope
       checked, inbox row claimed) commits one effect row in the consumer's own database.
Plain: a producer worker commits the same business row, then nameko's ``EventDispatcher``
       publishes (with confirms) → broker → nameko's ``event_handler`` commits the same effect
       row. This is the dual write: a crash between the commit and the dispatch loses the event.

Both pipelines run in this one process (nameko containers, one ServiceRunner) on a fresh
RabbitMQ vhost and fresh databases with the kit's engine settings (SQLite: WAL,
synchronous=FULL). Producer workers are fired in-process by a tiny entrypoint, so no RPC client
sits in the measurement; commit and effect are stamped right after each transaction commits,
on one monotonic clock: latency = effect committed - producer committed.

    python bench/outbox.py [--smoke] [--events N] [--rate R] [--seconds S]
        [--database-url TEMPLATE] [--amqp-uri URI] [--management-url URL]

TEMPLATE has {service}; with PostgreSQL the four bench databases/schemas must exist, and the
kit tables in them are emptied first. Targets: ours >= 0.8 x plain events/s (sustained, same
run); ours p50 <= 20 ms at 200 events/s. Last line: one JSON object; exit 1 on a missed target.
"""

import eventlet

eventlet.monkey_patch()

from psycogreen.eventlet import patch_psycopg  # noqa: E402

patch_psycopg()

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import quote  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

import requests  # noqa: E402
from eventlet.event import Event  # noqa: E402
from marshmallow import Schema, fields  # noqa: E402
from nameko.events import EventDispatcher  # noqa: E402
from nameko.events import event_handler as nameko_event_handler  # noqa: E402
from nameko.extensions import DependencyProvider, Entrypoint  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from sqlalchemy import delete, func, insert, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from contracts import register  # noqa: E402
from servicekit.base import KitService  # noqa: E402
from servicekit.config import database_url  # noqa: E402
from servicekit.db import Database, make_engine  # noqa: E402
from servicekit.envelope import Envelope  # noqa: E402
from servicekit.handlers import event_handler  # noqa: E402
from servicekit.migrations import upgrade  # noqa: E402
from servicekit.tables import audit_log, metadata, outbox, processed_events  # noqa: E402
from servicekit.tenants import CITY  # noqa: E402

# Migrations that create only the kit's tables (evaluation's branch holds none of its own yet),
# as tests/integration/kit_services.py uses.
KIT_MIGRATIONS = "services.evaluation:migrations"

OURS_PRODUCER, OURS_CONSUMER = "benchproducer", "benchconsumer"
PLAIN_PRODUCER, PLAIN_CONSUMER = "benchplainproducer", "benchplainconsumer"
EVENT = "thing_happened"

TARGET_RATIO = 0.8
TARGET_P50_MS = 20.0


class BenchThing(Schema):
    seq = fields.Integer(required=True)
    thing_id = fields.String(required=True)


register(OURS_PRODUCER, EVENT, 1, BenchThing)


# --- timing -------------------------------------------------------------------------------


class Recorder:
    """Commit and effect times of one pipeline's events, by sequence number."""

    def __init__(self) -> None:
        self.committed: dict[int, float] = {}
        self.effected: dict[int, float] = {}
        self._pending: set[int] = set()
        self._done = Event()

    def commit(self, seq: int) -> None:
        self.committed[seq] = time.perf_counter()

    def effect(self, seq: int) -> None:
        self.effected[seq] = time.perf_counter()
        if seq in self._pending:
            self._pending.discard(seq)
            if not self._pending:
                self._done.send(True)

    def expect(self, seqs: range) -> None:
        self._pending = set(seqs)
        self._done = Event()

    def wait(self, timeout: float) -> None:
        with eventlet.Timeout(timeout, False):
            self._done.wait()
        if self._pending:
            raise RuntimeError(f"{len(self._pending)} events had no effect within {timeout:.0f}s")


OURS = Recorder()
PLAIN = Recorder()


# --- services -------------------------------------------------------------------------------


class Trigger(Entrypoint):
    """An entrypoint the benchmark fires in-process: one producer worker per call, no RPC.
    ``fire`` blocks while all ``max_workers`` are busy, which paces the driver."""

    def fire(self, seq: int) -> None:
        self.container.spawn_worker(self, (seq,), {})


trigger = Trigger.decorator


def _audit_row(action: str, thing_id: str, after: dict) -> dict:
    """The row both plain services write, shaped like the kit's ``uow.audit`` row."""
    return {
        "at": datetime.now(UTC),
        "tenant": CITY,
        "actor": "system",
        "role": "system",
        "origin": None,
        "correlation_id": None,
        "action": action,
        "entity_type": "thing",
        "entity_id": thing_id,
        "before": None,
        "after": after,
        "outcome": "done",
    }


class PlainSessions(DependencyProvider):
    """A plain SQLAlchemy session factory on the service's own database, built with the kit's
    ``make_engine`` so both pipelines pay the same durability (WAL, synchronous=FULL)."""

    def setup(self) -> None:
        config = self.container.config
        self.engine = make_engine(database_url(config, self.container.service_name))
        metadata.create_all(self.engine, tables=[audit_log])
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def stop(self) -> None:
        self.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> sessionmaker[Session]:
        return self.sessions


class OursProducer(KitService):
    name = OURS_PRODUCER
    db = Database(KIT_MIGRATIONS)

    @trigger
    def produce(self, seq: int) -> None:
        thing_id = f"thing-{seq}"
        with self.db as uow:
            uow.audit("thing.created", "thing", thing_id, None, {"seq": seq})
            uow.add_event(EVENT, {"seq": seq, "thing_id": thing_id}, aggregate_id=thing_id)
            uow.commit()
        OURS.commit(seq)


class OursConsumer(KitService):
    name = OURS_CONSUMER
    db = Database(KIT_MIGRATIONS)

    @event_handler(OURS_PRODUCER, EVENT)
    def on_thing(self, event: Envelope) -> None:
        seq = event.payload["seq"]
        with self.db as uow:
            after = {"seq": seq, "event_id": event.id}
            uow.audit("thing.received", "thing", event.payload["thing_id"], None, after)
            uow.commit()
        OURS.effect(seq)


class PlainProducer:
    name = PLAIN_PRODUCER
    sessions = PlainSessions()
    dispatch = EventDispatcher()

    @trigger
    def produce(self, seq: int) -> None:
        thing_id = f"thing-{seq}"
        with self.sessions() as session:
            row = _audit_row("thing.created", thing_id, {"seq": seq})
            session.execute(insert(audit_log).values(**row))
            session.commit()
        PLAIN.commit(seq)
        self.dispatch(EVENT, {"seq": seq, "thing_id": thing_id})  # the dual write


class PlainConsumer:
    name = PLAIN_CONSUMER
    sessions = PlainSessions()

    @nameko_event_handler(PLAIN_PRODUCER, EVENT)
    def on_thing(self, payload: dict) -> None:
        seq = payload["seq"]
        with self.sessions() as session:
            row = _audit_row("thing.received", payload["thing_id"], {"seq": seq})
            session.execute(insert(audit_log).values(**row))
            session.commit()
        PLAIN.effect(seq)


# --- environment: a fresh vhost, fresh databases ---------------------------------------------


@contextmanager
def fresh_vhost(amqp_uri: str, management_url: str) -> Iterator[str]:
    """A new RabbitMQ vhost for this run (management HTTP API), deleted afterwards; yields the
    AMQP URI of it."""
    name = f"bench-outbox-{uuid.uuid4().hex[:8]}"
    api = f"{management_url.rstrip('/')}/api"
    user = make_url(amqp_uri.replace("amqp://", "postgresql://", 1)).username or "guest"
    requests.put(f"{api}/vhosts/{quote(name, safe='')}", timeout=10).raise_for_status()
    try:
        requests.put(
            f"{api}/permissions/{quote(name, safe='')}/{quote(user, safe='')}",
            json={"configure": ".*", "write": ".*", "read": ".*"},
            timeout=10,
        ).raise_for_status()
        yield f"{amqp_uri.rstrip('/')}/{quote(name, safe='')}"
    finally:
        requests.delete(f"{api}/vhosts/{quote(name, safe='')}", timeout=30)


def prepare_databases(config: dict[str, Any]) -> None:
    """Migrate the four bench databases and empty their kit tables (matters for PostgreSQL)."""
    for service, kit in ((OURS_PRODUCER, True), (OURS_CONSUMER, True),
                         (PLAIN_PRODUCER, False), (PLAIN_CONSUMER, False)):
        engine = make_engine(database_url(config, service))
        try:
            if kit:
                upgrade(engine, KIT_MIGRATIONS)
                tables = (audit_log, outbox, processed_events)
            else:
                metadata.create_all(engine, tables=[audit_log])
                tables = (audit_log,)
            with engine.begin() as conn:
                for table in tables:
                    conn.execute(delete(table))
        finally:
            engine.dispose()


def count_rows(config: dict[str, Any], service: str, action: str) -> int:
    engine = make_engine(database_url(config, service))
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(audit_log.c.action == action)
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


# --- measurements ---------------------------------------------------------------------------


class Pipeline:
    def __init__(self, name: str, recorder: Recorder, fire: Callable[[int], None]) -> None:
        self.name = name
        self.recorder = recorder
        self.fire = fire
        self.sent = 0


class SeqCounter:
    """Hands out fresh sequence numbers, so phases never share an event."""

    def __init__(self) -> None:
        self.next = 0

    def take(self, n: int) -> range:
        seqs = range(self.next, self.next + n)
        self.next += n
        return seqs


def burst(pipeline: Pipeline, seqs: range, timeout: float) -> float:
    """Fire every event as fast as the producers take them; events/s from first commit to
    last effect."""
    rec = pipeline.recorder
    rec.expect(seqs)
    for seq in seqs:
        pipeline.fire(seq)
    rec.wait(timeout)
    pipeline.sent += len(seqs)
    first = min(rec.committed[s] for s in seqs)
    last = max(rec.effected[s] for s in seqs)
    return len(seqs) / (last - first)


def paced(
    pipeline: Pipeline, seqs: range, rate: float, timeout: float
) -> tuple[list[float], float]:
    """Fire at ``rate`` events/s on a fixed schedule; the sorted commit-to-effect latencies
    in ms, and the commit rate achieved."""
    rec = pipeline.recorder
    rec.expect(seqs)
    start = time.perf_counter()
    for i, seq in enumerate(seqs):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            eventlet.sleep(delay)
        pipeline.fire(seq)
    rec.wait(timeout)
    pipeline.sent += len(seqs)
    commits = sorted(rec.committed[s] for s in seqs)
    achieved = (len(seqs) - 1) / (commits[-1] - commits[0]) if len(seqs) > 1 else rate
    return sorted((rec.effected[s] - rec.committed[s]) * 1000 for s in seqs), achieved


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, ``q`` in (0, 1]."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def run(args: argparse.Namespace, amqp_uri: str, database_template: str) -> dict[str, Any]:
    config: dict[str, Any] = {
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": database_template,
        "max_workers": args.max_workers,
        "OUTBOX_POLL_SECONDS": 1.0,
        "OUTBOX_BATCH_SIZE": 100,
        "EVENT_RETRIES": 3,
    }
    prepare_databases(config)
    runner = ServiceRunner(config)
    for cls in (OursProducer, OursConsumer, PlainProducer, PlainConsumer):
        runner.add_service(cls)
    runner.start()
    try:
        fire = {
            c.service_name: next(e for e in c.entrypoints if isinstance(e, Trigger)).fire
            for c in runner.containers
            if c.service_name in (OURS_PRODUCER, PLAIN_PRODUCER)
        }
        ours = Pipeline("ours", OURS, fire[OURS_PRODUCER])
        plain = Pipeline("plain", PLAIN, fire[PLAIN_PRODUCER])
        seq = SeqCounter()
        timeout = 30 + args.events / 100

        for p in (plain, ours):  # connections, queues, pools, caches
            burst(p, seq.take(args.warmup), timeout)

        # Throughput: alternate the order each round so drift hits both alike.
        eps: dict[str, list[float]] = {"ours": [], "plain": []}
        for r in range(args.rounds):
            for p in (plain, ours) if r % 2 == 0 else (ours, plain):
                eps[p.name].append(burst(p, seq.take(args.events), timeout))
                print(f"burst {p.name}: {eps[p.name][-1]:.0f} events/s", file=sys.stderr)

        # Latency at a paced rate.
        n_paced = max(2, round(args.rate * args.seconds))
        lat: dict[str, tuple[list[float], float]] = {}
        for p in (plain, ours):
            lat[p.name] = paced(p, seq.take(n_paced), args.rate, timeout)
            print(f"paced {p.name}: p50 {percentile(lat[p.name][0], 0.5):.1f} ms", file=sys.stderr)
    finally:
        runner.stop()

    # Every event had exactly one effect row, in the consumer's own database.
    ours_rows = count_rows(config, OURS_CONSUMER, "thing.received")
    plain_rows = count_rows(config, PLAIN_CONSUMER, "thing.received")

    ours_eps = sum(eps["ours"]) / len(eps["ours"])
    plain_eps = sum(eps["plain"]) / len(eps["plain"])
    ours_lat, ours_rate = lat["ours"]
    plain_lat, _ = lat["plain"]
    return {
        "events": args.events,
        "rounds": args.rounds,
        "ours_eps": round(ours_eps, 1),
        "plain_eps": round(plain_eps, 1),
        "ratio": round(ours_eps / plain_eps, 3),
        "ours_eps_rounds": [round(x, 1) for x in eps["ours"]],
        "plain_eps_rounds": [round(x, 1) for x in eps["plain"]],
        "rate": args.rate,
        "paced_events": n_paced,
        "achieved_rate": round(ours_rate, 1),
        "p50_ms": round(percentile(ours_lat, 0.5), 2),
        "p99_ms": round(percentile(ours_lat, 0.99), 2),
        "plain_p50_ms": round(percentile(plain_lat, 0.5), 2),
        "plain_p99_ms": round(percentile(plain_lat, 0.99), 2),
        "effects_exact": ours_rows == ours.sent and plain_rows == plain.sent,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/outbox.py", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="a few seconds (CI)")
    parser.add_argument("--events", type=int, help="events per throughput burst")
    parser.add_argument("--rounds", type=int, help="throughput bursts per pipeline")
    parser.add_argument("--rate", type=float, default=200.0, help="paced rate, events/s")
    parser.add_argument("--seconds", type=float, help="length of the paced phase")
    parser.add_argument("--warmup", type=int, help="events per pipeline before measuring")
    parser.add_argument("--max-workers", type=int, default=10, help="nameko max_workers")
    parser.add_argument("--database-url", help="template with {service}; default SQLite files "
                        "in a temporary folder")
    parser.add_argument("--amqp-uri", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--management-url", default="http://guest:guest@127.0.0.1:15672")
    args = parser.parse_args(argv)
    small = args.smoke
    args.events = args.events or (300 if small else 6000)
    args.rounds = args.rounds or (1 if small else 2)
    args.seconds = args.seconds or (1.5 if small else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (30 if small else 200)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    result: dict[str, Any] = {"bench": "outbox", "smoke": small}
    with tempfile.TemporaryDirectory(prefix="bench-outbox-") as tmp:
        template = args.database_url or f"sqlite:///{tmp}/{{service}}.sqlite3"
        if "{service}" not in template:
            parser.error("--database-url needs {service}: each service has its own database")
        result["database"] = make_url(template.format(service="x")).get_backend_name()
        try:
            with fresh_vhost(args.amqp_uri, args.management_url) as amqp_uri:
                result.update(run(args, amqp_uri, template))
        except Exception as exc:
            result.update(ok=False, error=f"{type(exc).__name__}: {exc}")
            print(json.dumps(result))
            return 1
    result.update(target_ratio=TARGET_RATIO, target_p50_ms=TARGET_P50_MS)
    result["ok"] = bool(
        result["effects_exact"]
        and result["ratio"] >= TARGET_RATIO
        and result["p50_ms"] <= TARGET_P50_MS
    )
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
