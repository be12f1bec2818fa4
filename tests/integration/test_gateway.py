"""The gateway's foundation against the real RabbitMQ and the real services: health,
readiness, metrics, the error shape, request ids, the RPC pool and the calendar routes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from nameko import exceptions as nameko_errors
from nameko.exceptions import get_module_path, serialize
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc as nameko_rpc

from gateway import rpc
from gateway.app import close, create_app
from servicekit.errors import DomainError
from services.applications.service import ApplicationsService
from services.evaluation.service import EvaluationService
from services.matching.service import MatchingService
from services.subsidy.service import SubsidyService
from tests.integration.helpers import wait_for

pytestmark = pytest.mark.integration

SERVICES = (ApplicationsService, EvaluationService, SubsidyService, MatchingService)
READY_TIMEOUT = 1.0
METRICS_TOKEN = "monitoring-token-of-the-tests"
MONITOR = {"Authorization": f"Bearer {METRICS_TOKEN}"}


class _ContextData(DependencyProvider):
    def get_dependency(self, worker_ctx: Any) -> dict:
        return worker_ctx.context_data


class _ProbeRefusal(DomainError):
    status = 409


class Probe:
    """A test service: shows the context data an RPC arrives with, or fails like a bug."""

    name = "probe"
    context_data = _ContextData()

    @nameko_rpc
    def context(self) -> dict:
        return dict(self.context_data)

    @nameko_rpc
    def refuse(self) -> None:
        raise _ProbeRefusal("probe.refused", "The probe refuses.", "探针拒绝。", {"attempt": 2})

    @nameko_rpc
    def boom(self) -> None:
        raise ValueError("secret internals at /srv/probe.py line 42")


def _crash() -> None:
    raise RuntimeError("gateway bug with secret internals")


def _gateway(config: dict, **overrides: Any) -> Flask:
    app = create_app({**config, "READY_TIMEOUT_SECONDS": READY_TIMEOUT,
                      "METRICS_TOKEN": METRICS_TOKEN, **overrides})
    # Test-only routes that reach the probe service through the pool.
    app.add_url_rule("/test/context", "probe_context", lambda: rpc.call("probe", "context"))
    app.add_url_rule("/test/refuse", "probe_refuse", lambda: rpc.call("probe", "refuse"))
    app.add_url_rule("/test/boom", "probe_boom", lambda: rpc.call("probe", "boom"))
    app.add_url_rule("/test/crash", "crash", _crash)
    return app


@pytest.fixture
def runner(runner_factory: Any, service_config: dict) -> Any:
    runner = runner_factory(service_config, *SERVICES, Probe)
    runner.start()
    return runner


@pytest.fixture
def app(runner: Any, service_config: dict) -> Iterator[Flask]:
    app = _gateway(service_config)
    yield app
    close(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _assert_error_shape(body: dict, code: str) -> None:
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert body["message"]


def _domain_errors() -> list[type[DomainError]]:
    """Every DomainError subclass of the kit and the services loaded here."""
    found, todo = [], [DomainError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith(("servicekit.", "services.")):
            found.append(cls)
    return found


def test_every_domain_error_travels_with_its_status() -> None:
    # What a caller that never imported the class rebuilds from nameko's error payload.
    for cls in _domain_errors():
        sent = cls("probe.refused", "Refused.", "拒绝。", {"n": 1, "ids": ["a"]})
        received = DomainError.from_remote(serialize(sent))
        assert received is not None, cls
        assert (received.status, received.to_dict("zh")) == (sent.status, sent.to_dict("zh"))
    assert DomainError.from_remote(serialize(ValueError("a bug"))) is None


def test_a_domain_error_the_gateway_never_imported_is_its_4xx(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in the gateway's own process, which imports no service: nameko cannot rebuild it.
    monkeypatch.delitem(nameko_errors.registry, get_module_path(_ProbeRefusal))
    response = client.get("/test/refuse", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 409
    assert response.json == {"code": "probe.refused", "message": "探针拒绝。",
                             "details": {"attempt": 2}}


def test_healthz_answers_without_the_broker(tmp_path: Any) -> None:
    app = create_app({"AMQP_URI": "amqp://guest:guest@127.0.0.1:1/", "VAR_DIR": str(tmp_path)})
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_lists_every_service_with_its_tenant(client: FlaskClient) -> None:
    assert client.get("/readyz").json == {"status": "ready"}  # the public: no detail
    response = client.get("/readyz", headers=MONITOR)
    assert response.status_code == 200
    services = response.json["services"]
    assert set(services) == {"applications", "evaluation", "subsidy", "matching"}
    for name, answer in services.items():
        assert answer == {"service": name, "tenant": "371000", "status": "ok"}


def test_readyz_names_a_stopped_service_within_the_timeout(
    runner: Any, client: FlaskClient
) -> None:
    (matching,) = [c for c in runner.containers if c.service_name == "matching"]
    matching.stop()  # its queue stays: the ping waits, then times out
    started = time.monotonic()
    response = client.get("/readyz", headers=MONITOR)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    _assert_error_shape(response.json, "not_ready")
    assert response.json["details"]["unavailable"] == {"matching": "timeout"}
    assert set(response.json["details"]["services"]) == {"applications", "evaluation", "subsidy"}
    assert elapsed < READY_TIMEOUT + 1.5  # the four pings ran concurrently


def test_readyz_names_a_service_that_never_started(
    runner_factory: Any, service_config: dict
) -> None:
    runner_factory(service_config, ApplicationsService, EvaluationService, SubsidyService).start()
    app = _gateway(service_config)
    try:
        response = app.test_client().get("/readyz", headers={"Accept-Language": "zh-CN",
                                                             **MONITOR})
        public = app.test_client().get("/readyz")
    finally:
        close(app)
    assert response.status_code == 503
    assert response.json["details"]["unavailable"] == {"matching": "not_running"}
    assert "matching" in response.json["message"]
    assert "未就绪" in response.json["message"]
    assert public.status_code == 503
    assert public.json == {"code": "not_ready", "message": "Not ready.", "details": {}}


def test_notice_window_closes_after_five_working_days(client: FlaskClient) -> None:
    # R7.3: published Wed 2026-09-30; 10-01..10-07 are the National Day holiday and Sat 10-10
    # a make-up working day, so the five working days run from 09-30 to Mon 10-12.
    response = client.get("/api/v1/calendar/notice-window?published_on=2026-09-30")
    assert response.status_code == 200
    assert response.json["opens_on"] == "2026-09-30"
    assert response.json["closes_on"] == "2026-10-12"
    assert response.json["working_days"] == [
        "2026-09-30",
        "2026-10-08",
        "2026-10-09",
        "2026-10-10",
        "2026-10-12",
    ]


def test_workdays_lists_the_working_days_of_a_range(client: FlaskClient) -> None:
    response = client.get("/api/v1/calendar/workdays?start=2026-10-01&end=2026-10-12")
    assert response.status_code == 200
    assert response.json["start"] == "2026-10-01"
    assert response.json["end"] == "2026-10-12"
    assert response.json["workdays"] == ["2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12"]


def test_a_date_beyond_the_known_calendar_is_a_422_in_chinese(client: FlaskClient) -> None:
    response = client.get(
        "/api/v1/calendar/notice-window?published_on=2027-03-01",
        headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"},
    )
    assert response.status_code == 422
    _assert_error_shape(response.json, "calendar.beyond_known_data")
    assert "请管理员" in response.json["message"]
    assert response.json["details"]["year"] == 2027


def test_an_unknown_query_argument_is_a_422_in_the_error_shape(client: FlaskClient) -> None:
    response = client.get("/api/v1/calendar/notice-window?published_on=2026-09-30&days=3")
    assert response.status_code == 422
    _assert_error_shape(response.json, "invalid_input")
    assert response.json["details"]["fields"] == {"days": ["Unknown field."]}
    assert response.json["message"] == "The request has invalid fields."


def test_a_missing_or_malformed_date_is_a_422(client: FlaskClient) -> None:
    response = client.get("/api/v1/calendar/workdays?start=yesterday")
    assert response.status_code == 422
    _assert_error_shape(response.json, "invalid_input")
    assert set(response.json["details"]["fields"]) == {"start", "end"}


def test_unknown_route_and_wrong_method_answer_in_the_error_shape(client: FlaskClient) -> None:
    response = client.get("/api/v1/nowhere", headers={"Accept-Language": "zh"})
    assert response.status_code == 404
    _assert_error_shape(response.json, "not_found")
    assert response.json["message"] == "请求的资源不存在。"

    response = client.delete("/api/v1/calendar/workdays")
    assert response.status_code == 405
    _assert_error_shape(response.json, "method_not_allowed")
    assert "GET" in response.json["details"]["allowed"]


def test_an_oversized_body_is_a_413_in_the_error_shape(client: FlaskClient) -> None:
    response = client.post("/api/v1/calendar/workdays", data=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    _assert_error_shape(response.json, "payload_too_large")


def test_request_id_is_echoed_or_generated_and_reaches_the_service(
    client: FlaskClient,
) -> None:
    response = client.get(
        "/test/context",
        headers={"X-Request-ID": "req-42_abc", "Accept-Language": "zh-CN"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.headers["X-Request-ID"] == "req-42_abc"
    context = response.json
    assert context["correlation_id"] == "req-42_abc"
    assert context["origin"] == "10.1.2.3"
    assert context["language"] == "zh"
    assert context["actor"] == "anonymous"
    assert context["role"] == "public"

    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 36  # a UUID
    for insane in ("x" * 65, "a b", "<script>"):
        echoed = client.get("/healthz", headers={"X-Request-ID": insane}).headers["X-Request-ID"]
        assert echoed != insane
        assert len(echoed) == 36


def test_a_remote_bug_is_a_502_without_its_traceback(client: FlaskClient) -> None:
    response = client.get("/test/boom")
    assert response.status_code == 502
    _assert_error_shape(response.json, "upstream_error")
    assert response.json["details"] == {"service": "probe"}
    assert "secret" not in response.get_data(as_text=True)


def test_a_gateway_bug_is_a_500_in_the_error_shape(client: FlaskClient) -> None:
    response = client.get("/test/crash")
    assert response.status_code == 500
    _assert_error_shape(response.json, "internal_error")
    assert "secret" not in response.get_data(as_text=True)


def test_metrics_label_routes_by_template_and_time_rpcs(client: FlaskClient) -> None:
    client.get("/api/v1/calendar/notice-window?published_on=2026-09-30")
    client.get("/no/such/path/123")
    assert client.get("/metrics").status_code == 404  # not to the public
    assert client.get("/metrics", headers={"Authorization": "Bearer guess"}).status_code == 404
    text = client.get("/metrics", headers=MONITOR).get_data(as_text=True)
    assert (
        'gateway_http_requests_total{method="GET",route="/api/v1/calendar/notice-window",'
        'status="200"} 1.0'
    ) in text
    assert 'route="<unmatched>"' in text
    assert "/no/such/path" not in text
    assert (
        'gateway_rpc_duration_seconds_count{method="get_notice_window",'
        'service="applications"} 1.0'
    ) in text


def test_openapi_document_lists_the_calendar_routes(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["info"]["title"] == "Weihai talent-station platform"
    assert spec["openapi"] == "3.0.3"
    assert "/api/v1/calendar/workdays" in spec["paths"]
    assert "/api/v1/calendar/notice-window" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.get_data(as_text=True)


def test_the_pool_reuses_a_bounded_number_of_connections(runner: Any, service_config: dict) -> None:
    app = _gateway(service_config, RPC_POOL_SIZE=3)
    pool = app.extensions[rpc.EXTENSION]

    def notice_window(_: int) -> int:
        client = app.test_client()
        return client.get("/api/v1/calendar/notice-window?published_on=2026-09-30").status_code

    try:
        # More concurrent requests than proxies: the extra ones wait for a free proxy.
        with ThreadPoolExecutor(max_workers=8) as executor:
            statuses = list(executor.map(notice_window, range(20)))
    finally:
        close(app)
    assert statuses == [200] * 20
    assert 1 <= pool.started <= 3


def test_a_broker_connection_dropped_under_a_pooled_proxy_is_survived(
    app: Flask, client: FlaskClient, rabbit_manager: Any, rabbit_config: dict
) -> None:
    assert client.get("/test/context").status_code == 200
    pool = app.extensions[rpc.EXTENSION]
    (proxy,) = list(pool._idle.queue)
    port = proxy._reply_listener.queue_consumer.connection.connection.sock.getsockname()[1]
    (name,) = wait_for(  # the management API lists a new connection after a few seconds
        lambda: [
            c["name"]
            for c in rabbit_manager.get_connections()
            if c["vhost"] == rabbit_config["vhost"] and c["peer_port"] == port
        ]
    )
    rabbit_manager.delete_connection(name)
    assert [client.get("/test/context").status_code for _ in range(3)] == [200] * 3


def test_a_service_not_answering_is_a_503_and_its_proxy_is_replaced(
    runner: Any, service_config: dict
) -> None:
    app = _gateway(service_config, RPC_TIMEOUT_SECONDS=1)
    client = app.test_client()
    try:
        (probe,) = [c for c in runner.containers if c.service_name == "probe"]
        probe.stop()
        started = time.monotonic()
        response = client.get("/test/context")
        assert time.monotonic() - started < 2.5
        assert response.status_code == 503
        _assert_error_shape(response.json, "service_unavailable")
        assert response.json["details"] == {"service": "probe", "reason": "timeout"}

        # A late reply could land on the timed-out proxy's queue: it was dropped, not reused.
        response = client.get("/api/v1/calendar/notice-window?published_on=2026-09-30")
        assert response.status_code == 200
        assert app.extensions[rpc.EXTENSION].started == 2
    finally:
        close(app)
