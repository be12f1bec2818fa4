"""Languages: Chinese (zh_CN) first, English on request; the choice is kept in the session."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, request, session, url_for
from flask_babel import Babel

from portal.auth import safe_next

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT = "zh_CN"

bp = Blueprint("lang", __name__)


def _normalise(code: str | None) -> str | None:
    if not code:
        return None
    code = code.replace("-", "_")
    if code in LANGUAGES:
        return code
    return {"zh": "zh_CN", "en_US": "en", "en_GB": "en"}.get(code)


def select_locale() -> str:
    return session.get("lang") or DEFAULT


def remember_query_language() -> None:
    """``?lang=en`` on any page switches too (a link that works without a form)."""
    chosen = _normalise(request.args.get("lang"))
    if chosen and session.get("lang") != chosen:
        session["lang"] = chosen


@bp.get("/lang/<code>")
def switch(code: str):
    chosen = _normalise(code)
    if chosen:
        session["lang"] = chosen
    return redirect(safe_next(request.args.get("next")) or url_for("public.home"))


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    Babel(app, locale_selector=select_locale)
    app.before_request(remember_query_language)
    app.register_blueprint(bp)
