"""Evidence streamed through the portal, an expert's declining, and the city's review progress,
against a scripted gateway."""

from __future__ import annotations

from typing import Any

import requests

from tests.portal.conftest import FakeGateway, form_tokens, login
from tests.portal.test_staff_district import HUANCUI, app_of
from tests.portal.test_staff_workspaces import EMPTY, prefixed, token

SHA = "ab" * 32
PDF = b"%PDF-1.7\n%%EOF\n"
DISPOSITION = ("attachment; filename=\"download.pdf\"; "
               "filename*=UTF-8''%E8%AF%81%E6%98%8E%E6%9D%90%E6%96%99.pdf")


def _with_evidence(status: str = "submitted") -> dict[str, Any]:
    return {**app_of("a", "2026-11-01T02:00:00+00:00", status),
            "conditions": {"commitment": {"statement": "场地", "evidence": [SHA]}}}


def _serve_file(gateway: FakeGateway, monkeypatch: Any) -> None:
    """The gateway's download: the stored type and an RFC 6266 name."""
    original = gateway.request

    def request(method: str, url: str, **kwargs: Any) -> requests.Response:
        response = original(method, url, **kwargs)
        if url.endswith(f"/attachments/{SHA}") and response.status_code == 200:
            response.headers["Content-Type"] = "application/pdf"
            response.headers["Content-Disposition"] = DISPOSITION
        return response

    monkeypatch.setattr(gateway, "request", request)


def test_district_evidence_is_linked_and_streamed_without_the_token(
        browser: Any, gateway: FakeGateway, monkeypatch: Any) -> None:
    login(browser, gateway, HUANCUI)
    gateway.on("GET", "/registrations", 200, EMPTY)
    gateway.on("GET", "/applications", 200, EMPTY)
    gateway.on("GET", "/applications/a", 200, _with_evidence())
    page = browser.get("/staff/district/applications/a").get_data(as_text=True)
    link = f"/staff/district/applications/a/attachments/{SHA}"
    assert f'href="{link}"' in page and "tok-d" not in page
    gateway.on("GET", f"/applications/a/attachments/{SHA}", 200, PDF)
    _serve_file(gateway, monkeypatch)
    got = browser.get(link)
    assert got.status_code == 200 and got.data == PDF
    assert got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"] == DISPOSITION  # 证明材料.pdf survives
    call = gateway.calls[-1]
    assert call["path"] == f"/applications/a/attachments/{SHA}"
    assert call["headers"]["Authorization"] == "Bearer tok-d"
    assert "tok-d" not in str(dict(got.headers))


def test_evidence_of_another_district_is_the_refusal_page(browser: Any,
                                                          gateway: FakeGateway) -> None:
    login(browser, gateway, HUANCUI)
    gateway.on("GET", "/registrations", 200, EMPTY)
    gateway.on("GET", "/applications", 200, EMPTY)
    gateway.on("GET", f"/applications/b/attachments/{SHA}", 403, {
        "code": "forbidden.district", "message": "区市不能处理其他区市的事项。", "details": {}})
    refused = browser.get(f"/staff/district/applications/b/attachments/{SHA}")
    assert refused.status_code == 403 and PDF not in refused.data
    assert browser.get("/staff/district/applications/b/attachments/..").status_code == 404
    gateway.on("GET", f"/applications/a/attachments/{'cd' * 32}", 404, {
        "code": "attachment.not_found", "message": "没有该附件。", "details": {}})
    assert browser.get(f"/staff/district/applications/a/attachments/{'cd' * 32}"
                       ).status_code == 404


