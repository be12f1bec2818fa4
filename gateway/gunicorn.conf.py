"""gunicorn settings of the gateway: ``gunicorn -c gateway/gunicorn.conf.py gateway.wsgi:app``."""

import logging
import os

from gateway import server_errors

bind = f"{os.environ.get('GATEWAY_HOST', '127.0.0.1')}:{os.environ.get('GATEWAY_PORT', '8000')}"

# Prometheus metrics on an internal address of their own, not on the public port
# (gateway/health.py): METRICS_PORT (default the gateway's port + 1000; "off": none) on
# METRICS_HOST (default loopback).
metrics_host = os.environ.get("METRICS_HOST", "127.0.0.1")
metrics_port = os.environ.get("METRICS_PORT") or str(int(bind.rsplit(":", 1)[1]) + 1000)

# gunicorn's own errors (414, 431, 400, 500) in the gateway's JSON shape, not its HTML page.
server_errors.install()

# One process, many threads. The Prometheus metrics and the RPC proxy pool live in the
# process: more workers would each count and pool on their own (prometheus_client's
# multiprocess mode would be needed). Scale with threads, matched to RPC_POOL_SIZE (8) so a
# thread never waits for a proxy. gthread, not eventlet: the gateway is not monkey-patched.
workers = 1
worker_class = "gthread"
threads = 8

# Longer than RPC_TIMEOUT_SECONDS (10), so a slow RPC ends as a 503, not a killed worker.
timeout = 30
# On SIGTERM, requests in flight get this long to finish.
graceful_timeout = 20

# No gunicornc control socket: its default path is one per user, and the gateways of
# `make run`, the tests and the benchmarks on one machine would take it from each other.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
# One JSON-ish object per request; X-Request-ID ties it to the services' logs.
access_log_format = (
    '{"time": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", '
    '"query": "%(q)s", "status": %(s)s, "bytes": "%(B)s", "duration_us": %(D)s, '
    '"request_id": "%({x-request-id}o)s", "agent": "%(a)s"}'
)


def post_worker_init(worker):
    """Serve the worker's metrics on the internal port (one worker: one registry)."""
    if metrics_port.lower() == "off":
        return
    from prometheus_client import start_http_server

    from gateway.health import METRICS

    try:
        start_http_server(int(metrics_port), metrics_host,
                          registry=worker.wsgi.extensions[METRICS].registry)
    except OSError as exc:  # the port is taken: the gateway serves, without internal metrics
        logging.getLogger("gateway").error("metrics not served on %s:%s: %s", metrics_host,
                                           metrics_port, exc)


def worker_exit(server, worker):
    """Close the worker's broker connections on the way out."""
    from gateway.app import close

    app = getattr(worker, "wsgi", None)
    if app is not None:
        close(app)
