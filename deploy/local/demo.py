"""Demo data for `make run`: a realistic Weihai, loaded once through the services' RPCs.

The history (applications recognised in September and October 2026) is replayed by moving the
services' clock (CLOCK_FILE) into the past and back; the clock file is removed afterwards, so
the platform runs on real time. One public notice is left open, published on the last working
day before today when the calendar knows today.

The 2020 measures were in force until 2023-12-13 (Art 18). No successor has been published to
us, so the demo registers an ASSUMED successor in force from 2023-12-14, open-ended, and says
so in its note: an administrator replaces it with the real one (R18.1).
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import monotonic, sleep
from typing import Any

from nameko.standalone.rpc import ClusterRpcProxy
from stdnum.cn import uscc

from contracts.rpc.applications import TYPE_FUNCTIONS
from servicekit.calendar import WorkingDayCalendar
from servicekit.clock import SHANGHAI, set_clock_file
from servicekit.errors import InvalidInput, NotFound
from services.applications.domain import CONDITIONS

Say = Callable[[str], None]
PDF = b"%PDF-1.7\n% demo evidence\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

# (name, category, district or None for city-level, city_level)
UNITS = [
    ("哈尔滨工业大学（威海）", "university", "371002", False),
    ("山东大学（威海）海洋研究院", "research_institute", "371071", False),
    ("威高集团有限公司", "key_enterprise", "371071", False),
    ("威海南海新区海洋产业园", "industrial_park", "371091", False),
    ("环翠区星火众创空间", "maker_space", "371002", False),
    ("文登区科技企业孵化器", "incubator", "371003", False),
    ("荣成市大众创业基地", "entrepreneurship_base", "371082", False),
    ("乳山市创客街区", "maker_street", "371083", False),
    ("威海市碳纤维行业协会", "industry_association", None, True),
    ("经区技术转移中心", "tech_intermediary", "371072", False),
    ("临港区人才公寓", "talent_apartment", "371073", False),
    ("刘公岛主题休闲驿所", "leisure_venue", "371002", False),
    ("威海市人才服务中心", "talent_service_agency", None, True),
    ("文登区人力资源服务产业园", "hr_intermediary", "371003", False),
]
TYPE_OF = {
    "university": "innovation", "research_institute": "innovation",
    "key_enterprise": "innovation", "industrial_park": "innovation",
    "maker_space": "entrepreneurship", "incubator": "entrepreneurship",
    "entrepreneurship_base": "entrepreneurship", "maker_street": "entrepreneurship",
    "industry_association": "service", "tech_intermediary": "service",
    "talent_apartment": "service", "leisure_venue": "service",
    "talent_service_agency": "comprehensive", "hr_intermediary": "comprehensive",
}
EXPERTS = [
    ("李海洋", "中国海洋大学", "海洋工程"),
    ("王新材", "山东大学", "碳纤维复合材料"),
    ("张医工", "北京理工大学", "医疗器械"),
    ("陈创投", "山东省科创基金", "创业投资"),
    ("刘人才", "山东省人才发展促进会", "人才服务"),
    ("赵管理", "威海职业学院", "企业管理"),
]


class Demo:
    """RPC proxies per principal and the services' clock."""

    def __init__(self, config: dict, clock_file: Path, say: Say) -> None:
        self.config = config
        self.clock_file = clock_file
        self.say = say
        self._stack = ExitStack()
        self._proxies: dict[tuple, Any] = {}
        self._serial = itertools.count(1)

    def close(self) -> None:
        self._stack.close()
        self.clock_file.unlink(missing_ok=True)

    def as_(self, role: str, **binding: str) -> Any:
        key = (role, tuple(sorted(binding.items())))
        if key not in self._proxies:
            context = {"role": role, "actor": f"demo-{role}", **binding}
            proxy = ClusterRpcProxy(self.config, context_data=context, timeout=60)
            self._proxies[key] = self._stack.enter_context(proxy)
        return self._proxies[key]

    def app(self, role: str, **binding: str) -> Any:
        return self.as_(role, **binding).applications

    def at(self, day: date, hour: int = 10) -> None:
        self._today = day
        set_clock_file(self.clock_file, datetime.combine(day, time(hour), SHANGHAI))

    def today(self) -> date:
        return self._today

    def credit_code(self, district: str) -> str:
        base = f"91{district}{next(self._serial):09d}"[:17]
        return base + uscc.calc_check_digit(base)


