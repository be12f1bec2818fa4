"""`make demo`: the life of a station, driven through the public API of a running `make run`.

Each step calls the gateway as one of the demo users of docs/api.md (password
Weihai-Demo-2026), or as the anonymous public, and says what happened in one line of Chinese
and one of English. Every run uses new names, so it can be run again and again.

A unit of 环翠区 applies, is recommended, reviewed, shortlisted and published; the public
objects and the objection is dismissed. The five working days of the notice cannot pass in
real time, so the walk shows the open notice and the registry of stations already recognised,
records an activity for the demo host unit's recognised station (威高集团有限公司), reports
spending of its demonstration grant (and has a disallowed use refused), shows the city's view
of its talent fund, and has an enterprise post a technology need that the platform answers
with recommended experts and the talent map.

A new unit and two more review experts need logins: the walk gives them, as an administrator
of this machine would (``python -m gateway.users add``), in the gateway's own database.

Extending it: write a step function ``def step(walk: Walk) -> Said`` and add it to STEPS.

    python -m deploy.local.walkthrough [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from stdnum.cn import uscc

from servicekit.clock import SHANGHAI

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "local" / "config.yaml"
DEMO_PASSWORD = "Weihai-Demo-2026"
HUANCUI = "371002"
CONDITIONS = ("commitment", "environment", "experts", "management")  # Art 6 (R6.1)
PDF = b"%PDF-1.7\n% walkthrough evidence\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

Said = tuple[str, str]  # what a step did: (Chinese, English)


class Stop(Exception):
    """The walk cannot go on; the message says why, in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass
class Walk:
    """The platform's address, who is signed in, and what earlier steps created."""

    base: str
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6].upper())
    http: requests.Session = field(default_factory=requests.Session)
    tokens: dict[str, str] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def sign_in(self, username: str, added_here: bool = False) -> None:
        """Sign in with the demo password; ``added_here``: a login this walk added."""
        response = self.http.post(
            f"{self.base}/api/v1/auth/token",
            json={"username": username, "password": DEMO_PASSWORD},
            timeout=30,
        )
        if response.status_code == 200:
            self.tokens[username] = response.json()["access_token"]
        elif added_here:
            raise Stop(
                f"新账号 {username} 已写入本机网关数据库，但 {self.base} 不认可：--url 是否指向"
                "本机的 make run？",
                f"The login {username} was added to this machine's gateway database, but "
                f"{self.base} refuses it: is --url this machine's `make run`?",
            )
        else:
            raise Stop(
                f"演示用户 {username} 无法登录（{response.status_code}）：演示数据是否已加载？"
                "make run 首次启动时会加载。",
                f"The demo user {username} cannot sign in ({response.status_code}): were the "
                "demo data loaded? make run loads them on its first start.",
            )

    def call(
        self, who: str | None, method: str, path: str, expect: int = 200, **kwargs: Any
    ) -> Any:
        """``method path`` as the signed-in ``who`` (None: the public); the status must be
        ``expect``, else the walk stops with the platform's own reason."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        response = self.http.request(
            method, f"{self.base}/api/v1{path}", headers=headers, timeout=60, **kwargs
        )
        if response.status_code != expect:
            try:
                body = response.json()
                reason = f"{body['code']}: {body['message']} {body.get('details') or ''}"
            except (ValueError, KeyError, TypeError):
                reason = response.text[:300]
            raise Stop(
                f"{method} {path} 返回 {response.status_code}（预期 {expect}）：{reason}",
                f"{method} {path} answered {response.status_code} (expected {expect}): {reason}",
            )
        return response.json() if response.content else None


def today() -> str:
    return datetime.now(SHANGHAI).date().isoformat()


def today_plus(days: int) -> str:
    return (datetime.now(SHANGHAI).date() + timedelta(days=days)).isoformat()


def credit_code(district: str, serial: str) -> str:
    """A unified social credit code with its check digit (GB 32100-2015)."""
    base = f"91{district}{serial:0>9}"[:17]
    return base + uscc.calc_check_digit(base)


def add_login(username: str, role: str, display_name: str, **binding: str) -> None:
    """What ``python -m gateway.users add`` does, on this machine's gateway database."""
    from gateway.store import Store
    from gateway.users import UserError, add_user
    from servicekit.config import load_config

    store = Store.open(load_config(CONFIG))
    try:
        add_user(store, username, DEMO_PASSWORD, role, display_name, **binding)
    except UserError as exc:
        raise Stop(f"无法创建登录账号 {username}：{exc}",
                   f"Cannot add the login {username}: {exc}") from None
    finally:
        store.close()


