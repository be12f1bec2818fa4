"""The demand database over RPC: the four kinds (R8.1), triage by city or own-district staff
(R13.1), the enterprise's own demands only, expiry at the deadline, bad input refused."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest

from gateway.matching import render_export
from servicekit.clock import SHANGHAI, set_clock_file
from servicekit.errors import Conflict, Forbidden, InvalidInput
from services.matching.demo_data import DEMANDS
from services.matching.models import Demand
from tests.integration.matching_world import (
    AUDITOR,
    TODAY,
    district_hr,
    enterprise,
    start_world,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def world(container_factory, service_config, database_url_template, tmp_path):
    yield from start_world(container_factory, service_config, database_url_template, tmp_path)

CARBON = DEMANDS["carbon_forming"]  # 火炬高新区 (371071)
FIRM = enterprise(CARBON["enterprise_id"])


def _post(world, demand=CARBON, **changes):
    return world.as_(enterprise(demand["enterprise_id"])).post_demand(
        {**demand["request"], **changes})


def test_enterprise_posts_each_kind_and_the_event_goes_out(world):  # R8.1
    posted = [_post(world, DEMANDS[key]) for key in
              ("carbon_forming", "dialysis_lead", "sea_cucumber", "vision_funding")]
    assert [d["kind"] for d in posted] == ["technology", "talent", "project", "funding"]
    assert posted[0]["status"] == "posted" and posted[0]["budget"] == "800000.00"
    assert posted[3]["budget"] == "5000000.00"
    [row] = world.rows(Demand.__table__, Demand.id == posted[3]["id"])
    assert row.budget_fen == 500_000_000
    events = world.events("demand_posted")
    assert {e["kind"] for e in events} == {"talent", "technology", "project", "funding"}
    assert events[0] == {"demand_id": posted[0]["id"], "enterprise_id": "ent-yuanhang",
                         "kind": "technology", "industry": "WH-MAT", "district": "371071"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "equipment"}, "kind"),
        ({"industry": "WH-XX"}, "industry"),
        ({"description": "需" * 4001}, "description"),
        ({"title": ""}, "title"),
        ({"modes": ["part_time", "part_time"]}, "modes"),
        ({"deadline": "31/12/2026"}, "deadline"),
        ({"district": "123456"}, "district"),
    ],
)
def test_bad_demand_is_refused_naming_the_field(world, change, field):
    with pytest.raises(InvalidInput) as refused:
        _post(world, **change)
    assert field in refused.value.details["fields"]
    assert world.counts() == (0, 0)


def test_budget_deadline_and_funding_rules(world):  # R8.1
    with pytest.raises(InvalidInput) as refused:
        _post(world, budget=800000.5)  # a JSON number loses cents: refused
    assert refused.value.details["field"] == "budget"
    with pytest.raises(InvalidInput) as refused:
        _post(world, deadline=(TODAY.date() - timedelta(days=1)).isoformat())
    assert refused.value.code == "demand.deadline_past"
    with pytest.raises(InvalidInput) as refused:
        _post(world, DEMANDS["vision_funding"], budget=None)
    assert refused.value.code == "demand.budget_required"
    with pytest.raises(Forbidden):
        world.city.post_demand(CARBON["request"])  # staff do not post for an enterprise
    assert world.counts() == (0, 0)


def test_a_demand_of_another_enterprise_is_out_of_reach(world):
    demand = _post(world)
    other = world.as_(enterprise("ent-other"))
    for call in (lambda: other.get_demand({"demand_id": demand["id"]}),
                 lambda: other.close_demand({"demand_id": demand["id"], "reason": "x"}),
                 lambda: other.list_recommendations({"demand_id": demand["id"]})):
        with pytest.raises(Forbidden) as refused:
            call()
        assert refused.value.code == "demand.not_yours"
    assert other.list_demands({})["total"] == 0
    assert world.as_(FIRM).list_demands({})["total"] == 1


def test_triage_by_own_district_or_city(world):  # R13.1
    demand = _post(world)
    with pytest.raises(Forbidden) as refused:
        world.as_(district_hr("371002")).triage_demand(
            {"demand_id": demand["id"], "action": "accept"})
    assert refused.value.code == "forbidden.district"
    assert world.as_(district_hr("371002")).list_demands({})["total"] == 0
    with pytest.raises(Forbidden):
        world.as_(AUDITOR).triage_demand({"demand_id": demand["id"], "action": "accept"})
    accepted = world.as_(district_hr("371071")).triage_demand(
        {"demand_id": demand["id"], "action": "accept"})
    assert accepted["status"] == "matching"
    with pytest.raises(Conflict) as refused:
        world.city.triage_demand({"demand_id": demand["id"], "action": "reject",
                                  "reason": "重复"})
    assert refused.value.code == "demand.illegal_transition"
    [audit] = world.audits("demand.accept")
    assert (audit.actor, audit.before["status"], audit.after["status"]) == (
        "dist-371071", "posted", "matching")


def test_sent_back_revised_and_posted_again_or_rejected(world):
    demand = _post(world)
    with pytest.raises(InvalidInput) as refused:
        world.city.triage_demand({"demand_id": demand["id"], "action": "return"})
    assert "reason" in refused.value.details["fields"]
    returned = world.city.triage_demand({"demand_id": demand["id"], "action": "return",
                                         "reason": "请补充预算依据"})
    assert (returned["status"], returned["status_reason"]) == ("returned", "请补充预算依据")
    revised = world.as_(FIRM).revise_demand({"demand_id": demand["id"],
                                             **CARBON["request"], "budget": "900000.00"})
    assert (revised["status"], revised["budget"]) == ("posted", "900000.00")
    rejected = world.city.triage_demand({"demand_id": demand["id"], "action": "reject",
                                         "reason": "不属于平台受理范围"})
    assert rejected["status"] == "rejected"
    with pytest.raises(Conflict):
        world.as_(FIRM).revise_demand({"demand_id": demand["id"], **CARBON["request"]})


def test_demand_expires_after_its_deadline(world):
    clock_file = world.clock_file
    demand = _post(world, deadline="2026-03-10")
    world.city.triage_demand({"demand_id": demand["id"], "action": "accept"})
    set_clock_file(clock_file, datetime(2026, 3, 10, 23, 0, tzinfo=SHANGHAI))
    assert world.city.expire_due_demands()["expired"] == []  # open through the deadline day
    set_clock_file(clock_file, datetime(2026, 3, 11, 8, 0, tzinfo=SHANGHAI))
    with pytest.raises(Conflict) as refused:
        world.city.recommend_experts({"demand_id": demand["id"]})
    assert refused.value.code == "demand.expired"
    assert world.city.expire_due_demands() == {"expired": [demand["id"]], "on": "2026-03-11"}
    assert world.city.get_demand({"demand_id": demand["id"]})["status"] == "expired"
    [audit] = world.audits("demand.expire")
    assert audit.after["status"] == "expired"
    with pytest.raises(Forbidden):
        world.as_(FIRM).expire_due_demands()


def test_demands_import_all_or_nothing_and_export(world):
    header = "单位标识,单位名称,需求类型,标题,需求描述,行业代码,区市代码,预算（元）,合作方式," \
        "截止日期"
    good = "ent-a,威海甲公司,technology,碳纤维成型,热压罐成型工艺,WH-MAT,371071,1000.00," \
        "part_time,2026-12-31"
    bad = "ent-b,威海乙公司,funding,融资,A轮融资,WH-IT,371071,,,2026-12-31"
    content = base64.b64encode(f"{header}\n{good}\n{bad}\n".encode()).decode()
    with pytest.raises(InvalidInput) as refused:
        world.city.import_file({"kind": "demands", "format": "csv", "content": content})
    assert refused.value.details["problems"][0] == {
        **refused.value.details["problems"][0], "row": 3, "field": "budget"}
    assert world.rows(Demand.__table__) == []
    content = base64.b64encode(f"{header}\n{good}\n".encode()).decode()
    assert world.city.import_file({"kind": "demands", "format": "csv",
                                   "content": content})["imported"] == 1
    assert len(world.events("demand_posted")) == 1
    # An enterprise importing names no other enterprise.
    with pytest.raises(InvalidInput) as refused:
        world.as_(enterprise("ent-c")).import_file(
            {"kind": "demands", "format": "csv", "content": content})
    assert refused.value.details["problems"][0]["code"] == "demand.not_yours"
    exported = world.as_(enterprise("ent-a")).export_records({"kind": "demands"})
    text = render_export(exported, "csv")[0].decode("utf-8-sig")
    assert "碳纤维成型" in text and "1000.00" in text and len(exported["rows"]) == 1
    assert world.as_(enterprise("ent-c")).export_records({"kind": "demands"})[
        "rows"] == []
