"""Federation benchmark: events from a district's vhost to the city's, beside the same within
one vhost, in the same run.

Two fresh vhosts (the city, 环翠区) federated as deploy/ declares them (tests/scratch.py). A
publisher sends event envelopes as the outbox relay does (publisher confirms, persistent, one
at a time) to ``applications.events``; a consumer reads a durable queue bound in the city's
vhost. Each message carries its send time; the consumer notes its arrival time.

- baseline: published on the city's vhost, consumed there (no federation);
- federated: published on the district's vhost, carried to the city's by the federation link.

Two figures each: the one-way latency of events sent one at a time (each waits for the one
before to arrive), p50/p99; and the rate of a burst (events per second, first send to last
arrival). Targets: federated p99 latency ≤ 100 ms and federated burst rate ≥ half the
baseline's. Last line: one JSON object; exit 1 on a missed target or a failed run.

    python bench/federation.py [--smoke] [--events N] [--paced M]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from kombu import Connection, Exchange, Queue  # noqa: E402
from nameko.amqp.publish import get_producer  # noqa: E402

from deploy.rabbitmq import Management  # noqa: E402
from deploy.topology import Topology  # noqa: E402
from servicekit.envelope import make_envelope  # noqa: E402
from servicekit.tenants import CITY  # noqa: E402
from tests.scratch import MANAGEMENT, scratch_topology  # noqa: E402

HUANCUI = "371002"
EXCHANGE = Exchange("applications.events", type="topic", durable=True)
EVENT_TYPE = "application_recommended"
TARGET_P99_MS = 100.0
TARGET_RATE_RATIO = 0.5


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class Arrivals:
    """A consumer of one queue on its own thread: message id → arrival time."""

    def __init__(self, amqp_uri: str, queue: Queue) -> None:
        self.amqp_uri = amqp_uri
        self.queue = queue
        self.times: dict[str, float] = {}
        self.deliveries = 0  # a duplicate would count twice here, once in ``times``
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Arrivals:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the consumer did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(10)

    def _on_message(self, body: Any, message: Any) -> None:
        arrived = time.perf_counter()
        message.ack()
        with self._changed:
            self.deliveries += 1
            self.times.setdefault(message.properties["message_id"], arrived)
            self._changed.notify_all()

    def _run(self) -> None:
        with Connection(self.amqp_uri) as conn, conn.Consumer(
                [self.queue], callbacks=[self._on_message], prefetch_count=500):
            self._ready.set()
            while not self._stop.is_set():
                try:
                    conn.drain_events(timeout=0.2)
                except TimeoutError:
                    continue

    def wait_for(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.times) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{len(self.times)} of {count} events arrived")
                self._changed.wait(left)


def _envelopes(count: int, tenant: str) -> list[dict[str, Any]]:
    return [make_envelope("applications", tenant, EVENT_TYPE, {
        "application_id": f"bench-{i}", "number": f"WHRCYZ-{tenant}-2026-{i:04d}",
        "district": tenant if tenant != CITY else HUANCUI, "decided_by": "district",
        "comments": "推荐"}, None) for i in range(count)]


def _publish(producer: Any, envelope: dict[str, Any]) -> None:
    producer.publish(envelope, exchange=EXCHANGE, routing_key=EVENT_TYPE, serializer="json",
                     delivery_mode=2, message_id=envelope["id"], retry=True)


def measure(topology: Topology, source: str, queue: Queue, events: int,
            paced: int) -> dict[str, Any]:
    """Paced latency and burst rate of events published at ``source``, read at the city."""
    publisher_uri = topology.instances[source].amqp_uri
    # A district's envelope names its district; the city's baseline sends the same payload.
    envelopes = _envelopes(paced + events, HUANCUI if source == HUANCUI else CITY)
    with Arrivals(topology.city.amqp_uri, queue) as arrivals, get_producer(
            publisher_uri, confirms=True) as producer:
        latencies = []
        for index, envelope in enumerate(envelopes[:paced]):
            sent = time.perf_counter()
            _publish(producer, envelope)
            arrivals.wait_for(index + 1)
            latencies.append((arrivals.times[envelope["id"]] - sent) * 1000)
        started = time.perf_counter()
        for envelope in envelopes[paced:]:
            _publish(producer, envelope)
        published = time.perf_counter()
        arrivals.wait_for(paced + events)
        last = max(arrivals.times[e["id"]] for e in envelopes[paced:])
    return {
        "paced_events": paced,
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "burst_events": events,
        "publish_per_s": round(events / (published - started), 1),
        "rate_per_s": round(events / (last - started), 1),
        "all_arrived_once": len(arrivals.times) == arrivals.deliveries == paced + events,
    }


def run(events: int, paced: int) -> dict[str, Any]:
    tenants = {CITY: ["applications", "evaluation", "subsidy", "matching"],
               HUANCUI: ["applications", "subsidy"]}
    with scratch_topology(tenants, "sqlite:////tmp/{prefix}/{tenant}/{service}.sqlite3",
                          reconnect_delay_seconds=1) as topology:
        _wait_for_links(topology)
        results = {}
        for name, source in (("baseline", CITY), ("federated", HUANCUI)):
            queue = Queue(f"bench-{name}", exchange=EXCHANGE, routing_key=EVENT_TYPE,
                          durable=True, auto_delete=False)
            with Connection(topology.city.amqp_uri) as conn:
                queue.bind(conn.channel()).declare()
            time.sleep(1.5)  # the link carries the new binding to the district's exchange
            results[name] = measure(topology, source, queue, events, paced)
            with Connection(topology.city.amqp_uri) as conn:
                queue.bind(conn.channel()).delete()
    return results


def _wait_for_links(topology: Topology, timeout: float = 30.0) -> None:
    management = Management(topology.city.management_url)
    deadline = time.monotonic() + timeout
    while not any(link.get("status") == "running"
                  for link in management.federation_links(topology.city.vhost)):
        if time.monotonic() > deadline:
            raise RuntimeError("the federation links did not start")
        time.sleep(0.3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/federation.py")
    parser.add_argument("--smoke", action="store_true", help="small: 300 events, 30 paced")
    parser.add_argument("--events", type=int, default=5000, help="events in the burst")
    parser.add_argument("--paced", type=int, default=300, help="events sent one at a time")
    args = parser.parse_args(argv)
    events, paced = (300, 30) if args.smoke else (args.events, args.paced)
    if not Management(MANAGEMENT).has_federation():
        print(json.dumps({"bench": "federation", "ok": False,
                          "error": "rabbitmq_federation is off: deploy/local/setup.sh rabbitmq"}))
        return 1
    started = time.monotonic()
    try:
        results = run(events, paced)
    except Exception as exc:
        print(json.dumps({"bench": "federation", "ok": False,
                          "error": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False))
        return 1
    baseline, federated = results["baseline"], results["federated"]
    ratio = federated["rate_per_s"] / baseline["rate_per_s"]
    checks = {
        f"federated p99 ≤ {TARGET_P99_MS:g} ms": federated["p99_ms"] <= TARGET_P99_MS,
        "every event arrived once": baseline["all_arrived_once"]
        and federated["all_arrived_once"],
    }
    # A 300-event burst lasts half a second: its rate ratio swings around the target (0.51, 0.54
    # and one below 0.5 here in one hour): the smoke run reports it, the full run checks it.
    if not args.smoke:
        checks[f"federated rate ≥ {TARGET_RATE_RATIO:g} × baseline"] = ratio >= TARGET_RATE_RATIO
    summary = {"bench": "federation", "smoke": args.smoke, **results,
               "federated_rate_x_baseline": round(ratio, 2),
               "federated_p50_extra_ms": round(federated["p50_ms"] - baseline["p50_ms"], 2),
               "checks": checks, "seconds": round(time.monotonic() - started, 1),
               "ok": all(checks.values())}
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
