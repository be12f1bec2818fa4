"""From a host unit's application to an active station with a plaque, over RPC (Arts 5–7)."""

from __future__ import annotations

import eventlet
import pytest
from sqlalchemy import select

from servicekit.db import make_engine
from servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicekit.tables import audit_log, outbox
from tests.integration.applications_world import credit_code, world_of

pytestmark = pytest.mark.integration


@pytest.fixture
def world(container_factory, service_config, tmp_path):
    yield from world_of(container_factory, service_config, tmp_path)


def _events(database_url_template: str) -> list[tuple[str, dict]]:
    engine = make_engine(database_url_template.format(service="applications"))
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.event_type, outbox.c.envelope)
                            .order_by(outbox.c.position)).all()
    engine.dispose()
    return [(r.event_type, r.envelope["payload"]) for r in rows]


def test_host_unit_credit_code_is_checked_by_its_check_digit(world):
    good = credit_code()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as refused:
        world.district("371002").register_host_unit({
            "name": "某公司", "credit_code": bad, "category": "incubator",
            "district": "371002", "city_level": False, "contact_name": "李",
            "contact_phone": "0631-1", "address": "环翠区"})
    assert refused.value.code == "host_unit.credit_code"
    assert refused.value.details == {"field": "credit_code"}
    unit = world.host_unit(category="incubator")
    assert unit["route"] == "district"
    with pytest.raises(Forbidden):  # R13.1: 文登区 may not register a unit of 环翠区
        world.district("371003").register_host_unit({
            "name": "某公司", "credit_code": credit_code(), "category": "incubator",
            "district": "371002", "city_level": False, "contact_name": "李",
            "contact_phone": "0631-1", "address": "环翠区"})


def test_wrong_host_category_for_the_type_is_refused_with_field_and_rule(world):  # R5.2
    unit = world.host_unit(category="key_enterprise")
    with pytest.raises(InvalidInput) as refused:
        world.draft(unit, station_type="comprehensive")
    assert refused.value.details["field"] == "station_type"
    assert refused.value.details["rule"] == "R5.2"
    assert world.unit(unit["id"]).list_applications({})["total"] == 0


def test_functions_must_be_those_of_the_station_type(world):  # R5.3
    """R5.3 (Art 5): an innovation station offers forums, academic discussion, creative
    practice and technology sharing, not roadshows (the old rule took any function); a
    comprehensive one combines all; the refusal names the rule and changes nothing."""
    unit = world.host_unit(category="key_enterprise")
    with pytest.raises(InvalidInput) as refused:
        world.draft(unit, type_functions=["technology_sharing", "project_roadshow"])
    assert (refused.value.code, refused.value.details["rule"]) == (
        "application.function_not_of_type", "R5.3")
    assert refused.value.details["values"] == ["project_roadshow"]
    assert world.unit(unit["id"]).list_applications({})["total"] == 0
    app = world.draft(unit, type_functions=["technology_sharing", "academic_discussion"])
    assert app["type_functions"] == ["technology_sharing", "academic_discussion"]
    with pytest.raises(InvalidInput):  # not an Art 5 function at all
        world.unit(unit["id"]).update_application({"application_id": app["id"],
                                                    "type_functions": ["banquets"]})
    agency = world.host_unit(category="talent_service_agency", name="综合人才服务中心")
    combined = world.draft(agency, station_type="comprehensive",
                           type_functions=["project_roadshow", "temporary_lodging"])
    assert combined["type_functions"] == ["project_roadshow", "temporary_lodging"]


def test_incomplete_conditions_cannot_be_submitted(world):  # R6.1
    unit = world.host_unit()
    conditions = world.complete_conditions(unit["id"])
    del conditions["management"]
    app = world.draft(unit, conditions=conditions)
    with pytest.raises(InvalidInput) as refused:
        world.unit(unit["id"]).submit_application({"application_id": app["id"]})
    assert refused.value.details["missing"] == ["management"]
    assert world.unit(unit["id"]).get_application(app["id"])["status"] == "draft"


