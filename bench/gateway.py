"""Gateway benchmark: requests/s and latency through the REST gateway, beside the bare RPC
round trip to the same service at the same concurrency, in the same run.

The applications service runs as production runs it (``python -m servicekit.run``) and the
gateway as ``make run`` runs it (gunicorn, gateway/gunicorn.conf.py), on a fresh RabbitMQ vhost
and a temporary folder (databases, keys, clock). Setup drives one application to an approved
station over RPC (bench/applications.py's workload). Then, for each concurrency C:

- read: ``GET /api/v1/stations/{id}`` (anonymous) by C clients, each on a keep-alive HTTP
  connection of its own opened for the run, beside ``get_station`` called by C standalone RPC
  proxies;
- write: ``POST /api/v1/host-units`` (a district's staff token) beside ``register_host_unit``
  over RPC: each a new host unit, one fsync'd transaction with its audit row.

Gateway and bare runs alternate, so drift of the machine falls on both. Targets, per
concurrency: read throughput >= 0.5 x bare RPC's, read p50 <= bare p50 + 5 ms, and no error or
connection reset on any path. Last line: one JSON object; exit 1 on a missed target.

    python bench/gateway.py [--smoke] [--concurrency 16 64] [--reads N] [--writes N]
        [--background-load N] [--amqp-uri URI] [--management-url URL]
"""

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import requests  # noqa: E402
from eventlet.greenpool import GreenPool  # noqa: E402
from eventlet.queue import LightQueue  # noqa: E402

from bench.applications import (  # noqa: E402
    CITY_HR,
    PUBLIC,
    START,
    Drivers,
    Run,
    Timings,
    credit_code,
    district_hr,
    service_process,
    set_time,
)
from bench.common import (  # noqa: E402
    background_load,
    fresh_vhost,
    load_average,
    percentile,
    platform_process,
    tree_cpu_seconds,
)
from gateway.app import close, create_app  # noqa: E402
from gateway.auth import TOKENS  # noqa: E402
from gateway.users import User  # noqa: E402
from servicekit.clock import SHANGHAI  # noqa: E402
from servicekit.tenants import CITY  # noqa: E402

DISTRICT = "371002"
TARGET_READ_RATIO = 0.5
TARGET_READ_P50_EXTRA_MS = 5.0
HTTP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def host_unit_body(i: int) -> dict[str, Any]:
    return {
        "name": f"威海网关基准科技{i:06d}有限公司", "credit_code": credit_code(DISTRICT),
        "category": "key_enterprise", "district": DISTRICT, "city_level": False,
        "contact_name": "王经理", "contact_phone": "0631-5200000", "address": f"威海市测试路{i}号",
    }


