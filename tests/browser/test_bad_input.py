"""Bad input through a real browser against the real stack: a forged post without the CSRF
token changes nothing, a double click files once, evidence of the wrong type or over the limit
is refused beside its field with the statement kept, and an expired session never shows the
page to whoever logs in next."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import requests
from playwright.sync_api import expect

from deploy.local.sandbox import Sandbox
from tests.browser.conftest import PASSWORD, log_in, visit
from tests.browser.steps import register_and_verify

ELEVEN_MIB = 11 * 1024 * 1024


def _city_token(stack: Sandbox) -> str:
    return requests.post(f"{stack.gateway_url}/api/v1/auth/token", timeout=10, json={
        "username": "city-hr", "password": PASSWORD}).json()["access_token"]


def _objections(stack: Sandbox, notice_id: str) -> int:
    notice = requests.get(f"{stack.gateway_url}/api/v1/notices/{notice_id}", timeout=10,
                          headers={"Authorization": f"Bearer {_city_token(stack)}"}).json()
    return len(notice.get("objections") or [])


def _an_open_notice(page: Any) -> str:
    page.goto("/")
    page.get_by_role("region", name="正在公示").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="提出异议")).to_be_visible()
    return page.url.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]


def test_a_forged_post_without_the_csrf_token_changes_nothing(stack: Sandbox,
                                                               page: Any) -> None:
    notice_id = _an_open_notice(page)
    before = _objections(stack, notice_id)
    answer = page.request.post(f"/notices/{notice_id}", form={
        "application_id": "x", "reason": "伪造的异议：没有安全令牌。"})
    assert answer.status == 400
    assert "安全令牌" in answer.text()
    assert _objections(stack, notice_id) == before


def test_a_double_click_files_one_objection(stack: Sandbox, page: Any) -> None:
    notice_id = _an_open_notice(page)
    before = _objections(stack, notice_id)
    page.get_by_label("异议理由").fill("双击提交只应受理一次：场地情况请核实。")
    page.get_by_role("button", name="提交异议").dblclick()
    expect(page.get_by_role("status")).to_contain_text("受理编号")
    assert _objections(stack, notice_id) == before + 1


def test_evidence_of_the_wrong_type_or_too_large_is_refused_beside_its_field(
        new_page: Callable[..., Any], login: Callable[..., Any]) -> None:
    page, unit = register_and_verify(new_page, login, "bad-input", javascript=True)
    page.goto("/host/applications/new")
    page.get_by_label("驿站类型").select_option(label="创新型")
    page.get_by_label("驿站名称").fill(f"{unit}人才驿站")
    page.get_by_role("button", name="创建申报草稿").click()
    group = page.get_by_role("group", name="依托单位重视人才工作")
    statement = "本单位设人才工作领导小组，附会议纪要。"
    group.get_by_label("情况说明").fill(statement)
    group.get_by_label("上传证明材料").set_input_files(
        {"name": "工具.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"})
    page.get_by_role("button", name="保存并继续").click()
    group = page.get_by_role("group", name="依托单位重视人才工作")
    expect(group.locator(".error-text")).to_contain_text(re.compile("PDF|格式|类型"))
    expect(group.get_by_label("情况说明")).to_have_value(statement)
    visit(page, "host-evidence-refused")

    group.get_by_label("上传证明材料").set_input_files(
        {"name": "扫描件.pdf", "mimeType": "application/pdf",
         "buffer": b"%PDF-1.4\n" + b"0" * ELEVEN_MIB})
    page.get_by_role("button", name="保存并继续").click()
    group = page.get_by_role("group", name="依托单位重视人才工作")
    expect(group.locator(".error-text")).to_contain_text("扫描件.pdf")
    expect(group.get_by_label("情况说明")).to_have_value(statement)


def test_an_expired_session_never_shows_the_page_to_the_next_user(
        login: Callable[..., Any]) -> None:
    host = login("host-unit")
    host.goto("/host/")
    expect(host.locator("main")).to_contain_text("威高")
    where = host.url
    host.context.clear_cookies()  # the session is gone, as when it expires
    host.goto(where)
    expect(host.get_by_label("用户名")).to_be_visible()
    log_in(host, "wendeng-hr")
    host.goto(where)
    expect(host.locator("main")).not_to_contain_text("威高")
