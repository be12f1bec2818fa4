"""The gateway's app factory: configuration, error shape, request ids, RPC pool, routes."""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

from flask import Flask, Response, g, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from gateway import calendar, errors, health, rpc
from servicekit.config import load_config
from servicekit.errors import DomainError
from servicekit.logs import correlation_id

DEFAULT_CONFIG_FILE = "deploy/local/config.yaml"
REQUEST_ID_HEADER = "X-Request-ID"
# A client's request id is echoed and logged, so only a short plain token is taken as is.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

DEFAULTS: dict[str, Any] = {
    "RPC_POOL_SIZE": 8,
    "RPC_TIMEOUT_SECONDS": 10,
    "READY_TIMEOUT_SECONDS": 2,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "API_TITLE": "Weihai talent-station platform",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    # The browser loads Swagger UI's scripts from this CDN; the page itself is served locally.
    "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
}


class GatewayApi(Api):
    """flask-smorest's Api with the gateway's error shape, in responses and in the docs."""

    ERROR_SCHEMA = errors.ErrorSchema

    def handle_http_exception(
        self, error: HTTPException
    ) -> tuple[dict[str, Any], int, dict[str, str]]:
        return errors.http_error_response(error)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The gateway for one tenant. ``config`` is the services' nameko config plus the
    gateway's keys (see DEFAULTS); None reads the YAML file named by $GATEWAY_CONFIG."""
    if config is None:
        config = load_config(os.environ.get("GATEWAY_CONFIG", DEFAULT_CONFIG_FILE))
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(config)
    app.json.ensure_ascii = False  # Chinese messages stay readable in the raw body

    api = GatewayApi(app)
    app.register_error_handler(DomainError, errors.domain_error_response)
    metrics = health.Metrics()
    # Hooks run in this order: the timer first, so that every answer is measured and
    # carries a request id, even a refused upload.
    health.init_app(app, config, metrics)
    app.before_request(_start_request)
    app.before_request(_refuse_oversized_body)
    app.after_request(_echo_request_id)
    app.teardown_request(_end_request)

    app.extensions[rpc.EXTENSION] = rpc.RpcPool(
        config,
        size=int(app.config["RPC_POOL_SIZE"]),
        timeout=float(app.config["RPC_TIMEOUT_SECONDS"]),
        observe=metrics.observe_rpc,
    )
    api.register_blueprint(calendar.blp)
    return app


def close(app: Flask) -> None:
    """Stop the app's RPC proxies (gunicorn's worker_exit, test teardown)."""
    for pool in (app.extensions[rpc.EXTENSION], app.extensions[health.READY_POOL]):
        pool.close()


def _start_request() -> None:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = offered if _SANE_REQUEST_ID.fullmatch(offered) else str(uuid.uuid4())
    g.correlation_token = correlation_id.set(g.request_id)


def _refuse_oversized_body() -> None:
    # Refuse a declared oversized body before any view runs, not only when a view reads it.
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def _echo_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.request_id
    return response


def _end_request(_exc: BaseException | None) -> None:
    token = g.pop("correlation_token", None)
    if token is not None:
        correlation_id.reset(token)
