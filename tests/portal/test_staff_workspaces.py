"""City staff, review expert and talent office pages against a scripted gateway."""

from __future__ import annotations

import re
from typing import Any

from tests.portal.conftest import FakeGateway, form_tokens, login
from tests.portal.test_staff_district import app_of

EMPTY = {"items": [], "total": 0, "limit": 1, "offset": 0}


def token(role: str, username: str, **binding: str) -> dict[str, Any]:
    return {"access_token": f"tok-{role}", "token_type": "Bearer", "expires_in": 3600,
            "username": username, "display_name": username, "role": role, "binding": binding}


def prefixed(html: str, prefix: str) -> dict[str, str]:
    return dict(re.findall(
        rf'name="({prefix}-(?:csrf_token|idempotency_key))" type="hidden" value="([^"]*)"', html))


def test_expert_total_computed_then_submitted(browser: Any, gateway: FakeGateway) -> None:
    login(browser, gateway, token("reviewer", "reviewer", expert="e1"))
    gateway.on("GET", "/applications", 200, EMPTY)
    gateway.on("GET", "/applications/a", 200, app_of("a", "2026-11-01", "under_review"))
    gateway.on("GET", "/rubric", 200, {"version": 2, "criteria": [
        {"key": "plan", "name_zh": "建设方案", "name_en": "Plan", "max_points": 40},
        {"key": "team", "name_zh": "团队", "name_en": "Team", "max_points": 60}]})
    page = browser.get("/staff/expert/applications/a").get_data(as_text=True)
    fields = {**form_tokens(page), "inspection_date": "2026-11-30", "findings": "场地到位",
              "score_plan": "30", "score_team": "45"}
    computed = browser.post("/staff/expert/applications/a", data={**fields, "action": "compute"})
    assert computed.status_code == 200
    assert '<output name="total">75</output>' in computed.get_data(as_text=True)
    gateway.on("POST", "/applications/a/reviews", 201, {"total": 75})
    done = browser.post("/staff/expert/applications/a", data={**fields, "action": "submit"})
    assert done.status_code == 302
    assert gateway.calls[-1]["json"]["scores"] == {"plan": 30, "team": 45}


def test_office_approval_shows_plaque(browser: Any, gateway: FakeGateway) -> None:
    login(browser, gateway, token("talent_office", "talent-office"))
    gateway.on("GET", "/applications", 200, EMPTY)
    gateway.on("GET", "/applications/a", 200, app_of("a", "2026-11-01", "awaiting_approval"))
    page = browser.get("/staff/office/applications/a").get_data(as_text=True)
    station = {"id": "s9", "plaque_number": "威人驿〔2026〕009号", "name": "驿站a",
               "station_type": "innovation", "host_unit_name": "威高", "district": "371002",
               "status": "active", "approved_on": "2026-12-01"}
    gateway.on("POST", "/applications/a/approve", 200, station)
    gateway.on("GET", "/stations/s9", 200, station)
    done = browser.post("/staff/office/applications/a", data={
        **form_tokens(page), "comments": "同意", "decision": "approve"}, follow_redirects=True)
    assert "威人驿〔2026〕009号" in done.get_data(as_text=True)


def test_city_panel_conflict_shown_and_refusal_kept(browser: Any, gateway: FakeGateway) -> None:
    login(browser, gateway, token("city_hr", "city-hr"))
    gateway.on("GET", "/applications", 200, EMPTY)
    gateway.on("GET", "/registrations", 200, EMPTY)
    gateway.on("GET", "/applications/a", 200, app_of("a", "2026-11-01", "at_city"))
    gateway.on("GET", "/review-experts", 200, [
        {"id": "e1", "name": "李海洋", "organisation_name": "威高", "host_unit_id": "h1",
         "field": "医疗"},
        {"id": "e2", "name": "王一", "organisation_name": "山大", "host_unit_id": None,
         "field": "海洋"}])
    page = browser.get("/staff/city/applications/a").get_data(as_text=True)
    assert "回避：来自申报单位" in page
    gateway.on("POST", "/applications/a/panel", 422, {
        "code": "panel.conflict", "message": "专家李海洋来自申报单位，应当回避。", "details": {}})
    refused = browser.post("/staff/city/applications/a", data={
        **prefixed(page, "panel"), "form": "panel", "panel-expert_ids": ["e1", "e2"]})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "应当回避" in text and 'value="e2" checked' in text


