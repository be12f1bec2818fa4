"""Swagger UI's scripts and styles served by the gateway itself (government intranets are
offline: no CDN), from the pinned ``swagger-ui-bundle`` package; flask-smorest's page at
/api/v1/docs loads them from here (``OPENAPI_SWAGGER_UI_URL``)."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import NotFound

URL = "/static/swagger-ui/"
# What the page loads: nothing else of the package is served.
FILES = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                   "favicon-16x16.png", "favicon-32x32.png"})

blp = Blueprint("swagger_assets", __name__)


@blp.get(f"{URL}<name>")
def asset(name: str) -> Response:
    if name not in FILES:
        raise NotFound()
    response = send_from_directory(swagger_ui_path, name, max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
