"""The portal's Flask app: ``create_app(config)``; every blueprint of portal.blueprints."""

from __future__ import annotations

import importlib
import os
import pkgutil
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from portal import blueprints, filters, i18n, timing
from portal.auth import current_user, login_redirect
from portal.client import ApiError, LoginRequired
from portal.menu import PUBLIC, entries_for
from portal.sessions import ServerSessionInterface

# Four conditions' evidence in one post, each up to the gateway's 10 MiB: a larger file is
# then refused beside its field (the typed values kept), not by a bare 413 page.
MAX_UPLOAD_BYTES = 4 * 10 * 1024 * 1024


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def config_from_env() -> dict[str, Any]:
    return {
        "GATEWAY_URL": os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000"),
        # Sessions live in memory, so a random key per start costs nothing but the sessions.
        "SECRET_KEY": os.environ.get("PORTAL_SECRET_KEY") or secrets.token_hex(32),
        "SESSION_COOKIE_SECURE": _truthy(os.environ.get("SESSION_COOKIE_SECURE")),
        "PORTAL_PORT": int(os.environ.get("PORTAL_PORT", "8080")),
        "SERVER_TIMING": _truthy(os.environ.get("PORTAL_SERVER_TIMING")),
    }


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES + 1024 * 1024,  # the files plus the form around them
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: a long form is not lost
    )
    app.config.update(config_from_env())
    app.config.update(config or {})
    app.session_interface = ServerSessionInterface()
    CSRFProtect(app)
    i18n.init_app(app)
    filters.init_app(app)
    timing.init_app(app)
    _register_blueprints(app)
    _register_errors(app)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        user = current_user()
        return {"current_user": user, "public_menu": PUBLIC,
                "role_menu": entries_for(user["role"] if user else None),
                "languages": i18n.LANGUAGES, "current_lang": i18n.select_locale()}

    @app.after_request
    def _headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Everything is served by the portal itself (offline intranets: no CDN).
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'")
        if current_user() is not None:  # a signed-in page must not be cached for the next user
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


def _register_blueprints(app: Flask) -> None:
    """Every module of portal.blueprints exposing ``bp``: P2's staff_*.py join by existing."""
    for info in sorted(pkgutil.iter_modules(blueprints.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{blueprints.__name__}.{info.name}")
        bp = getattr(module, "bp", None)
        if bp is not None:
            app.register_blueprint(bp)


def _register_errors(app: Flask) -> None:
    @app.errorhandler(LoginRequired)
    def _login(_: LoginRequired):  # type: ignore[no-untyped-def]
        return login_redirect()

    @app.errorhandler(ApiError)
    def _api(err: ApiError):  # type: ignore[no-untyped-def]
        if err.status == 403:
            return render_template("errors/forbidden.html", error=err), 403
        if err.status == 404:
            return render_template("errors/not_found.html", error=err), 404
        status = err.status if 400 <= err.status < 600 else 502
        return render_template("errors/error.html", error=err), status

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError):  # type: ignore[no-untyped-def]
        return render_template("errors/csrf.html", reason=err.description), 400

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):  # type: ignore[no-untyped-def]
        if err.code == 403:
            return render_template("errors/forbidden.html", error=None), 403
        if err.code == 404:
            return render_template("errors/not_found.html", error=None), 404
        if request.path.startswith("/static/"):
            return err
        return render_template("errors/error.html", error=None, http=err), err.code or 500