def test_evidence_must_be_an_uploaded_attachment_of_the_allowed_types(world):  # R6.1
    unit = world.host_unit()
    with pytest.raises(InvalidInput) as refused:
        world.unit(unit["id"]).upload_attachment({
            "filename": "x.pdf", "content_type": "application/pdf",
            "content_base64": "TVqQAAMAAAAEAAAA"})  # an executable's first bytes
    assert refused.value.code == "attachment.type"
    conditions = world.complete_conditions(unit["id"])
    conditions["experts"]["evidence"] = ["f" * 64]
    with pytest.raises(InvalidInput) as unknown:
        world.draft(unit, conditions=conditions)
    assert unknown.value.code == "application.evidence_unknown"


def test_district_routes_return_resubmit_and_recommend_with_every_round_kept(
    world, database_url_template
):  # R7.1 R13.1
    world.register_successor_policy()
    unit = world.host_unit()
    app = world.draft(unit)
    owner, huancui = world.unit(unit["id"]), world.district("371002")
    assert owner.submit_application({"application_id": app["id"]})["status"] == "submitted"
    with pytest.raises(Forbidden) as other_district:  # R7.1: 文登区 acts on its own only
        world.district("371003").recommend_application({"application_id": app["id"],
                                                         "comments": "越权"})
    assert other_district.value.code == "forbidden.district"

    returned = huancui.return_application({"application_id": app["id"],
                                           "comments": "请补充专家名单"})
    assert returned["status"] == "returned"
    owner.update_application({"application_id": app["id"],
                              "cooperating_experts": [{"name": "张教授"}]})
    assert owner.submit_application({"application_id": app["id"]})["round"] == 2
    recommended = huancui.recommend_application({"application_id": app["id"],
                                                 "comments": "同意推荐"})
    assert recommended["status"] == "at_city"
    recommended = huancui.get_application(app["id"])
    steps = [(h["action"], h["round"], h["comments"]) for h in recommended["history"]]
    assert steps == [("create", 0, ""), ("submit_to_district", 1, ""),
                     ("return", 1, "请补充专家名单"), ("submit_to_district", 2, ""),
                     ("recommend", 2, "同意推荐")]
    assert recommended["history"][-1]["policy_version"] == "WH-2024-TEST"
    types = [t for t, _ in _events(database_url_template)]
    assert types == ["application_submitted", "application_returned",
                     "application_submitted", "application_recommended"]


def test_university_submits_straight_to_the_city(world):  # R7.1
    unit = world.host_unit(category="university", district="371002", name="某大学")
    app = world.draft(unit)
    submitted = world.unit(unit["id"]).submit_application({"application_id": app["id"]})
    assert submitted["status"] == "at_city"
    assert submitted["district"] == "371000"
    with pytest.raises(Forbidden):  # nothing for a district to recommend
        world.district("371002").recommend_application({"application_id": app["id"],
                                                         "comments": "x"})


def test_second_open_application_of_the_same_unit_and_type_is_refused(world):
    unit = world.host_unit()
    first = world.draft(unit)
    with pytest.raises(Conflict) as refused:
        world.draft(unit)
    assert refused.value.details["existing"] == first["number"]


def test_decision_without_a_policy_version_in_force_is_refused(world):  # R18.1
    unit = world.host_unit()
    app = world.draft(unit)
    world.unit(unit["id"]).submit_application({"application_id": app["id"]})
    with pytest.raises(Conflict) as refused:
        world.district("371002").recommend_application({"application_id": app["id"],
                                                         "comments": "推荐"})
    assert refused.value.code == "policy.none_in_force"
    assert "administrator must register the successor" in refused.value.message_en
    assert "须由管理员登记后续版本" in refused.value.message_zh
    assert world.city.get_application(app["id"])["status"] == "submitted"


