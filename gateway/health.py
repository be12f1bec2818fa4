"""Liveness, readiness and Prometheus metrics of the gateway.

/healthz answers without the broker (the process is up), to anyone. /readyz pings every
service through the broker and answers anyone only ready or not (200 or 503); which service
failed and why, and /metrics (this process's counters: routes, statuses, RPC names), are for
the monitoring system alone. Under gunicorn the metrics are served on an internal port
(``METRICS_PORT``, see gunicorn.conf.py); on the public port /metrics and the detail of
/readyz answer only ``Authorization: Bearer <METRICS_TOKEN>`` (no token configured: /metrics
is not there). The metrics live in one process: gunicorn runs a single worker, so no
multiprocess collector is needed.
"""

from __future__ import annotations

import hmac
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from werkzeug.exceptions import NotFound

from gateway import rpc
from gateway.errors import NotReady
from servicekit.errors import DomainError

SERVICES = ("applications", "evaluation", "subsidy", "matching")
READY_POOL = "gateway.rpc.ready"
METRICS = "gateway.metrics"
# Requests no route matched share one label, so a scan of random paths cannot blow up the series.
UNMATCHED = "<unmatched>"

blp = Blueprint("health", __name__)


class Metrics:
    """The gateway's Prometheus series, in a registry of the app's own (one per app, so tests
    can build many apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ("route", "method", "status")
        self.requests = Counter(
            "gateway_http_requests", "HTTP requests answered.", labels, registry=self.registry
        )
        self.latency = Histogram(
            "gateway_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            labels,
            registry=self.registry,
        )
        self.rpc_latency = Histogram(
            "gateway_rpc_duration_seconds",
            "Time an RPC took, failures included.",
            ("service", "method"),
            registry=self.registry,
        )

    def observe_rpc(self, service: str, method: str, seconds: float) -> None:
        self.rpc_latency.labels(service, method).observe(seconds)

    def start_request(self) -> None:
        g.metrics_started_at = time.perf_counter()

    def end_request(self, response: Response) -> Response:
        rule = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        labels = (rule, request.method, str(response.status_code))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(time.perf_counter() - g.metrics_started_at)
        return response


def init_app(app: Flask, config: dict[str, Any], metrics: Metrics) -> None:
    """Register the routes, the request timing hooks and the readiness pool (``config``:
    the nameko config of the tenant's broker)."""
    app.extensions[METRICS] = metrics
    app.before_request(metrics.start_request)
    app.after_request(metrics.end_request)
    # Readiness pings get a small pool of their own with a short timeout, so a busy main
    # pool does not make the gateway look down, and a down service answers quickly.
    app.extensions[READY_POOL] = rpc.RpcPool(
        config,
        size=len(SERVICES),
        timeout=float(app.config["READY_TIMEOUT_SECONDS"]),
        observe=metrics.observe_rpc,
    )
    app.register_blueprint(blp)


@blp.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@blp.get("/readyz")
def readyz() -> dict[str, Any]:
    pool: rpc.RpcPool = current_app.extensions[READY_POOL]
    context = rpc.request_context()
    with ThreadPoolExecutor(max_workers=len(SERVICES)) as executor:
        futures = {name: executor.submit(pool.call, name, "ping", (), context) for name in SERVICES}
    answers: dict[str, Any] = {}
    unavailable: dict[str, str] = {}
    for name, future in futures.items():
        try:
            answers[name] = future.result()
        except DomainError as exc:
            unavailable[name] = exc.details.get("reason", exc.code)
    monitor = _is_monitor()
    if unavailable:
        raise NotReady.of(unavailable, answers) if monitor else NotReady.bare()
    return {"status": "ready", "services": answers} if monitor else {"status": "ready"}


def _is_monitor() -> bool:
    """The request carries the monitoring system's token (METRICS_TOKEN)."""
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@blp.get("/metrics")
def metrics() -> Response:
    if not _is_monitor():
        raise NotFound()
    registry = current_app.extensions[METRICS].registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