class Outcome:
    """Latencies (ms) of the successful calls of one measured path, and what failed."""

    def __init__(self) -> None:
        self.ms: list[float] = []
        self.errors: dict[str, int] = {}
        self.resets = 0

    def fail(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def summary(self, seconds: float) -> dict[str, Any]:
        return {
            "requests": len(self.ms) + sum(self.errors.values()),
            "per_second": round(len(self.ms) / seconds, 1),
            "p50_ms": round(percentile(self.ms, 0.5), 2) if self.ms else None,
            "p99_ms": round(percentile(self.ms, 0.99), 2) if self.ms else None,
            "errors": sum(self.errors.values()),
            "error_kinds": self.errors,
            "connection_resets": self.resets,
        }


def measure(concurrency: int, count: int, call: Callable[[int, Any, Outcome], None],
            clients: list[Any]) -> dict[str, Any]:
    """``count`` calls by ``concurrency`` greenthreads, each with a client of its own."""
    outcome = Outcome()
    idle: LightQueue = LightQueue()
    for client in clients[:concurrency]:
        idle.put(client)

    def one(i: int) -> None:
        client = idle.get()
        try:
            call(i, client, outcome)
        finally:
            idle.put(client)

    started = time.perf_counter()
    for _ in GreenPool(concurrency).imap(one, range(count)):
        pass
    return outcome.summary(time.perf_counter() - started)


class Http:
    """The gateway seen by one client: a keep-alive session."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def call(self, outcome: Outcome, method: str, path: str, expect: int, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base + path, timeout=HTTP_TIMEOUT,
                                            **kwargs)
        except requests.ConnectionError:
            outcome.resets += 1
            return
        except requests.RequestException as exc:
            outcome.fail(type(exc).__name__)
            return
        if response.status_code != expect:
            outcome.fail(f"HTTP {response.status_code}")
            return
        outcome.ms.append((time.perf_counter() - started) * 1000)


def rpc_call(step: str, context: dict[str, str], method: str,
             payload: Callable[[int], Any]) -> Callable[[int, Any, Outcome], None]:
    def call(i: int, caller: Any, outcome: Outcome) -> None:
        started = time.perf_counter()
        try:
            caller.call(step, context, method, payload(i))
        except Exception as exc:
            outcome.fail(type(exc).__name__)
            return
        outcome.ms.append((time.perf_counter() - started) * 1000)
    return call


def wait_for_gateway(base: str, station_id: str, process: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the gateway exited with {process.returncode}")
        try:
            if requests.get(f"{base}/api/v1/stations/{station_id}", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the gateway did not answer within {timeout:.0f}s")
        eventlet.sleep(0.2)


def staff_token(config: dict[str, Any]) -> str:
    """A district staff token signed by the gateway's key (created under VAR_DIR on first use,
    so the gateway started after this reuses it), as a login would issue it."""
    app = create_app(config)
    try:
        user = User("bench-district-hr", "district_hr", "基准区人社", district=DISTRICT)
        return app.extensions[TOKENS].issue(user)
    finally:
        close(app)


def run(args: argparse.Namespace, amqp_uri: str, tmp: Path) -> dict[str, Any]:
    clock_file = tmp / "clock"
    set_time(clock_file, datetime.fromisoformat(START).replace(tzinfo=SHANGHAI))
    config = {
        "AMQP_URI": amqp_uri, "TENANT": CITY, "DATABASE_URL": "", "VAR_DIR": str(tmp / "var"),
        "CLOCK_FILE": str(clock_file), "LOG_LEVEL": "WARNING", "EVENT_RETRIES": 3,
        "EVENT_RETRY_DELAY_MS": 1000, "OUTBOX_POLL_SECONDS": 1.0, "OUTBOX_BATCH_SIZE": 100,
        "max_workers": 10,
    }
    config_file = tmp / "config.yaml"
    config_file.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GATEWAY_CONFIG": str(config_file), "GATEWAY_PORT": str(port),
           "METRICS_PORT": "off"}
    top = max(args.concurrency)
    result: dict[str, Any] = {"concurrency": args.concurrency}
    with service_process(config, tmp) as service:
        drivers = Drivers({"AMQP_URI": amqp_uri}, top, Timings())
        try:
            workload = Run(drivers, argparse.Namespace(applications=1, batch_size=1), clock_file)
            plaques, _ = workload.timed(workload.setup())
            station = drivers.map(lambda c, _: c.call("setup", CITY_HR, "list_stations", {
                "status": "active", "limit": 1}), [None])[0]["items"][0]
            token = staff_token(config)
            gunicorn = [sys.executable, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py",
                        "gateway.wsgi:app"]
            with platform_process(gunicorn, tmp / "gateway.log", ROOT, env) as gateway:
                wait_for_gateway(base, station["id"], gateway)
                result.update(measure_all(args, drivers, base, station["id"], token,
                                          (service.pid, gateway.pid)))
        finally:
            drivers.close()
    result["station_plaque"] = plaques[0]
    return result


def measure_all(args: argparse.Namespace, drivers: Drivers, base: str, station_id: str,
                token: str, pids: tuple[int, int]) -> dict[str, Any]:
    callers = drivers.callers
    writes = iter(range(10**9))
    auth = {"Authorization": f"Bearer {token}"}
    read_path = f"/api/v1/stations/{station_id}"
    # name -> (one call, its clients (None: HTTP clients opened per run), calls per run)
    paths: dict[str, tuple[Callable[[int, Any, Outcome], None], list[Any] | None, int]] = {
        "read_gateway": (lambda i, c, o: c.call(o, "GET", read_path, 200), None, args.reads),
        "read_bare": (rpc_call("read", PUBLIC, "get_station", lambda i: station_id), callers,
                      args.reads),
        "write_gateway": (lambda i, c, o: c.call(o, "POST", "/api/v1/host-units", 201,
                                                  json=host_unit_body(next(writes)),
                                                  headers=auth), None, args.writes),
        "write_bare": (rpc_call("write", district_hr(DISTRICT), "register_host_unit",
                                lambda i: host_unit_body(next(writes))), callers, args.writes),
    }
    # Warm-up: connections, proxies, caches of both sides.
    for name in ("read_gateway", "read_bare"):
        call, clients, _ = paths[name]
        measure(max(args.concurrency), 4 * max(args.concurrency), call,
                clients or [Http(base) for _ in range(max(args.concurrency))])

    cpu_before = [tree_cpu_seconds(pid) for pid in pids]
    figures: dict[str, Any] = {}
    for c in args.concurrency:
        row: dict[str, Any] = {}
        for kind in ("read", "write"):
            pair = (f"{kind}_bare", f"{kind}_gateway")
            for name in pair if c % 2 == 0 else reversed(pair):
                call, clients, count = paths[name]
                # HTTP clients connect afresh each run: a kept-alive connection idle through
                # the runs before would meet the gateway's keep-alive timeout, not its speed.
                row[name] = measure(c, count, call, clients or [Http(base) for _ in range(c)])
                print(f"c={c} {name}: {row[name]['per_second']}/s p50 {row[name]['p50_ms']} ms "
                      f"p99 {row[name]['p99_ms']} ms errors {row[name]['errors']} resets "
                      f"{row[name]['connection_resets']}", file=sys.stderr)
        gateway, bare = row["read_gateway"], row["read_bare"]
        row["read_ratio"] = round(gateway["per_second"] / bare["per_second"], 3)
        row["read_p50_extra_ms"] = (
            round(gateway["p50_ms"] - bare["p50_ms"], 2)
            if gateway["p50_ms"] is not None and bare["p50_ms"] is not None else None
        )
        row["write_ratio"] = round(row["write_gateway"]["per_second"]
                                   / max(row["write_bare"]["per_second"], 1e-9), 3)
        figures[str(c)] = row
    cpu_after = [tree_cpu_seconds(pid) for pid in pids]
    return {
        "by_concurrency": figures,
        "cpu_seconds": {"service": round(cpu_after[0] - cpu_before[0], 2),
                        "gateway": round(cpu_after[1] - cpu_before[1], 2)},
        "load_average_during": load_average(),
    }


def targets_met(result: dict[str, Any], timing: bool) -> bool:
    """0 errors and 0 connection resets on every path; with ``timing``, also the throughput
    ratio and the read p50 allowance. A smoke run's few hundred requests on a shared machine
    say how busy it is rather than how fast the gateway is, so it checks only the first."""
    for row in result["by_concurrency"].values():
        clean = all(row[p]["errors"] == 0 and row[p]["connection_resets"] == 0
                    for p in ("read_gateway", "read_bare", "write_gateway", "write_bare"))
        extra = row["read_p50_extra_ms"]
        if not clean:
            return False
        if timing and not (row["read_ratio"] >= TARGET_READ_RATIO
                           and extra is not None and extra <= TARGET_READ_P50_EXTRA_MS):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/gateway.py", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="a few seconds (CI)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--reads", type=int, help="reads per path and concurrency")
    parser.add_argument("--writes", type=int, help="writes per path and concurrency")
    parser.add_argument("--background-load", type=int, default=0, metavar="N",
                        help="N busy processes beside the run (a loaded machine)")
    parser.add_argument("--amqp-uri", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--management-url", default="http://guest:guest@127.0.0.1:15672")
    args = parser.parse_args(argv)
    args.reads = args.reads or (300 if args.smoke else 3000)
    args.writes = args.writes or (64 if args.smoke else 500)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    result: dict[str, Any] = {
        "bench": "gateway", "smoke": args.smoke, "reads": args.reads, "writes": args.writes,
        "background_load": args.background_load, "load_average_before": load_average(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        try:
            with background_load(args.background_load), \
                    fresh_vhost(args.amqp_uri, args.management_url, "bench-gateway") as amqp_uri:
                result.update(run(args, amqp_uri, Path(tmp)))
        except Exception as exc:
            result.update(ok=False, error=f"{type(exc).__name__}: {exc}")
            print(json.dumps(result, ensure_ascii=False))
            return 1
    result.update(target_read_ratio=TARGET_READ_RATIO,
                  target_read_p50_extra_ms=TARGET_READ_P50_EXTRA_MS)
    result["targets_checked"] = not args.smoke
    result["ok"] = targets_met(result, timing=not args.smoke)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
