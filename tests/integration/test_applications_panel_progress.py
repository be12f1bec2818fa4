"""Evidence downloads, an expert declining an assignment, review progress and the public
talent map: through the gateway, against the real services over RabbitMQ (R7.2, R13.1)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.app import close, create_app
from servicekit.db import make_engine
from servicekit.tables import audit_log
from services.matching.service import MatchingService
from tests.integration.applications_world import PDF, World, world_of
from tests.integration.bearer import bearer

pytestmark = pytest.mark.integration

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture
def world(container_factory: Any, service_config: dict, tmp_path: Any) -> Iterator[World]:
    for world in world_of(container_factory, service_config, tmp_path):
        world.register_successor_policy()
        yield world


@pytest.fixture
def app(world: World, database_url: str) -> Iterator[Flask]:
    # The suite's spare database (a schema of its own on PostgreSQL) holds the gateway's tables.
    app = create_app({**world.config, "GATEWAY_DATABASE_URL": database_url})
    yield app
    close(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _under_review(world: World, experts: list[str]) -> tuple[dict, dict]:
    unit = world.host_unit()
    app = world.submitted_at_city(unit)
    world.city.form_panel({"application_id": app["id"], "expert_ids": experts})
    return unit, app


def _review(world: World, expert: str, application_id: str, total: int = 80) -> None:
    per = total // 4
    world.reviewer(expert).record_review({
        "application_id": application_id, "inspection_date": "2026-09-01",
        "findings": "场地设施齐全",
        "scores": {"commitment": per, "environment": per, "experts": per,
                   "management": total - 3 * per}})


def _error(response: Any, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code, body
    return body


def test_evidence_downloads_with_its_chinese_name_for_those_who_may_read_it(
        world: World, app: Flask, client: FlaskClient) -> None:
    unit = world.host_unit()
    application = world.submitted_at_city(unit)  # its evidence: 证明.pdf (applications_world)
    sha = application["conditions"]["commitment"]["evidence"][0]
    url = f"/api/v1/applications/{application['id']}/attachments/{sha}"
    readers = [bearer(app, "host_unit", organisation=unit["id"]),
               bearer(app, "district_hr", district="371002"), bearer(app, "city_hr"),
               bearer(app, "talent_office"), bearer(app, "auditor")]
    for headers in readers:
        got = client.get(url, headers=headers)
        assert got.status_code == 200, got.get_data(as_text=True)
        assert got.data == PDF and got.mimetype == "application/pdf"
        disposition = got.headers["Content-Disposition"]
        assert disposition == (f'attachment; filename="download.pdf"; '
                               f"filename*=UTF-8''{quote('证明.pdf')}")
        disposition.encode("latin-1")  # a header a WSGI server can send
    # R13.1: another district, another host unit and an expert off the panel may not.
    _error(client.get(url, headers=bearer(app, "district_hr", district="371003")), 403,
           "forbidden.district")
    _error(client.get(url, headers=bearer(app, "host_unit", organisation="someone-else")),
           403, "forbidden.application")
    experts = world.review_experts(4)
    world.city.form_panel({"application_id": application["id"], "expert_ids": experts[:3]})
    assert client.get(url, headers=bearer(app, "reviewer", expert=experts[0])).data == PDF
    _error(client.get(url, headers=bearer(app, "reviewer", expert=experts[3])), 403,
           "forbidden.application")
    assert client.get(url).status_code == 401


def test_an_attachment_not_of_that_application_is_a_404(
        world: World, app: Flask, client: FlaskClient) -> None:
    unit = world.host_unit()
    application = world.draft(unit)
    other = world.unit(unit["id"]).upload_attachment({
        "filename": "另一份.png", "content_type": "image/png",
        "content_base64": base64.b64encode(PNG).decode()})["attachment_id"]
    city = bearer(app, "city_hr")
    body = _error(client.get(f"/api/v1/applications/{application['id']}/attachments/{other}",
                             headers=city), 404, "attachment.not_found")
    assert body["details"]["attachment_id"] == other
    _error(client.get(f"/api/v1/applications/{application['id']}/attachments/{'0' * 64}",
                      headers=city), 404, "attachment.not_found")
    _error(client.get(f"/api/v1/applications/{application['id']}/attachments/not-a-hash",
                      headers=city), 422, "invalid_input")


def test_an_expert_declines_declaring_a_conflict_and_the_city_extends_the_panel(
        world: World, app: Flask, client: FlaskClient, database_url_template: str) -> None:
    experts = world.review_experts(5)
    _unit, application = _under_review(world, experts[:3])
    url = f"/api/v1/applications/{application['id']}"
    first, second = (bearer(app, "reviewer", actor=f"expert-{e[:8]}", expert=e)
                     for e in experts[:2])
    _review(world, experts[1], application["id"])

    # Refusals: a bad reason, someone off the panel, one who has reviewed, another role.
    _error(client.post(f"{url}/panel/decline", json={"reason": ""}, headers=first), 422,
           "invalid_input")
    _error(client.post(f"{url}/panel/decline", json={"reason": "x" * 501}, headers=first), 422,
           "invalid_input")
    outsider = bearer(app, "reviewer", expert=experts[4])
    refused = _error(client.post(f"{url}/panel/decline", json={"reason": "利益冲突"},
                                 headers=outsider), 409, "review.not_on_panel")
    assert refused["details"]["application_id"] == application["id"]
    assert "评审组" in client.post(f"{url}/panel/decline", json={"reason": "利益冲突"},
                                   headers={**outsider, "Accept-Language": "zh-CN"}
                                   ).get_json()["message"]
    _error(client.post(f"{url}/panel/decline", json={"reason": "利益冲突"}, headers=second),
           409, "review.already_reviewed")
    _error(client.post(f"{url}/panel/decline", json={"reason": "利益冲突"},
                       headers=bearer(app, "city_hr")), 403, "forbidden.role")

    declined = client.post(f"{url}/panel/decline",
                           json={"reason": "本人曾任申请单位技术顾问"}, headers=first)
    assert declined.status_code == 200, declined.get_data(as_text=True)
    own = declined.get_json()
    assert [m["expert_id"] for m in own["members"]] == [experts[0]]
    assert own["members"][0]["status"] == "declined"
    assert own["members"][0]["decline_reason"] == "本人曾任申请单位技术顾问"
    assert own["members"][0]["declined_at"]
    _error(client.post(f"{url}/panel/decline", json={"reason": "再次"}, headers=first), 409,
           "review.already_declined")

    # No longer on the panel for scoring, nor in the expert's list of assignments.
    mine = client.get("/api/v1/applications", headers=first).get_json()
    assert application["id"] not in [a["id"] for a in mine["items"]]
    assert application["id"] in [a["id"] for a in client.get(
        "/api/v1/applications", headers=second).get_json()["items"]]
    city = bearer(app, "city_hr")
    assert set(client.get(url, headers=city).get_json()["panel"]) == set(experts[1:3])
    assert experts[0] not in world.city.get_application(application["id"])["panel"]
    history = client.get(url, headers=city).get_json()["history"][-1]
    assert history["action"] == "decline_assignment"
    assert history["comments"] == "本人曾任申请单位技术顾问"
    assert history["to_status"] == "under_review"
    _error(client.post(f"{url}/reviews", headers=first, json={
        "inspection_date": "2026-09-01", "findings": "x",
        "scores": {"commitment": 20, "environment": 20, "experts": 20, "management": 20}}),
        403, "forbidden.not_on_panel")

    # Two members left: the city extends the panel back to three, but not with the decliner.
    _error(client.post(f"{url}/panel", json={"expert_ids": [experts[0]]}, headers=city), 409,
           "review.panel_member")
    extended = client.post(f"{url}/panel", json={"expert_ids": [experts[3]]}, headers=city)
    assert extended.status_code == 200, extended.get_data(as_text=True)
    assert set(extended.get_json()["panel"]) == {*experts[1:4]}
    assert extended.get_json()["status"] == "under_review"

    for expert in (experts[2], experts[3]):
        _review(world, expert, application["id"], 84)
    ranked = client.post("/api/v1/applications/ranking", headers=city,
                         json={"application_ids": [application["id"]]})
    assert ranked.status_code == 200, ranked.get_data(as_text=True)

    engine = make_engine(database_url_template.format(service="applications"))
    with engine.connect() as conn:
        audits = conn.execute(select(audit_log.c.action, audit_log.c.after).where(
            audit_log.c.entity_id == application["id"])).all()
    engine.dispose()
    decline = [a for a in audits if a.action == "application.decline_assignment"]
    assert decline and decline[0].after["expert_id"] == experts[0]
    assert decline[0].after["reason"] == "本人曾任申请单位技术顾问"


def test_review_progress_for_staff_and_a_reviewer_sees_only_their_own(
        world: World, app: Flask, client: FlaskClient) -> None:
    experts = world.review_experts(4)
    unit, application = _under_review(world, experts[:4])
    url = f"/api/v1/applications/{application['id']}/reviews"
    _review(world, experts[0], application["id"], 80)
    world.reviewer(experts[1]).decline_assignment(
        {"application_id": application["id"], "reason": "回避：亲属关系"})

    for headers in (bearer(app, "city_hr"), bearer(app, "talent_office"),
                    bearer(app, "auditor")):
        got = client.get(url, headers=headers)
        assert got.status_code == 200, got.get_data(as_text=True)
        progress = got.get_json()
        assert progress["panel_size"] == 3 and progress["reviewed"] == 1
        by_expert = {m["expert_id"]: m for m in progress["members"]}
        assert by_expert[experts[0]]["status"] == "reviewed"
        assert by_expert[experts[0]]["total"] == 80
        assert sum(by_expert[experts[0]]["scores"].values()) == 80
        assert by_expert[experts[1]]["status"] == "declined"
        assert by_expert[experts[1]]["decline_reason"] == "回避：亲属关系"
        assert by_expert[experts[2]]["status"] == "pending"
        assert by_expert[experts[2]]["total"] is None

    mine = client.get(url, headers=bearer(app, "reviewer", expert=experts[2])).get_json()
    assert [m["expert_id"] for m in mine["members"]] == [experts[2]]
    _error(client.get(url, headers=bearer(app, "reviewer", expert="not-on-panel")), 403,
           "forbidden.not_on_panel")
    _error(client.get(url, headers=bearer(app, "district_hr", district="371002")), 403,
           "forbidden.role")
    _error(client.get(url, headers=bearer(app, "host_unit", organisation=unit["id"])), 403,
           "forbidden.role")


def test_the_talent_map_is_public_and_counts_only(
        world: World, container_factory: Any, client: FlaskClient) -> None:
    container_factory(MatchingService, world.config).start()
    answer = client.get("/api/v1/talent-map?metric=experts")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert set(body) == {"metric", "filters", "districts", "industries", "levels", "cells"}
    assert {k for d in body["districts"] for k in d} <= {
        "code", "name_zh", "name_en", "experts", "demands", "collaborations"}
    svg = client.get("/api/v1/talent-map?format=svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert client.get("/api/v1/talent-map",
                      headers={"Authorization": "Bearer forged"}).status_code == 401
