"""gunicorn settings of the gateway: ``gunicorn -c gateway/gunicorn.conf.py gateway.wsgi:app``."""

import os

bind = f"{os.environ.get('GATEWAY_HOST', '127.0.0.1')}:{os.environ.get('GATEWAY_PORT', '8000')}"

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


def worker_exit(server, worker):
    """Close the worker's broker connections on the way out."""
    from gateway.app import close

    app = getattr(worker, "wsgi", None)
    if app is not None:
        close(app)
