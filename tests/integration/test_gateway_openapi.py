"""The OpenAPI document at /api/v1/openapi.json is true to the app (issue 4, item 1): every
route under /api/v1 is documented with its methods and nothing else is; every write says who
may call it and documents its 401/403 unless it is deliberately public; every JSON body refuses
fields it does not define. Operations are read from the app and its document, so the routes
of a new blueprint are checked without a word here.

The app runs without services: every request here is answered by the gateway itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.app import close, create_app
from tests.integration.test_gateway_matrix import (
    DOCUMENT,
    NO_BROKER,
    PLACEHOLDER,
    UPLOADS,
    WRITE_METHODS,
    headers_of,
    json_body_schema,
    openapi_path,
    operations,
)

pytestmark = pytest.mark.integration

DOCS_ENDPOINTS = ("api-docs.",)  # the document and Swagger UI themselves
# Writes anyone may make without a token, on purpose: signing in, and objecting to a public
# notice (Art 7(3)). Any other write must need a token.
PUBLIC_WRITES = {
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/public/notices/{notice_id}/objections"),
    ("POST", "/api/v1/registrations"),
}
UNKNOWN = "zz_not_a_field"
_ALL_METHODS = ("GET", *WRITE_METHODS)

@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app({"AMQP_URI": NO_BROKER, "VAR_DIR": str(tmp_path_factory.mktemp("var"))})
    yield app
    close(app)


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _params(items: list[tuple[str, str, dict]]) -> list[Any]:
    """One param per operation, named by its method and path."""
    return [pytest.param(method, path, id=f"{method} {path}") for method, path, _ in items]


def test_every_route_is_documented_with_its_methods_and_nothing_else(
    app: Flask, client: FlaskClient
) -> None:
    served = {
        (method, openapi_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and not rule.endpoint.startswith(DOCS_ENDPOINTS)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    document = client.get("/api/v1/openapi.json").json
    documented = {(method, path) for method, path, _ in operations(document, _ALL_METHODS)}
    assert served - documented == set(), "routes missing from the document"
    assert documented - served == set(), "documented operations no route serves"
    assert len(served) > 100  # the four services' routes are all there
    assert document == DOCUMENT  # the matrix and these tests read the same document


@pytest.mark.parametrize(("method", "path"), _params(operations(DOCUMENT, WRITE_METHODS)))
def test_a_write_needs_a_token_and_documents_401_and_403_unless_deliberately_public(
    method: str, path: str
) -> None:
    operation = DOCUMENT["paths"][path][method.lower()]
    if (method, path) in PUBLIC_WRITES:
        assert {} in operation.get("security", [{}])  # no token needed
        assert "401" in operation["responses"]  # a bad token or bad credentials
        return
    assert operation["security"] == [{"bearerAuth": []}]
    assert {"401", "403"} <= set(operation["responses"])
    assert operation["x-roles"] and "public" not in operation["x-roles"]


@pytest.mark.parametrize(
    ("method", "path"),
    _params([op for op in operations(DOCUMENT, WRITE_METHODS) if "x-roles" in op[2]]),
)
def test_no_write_offers_the_auditor(method: str, path: str) -> None:
    # docs/api.md: the auditor reads everything and changes nothing.
    assert "auditor" not in DOCUMENT["paths"][path][method.lower()]["x-roles"]


@pytest.mark.parametrize(
    ("method", "path"),
    _params(
        [op for op in operations(DOCUMENT, _ALL_METHODS) if (op[0], op[1]) not in PUBLIC_WRITES]
    ),
)
def test_every_operation_says_who_may_call_it(method: str, path: str) -> None:
    roles = DOCUMENT["paths"][path][method.lower()].get("x-roles")
    assert roles, "no x-roles"


@pytest.mark.parametrize(
    ("method", "path"),
    _params([(m, p, {}) for m, p in sorted(UPLOADS)]),
)
def test_an_upload_route_documents_its_multipart_body(method: str, path: str) -> None:
    content = DOCUMENT["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
    assert "multipart/form-data" in content


def _writer(operation: dict) -> str:
    """A role the operation admits that may write (the public where no role is named)."""
    roles = [r for r in operation.get("x-roles", []) if r not in ("auditor", "public")]
    return roles[0] if roles else "anonymous"


def _value(parameter: dict) -> str:
    schema = parameter.get("schema", {})
    return ("k" * max(int(schema.get("minLength", 1)), 16))[: int(schema.get("maxLength", 64))]


@pytest.mark.parametrize(
    ("method", "path"),
    _params(
        [op for op in operations(DOCUMENT, WRITE_METHODS) if json_body_schema(DOCUMENT, op[2])]
    ),
)
def test_every_json_body_refuses_an_unknown_field_by_name(
    app: Flask, client: FlaskClient, method: str, path: str
) -> None:
    # No mass assignment: a field the schema does not define is refused, not ignored.
    operation = DOCUMENT["paths"][path][method.lower()]
    assert json_body_schema(DOCUMENT, operation).get("additionalProperties") is False
    headers = {
        p["name"]: _value(p)
        for p in operation.get("parameters", [])
        if p["in"] == "header" and p.get("required")
    }
    response = client.open(
        PLACEHOLDER.sub("some-id", path),
        method=method,
        headers={**headers_of(app, _writer(operation)), **headers},
        json={UNKNOWN: 1},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.json["code"] == "invalid_input"
    assert response.json["details"]["fields"][UNKNOWN] == ["Unknown field."]