# --- the steps ---------------------------------------------------------------------------------


def platform_is_up(walk: Walk) -> Said:
    try:
        response = walk.http.get(f"{walk.base}/readyz", timeout=10)
    except requests.RequestException:
        raise Stop(
            f"平台未运行：无法连接 {walk.base}。请先在另一个终端运行 make run，再运行 make demo。",
            f"The platform is not running at {walk.base}: start it with `make run` in another "
            "terminal, then run `make demo` again.",
        ) from None
    if response.status_code != 200:
        waiting = ", ".join(sorted(response.json().get("details", {}).get("unavailable", {})))
        raise Stop(f"平台尚未就绪（{waiting}），请稍候再试。",
                   f"The platform is not ready yet ({waiting}); try again in a moment.")
    return (f"平台已就绪：{walk.base}（四个服务均已应答）",
            f"The platform at {walk.base} is ready: all four services answer")


def sign_in(walk: Walk) -> Said:
    for username in ("city-hr", "huancui-hr", "reviewer", "host-unit", "enterprise"):
        walk.sign_in(username)
    return ("市人社局、环翠区人社局、评审专家、依托单位和用人单位的演示用户登录",
            "The demo users of the city HR bureau, Huancui district, a review expert, a "
            "host unit and an enterprise sign in")


def district_registers_unit(walk: Walk) -> Said:
    name = f"威海蓝海装备科技有限公司（演示{walk.run}）"
    unit = walk.call("huancui-hr", "POST", "/host-units", 201, json={
        "name": name, "credit_code": credit_code(HUANCUI, walk.run),
        "category": "key_enterprise", "district": HUANCUI, "contact_name": "刘经理",
        "contact_phone": "0631-5201234", "address": "威海市环翠区海滨北路88号"})
    walk.state["unit"] = unit
    return (f"环翠区人社局登记依托单位“{name}”（产业集群重点企业）",
            f"Huancui district HR registers the host unit {name} (a key enterprise)")


def unit_gets_a_login(walk: Walk) -> Said:
    username = f"demo-unit-{walk.run.lower()}"
    add_login(username, "host_unit", walk.state["unit"]["name"],
              organisation=walk.state["unit"]["id"])
    walk.sign_in(username, added_here=True)
    walk.state["unit_login"] = username
    return (f"管理员为该单位开通登录账号 {username}（python -m gateway.users add）",
            f"The administrator gives the unit the login {username} (python -m gateway.users "
            "add)")


def unit_applies_with_evidence(walk: Walk) -> Said:
    who = walk.state["unit_login"]
    evidence = walk.call(who, "POST", "/attachments", 201, files={
        "file": ("场地与制度证明.pdf", PDF, "application/pdf")})
    application = walk.call(who, "POST", "/applications", 201, json={
        "host_unit_id": walk.state["unit"]["id"], "station_type": "innovation",
        "station_name": f"蓝海装备高层次人才驿站（演示{walk.run}）",
        "conditions": {k: {"statement": "已具备，详见附件。",
                           "evidence": [evidence["attachment_id"]]} for k in CONDITIONS},
        "planned_functions": ["exchange_matchmaking", "consulting_window"],
        "cooperating_experts": [{"name": "李海洋", "title": "教授",
                                 "organisation": "中国海洋大学"}],
        "premises": {"address": "威海市环翠区海滨北路88号", "area_sqm": 320},
        "committed_funding": "300000.00"})
    walk.state["application"] = application
    return (f"依托单位上传证明材料（PDF）并起草创新型驿站申请 {application['number']}",
            f"The unit uploads its evidence (a PDF) and drafts application "
            f"{application['number']} for an innovation station")


def unit_submits(walk: Walk) -> Said:
    submitted = walk.call(walk.state["unit_login"], "POST",
                          f"/applications/{walk.state['application']['id']}/submit")
    return (f"依托单位提交申请，四项条件均有证明（第六条）；状态：{submitted['status_name']}",
            f"The unit submits, all four conditions attested (Art 6); now {submitted['status']}"
            " at Huancui district")


def district_recommends(walk: Walk) -> Said:
    recommended = walk.call("huancui-hr", "POST",
                            f"/applications/{walk.state['application']['id']}/recommend",
                            json={"comments": "材料齐全，同意推荐。"})
    return (f"环翠区人社局推荐至市人社局（第七条）；状态：{recommended['status_name']}",
            f"Huancui district HR recommends it to the city (Art 7); now "
            f"{recommended['status']}")