def test_expert_declines_through_the_real_route_and_a_refusal_stays_on_the_form(
        browser: Any, gateway: FakeGateway) -> None:
    login(browser, gateway, token("reviewer", "reviewer", expert="e1"))
    gateway.on("GET", "/applications", 200, EMPTY)
    gateway.on("GET", "/applications/a", 200, app_of("a", "2026-11-01", "under_review"))
    gateway.on("GET", "/rubric", 200, {"version": 1, "criteria": [
        {"key": "plan", "name_zh": "建设方案", "name_en": "Plan", "max_points": 100}]})
    page = browser.get("/staff/expert/applications/a").get_data(as_text=True)
    fields = {**prefixed(page, "decline"), **form_tokens(page.split('id="h-decline"')[1]),
              "reason": "本人曾任申报单位顾问"}
    gateway.on("POST", "/applications/a/panel/decline", 409, {
        "code": "review.already_reviewed", "message": "您已提交评审意见，不能再声明回避。",
        "details": {"application_id": "a"}})
    refused = browser.post("/staff/expert/applications/a/decline", data=fields)
    assert refused.status_code == 422  # the refused form re-rendered with the API's reason
    text = refused.get_data(as_text=True)
    assert "不能再声明回避" in text and "本人曾任申报单位顾问" in text
    gateway.on("POST", "/applications/a/panel/decline", 200, {
        "application_id": "a", "number": "WH-a", "status": "under_review", "panel_size": 2,
        "reviewed": 0, "members": []})
    page = browser.get("/staff/expert/applications/a").get_data(as_text=True)
    fields = {**form_tokens(page.split('id="h-decline"')[1]), "reason": "本人曾任申报单位顾问"}
    done = browser.post("/staff/expert/applications/a/decline", data=fields)
    assert done.status_code == 302
    call = [c for c in gateway.calls if c["method"] == "POST"][-1]
    assert call["path"] == "/applications/a/panel/decline"
    assert call["json"] == {"reason": "本人曾任申报单位顾问"}


def test_city_sees_review_progress_and_can_extend_the_panel(browser: Any,
                                                            gateway: FakeGateway) -> None:
    login(browser, gateway, token("city_hr", "city-hr"))
    gateway.on("GET", "/applications", 200, EMPTY)
    gateway.on("GET", "/registrations", 200, EMPTY)
    gateway.on("GET", "/applications/a", 200, {
        **app_of("a", "2026-11-01", "under_review"), "panel": ["e1", "e3"]})
    gateway.on("GET", "/review-experts", 200, [
        {"id": f"e{i}", "name": f"专家{i}", "organisation_name": "山大", "host_unit_id": None,
         "field": "海洋"} for i in (1, 2, 3, 4)])
    member = {"organisation_name": "山大", "assigned_at": "2026-11-02T01:00:00+00:00",
              "declined_at": None, "decline_reason": None, "reviewed_at": None,
              "inspection_date": None, "scores": None, "total": None, "rubric_version": None}
    gateway.on("GET", "/applications/a/reviews", 200, {
        "application_id": "a", "number": "WH-a", "status": "under_review", "panel_size": 2,
        "reviewed": 1, "members": [
            {**member, "expert_id": "e1", "name": "专家1", "status": "reviewed", "total": 82,
             "scores": {"plan": 82}, "inspection_date": "2026-11-03",
             "reviewed_at": "2026-11-03T08:00:00+00:00", "rubric_version": 1},
            {**member, "expert_id": "e2", "name": "专家2", "status": "declined",
             "declined_at": "2026-11-02T03:00:00+00:00", "decline_reason": "亲属关系"},
            {**member, "expert_id": "e3", "name": "专家3", "status": "pending"}]})
    page = browser.get("/staff/city/applications/a").get_data(as_text=True)
    assert "评审进度" in page and "专家组 2 人，已评审 1 人" in page
    assert "已评审" in page and "已回避" in page and "待评审" in page
    assert ">82<" in page and "亲属关系" in page
    assert "补充评审专家" in page
    # Only the expert not yet on the panel is offered.
    assert 'value="e4"' in page and 'value="e2"' not in page and 'value="e1"' not in page
    gateway.on("POST", "/applications/a/panel", 200, {
        **app_of("a", "2026-11-01", "under_review"), "panel": ["e1", "e3", "e4"]})
    done = browser.post("/staff/city/applications/a", data={
        **prefixed(page, "panel"), "form": "panel", "panel-expert_ids": ["e4"]})
    assert done.status_code == 302
    assert gateway.calls[-1]["json"] == {"expert_ids": ["e4"]}