def test_a_version_fixes_its_thresholds_and_an_assumed_one_says_so(world):  # R18.1
    """R18.1: the notice length (and the subsidy range, evaluation interval and spending
    categories) are properties of the version in force, not constants; an assumed version
    says so."""
    [measures_2020] = world.city.list_policy_versions()
    assert (measures_2020["assumed"], measures_2020["terms"]) == (False, {
        "notice_working_days": 5, "subsidy_min": "50000.00", "subsidy_max": "200000.00",
        "evaluation_interval_years": 2, "spending_categories": [
            "infrastructure", "policy_consulting", "social_exchange", "academic_discussion",
            "creative_practice", "technology_sharing", "project_roadshow",
            "cooperation_negotiation"]})
    successor = {"code": "WH-2024-ASSUMED", "title": "假定的后续办法", "document": "假定",
                 "effective_from": "2023-12-14", "effective_to": None, "assumed": True,
                 "terms": {**measures_2020["terms"], "notice_working_days": 7}}
    with pytest.raises(InvalidInput) as inverted:
        world.city.register_policy_version({**successor, "terms": {
            **successor["terms"], "subsidy_min": "200000.01"}})
    assert inverted.value.code == "policy.subsidy_range"
    assert len(world.city.list_policy_versions()) == 1
    registered = world.city.register_policy_version(successor)
    assert (registered["assumed"], registered["terms"]["notice_working_days"]) == (True, 7)

    experts = world.review_experts(3)
    app = world.reviewed(world.host_unit(), [80, 80, 80], experts)
    world.city.shortlist_applications({"application_ids": [app["id"]], "top": 1})
    world.set_time("2026-09-30 10:00")
    notice = world.city.publish_notice({"application_ids": [app["id"]]})
    # Seven working days from Wed 30 Sep 2026 across the National Day holiday: 30 Sep, then
    # 8, 9, 10 (a make-up Saturday), 12, 13 and 14 October; the 2020 measures' five end on 12.
    assert (notice["opens_on"], notice["closes_on"]) == ("2026-09-30", "2026-10-14")


