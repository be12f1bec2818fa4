"""Steps the journeys share: a new host unit registers and 环翠区 verifies it; it applies for a
station through the guided form, where a station type its host category may not host is
refused on the page (R5.2) with the typed name kept, then corrected, the four conditions
(R6.1) stated with evidence, premises, funding and experts filled in, and the application
submitted."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from deploy.local.walkthrough import credit_code
from tests.browser.conftest import PASSWORD, log_in, visit

CONDITIONS = ("依托单位重视人才工作", "周边产业集聚", "已联系或合作一批专家人才", "有管理制度")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def register_and_verify(new_page: Callable[..., Any], login: Callable[..., Any], tag: str,
                        javascript: bool) -> tuple[Any, str]:
    """Register a key enterprise of 环翠区 through the portal; 环翠区 staff verify it."""
    suffix = uuid.uuid4().hex[:6]
    username, unit = f"host-{suffix}", f"威海浏览器测试{suffix}科技有限公司"
    page = new_page(javascript)
    page.goto("/register")
    visit(page, f"account-register-{tag}")
    page.get_by_label("依托单位（申报人才驿站）").check()
    page.get_by_label("用户名").fill(username)
    page.get_by_label(re.compile(r"^密码")).fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_label("姓名或单位名称").fill(unit)
    page.get_by_label("所在区市").select_option(label="环翠区")
    page.get_by_label("单位全称").fill(unit)
    serial = f"{random.randrange(10**8, 10**9)}"  # fresh each run: the stack keeps its units
    page.get_by_label("统一社会信用代码").fill(credit_code("371002", serial))
    page.get_by_label("单位类别（依托单位）").select_option(label="产业集群重点企业")
    page.get_by_label("联系人").fill("王明")
    page.get_by_label("联系电话").fill("0631-5200000")
    page.get_by_label("单位地址").fill("山东省威海市环翠区世昌大道 1 号")
    page.get_by_role("button", name="提交注册").click()
    visit(page, f"account-registered-{tag}")

    staff = login("huancui-hr", javascript=javascript)
    staff.goto("/staff/district/registrations")
    visit(staff, f"staff-registrations-{tag}")
    staff.get_by_role("region", name=unit).get_by_role("button", name="核实通过").click()
    expect(staff.get_by_role("region", name=unit)).to_have_count(0)
    log_in(page, username)
    return page, unit


def apply_for_a_station(page: Any, unit: str, tag: str) -> str:
    """Apply for a station of ``unit`` through the guided form; the station's name."""
    name = f"{unit}人才驿站"
    page.goto("/host/applications/new")
    visit(page, f"host-new-{tag}")
    # A key enterprise may host an innovation station, not an entrepreneurship one.
    page.get_by_label("驿站类型").select_option(label="创业型")
    page.get_by_label("驿站名称").fill(name)
    page.get_by_role("button", name="创建申报草稿").click()
    expect(page.get_by_label("驿站名称")).to_have_value(name)
    expect(page.locator("main")).to_contain_text("创新型")  # the reason names what fits
    visit(page, f"host-new-refused-{tag}")

    page.get_by_label("驿站类型").select_option(label="创新型")
    page.get_by_role("button", name="创建申报草稿").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    visit(page, f"host-step-conditions-{tag}")
    for condition in CONDITIONS:
        group = page.get_by_role("group", name=condition)
        group.get_by_label("情况说明").fill(f"{condition}：本单位已落实，详见证明材料。")
        group.get_by_label("上传证明材料").set_input_files(
            {"name": "evidence.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="保存并继续").click()

    expect(page.get_by_label("场地地址")).to_be_visible()
    visit(page, f"host-step-premises-{tag}")
    page.get_by_label("场地地址").fill("山东省威海市环翠区世昌大道 1 号")
    page.get_by_label("场地面积（平方米）").fill("300")
    page.get_by_label("交流对接").check()
    page.get_by_role("button", name="保存并继续").click()

    expect(page.get_by_label("承诺的建设运营经费（元）")).to_be_visible()
    visit(page, f"host-step-funding-{tag}")
    page.get_by_label("承诺的建设运营经费（元）").fill("300000.00")
    page.get_by_role("button", name="保存并继续").click()

    expect(page.get_by_label("合作专家")).to_be_visible()
    visit(page, f"host-step-experts-{tag}")
    page.get_by_label("合作专家").fill("张三，教授，哈尔滨工业大学（威海）\n李四，研究员，山东大学（威海）")
    page.get_by_role("button", name="保存并继续").click()

    expect(page.get_by_role("button", name="确认提交")).to_be_visible()
    visit(page, f"host-review-{tag}")
    page.get_by_role("button", name="确认提交").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.locator("main")).to_contain_text("待区市审核")
    visit(page, f"host-application-{tag}")
    return name