def test_city_notice_window_preview(browser: Any, gateway: FakeGateway) -> None:
    login(browser, gateway, token("city_hr", "city-hr"))
    gateway.on("GET", "/registrations", 200, EMPTY)
    gateway.on("GET", "/applications", 200, {**EMPTY, "items": [
        app_of("a", "2026-11-01", "shortlisted")], "total": 1})
    gateway.on("GET", "/notices", 200, [])
    gateway.on("GET", "/calendar/notice-window", 200, {
        "published_on": "2026-09-30", "opens_on": "2026-09-30", "closes_on": "2026-10-12",
        "closes_at": "2026-10-12T16:00:00+00:00",
        "working_days": ["2026-09-30", "2026-10-09", "2026-10-10", "2026-10-11",
                         "2026-10-12"]})
    page = browser.get("/staff/city/notices").get_data(as_text=True)
    preview = browser.post("/staff/city/notices", data={
        **form_tokens(page), "published_on": "2026-09-30", "application_ids": ["a"],
        "action": "preview"})
    assert preview.status_code == 200
    assert "2026-10-12" in preview.get_data(as_text=True)
    assert not [c for c in gateway.calls if c["method"] == "POST" and c["path"] == "/notices"]


def test_the_ranking_sets_aside_an_application_whose_panel_has_not_scored(
        browser: Any, gateway: FakeGateway) -> None:
    """R7.2: the API refuses to rank a round with an incomplete review and names it; the page
    ranks the rest and lists the one still waiting, and shortlists only the ranked."""
    login(browser, gateway, token("city_hr", "city-hr"))
    done_app = {**app_of("a1", "2026-11-01", "under_review"), "number": "WHRCYZ-2026-0001"}
    open_app = {**app_of("a2", "2026-11-02", "under_review"), "number": "WHRCYZ-2026-0002"}
    gateway.on("GET", "/applications", 200, {"items": [done_app, open_app], "total": 2,
                                             "limit": 200, "offset": 0})

    def rank(call: dict) -> tuple[int, Any]:
        if "a2" in call["json"]["application_ids"]:
            return 422, {"code": "review.incomplete", "message": "评审未完成：WHRCYZ-2026-0002。",
                         "details": {"applications": ["WHRCYZ-2026-0002"], "rule": "R7.2"}}
        return 200, [{"rank": 1, "application_id": "a1", "number": "WHRCYZ-2026-0001",
                      "station_name": done_app["station_name"], "score": "88.00"}]

    gateway.on("POST", "/applications/ranking", handler=rank)
    page = browser.get("/staff/city/ranking").get_data(as_text=True)
    assert "评审未完成、暂不参加排名的申报" in page and "WHRCYZ-2026-0002" in page
    assert "88.00" in page
    gateway.on("POST", "/applications/shortlist", 200, [
        {"application_id": "a1", "shortlisted": True}])
    answer = browser.post("/staff/city/ranking", data={**form_tokens(page), "top": "1"})
    assert answer.status_code == 302
    assert gateway.calls[-1]["json"]["application_ids"] == ["a1"]


def test_a_refusal_that_names_no_listed_application_is_shown_not_looped(
        browser: Any, gateway: FakeGateway) -> None:
    login(browser, gateway, token("city_hr", "city-hr"))
    gateway.on("GET", "/applications", 200, {"items": [app_of("a1", "2026-11-01",
                                                              "under_review")],
                                             "total": 1, "limit": 200, "offset": 0})
    gateway.on("POST", "/applications/ranking", 422, {
        "code": "review.incomplete", "message": "评审未完成：X。",
        "details": {"applications": ["not-in-this-batch"]}})
    page = browser.get("/staff/city/ranking").get_data(as_text=True)
    assert "评审未完成：X。" in page