def test_from_review_to_notice_objection_and_approval_with_a_plaque(
    world, database_url_template
):  # R7.2 R7.3 R7.4
    world.register_successor_policy()
    experts = world.review_experts(5)
    units = [world.host_unit(name=f"单位{i}") for i in range(3)]
    # five scores each: trimmed means 80.00, 90.00, 60.00
    apps = [world.reviewed(units[0], [80, 80, 80, 70, 95], experts),
            world.reviewed(units[1], [90, 90, 90, 50, 99], experts),
            world.reviewed(units[2], [60, 60, 60, 60, 60], experts)]
    ids = [a["id"] for a in apps]
    ranking = world.city.rank_applications({"application_ids": ids})
    assert [(r["application_id"], r["score"], r["rank"]) for r in ranking] == [
        (ids[1], "90.00", 1), (ids[0], "80.00", 2), (ids[2], "60.00", 3)]

    # R7.2 (择优): a shortlist without a rule (top N or minimum score) is refused.
    with pytest.raises(InvalidInput) as no_rule:
        world.city.shortlist_applications({"application_ids": ids})
    assert (no_rule.value.code, no_rule.value.details["rule"]) == (
        "shortlist.rule_missing", "R7.2")
    assert world.city.get_application(ids[2])["status"] == "under_review"
    result = world.city.shortlist_applications({"application_ids": ids, "top": 2})
    assert {r["application_id"] for r in result if r["shortlisted"]} == {ids[0], ids[1]}
    assert world.city.get_application(ids[2])["status"] == "not_selected"

    world.set_time("2026-09-30 10:00")
    notice = world.city.publish_notice({"application_ids": [ids[0], ids[1]]})
    assert (notice["opens_on"], notice["closes_on"]) == ("2026-09-30", "2026-10-12")
    # R7.2: the notice keeps the rule and the whole ranking the shortlist was taken from.
    [decision] = notice["ranking"]
    assert (decision["top"], decision["minimum_score"]) == (2, None)
    assert [(r["application_id"], r["score"], r["rank"], r["shortlisted"])
            for r in decision["ranking"]] == [
        (ids[1], "90.00", 1, True), (ids[0], "80.00", 2, True), (ids[2], "60.00", 3, False)]
    assert world.city.get_notice(notice["id"])["ranking"] == notice["ranking"]
    public = world.public.list_notices(True)
    assert [n["id"] for n in public] == [notice["id"]]
    assert "score" not in public[0]["applications"][0]
    assert "ranking" not in public[0]

    objection = world.public.file_objection({
        "notice_id": notice["id"], "application_id": ids[0],
        "reason": "该单位场地为租赁且租期不足一年", "name": None, "contact": None})
    world.set_time("2026-10-12 23:59")
    dismissed = world.public.file_objection({
        "notice_id": notice["id"], "application_id": ids[1], "reason": "无依据的举报内容"})
    world.set_time("2026-10-13 00:00")
    with pytest.raises(Conflict) as late:
        world.public.file_objection({"notice_id": notice["id"], "application_id": ids[1],
                                     "reason": "窗口结束后的异议"})
    assert late.value.code == "objection.outside_window"
    with pytest.raises(Conflict) as still_open:
        world.city.close_notice({"notice_id": notice["id"]})
    assert still_open.value.code == "notice.objections_open"

    world.city.decide_objection({"objection_id": objection["id"], "outcome": "upheld",
                                 "finding": "经核实，场地不符合条件"})
    world.city.decide_objection({"objection_id": dismissed["id"], "outcome": "dismissed",
                                 "finding": "经核实，异议不成立"})
    closed = world.city.close_notice({"notice_id": notice["id"]})
    statuses = {a["application_id"]: a["status"] for a in closed["applications"]}
    assert statuses == {ids[0]: "withdrawn", ids[1]: "awaiting_approval"}

    with pytest.raises(Forbidden):
        world.city.approve_application({"application_id": ids[1], "comments": "同意"})
    with pytest.raises(Conflict):  # R7.4: an upheld objection keeps it from the talent office
        world.talent_office.approve_application({"application_id": ids[0], "comments": "x"})
    station = world.talent_office.approve_application({"application_id": ids[1],
                                                       "comments": "同意认定"})
    assert station["status"] == "active"
    assert station["plaque_number"] == "威人驿〔2026〕001号"
    with pytest.raises(Conflict):  # approving twice changes nothing
        world.talent_office.approve_application({"application_id": ids[1], "comments": "x"})

    approved = [p for t, p in _events(database_url_template) if t == "station_approved"]
    assert approved == [{
        "station_id": station["id"], "application_id": ids[1],
        "plaque_number": "威人驿〔2026〕001号", "name": apps[1]["station_name"],
        "station_type": "innovation", "host_unit_id": units[1]["id"],
        "host_unit_name": "单位1", "district": "371002", "approved_on": "2026-10-13",
        "policy_version": "WH-2024-TEST"}]
    registry = world.district("371002").list_stations({"status": "active"})
    assert [s["id"] for s in registry["items"]] == [station["id"]]
    assert world.district("371003").list_stations({})["total"] == 0  # R13.1


def test_objection_before_publication_day_is_refused(world):  # R7.3
    world.register_successor_policy()
    experts = world.review_experts(3)
    app = world.reviewed(world.host_unit(), [80, 80, 80], experts)
    world.city.shortlist_applications({"application_ids": [app["id"]], "top": 1})
    world.set_time("2026-10-01 09:00")  # a holiday: the window opens on 8 October
    notice = world.city.publish_notice({"application_ids": [app["id"]]})
    assert notice["opens_on"] == "2026-10-08"
    with pytest.raises(Conflict):
        world.public.file_objection({"notice_id": notice["id"], "application_id": app["id"],
                                     "reason": "节假日内提交的异议"})


def test_state_changes_are_audited_with_actor_role_and_before_after(
    world, database_url_template
):
    unit = world.host_unit()
    app = world.draft(unit)
    world.unit(unit["id"]).submit_application({"application_id": app["id"]})
    engine = make_engine(database_url_template.format(service="applications"))
    with engine.connect() as conn:
        row = conn.execute(select(audit_log).where(
            audit_log.c.action == "application.submit_to_district")).one()
    engine.dispose()
    assert (row.actor, row.role, row.tenant) == (f"unit-{unit['id'][:8]}", "host_unit",
                                                 "371000")
    assert (row.before, row.after["status"]) == ({"status": "draft"}, "submitted")


