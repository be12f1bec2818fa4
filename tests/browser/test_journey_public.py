"""The public's journey, no login: home, a notice and an objection with its receipt number,
the station registry with a filter, a station's page; then logging in and out."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import log_in, visit


def test_home_notice_objection_registry_station(page: Any) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("威海市高层次人才驿站管理服务平台")
    visit(page, "public-home")

    page.get_by_role("region", name="正在公示").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="提出异议")).to_be_visible()
    visit(page, "public-notice")

    page.get_by_label("异议理由").fill("该驿站申报的场所面积与实际不符，请核实。")
    page.get_by_label("姓名（可不填）").fill("张三")
    page.get_by_role("button", name="提交异议").click()
    receipt = page.get_by_role("status")
    expect(receipt).to_contain_text("受理编号")
    expect(receipt.locator(".receipt")).to_have_text(re.compile(r"\S+"))
    visit(page, "public-notice-receipt")

    page.goto("/stations")
    expect(page.get_by_role("heading", level=1)).to_have_text("驿站名录")
    visit(page, "public-stations")
    search = page.get_by_role("search", name="筛选驿站")
    search.get_by_label("状态").select_option(label="运行中")
    search.get_by_role("button", name="查询").click()
    first = page.get_by_role("table").get_by_role("link").first
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    visit(page, "public-station")


def test_log_in_and_out(page: Any) -> None:
    log_in(page, "host-unit")
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.get_by_text("威高集团有限公司").first).to_be_visible()
    visit(page, "host-dashboard")
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("link", name="登录")).to_be_visible()


def test_wrong_password_is_refused_on_the_page(page: Any) -> None:
    page.goto("/login")
    visit(page, "account-login")
    page.get_by_label("用户名").fill("host-unit")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_label("用户名")).to_have_value("host-unit")
    expect(page.get_by_role("button", name="退出")).to_have_count(0)
    visit(page, "account-login-refused")


def test_the_measures_article_by_article_and_the_talent_map(page: Any) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="管理办法").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("管理")
    expect(page.locator("#article-6")).to_contain_text("第六条")
    visit(page, "public-measures")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="人才地图").click()
    expect(page.get_by_role("table")).to_contain_text("环翠区")
    visit(page, "public-talent-map")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/measures")
    visit(page, "public-measures-en")
