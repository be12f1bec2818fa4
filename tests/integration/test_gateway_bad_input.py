"""Bad input over HTTP (issue 13): a 4xx in the one JSON error shape, never a 5xx, for deep
nesting, huge integers, lone surrogates, empty-string ids and chunked bodies over the limit
(item 5); the text policy on bodies and queries (item 6); field messages in Chinese and LIKE
wildcards taken literally (item 10)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.app import close, create_app
from services.applications.service import ApplicationsService
from services.matching.demo_data import EXPERTS
from services.matching.service import MatchingService
from tests.integration.bearer import bearer

pytestmark = pytest.mark.integration

ZH = {"Accept-Language": "zh-CN"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def app(runner_factory: Any, service_config: dict) -> Iterator[Flask]:
    runner_factory(service_config, ApplicationsService, MatchingService).start()
    app = create_app(service_config)
    yield app
    close(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _refused(response: Any, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"code", "message", "details"}
    if code is not None:
        assert body["code"] == code
    return body


@pytest.mark.parametrize("raw", [
    "[" * 100_000,
    "{\"username\": " + "[" * 5_000 + "]" * 5_000 + ", \"password\": \"x\"}",
    "{\"username\": \"u\", \"password\": " + "9" * 5_000 + "}",
    "{\"username\": \"\\ud800abc\", \"password\": \"x\"}",
    "{\"\\udfff\": 1}",
])
def test_a_malformed_login_body_is_a_400_in_both_languages(client: FlaskClient, raw: str) -> None:
    for headers, word in (({}, "malformed"), (ZH, "请求")):
        body = _refused(client.post("/api/v1/auth/token", data=raw, headers={**JSON, **headers}),
                        400, "bad_request")
        assert word in body["message"]


def test_a_lone_surrogate_in_a_demand_title_is_refused(app: Flask, client: FlaskClient) -> None:
    raw = ('{"enterprise_name": "远航", "kind": "talent", "title": "\\ud800abc",'
           ' "description": "x", "industry": "C", "district": "371002",'
           ' "deadline": "2027-06-30"}')
    _refused(client.post("/api/v1/demands", data=raw,
                         headers={**JSON, **bearer(app, "enterprise", organisation="ent-1")}), 400)


def test_a_huge_integer_in_a_query_is_a_422(app: Flask, client: FlaskClient) -> None:
    _refused(client.get("/api/v1/experts?limit=" + "9" * 5_000, headers=bearer(app, "city_hr")),
             422, "invalid_input")


def test_an_empty_host_unit_id_is_a_422_naming_it(app: Flask, client: FlaskClient) -> None:
    body = {"name": "李海洋", "organisation_name": "山东大学", "host_unit_id": "", "field": "材料"}
    refused = _refused(client.post("/api/v1/review-experts", json=body,
                                   headers={**ZH, **bearer(app, "city_hr")}), 422, "invalid_input")
    assert "host_unit_id" in refused["details"]["fields"]


def test_a_chunked_body_over_the_limit_is_a_413(app: Flask, client: FlaskClient) -> None:
    body = b'{"username": "' + b"x" * 2 * 1024 * 1024 + b'", "password": "x"}'
    # As gunicorn passes a chunked body: no Content-Length, the stream ends where it ends.
    response = client.post("/api/v1/auth/token", input_stream=io.BytesIO(body),
                           environ_overrides={"wsgi.input_terminated": True},
                           headers={**JSON, **ZH, "Transfer-Encoding": "chunked"})
    body = _refused(response, 413, "payload_too_large")
    assert body["details"]["max_bytes"] == 1024 * 1024
    small = client.post("/api/v1/auth/token",
                        input_stream=io.BytesIO(b'{"username": "nobody", "password": "x"}'),
                        environ_overrides={"wsgi.input_terminated": True},
                        headers={**JSON, "Transfer-Encoding": "chunked"})
    _refused(small, 401, "auth.invalid_credentials")  # read whole, as any other body


# The text policy over HTTP (item 6) and field messages in Chinese (item 10) -------------------


@pytest.mark.parametrize("title", ["\u0007", "a\u0000b", "\u001b[2J", "evil\u202etxt",
                                   "\ufeff标题", "两\n行", "\u200b\u200b"])
def test_an_unsafe_title_is_refused_naming_it_in_chinese(app: Flask, client: FlaskClient,
                                                         title: str) -> None:
    body = {"enterprise_name": "远航", "kind": "talent", "title": title, "description": "说明",
            "industry": "C", "district": "371002", "deadline": "2027-06-30"}
    refused = _refused(client.post("/api/v1/demands", json=body, headers={
        **ZH, **bearer(app, "enterprise", organisation="ent-1")}), 422, "invalid_input")
    assert list(refused["details"]["fields"]) == ["title"]
    said = refused["details"]["fields"]["title"][0]
    assert said.startswith(("不得含有字符", "须为单行", "不能为空")), said


def test_a_query_argument_is_under_the_text_policy_too(app: Flask, client: FlaskClient) -> None:
    refused = _refused(client.get("/api/v1/experts?q=%07", headers={**ZH, **bearer(
        app, "city_hr")}), 422, "invalid_input")
    assert refused["details"]["fields"] == {
        "q": ["不得含有字符 U+0007（控制字符、双向控制符、BOM 或非字符）。"]}
    english = _refused(client.get("/api/v1/experts?limit=0", headers=bearer(app, "city_hr")),
                       422)
    assert english["details"]["fields"]["limit"][0].startswith("Must be greater")


def test_like_wildcards_in_a_search_match_only_themselves(app: Flask,
                                                          client: FlaskClient) -> None:  # item 10
    staff = bearer(app, "city_hr")
    assert client.post("/api/v1/experts", json=EXPERTS["wang_cf"], headers=staff).status_code \
        == 201
    found = {q: client.get("/api/v1/experts", query_string={"q": q}, headers=staff).json["total"]
             for q in ("%", "_", "%%", EXPERTS["wang_cf"]["name"][:2])}
    assert found == {"%": 0, "_": 0, "%%": 0, EXPERTS["wang_cf"]["name"][:2]: 1}