def test_city_rejects_at_its_stage_and_other_roles_may_not_decide(
    world, database_url_template
):  # R7.1
    world.register_successor_policy()
    unit = world.host_unit(category="university", district="371002", name="某学院")
    app = world.draft(unit)
    world.unit(unit["id"]).submit_application({"application_id": app["id"]})
    with pytest.raises(Forbidden) as refused:  # a host unit cannot recommend itself
        world.unit(unit["id"]).recommend_application({"application_id": app["id"],
                                                      "comments": "自荐"})
    assert refused.value.details["allowed"] == ["district_hr"]
    rejected = world.city.reject_application({"application_id": app["id"],
                                              "comments": "不符合第六条第三项"})
    assert rejected["status"] == "rejected"
    assert ("application_rejected", {
        "application_id": app["id"], "number": app["number"], "district": "371000",
        "decided_by": "city", "comments": "不符合第六条第三项"}) in _events(database_url_template)


def test_concurrent_first_numbers_of_a_year_are_distinct(world):  # R7.4
    units = [world.host_unit(name=f"并发单位{i}") for i in range(6)]
    proxies = [world.unit(u["id"]) for u in units]  # opened before the race
    pool = eventlet.GreenPool()
    numbers = list(pool.imap(lambda pair: pair[1].create_application({
        "host_unit_id": pair[0]["id"], "station_type": "innovation",
        "station_name": f"{pair[0]['name']}驿站"})["number"], zip(units, proxies, strict=True)))
    assert sorted(numbers) == [f"WHRCYZ-2026-{i:04d}" for i in range(1, 7)]


def test_panel_conflicts_follow_the_organisation_registry(world):  # R7.2
    """R7.5 (Art 7(2), Art 16): an expert of the applicant's parent or of a unit of its group,
    by the registered organisations, may not review it; the old check saw only an expert
    registered with the applicant's own host unit."""
    world.register_successor_policy()
    institute = world.host_unit(category="research_institute", name="山东大学（威海）海洋研究院")
    university = world.city.register_organisation(
        {"name": "山东大学", "group_name": "山东大学"})
    world.city.register_organisation({
        "name": "山东大学（威海）海洋研究院", "group_name": "山东大学",
        "parent_id": university["id"], "host_unit_id": institute["id"]})
    sibling = world.city.register_organisation({
        "name": "山东大学（威海）", "group_name": "山东大学", "parent_id": university["id"]})
    ouc = world.city.register_organisation({"name": "中国海洋大学", "group_name": "中国海洋大学"})
    with pytest.raises(Conflict) as twice:
        world.city.register_organisation({"name": "中国海洋大学"})
    assert twice.value.code == "organisation.duplicate"
    with pytest.raises(NotFound):
        world.city.register_organisation({"name": "某研究所", "parent_id": "nope"})
    with pytest.raises(Forbidden):
        world.district("371002").register_organisation({"name": "某研究所"})

    def expert(name: str, organisation: dict) -> str:
        return world.city.register_review_expert({
            "name": name, "organisation_name": organisation["name"], "host_unit_id": None,
            "organisation_id": organisation["id"], "field": "海洋工程"})["id"]

    from_parent, from_sibling = expert("王教授", university), expert("李教授", sibling)
    outsiders = [expert(f"海大专家{i}", ouc) for i in range(3)]
    app = world.submitted_at_city(institute)
    with pytest.raises(InvalidInput) as refused:
        world.city.form_panel({"application_id": app["id"],
                               "expert_ids": [from_parent, from_sibling, outsiders[0]]})
    assert refused.value.code == "review.conflict_of_interest"
    assert refused.value.details["reasons"] == {from_parent: "parent",
                                                from_sibling: "same_group"}
    assert world.city.get_application(app["id"])["status"] == "at_city"
    formed = world.city.form_panel({"application_id": app["id"], "expert_ids": outsiders})
    assert sorted(formed["panel"]) == sorted(outsiders)