def city_forms_panel(walk: Walk) -> Said:
    own = walk.call("reviewer", "GET", "/auth/me")["expert"]
    pool = walk.call("city-hr", "GET", "/review-experts")
    others = [e for e in pool if e["id"] != own and not e.get("host_unit_id")][:2]
    if len(others) < 2:
        raise Stop("专家库中评审专家不足三名。", "The pool has fewer than three review experts.")
    for i, expert in enumerate(others, start=2):
        username = f"demo-reviewer-{walk.run.lower()}-{i}"
        add_login(username, "reviewer", expert["name"], expert=expert["id"])
        walk.sign_in(username, added_here=True)
        walk.state.setdefault("reviewers", ["reviewer"]).append(username)
    panel = [own, *(e["id"] for e in others)]
    walk.call("city-hr", "POST", f"/applications/{walk.state['application']['id']}/panel",
              json={"expert_ids": panel})
    names = "、".join(e["name"] for e in pool if e["id"] in panel)
    return (f"市人社局组成三人评审组：{names}（另两位专家由管理员开通登录）",
            f"The city forms a review panel of three: {names} (the administrator gives the "
            "other two logins)")


def panel_reviews(walk: Walk) -> Said:
    totals = []
    for username, points in zip(walk.state["reviewers"], (23, 21, 22), strict=True):
        review = walk.call(username, "POST",
                           f"/applications/{walk.state['application']['id']}/reviews", 201,
                           json={"inspection_date": today(),
                                 "findings": "现场考察：场地、制度、人员齐备。",
                                 "scores": dict.fromkeys(CONDITIONS, points)})
        totals.append(str(review["total"]))
    return (f"三位专家现场考察并打分：{'、'.join(totals)} 分",
            f"Each expert inspects on site and scores: {', '.join(totals)} points")


def city_shortlists(walk: Walk) -> Said:
    (ranked,) = walk.call("city-hr", "POST", "/applications/shortlist", json={
        "application_ids": [walk.state["application"]["id"]], "top": 1})
    return (f"市人社局按评分择优入选：{ranked['score']} 分，第 {ranked['rank']} 名",
            f"The city shortlists the best by score: {ranked['score']}, rank {ranked['rank']}")


def city_publishes(walk: Walk) -> Said:
    notice = walk.call("city-hr", "POST", "/notices", 201,
                       json={"application_ids": [walk.state["application"]["id"]]})
    walk.state["notice"] = notice
    return (f"市人社局发布公示 {notice['number']}：{notice['opens_on']} 至 "
            f"{notice['closes_on']}，共5个工作日（法定节假日和调休已计入）",
            f"The city publishes notice {notice['number']} for 5 working days, "
            f"{notice['opens_on']} to {notice['closes_on']} (statutory holidays counted)")


def public_objects(walk: Walk) -> Said:
    notice = walk.state["notice"]
    shown = {n["id"] for n in walk.call(None, "GET", "/public/notices")}
    if notice["id"] not in shown or notice["opens_on"] > today():
        return (f"公示期自 {notice['opens_on']} 开始，届时公众方可提出异议",
                f"The notice opens on {notice['opens_on']}: the public may object from then")
    receipt = walk.call(None, "POST", f"/public/notices/{notice['id']}/objections", 201, json={
        "application_id": walk.state["application"]["id"],
        "reason": "该单位申报的场地面积与实际不符。"})
    walk.state["objection"] = receipt
    return ("公众无需登录即可查看公示并匿名提出异议",
            "A member of the public reads the notice without signing in and objects, "
            "anonymously")


def city_dismisses_objection(walk: Walk) -> Said:
    if "objection" not in walk.state:
        return ("尚无异议需要处理", "There is no objection to decide yet")
    decided = walk.call("city-hr", "POST",
                        f"/objections/{walk.state['objection']['id']}/decision",
                        json={"outcome": "dismissed",
                              "finding": "经现场核实，场地面积符合申报材料，异议不成立。"})
    return (f"市人社局调查后驳回异议（{decided['status']}），记录调查结论",
            f"The city investigates and dismisses the objection ({decided['status']}), its "
            "finding recorded")


def notice_window_cannot_pass(walk: Walk) -> Said:
    notice = walk.state["notice"]
    walk.call("city-hr", "POST", f"/notices/{notice['id']}/close", 409)
    return (f"公示期未满（至 {notice['closes_on']}），不能提前结束；实时演示无法等待5个工作日，"
            "人才办审批须待公示期满",
            f"The notice runs until {notice['closes_on']} and cannot close before (R7.3); a "
            "live walk cannot wait five working days, so the talent office's approval waits")


