"""The gateway's app factory: configuration, error shape, request ids, authentication,
limits, audit, RPC pool, routes."""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

from flask import Flask, Response, g, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway import (
    accounts,
    applications,
    audit,
    auth,
    calendar,
    errors,
    health,
    limits,
    measures,
    rpc,
    swagger_assets,
    tokens,
)
from gateway.arguments import JsonProvider
from gateway.documents_routes import blp as documents_blp
from gateway.evaluation import blp as evaluation_blp
from gateway.matching import blp as matching_blp
from gateway.store import EXTENSION as STORE
from gateway.store import Store
from gateway.subsidy import blp as subsidy_blp
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
    # Swagger UI's scripts and styles come from the gateway itself (gateway.swagger_assets).
    "OPENAPI_SWAGGER_UI_URL": swagger_assets.URL,
    # The gateway's own database (users, audit); unset: SQLite under VAR_DIR (gateway.store).
    "GATEWAY_DATABASE_URL": None,
    "MIGRATE_ON_START": True,
    # Behind N reverse proxies, the client address is the Nth from the right of
    # X-Forwarded-For; 0 trusts no such header (the peer is the client).
    "PROXY_FIX_X_FOR": 0,
    # The monitoring system's bearer token for /metrics and /readyz's detail on the public
    # port (gateway.health); unset: /metrics only on gunicorn's METRICS_PORT.
    "METRICS_TOKEN": None,
    **tokens.DEFAULTS,
    **limits.DEFAULTS,
    **accounts.DEFAULTS,
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
    app.json = JsonProvider(app)
    app.json.ensure_ascii = False  # Chinese messages stay readable in the raw body

    proxies = int(app.config["PROXY_FIX_X_FOR"] or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)

    api = GatewayApi(app)
    api.spec.components.security_scheme(
        auth.SECURITY_SCHEME, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    app.register_error_handler(DomainError, errors.domain_error_response)
    app.extensions[STORE] = Store.open(app.config, migrate=bool(app.config["MIGRATE_ON_START"]))
    auth.init_app(app)
    metrics = health.Metrics()
    # Hooks run in this order: the timer first, so that every answer is measured and
    # carries a request id, even a refused upload; the body's size and type are checked
    # before any view; after the view, the audit record is written, then the id echoed.
    health.init_app(app, config, metrics)
    app.register_blueprint(swagger_assets.blp)
    app.before_request(_start_request)
    app.before_request(rpc.check_tenant_header)
    limits.init_app(app)
    app.after_request(_echo_request_id)
    audit.init_app(app)
    app.teardown_request(_end_request)

    app.extensions[rpc.EXTENSION] = rpc.RpcPool(
        config,
        size=int(app.config["RPC_POOL_SIZE"]),
        timeout=float(app.config["RPC_TIMEOUT_SECONDS"]),
        observe=metrics.observe_rpc,
    )
    routes = rpc.TenantRoutes.from_config(
        config,
        size=int(app.config["RPC_POOL_SIZE"]),
        timeout=float(app.config["RPC_TIMEOUT_SECONDS"]),
        observe=metrics.observe_rpc,
    )
    if routes is not None:
        app.extensions[rpc.ROUTES] = routes
    api.register_blueprint(auth.blp)
    api.register_blueprint(accounts.blp)
    api.register_blueprint(calendar.blp)
    api.register_blueprint(measures.blp)
    api.register_blueprint(matching_blp)
    api.register_blueprint(subsidy_blp)
    api.register_blueprint(evaluation_blp)
    api.register_blueprint(applications.blp)
    api.register_blueprint(documents_blp)
    return app


def close(app: Flask) -> None:
    """Stop the app's RPC proxies and close its database (gunicorn's worker_exit, tests)."""
    for pool in (app.extensions[rpc.EXTENSION], app.extensions[health.READY_POOL]):
        pool.close()
    if rpc.ROUTES in app.extensions:
        app.extensions[rpc.ROUTES].close()
    app.extensions[STORE].close()


def _start_request() -> None:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = offered if _SANE_REQUEST_ID.fullmatch(offered) else str(uuid.uuid4())
    g.correlation_token = correlation_id.set(g.request_id)


def _echo_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.request_id
    return response


def _end_request(_exc: BaseException | None) -> None:
    token = g.pop("correlation_token", None)
    if token is not None:
        correlation_id.reset(token)
