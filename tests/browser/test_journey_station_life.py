"""From a new host unit to a plaque in the public registry, every role in its own browser
context, as in the measures (Art 6, 7):

a host unit registers and 环翠区 verifies it; it applies (a station type its host category may
not host refused on the page, R5.2, then corrected); 环翠区 returns it with comments, the host
unit reads them on its timeline, corrects and resubmits, and 环翠区 recommends it (R7.1); the
administrator creates the accounts of two more review experts (a missing binding refused
beside its field first); the city forms a panel of three, each expert scores it on the rubric
(R7.2), the city ranks the round and shortlists by a minimum score, computes the
5-working-day window and publishes the notice (R7.3); a member of the public objects on the
notice page and gets a receipt number; the city dismisses the objection; the platform's clock
passes the window; the city closes the notice; the talent office approves and the plaque number
is shown (R7.4); the station is in the public registry with its plaque.

Run with JavaScript and again without it: every step is a plain form post.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from deploy.local.sandbox import Sandbox
from tests.browser.conftest import PASSWORD, visit
from tests.browser.steps import apply_for_a_station, register_and_verify

SHANGHAI = ZoneInfo("Asia/Shanghai")
PANEL = ("李海洋", "张医工", "王新材")  # 李海洋 is the demo user `reviewer`


def _token(stack: Sandbox, username: str) -> str:
    answer = requests.post(f"{stack.gateway_url}/api/v1/auth/token", timeout=10,
                           json={"username": username, "password": PASSWORD})
    answer.raise_for_status()
    return answer.json()["access_token"]


def _api(stack: Sandbox, username: str, path: str) -> Any:
    answer = requests.get(f"{stack.gateway_url}/api/v1{path}", timeout=10,
                          headers={"Authorization": f"Bearer {_token(stack, username)}"})
    answer.raise_for_status()
    return answer.json()


def _platform_now(stack: Sandbox) -> datetime:
    text = stack.clock_file.read_text().strip() if stack.clock_file.exists() else ""
    return datetime.fromisoformat(text) if text else datetime.now(UTC)


def _open_row(page: Any, station: str) -> None:
    """Open the application of ``station`` from a worklist table."""
    page.get_by_role("row").filter(has_text=station).get_by_role("link").first.click()
    expect(page.locator("main")).to_contain_text(station)


def _returned_and_resubmitted(login: Callable[..., Any], host: Any, station: str, tag: str,
                              js: bool) -> Any:
    """环翠区 returns the application with comments; the host unit reads them on its
    timeline, corrects the premises and submits again (R7.1)."""
    staff = login("huancui-hr", javascript=js)
    staff.goto("/staff/district/")
    visit(staff, f"staff-district-worklist-{tag}")
    _open_row(staff, station)
    visit(staff, f"staff-district-application-{tag}")
    staff.get_by_label("审核意见").fill("请补充场地租赁合同，并核实场地面积。")
    staff.get_by_role("button", name="退回修改").click()
    expect(staff.locator(".alert-success")).to_contain_text("退回修改")

    host.reload()
    expect(host.locator("main")).to_contain_text("请补充场地租赁合同")
    visit(host, f"host-returned-{tag}")
    host.get_by_role("link", name="修改申报").click()
    host.get_by_role("button", name="保存并继续").click()
    host.get_by_label("场地面积（平方米）").fill("320")
    host.get_by_role("button", name="保存并继续").click()
    expect(host.get_by_label("承诺的建设运营经费（元）")).to_be_visible()
    host.get_by_role("button", name="保存并继续").click()
    expect(host.get_by_label("合作专家")).to_be_visible()
    host.get_by_role("button", name="保存并继续").click()
    host.get_by_role("button", name="确认提交").click()
    expect(host.locator("main")).to_contain_text("待区市审核")
    return staff


def _recommend(staff: Any, station: str) -> None:
    staff.goto("/staff/district/")
    _open_row(staff, station)
    expect(staff.locator("main")).to_contain_text("320")
    staff.get_by_label("审核意见").fill("材料齐全，条件具备，同意推荐。")
    staff.get_by_role("button", name="推荐至市级").click()
    expect(staff.locator(".alert-success")).to_contain_text("推荐至市级")


def _reviewer_accounts(stack: Sandbox, login: Callable[..., Any], tag: str,
                       js: bool) -> list[str]:
    """The administrator creates an account for each panel member without one."""
    experts = {e["name"]: e["id"] for e in _api(stack, "city-hr", "/review-experts")}
    admin = login("admin", javascript=js)
    usernames = ["reviewer"]
    for name in PANEL[1:]:
        username = f"rev-{uuid.uuid4().hex[:6]}"
        admin.goto("/admin/users/new")
        admin.get_by_label("角色").select_option(label="评审专家")
        admin.get_by_label("用户名").fill(username)
        admin.get_by_label("姓名或单位名称").fill(name)
        admin.get_by_label("初始密码").fill(PASSWORD)
        admin.get_by_label("再次输入密码").fill(PASSWORD)
        if name == PANEL[1]:  # a reviewer must be bound to an expert: refused, typing kept
            admin.get_by_role("button", name="创建账号").click()
            expect(admin.locator("#expert-error")).to_contain_text("该角色须绑定此项")
            expect(admin.get_by_label("用户名")).to_have_value(username)
            visit(admin, f"admin-new-user-refused-{tag}")
            admin.get_by_label("初始密码").fill(PASSWORD)
            admin.get_by_label("再次输入密码").fill(PASSWORD)
        admin.get_by_label("绑定专家编号（评审专家、专家）").fill(experts[name])
        admin.get_by_role("button", name="创建账号").click()
        expect(admin.get_by_role("row").filter(has_text=username)).to_contain_text("评审专家")
        usernames.append(username)
    visit(admin, f"admin-users-{tag}")
    return usernames


def _form_panel(login: Callable[..., Any], station: str, tag: str, js: bool) -> Any:
    city = login("city-hr", javascript=js)
    city.goto("/staff/city/")
    visit(city, f"staff-city-worklist-{tag}")
    _open_row(city, station)
    for name in PANEL:
        city.get_by_label(f"{name} ·", exact=False).check()
    visit(city, f"staff-city-panel-{tag}")
    city.get_by_role("button", name="组建专家组").click()
    progress = city.get_by_role("region", name="评审进度")
    expect(progress).to_contain_text("专家组 3 人，已评审 0 人")
    return city


def _review(login: Callable[..., Any], username: str, station: str, tag: str, js: bool,
            first: bool) -> None:
    expert = login(username, javascript=js)
    expert.goto("/staff/expert/")
    if first:
        visit(expert, f"staff-expert-assigned-{tag}")
    _open_row(expert, station)
    expert.get_by_label("考察意见").fill("现场考察：场地、制度、人员齐备，服务记录完整。")
    scores = expert.locator("input[inputmode=numeric]")
    total = 0
    for i in range(scores.count()):
        top = int(scores.nth(i).get_attribute("max") or "0")
        scores.nth(i).fill(str(top - 1))
        total += top - 1
    expert.get_by_role("button", name="计算总分").click()
    expect(expert.locator("main")).to_contain_text(str(total))
    if first:
        visit(expert, f"staff-expert-review-{tag}")
    expert.get_by_role("button", name="提交评审").click()
    expect(expert.locator(".alert-success")).to_contain_text(f"总分 {total}")


def _shortlist_and_publish(city: Any, station: str, published_on: str, tag: str) -> str:
    city.goto("/staff/city/ranking")
    expect(city.get_by_role("table", name="评审排名")).to_contain_text(station)
    visit(city, f"staff-city-ranking-{tag}")
    city.get_by_label("最低分").fill("60")
    city.get_by_role("button", name="确定拟入选名单").click()
    expect(city.get_by_role("heading", level=1)).to_have_text("公示管理")
    city.get_by_label("公示日期").fill(published_on)
    publish = city.get_by_role("group", name="公示的申报")
    for box in publish.get_by_role("checkbox").all():
        box.set_checked(False)
    publish.get_by_label(station).check()
    city.get_by_role("button", name="计算公示期").click()
    expect(city.get_by_role("status")).to_contain_text("5 个工作日")
    visit(city, f"staff-city-notice-window-{tag}")
    city.get_by_role("button", name="发布公示").click()
    expect(city.get_by_role("heading", level=1)).to_contain_text("公示")
    visit(city, f"staff-city-notice-{tag}")
    return city.url.rstrip("/").rsplit("/", 1)[-1]


def _object(new_page: Callable[..., Any], notice_id: str, station: str, tag: str,
            js: bool) -> None:
    public = new_page(js)
    public.goto(f"/notices/{notice_id}")
    choice = public.get_by_label("异议对象").locator("option").filter(has_text=station)
    public.get_by_label("异议对象").select_option(value=choice.get_attribute("value"))
    public.get_by_label("异议理由").fill("该驿站申报的场地面积与实际使用面积不符，请核实。")
    public.get_by_role("button", name="提交异议").click()
    expect(public.get_by_role("status")).to_contain_text("受理编号")
    visit(public, f"public-objection-{tag}")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "no-js"])
def test_from_registration_to_a_plaque_in_the_registry(
        stack: Sandbox, clock: Sandbox, new_page: Callable[..., Any],
        login: Callable[..., Any], javascript: bool) -> None:
    tag = "js" if javascript else "nojs"
    host, unit = register_and_verify(new_page, login, tag, javascript)
    station = apply_for_a_station(host, unit, tag)

    district = _returned_and_resubmitted(login, host, station, tag, javascript)
    _recommend(district, station)
    reviewers = _reviewer_accounts(stack, login, tag, javascript)
    city = _form_panel(login, station, tag, javascript)
    for i, username in enumerate(reviewers):
        _review(login, username, station, tag, javascript, first=i == 0)
    city.reload()
    expect(city.get_by_role("region", name="评审进度")).to_contain_text("已评审 3 人")

    notice_id = _shortlist_and_publish(
        city, station, _platform_now(stack).astimezone(SHANGHAI).date().isoformat(), tag)
    _object(new_page, notice_id, station, tag, javascript)

    city.reload()
    objection = city.locator("article.objection").filter(has_text="场地面积与实际使用面积不符")
    objection.get_by_label("异议不成立").check()
    objection.get_by_label("调查情况").fill("经现场核实，场地面积与申报材料一致，异议不成立。")
    objection.get_by_role("button", name="记录调查结论").click()
    expect(city.locator("article.objection").filter(
        has_text="场地面积与实际使用面积不符")).to_contain_text("异议不成立")
    visit(city, f"staff-city-objection-decided-{tag}")

    notice = _api(stack, "city-hr", f"/notices/{notice_id}")
    closes_at = datetime.fromisoformat(notice["closes_at"])
    clock.set_clock((closes_at + timedelta(hours=1)).isoformat())
    city.get_by_role("button", name="结束公示").click()
    expect(city.locator(".alert-success")).to_contain_text("公示已结束")

    office = login("talent-office", javascript=javascript)
    office.goto("/staff/office/")
    visit(office, f"staff-office-queue-{tag}")
    _open_row(office, station)
    visit(office, f"staff-office-application-{tag}")
    office.get_by_label("审核意见").fill("经公示无异议，同意认定。")
    office.get_by_role("button", name="予以认定").click()
    flash = office.locator(".alert-success")
    expect(flash).to_contain_text("牌匾编号")
    plaque = flash.inner_text().split("牌匾编号")[-1].strip(" 。")
    visit(office, f"staff-office-approved-{tag}")

    public = new_page(javascript)
    public.goto("/stations")
    public.get_by_label("名称或依托单位").fill(station)
    public.get_by_role("button", name="查询").click()
    row = public.get_by_role("row").filter(has_text=station)
    expect(row).to_contain_text(plaque)
    row.get_by_role("link", name=station).click()
    expect(public.get_by_role("heading", level=1)).to_have_text(station)
    expect(public.locator("main")).to_contain_text(plaque)
    visit(public, f"public-station-new-{tag}")

    host.goto("/host/")
    expect(host.locator("main")).to_contain_text(plaque)