def registry_of_stations(walk: Walk) -> Said:
    open_now = walk.call(None, "GET", "/public/notices")
    registry = walk.call(None, "GET", "/stations?status=active&limit=5")
    names = "、".join(s["name"] for s in registry["items"][:3])
    return (f"公众可见 {len(open_now)} 个公示中；已认定驿站 {registry['total']} 个，如：{names}",
            f"Notices open to the public: {len(open_now)}; recognised stations in the "
            f"registry: {registry['total']}, e.g. {names}")


def station_records_activity(walk: Walk) -> Said:
    found = walk.call(None, "GET", "/stations?q=威高")
    if not found["items"]:
        raise Stop("登记册中没有威高集团的驿站：演示数据是否已加载？",
                   "The registry has no station of 威高集团: were the demo data loaded?")
    station = found["items"][0]
    activity = walk.call("host-unit", "POST", f"/stations/{station['id']}/activities", 201,
                         json={"kind": "lecture", "title": f"医疗器械前沿讲座（演示{walk.run}）",
                               "held_on": today(), "place": "威高集团报告厅",
                               "participants": 80, "talents_served": 15})
    profile = walk.call("host-unit", "GET", f"/stations/{station['id']}/evaluation")
    return (f"已认定的“{station['name']}”（{station['plaque_number']}）记录一场讲座"
            f"（{activity['kind_zh']}，服务高层次人才15人次），累计活动 "
            f"{profile['records'].get('activities')} 场，供两年一次评估使用",
            f"The recognised station {station['plaque_number']} records a lecture (15 "
            f"high-level talents served); {profile['records'].get('activities')} activities "
            "count towards its biennial evaluation (R16.1)")


def evaluation_rests_on_records(walk: Walk) -> Said:
    """R16.1, R17.2: the 2026 grades rest on criteria (4) and (6) from the records, a
    reviewer's adjustment is shown with its reason, and the commendation is a record."""
    cycles = walk.call("city-hr", "GET", "/evaluation-cycles?status=finalized")["items"]
    if not cycles:
        raise Stop("没有已确定结果的评估周期：演示数据是否已加载？",
                   "No finalized evaluation cycle: were the demo data loaded?")
    report = walk.call("city-hr", "GET", f"/evaluation-cycles/{cycles[0]['cycle_id']}/report")
    top = report["rows"][0]
    moved = [a for row in report["rows"] for a in row["adjustments"]]
    profile = walk.call("city-hr", "GET", f"/stations/{top['station_id']}/evaluation")
    documents = "、".join(c["document"] for c in profile["commendations"]) or "—"
    adjusted = (f"{moved[0]['computed']}→{moved[0]['score']}（{moved[0]['reason']}）"
                if moved else "—")
    return (f"评估第 1 名“{top['name']}”{top['score']} 分：工作计划总结得分 "
            f"{top['criteria']['plans_and_reports']} 依据报送记录；专家调整 {adjusted}；"
            f"表扬文件 {documents}",
            f"Rank 1 {top['name']} {top['score']}: plans and summaries "
            f"{top['criteria']['plans_and_reports']} from the records (R16.1); a reviewer's "
            f"adjustment {adjusted}; commended by {documents} (R17.2)")


def host_unit_spends_grant(walk: Walk) -> Said:
    grants = walk.call("host-unit", "GET", "/grants?status=approved&kind=construction")
    if not grants["items"]:
        raise Stop("威高集团的驿站没有已批准的建设补助：演示数据是否已加载？",
                   "The 威高 station has no approved construction grant: were the demo data "
                   "loaded?")
    grant = grants["items"][0]
    evidence = [{"filename": "票据.pdf", "content_type": "application/pdf",
                 "content_base64": base64.b64encode(PDF).decode()}]
    walk.call("host-unit", "POST", f"/grants/{grant['grant_id']}/expenditures", 201, json={
        "category": "technology_sharing", "amount": "5000.00", "spent_on": today(),
        "description": f"技术分享会场地与资料（演示{walk.run}）", "attachments": evidence})
    refused = walk.call("host-unit", "POST", f"/grants/{grant['grant_id']}/expenditures", 422,
                        json={"category": "gifts", "amount": "300.00", "spent_on": today(),
                              "description": "礼品", "attachments": evidence})
    return ("示范驿站报销技术分享支出 5000.00 元（附票据）；“礼品”不在第九条允许的用途内，被拒："
            f"{refused['code']}",
            "The demonstration station reports 5000.00 yuan of technology sharing with its "
            f"receipt; 'gifts' is not an Art 9 use and is refused (R9.3): {refused['code']}")