def load_applications(demo: Demo) -> dict[str, Any]:
    """Host units of every category in every district and the first round of recognition
    (September 2024). Returns what the later sections and the demo users are bound to."""
    city = demo.app("city_hr")
    office = demo.app("talent_office")
    demo.at(date(2024, 9, 2))
    city.register_policy_version({
        "code": "WH-2024-ASSUMED", "title": "威海市高层次人才驿站管理办法（假定的后续版本）",
        "document": "演示数据：假定", "effective_from": "2023-12-14", "effective_to": None,
        "note": "ASSUMED for the demo: the 2020 measures expired on 2023-12-13 and no successor "
                "has been registered. Replace it with the real successor (R18.1).",
        "assumed": True,
    })
    units = []
    for name, category, district, city_level in UNITS:
        registrar = city if city_level else demo.app("district_hr", district=district)
        units.append(registrar.register_host_unit({
            "name": name, "credit_code": demo.credit_code(district or "371000"),
            "category": category, "district": district, "city_level": city_level,
            "contact_name": "联络员", "contact_phone": "0631-5800000",
            "address": f"{name}办公楼"}))
    demo.say(f"{len(units)} host units, one of each category of Art 5")
    # R7.5: the organisations experts work for; 山东大学 and its 威海 marine institute (a host
    # unit) are one group, so 山东大学's expert never reviews the institute.
    organisations = {}
    for _, name, _ in EXPERTS:
        organisations[name] = city.register_organisation(
            {"name": name, "group_name": name})["id"]
    city.register_organisation({
        "name": units[1]["name"], "group_name": "山东大学",
        "parent_id": organisations["山东大学"], "host_unit_id": units[1]["id"]})
    experts = [city.register_review_expert({
        "name": n, "organisation_name": o, "host_unit_id": None,
        "organisation_id": organisations[o], "field": f})["id"]
        for n, o, f in EXPERTS]

    def draft(unit: dict) -> dict:
        owner = demo.app("host_unit", organisation=unit["id"])
        evidence = owner.upload_attachment({
            "filename": "场地与制度证明.pdf", "content_type": "application/pdf",
            "content_base64": base64.b64encode(PDF).decode()})["attachment_id"]
        return owner.create_application({
            "host_unit_id": unit["id"], "station_type": TYPE_OF[unit["category"]],
            "station_name": f"{unit['name']}高层次人才驿站",
            "conditions": {k: {"statement": "已具备，详见附件。", "evidence": [evidence]}
                           for k in CONDITIONS},
            "planned_functions": ["exchange_matchmaking", "flexible_recruitment",
                                  "consulting_window"],
            # R5.3: the Art 5 functions of its type.
            "type_functions": list(TYPE_FUNCTIONS[TYPE_OF[unit["category"]]])[:3],
            "cooperating_experts": [{"name": "李海洋", "title": "教授",
                                     "organisation": "中国海洋大学"}],
            "premises": {"address": unit["address"], "area_sqm": 260},
            "committed_funding": "300000.00"})

    def submit(unit: dict, app: dict) -> None:
        demo.app("host_unit", organisation=unit["id"]).submit_application(
            {"application_id": app["id"]})

    def at_city(unit: dict) -> dict:
        app = draft(unit)
        submit(unit, app)
        if unit["route"] == "district":
            demo.app("district_hr", district=unit["district"]).recommend_application(
                {"application_id": app["id"], "comments": "材料齐全，同意推荐。"})
        return app

    def reviewed(unit: dict, total: int, panel: list[str] | None = None) -> dict:
        app = at_city(unit)
        panel = panel or experts[:3]
        city.form_panel({"application_id": app["id"], "expert_ids": panel})
        for i, expert in enumerate(panel):
            score = total + (i - 1) * 2
            parts = [score // 4 + (1 if k < score % 4 else 0) for k in range(4)]
            demo.app("reviewer", expert=expert).record_review({
                "application_id": app["id"], "inspection_date": demo.today().isoformat(),
                "findings": "现场考察：场地、制度、人员齐备。",
                "scores": dict(zip(CONDITIONS, parts, strict=True))})
        return app

    # September 2024: the first round, recognised in time for the 2026 evaluation.
    first = [reviewed(units[i], total) for i, total in
             [(2, 92), (0, 88), (12, 85), (4, 81), (5, 76), (10, 58)]]
    ids = [a["id"] for a in first]
    city.shortlist_applications({"application_ids": ids, "top": 5})
    demo.at(date(2024, 9, 13))
    notice = city.publish_notice({"application_ids": ids[:5]})
    objection = demo.app("public").file_objection({
        "notice_id": notice["id"], "application_id": ids[4],
        "reason": "该孵化器实际运营场地与申报材料不符。", "name": None, "contact": None})
    city.decide_objection({"objection_id": objection["id"], "outcome": "upheld",
                           "finding": "经现场核实，场地面积不足，异议成立。"})
    demo.at(date(2024, 9, 23))
    city.close_notice({"notice_id": notice["id"]})
    stations = [office.approve_application({"application_id": i, "comments": "同意认定。"})
                for i in ids[:3]]
    office.decline_application({"application_id": ids[3],
                                "comments": "服务体系尚不健全，暂不认定。"})
    demo.say(f"{len(stations)} stations recognised with plaques "
             f"{', '.join(s['plaque_number'] for s in stations)}")

    return {"host_unit": units[2]["id"], "reviewer": experts[0], "stations": stations,
            "units": units, "experts": experts, "helpers": (draft, submit, at_city, reviewed)}


def load_current_applications(demo: Demo, first: dict[str, Any]) -> None:
    """Autumn 2026: applications in every other state, and one public notice open today."""
    city = demo.app("city_hr")
    units, experts = first["units"], first["experts"]
    draft, submit, at_city, reviewed = first["helpers"]
    demo.at(date(2026, 10, 20))
    draft(units[6])                                                   # draft
    submitted = draft(units[7])
    submit(units[7], submitted)                                       # submitted
    returned = draft(units[13])
    submit(units[13], returned)
    demo.app("district_hr", district="371003").return_application(
        {"application_id": returned["id"], "comments": "请补充专家合作协议。"})   # returned
    rejected = draft(units[11])
    submit(units[11], rejected)
    demo.app("district_hr", district="371002").reject_application(
        {"application_id": rejected["id"], "comments": "周边产业支撑不足（第六条第二项）。"})
    at_city(units[9])                                                 # at the city
    reviewing = at_city(units[3])
    city.form_panel({"application_id": reviewing["id"], "expert_ids": experts[3:6]})  # review
    # 王新材 of 山东大学 stands aside from its own group's institute (R7.5).
    second = [reviewed(units[1], 90, experts[2:5]), reviewed(units[8], 83)]
    city.shortlist_applications({"application_ids": [a["id"] for a in second],  # shortlisted
                                 "minimum_score": 70})
    _open_notice(demo, [second[0]["id"]])
    demo.clock_file.unlink(missing_ok=True)


def _open_notice(demo: Demo, application_ids: list[str]) -> None:
    """Publish on the last working day up to today, if the calendar knows today."""
    today = datetime.now(SHANGHAI).date()
    calendar = WorkingDayCalendar.seeded()
    if today.year not in calendar.known_years:
        demo.say(f"no public notice opened: the calendar has no data for {today.year} yet "
                 "(load the year: POST /api/v1/calendar/years)")
        return
    day = today
    while not calendar.is_workday(day):
        day -= timedelta(days=1)
    demo.at(day, hour=9)
    notice = demo.app("city_hr").publish_notice({"application_ids": application_ids})
    demo.say(f"public notice {notice['number']} open until the end of {notice['closes_on']}")


def _eventually(call: Callable[[], Any], what: str, seconds: float = 60) -> Any:
    """Retry ``call`` while an event is still on its way to the service that needs it."""
    deadline = monotonic() + seconds
    while True:
        try:
            return call()
        except NotFound:
            if monotonic() > deadline:
                raise RuntimeError(f"{what}: the event did not arrive in {seconds:.0f}s") from None
            sleep(0.5)


def load_evaluation(demo: Demo, stations: list[dict]) -> dict[str, Any]:
    """Records of the 2024 stations, the 2026 biennial evaluation (R16.1): one excellent and
    selected as a demonstration station (R9.1), one passing, one ordered to rectify (R17.1)."""
    excellent, passing, failing = stations[:3]

    def evaluation(role: str, **binding: str) -> Any:
        return demo.as_(role, **binding).evaluation

    for station in stations:
        _eventually(lambda s=station: evaluation("city_hr").get_station_profile(
            {"station_id": s["id"]}), "station_approved → evaluation")
    # Plans and summaries (Art 16(6)): the excellent station files all four on time, the
    # passing one the first two on time and the others late, the failing one none.
    on_time = [(date(2025, 1, 15), "summary", 2024), (date(2025, 1, 15), "plan", 2025),
               (date(2026, 1, 15), "summary", 2025), (date(2026, 1, 15), "plan", 2026)]
    late = [*on_time[:2], (date(2026, 9, 28), "summary", 2025), (date(2026, 9, 28), "plan", 2026)]
    for station, filed in ((excellent, on_time), (passing, late)):
        unit = evaluation("host_unit", organisation=station["host_unit_id"])
        for day, kind, year in filed:
            demo.at(day)
            unit.submit_report({"station_id": station["id"], "kind": kind, "year": year,
                                "title": f"{year}年度工作{'计划' if kind == 'plan' else '总结'}",
                                "content": "全年活动与服务安排。"})
    demo.at(date(2026, 9, 28))
    kinds = ["lecture", "exchange_matchmaking", "site_visit", "roadshow", "salon", "training"]
    for station, count in ((excellent, 18), (passing, 8), (failing, 1)):
        unit = evaluation("host_unit", organisation=station["host_unit_id"])
        for n in range(count):
            held = date(2025, 1, 10) + timedelta(days=36 * n)
            unit.record_activity({
                "station_id": station["id"], "kind": kinds[n % len(kinds)],
                "title": f"{station['name']} 第{n + 1}期活动", "held_on": held.isoformat(),
                "place": "驿站活动室", "participants": 40 + n, "talents_served": 12 + n})
    city = evaluation("city_hr")
    # R12.1: the city trains station staff and publishes a typical case (criterion (5) context).
    city.record_training({"held_on": "2025-11-20", "topic": "高层次人才驿站服务规范培训",
                          "attendees": [{"station_id": s["id"], "people": 2}
                                        for s in stations]})
    city.record_publicity({"kind": "typical_case", "station_id": excellent["id"],
                           "title": "柔性引才助企攻关：驿站对接专家解决医疗器械技术难题",
                           "published_on": "2026-05-18",
                           "summary": "驿站组织专家与企业联合开发，促成成果转化。"})
    cycle = city.open_cycle({"name": "2026年度驿站评估", "reference_date": "2026-09-28"})
    panel = [("eval-expert-1", "ouc"), ("eval-expert-2", "sdu"), ("eval-expert-3", "hit")]
    grades = {excellent["id"]: 95, passing["id"]: 78, failing["id"]: 55}
    for station in stations:
        city.assign_reviewers({"cycle_id": cycle["cycle_id"], "station_id": station["id"],
                               "reviewers": [{"expert_id": e, "affiliation": a}
                                             for e, a in panel]})
        for expert, _ in panel:
            points = grades[station["id"]]
            # R16.1: criteria (4) and (6) are left to the records.
            evaluation("reviewer", expert=expert).submit_scores({
                "cycle_id": cycle["cycle_id"], "station_id": station["id"],
                "scores": {"development": points, "industry_effect": points,
                           "talent_team": points, "management": points},
                "comments": "按评估标准逐项打分。"})
    # One reviewer's reasoned adjustment of criterion (4), shown in the report (R16.1).
    prefill = {s["station_id"]: s["prefill"] for s in
               city.get_cycle({"cycle_id": cycle["cycle_id"]})["stations"]}
    computed = prefill[passing["id"]]["events_and_talents_served"]["score"]
    evaluation("reviewer", expert=panel[0][0]).submit_scores({
        "cycle_id": cycle["cycle_id"], "station_id": passing["id"],
        "scores": {"development": 78, "industry_effect": 78, "talent_team": 78,
                   "management": 78, "events_and_talents_served": computed + 5},
        "adjustment_reasons": {"events_and_talents_served":
                               "另有 3 场线上讲座已核实，未录入平台。"},
        "comments": "按评估标准逐项打分。"})
    city.finalize_cycle({"cycle_id": cycle["cycle_id"], "findings": {
        failing["id"]: "活动次数偏少，须每月至少开展一次交流活动并按时报送计划总结。"}})
    selection = city.propose_demonstration({
        "cycle_id": cycle["cycle_id"], "station_id": excellent["id"],
        "proposed_subsidy": "150000.00", "provincial": False,
        "note": "评估优秀，服务高层次人才成效突出。"})
    city.confirm_demonstration({"selection_id": selection["selection_id"]})
    evaluation("org_department").confirm_demonstration(
        {"selection_id": selection["selection_id"]})
    # R17.2: the commendation (表扬) that follows an excellent grade is a record of its own.
    city.record_commendation({
        "station_id": excellent["id"], "cycle_id": cycle["cycle_id"],
        "document": "威人社字〔2026〕30号", "commended_on": "2026-09-28",
        "reason": "2026年度评估优秀，服务高层次人才成效突出，予以表扬。"})
    demo.say(f"2026 evaluation: {excellent['name']} excellent and a demonstration station "
             f"(150000.00 yuan proposed), {passing['name']} passed, {failing['name']} "
             "ordered to rectify within 90 days")
    return {"cycle": cycle["cycle_id"], "demonstration": excellent}


def load_matching(demo: Demo, station: dict) -> dict[str, Any]:
    """The talent and demand databases (Arts 8, 11): experts, demands of the four kinds
    (R8.1), a recommendation run, and a collaboration brokered by a station (R8.2)."""
    from services.matching.demo_data import DEMANDS, EXPERTS

    def matching(role: str, **binding: str) -> Any:
        return demo.as_(role, **binding).matching

    demo.clock_file.unlink(missing_ok=True)
    city = matching("city_hr")
    experts = {key: city.register_expert(data)["id"] for key, data in EXPERTS.items()}
    _eventually(lambda: city.update_expert({"expert_id": experts["wang_cf"],
                                            "station_id": station["id"]}),
                "station_approved → matching")
    deadline = (datetime.now(SHANGHAI).date() + timedelta(days=90)).isoformat()
    demands = {}
    for key, demand in DEMANDS.items():
        enterprise = matching("enterprise", organisation=demand["enterprise_id"])
        enterprise.set_notification_settings(
            {"email": f"hr@{demand['enterprise_id']}.example.com"})
        demands[key] = enterprise.post_demand({**demand["request"], "deadline": deadline})["id"]
        city.triage_demand({"demand_id": demands[key], "action": "accept"})
    carbon = demands["carbon_forming"]
    city.recommend_experts({"demand_id": carbon, "limit": 5})
    city.publish_recommendations({"demand_id": carbon, "station_id": station["id"]})
    enterprise = matching("enterprise", organisation=DEMANDS["carbon_forming"]["enterprise_id"])
    by_expert = {r["expert"]["id"]: r["id"] for r in
                 enterprise.list_recommendations({"demand_id": carbon})["recommendations"]}
    enterprise.answer_recommendation({"recommendation_id": by_expert[experts["wang_cf"]],
                                      "decision": "accept", "mode": "joint_development"})
    demo.say(f"{len(experts)} experts, {len(demands)} demands of the four kinds; "
             f"a collaboration brokered by {station['name']}")
    return {"expert": experts["wang_cf"], "enterprise": DEMANDS["carbon_forming"]["enterprise_id"]}


def load_subsidy(demo: Demo, station: dict) -> None:
    """The city talent fund, the demonstration grant the 2026 evaluation proposed (R9.1),
    one tranche, expenditures in the allowed categories (R9.3), and a district's own fund and
    venue subsidy (Art 14)."""
    demo.clock_file.unlink(missing_ok=True)
    today = datetime.now(SHANGHAI).date()

    def subsidy(role: str, **binding: str) -> Any:
        return demo.as_(role, **binding).subsidy

    city = subsidy("city_hr")
    city.set_fund_budget({"fiscal_year": today.year, "budget": "2000000.00",
                          "document": f"威财预〔{today.year}〕12号", "note": "市人才工作专项资金"})
    proposed = _eventually(lambda: _proposed_grant(city, station["id"]),
                           "demonstration_selected → subsidy")
    city.approve_grant({"grant_id": proposed["grant_id"],
                        "document": f"威人社字〔{today.year}〕21号"})
    city.disburse_grant({"grant_id": proposed["grant_id"], "amount": "90000.00",
                         "payment_reference": f"ICBC-{today:%Y%m%d}-0001",
                         "idempotency_key": "demo-tranche-0001"})
    unit = subsidy("host_unit", organisation=station["host_unit_id"])
    evidence = [{"filename": "发票.pdf", "content_type": "application/pdf",
                 "content_base64": base64.b64encode(PDF).decode()}]
    for category, amount, text in (("academic_discussion", "12000.00", "海洋新材料学术沙龙"),
                                   ("infrastructure", "30000.00", "驿站会客室改造")):
        unit.record_expenditure({"grant_id": proposed["grant_id"], "category": category,
                                 "amount": amount, "spent_on": today.isoformat(),
                                 "description": text, "attachments": evidence})
    try:
        unit.record_expenditure({"grant_id": proposed["grant_id"], "category": "banquet",
                                 "amount": "800.00", "spent_on": today.isoformat(),
                                 "description": "招待宴请", "attachments": evidence})
    except InvalidInput as refused:
        demo.say(f"a banquet is refused as it should be (R9.3): {refused.message_en}")
    district = subsidy("district_hr", district=station["district"])
    # R14.1: the district fund spends under the district's own allowed uses, not Art 9's.
    district.set_fund_budget({"fiscal_year": today.year, "district": station["district"],
                              "budget": "300000.00", "document": f"高区财〔{today.year}〕3号",
                              "allowed_uses": {"venue_rent": "驿站场地租金",
                                               "talent_activity": "人才活动购买服务"}})
    venue = district.propose_grant({"station_id": station["id"], "amount": "20000.00",
                                    "purpose": "venue_subsidy"})
    district.approve_grant({"grant_id": venue["grant_id"],
                            "document": f"高区人社〔{today.year}〕5号"})
    district.disburse_grant({"grant_id": venue["grant_id"], "amount": "20000.00",
                             "payment_reference": f"CCB-{today:%Y%m%d}-0002",
                             "idempotency_key": "demo-venue-0001"})
    unit.record_expenditure({"grant_id": venue["grant_id"], "category": "venue_rent",
                             "amount": "8000.00", "spent_on": today.isoformat(),
                             "description": "驿站活动场地季度租金", "attachments": evidence})
    demo.say(f"city talent fund {today.year}: 2,000,000.00 yuan; demonstration grant "
             f"150,000.00 approved for {station['name']}, 90,000.00 paid, 42,000.00 spent; "
             "a district venue subsidy of 20,000.00, spent under the district's own uses (R14.1)")


def _proposed_grant(city: Any, station_id: str) -> dict:
    grants = city.list_grants({"status": "proposed", "station_id": station_id})["items"]
    if not grants:
        raise NotFound("grant.not_found", "not yet", "尚未", {})
    return grants[0]
