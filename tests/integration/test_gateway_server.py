"""The gateway as gunicorn serves it (issue 13, item 9): a bare /healthz in public, metrics
on the internal port and not on the public one, gunicorn's own errors (414, 431, 400) in the
JSON error shape, and Swagger UI's assets served by the gateway, not a CDN."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gateway(service_config: dict, database_url: str, tmp_path: Path) -> Iterator[dict]:
    config_file = tmp_path / "gateway.yaml"
    config_file.write_text(yaml.safe_dump({**service_config, "GATEWAY_DATABASE_URL": database_url,
                                           "LOG_LEVEL": "WARNING"}))
    port, metrics_port = _free_port(), _free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "GATEWAY_CONFIG": str(config_file), "GATEWAY_PORT": str(port),
           "METRICS_PORT": str(metrics_port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.wsgi:app"],
        cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield {"base": base, "port": port, "metrics": f"http://127.0.0.1:{metrics_port}"}
    finally:
        process.terminate()
        process.wait(timeout=30)


def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.parametrize(("request_bytes", "status", "code"), [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431,
     "headers_too_large"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200))
     + b"\r\n", 431, "headers_too_large"),
    (b"BR@KEN / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
])
def test_gunicorns_own_errors_are_the_json_shape(gateway: dict, request_bytes: bytes,
                                                 status: int, code: str) -> None:
    answered, headers, body = _raw(gateway["port"], request_bytes)
    assert answered == status
    assert headers["content-type"].startswith("application/json")
    parsed = yaml.safe_load(body.decode("utf-8"))  # JSON is YAML
    assert set(parsed) == {"code", "message", "details"} and parsed["code"] == code
    assert b"<html" not in body


def test_metrics_only_on_the_internal_port_and_a_bare_health_in_public(gateway: dict) -> None:
    assert requests.get(f"{gateway['base']}/healthz", timeout=5).json() == {"status": "ok"}
    public = requests.get(f"{gateway['base']}/metrics", timeout=5)
    assert public.status_code == 404 and public.json()["code"] == "not_found"
    ready = requests.get(f"{gateway['base']}/readyz", timeout=10)
    assert ready.status_code == 503  # no service runs here, and no detail is given away
    assert ready.json() == {"code": "not_ready", "message": "Not ready.", "details": {}}
    internal = requests.get(f"{gateway['metrics']}/metrics", timeout=5)
    assert internal.status_code == 200
    assert 'gateway_http_requests_total{method="GET",route="/healthz",status="200"}' \
        in internal.text


def test_swagger_ui_loads_nothing_from_a_cdn(gateway: dict) -> None:
    page = requests.get(f"{gateway['base']}/api/v1/docs", timeout=5)
    assert page.status_code == 200 and "cdn." not in page.text and "https://" not in page.text
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f"/static/swagger-ui/{asset}" in page.text
        served = requests.get(f"{gateway['base']}/static/swagger-ui/{asset}", timeout=5)
        assert served.status_code == 200 and len(served.content) > 1000
    assert requests.get(f"{gateway['base']}/static/swagger-ui/index.html",
                        timeout=5).status_code == 404