def city_supervises_fund(walk: Walk) -> Said:
    funds = walk.call("city-hr", "GET", "/funds?district=371000")["items"]
    fund = funds[0]
    return (f"市人社局查看市人才专项资金 {fund['fiscal_year']} 年度：预算 {fund['budget']}，"
            f"已承诺 {fund['committed']}，已拨付 {fund['disbursed']}，已支出 {fund['spent']}，"
            f"可用 {fund['available']} 元，账目平衡：{fund['reconciles']}",
            f"The city supervises its talent fund {fund['fiscal_year']}: budget {fund['budget']}, "
            f"committed {fund['committed']}, disbursed {fund['disbursed']}, spent "
            f"{fund['spent']}, available {fund['available']} yuan; reconciles: "
            f"{fund['reconciles']} (R13.1)")


def enterprise_posts_demand(walk: Walk) -> Said:
    demand = walk.call("enterprise", "POST", "/demands", 201, json={
        "enterprise_name": "威海远航复材科技有限公司", "kind": "technology",
        "title": f"碳纤维构件自动铺放工艺（演示{walk.run}）",
        "description": "需要碳纤维复合材料自动铺丝铺带工艺与热压罐固化优化方面的专家，联合研发。",
        "industry": "WH-MAT", "district": "371071", "budget": "500000.00",
        "modes": ["joint_development"], "deadline": today_plus(60)})
    walk.call("city-hr", "POST", f"/demands/{demand['id']}/triage", json={"action": "accept"})
    walk.state["demand"] = demand["id"]
    return (f"用人单位发布技术需求（四类需求之一，第八条），市人社局受理：{demand['title']}",
            "An enterprise posts a technology need (one of the four kinds, R8.1) and the city "
            f"accepts it: {demand['title']}")


def city_recommends_experts(walk: Walk) -> Said:
    run = walk.call("city-hr", "POST", f"/demands/{walk.state['demand']}/recommendations", 201,
                    json={"limit": 3})
    top = run["recommendations"][0]
    terms = "、".join(t["term"] for t in top["matched_terms"][:4])
    return (f"平台从人才库推荐 {len(run['recommendations'])} 位专家，首位：{top['expert']['name']}"
            f"（匹配词：{terms}；{top['reason_zh']}）",
            f"The platform recommends {len(run['recommendations'])} experts from the talent "
            f"database; first: {top['expert']['name']} (matched terms: {terms}; "
            f"{top['reason_en']})")


def talent_map(walk: Walk) -> Said:
    svg = walk.http.get(f"{walk.base}/api/v1/talent-map?format=svg",
                        headers={"Authorization": f"Bearer {walk.tokens['city-hr']}"},
                        timeout=60)
    if svg.status_code != 200 or not svg.text.startswith("<svg"):
        raise Stop(f"人才地图返回 {svg.status_code}", f"The talent map answered {svg.status_code}")
    return ("人才地图（第八条第二项）：各区市专家、需求与合作分布，SVG 可在浏览器中打开："
            f"{walk.base}/api/v1/talent-map?format=svg",
            "The talent map (Art 8(2)): experts, demands and collaborations by district, an SVG "
            f"a browser shows at {walk.base}/api/v1/talent-map?format=svg")


Step = Callable[[Walk], Said]
STEPS: list[Step] = [
    platform_is_up,
    sign_in,
    district_registers_unit,
    unit_gets_a_login,
    unit_applies_with_evidence,
    unit_submits,
    district_recommends,
    city_forms_panel,
    panel_reviews,
    city_shortlists,
    city_publishes,
    public_objects,
    city_dismisses_objection,
    notice_window_cannot_pass,
    registry_of_stations,
    station_records_activity,
    evaluation_rests_on_records,
    host_unit_spends_grant,
    city_supervises_fund,
    enterprise_posts_demand,
    city_recommends_experts,
    talent_map,
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.walkthrough",
                                     description=__doc__.splitlines()[0])
    port = os.environ.get("GATEWAY_PORT", "8000")
    parser.add_argument("--url", default=f"http://127.0.0.1:{port}",
                        help="the gateway of a running platform (default: %(default)s)")
    args = parser.parse_args(argv)
    os.chdir(ROOT)  # the gateway's configuration names paths under var/
    walk = Walk(args.url.rstrip("/"))
    print(f"演示编号 / run {walk.run}", flush=True)
    for number, step in enumerate(STEPS, start=1):
        try:
            zh, en = step(walk)
        except Stop as stop:
            print(f"{number:>2}. 停止：{stop.zh}\n    Stopped: {stop.en}", file=sys.stderr)
            return 1
        print(f"{number:>2}. {zh}\n    {en}", flush=True)
    print("演示完成 / The walk is done: more at "
          f"{walk.base}/api/v1/docs", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
