"""Rules of the matching service that need no broker: kinds and modes, the demand's life,
personal data, who may act, the cooperation mode of a collaboration, the talent map."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.events import COOPERATION_MODES, DEMAND_KINDS
from contracts.rpc import matching as contract
from servicekit.auth import Principal
from servicekit.errors import Conflict, Forbidden, InvalidInput
from servicekit.validation import load
from services.matching import domain, talentmap

DEMAND = {"enterprise_name": "威海某公司", "kind": "technology", "title": "碳纤维成型",
          "description": "热压罐成型工艺", "industry": "WH-MAT", "district": "371002",
          "deadline": "2026-12-31"}


def test_demand_kinds_and_cooperation_modes_are_the_contracts():  # R8.1, R8.2
    assert set(contract.KIND_NAMES) == set(DEMAND_KINDS) == {
        "talent", "technology", "project", "funding"}
    assert set(contract.MODE_NAMES) == set(COOPERATION_MODES)
    for kind in DEMAND_KINDS:
        assert load(contract.DemandFields(), {**DEMAND, "kind": kind,
                                             "budget": "1.00"})["kind"] == kind
    with pytest.raises(InvalidInput) as refused:
        load(contract.DemandFields(), {**DEMAND, "kind": "equipment"})
    assert "kind" in refused.value.details["fields"]
    with pytest.raises(InvalidInput) as refused:
        load(contract.DemandFields(), {**DEMAND, "modes": ["part_time", "outsourcing"]})
    assert "R8.2" in str(refused.value.details["fields"]["modes"])


def test_industries_are_gbt_4754_sections_and_weihai_clusters():
    assert list(contract.INDUSTRY_SECTIONS) == [chr(c) for c in range(ord("A"), ord("T") + 1)]
    assert contract.INDUSTRIES["WH-MAT"][0] == "碳纤维等新材料"
    assert domain.related_industries("WH-MED") == {"C", "M", "Q"}
    assert "WH-MAT" in domain.related_industries("C")
    with pytest.raises(InvalidInput) as refused:
        load(contract.DemandFields(), {**DEMAND, "industry": "Z9"})
    assert "GB/T 4754" in str(refused.value.details["fields"]["industry"])


def test_demand_life():
    assert domain.transition("posted", "accept", "d") == "matching"
    assert domain.transition("posted", "return", "d") == "returned"
    assert domain.transition("returned", "revise", "d") == "posted"
    assert domain.transition("matching", "match", "d") == "matched"
    assert domain.transition("matched", "close", "d") == "closed"
    for status in ("rejected", "closed", "expired"):
        with pytest.raises(Conflict) as refused:
            domain.transition(status, "accept", "d")
        assert refused.value.details["status"] == status
    with pytest.raises(Conflict):
        domain.transition("matching", "accept", "d")


def test_a_demand_expires_the_day_after_its_deadline():
    deadline = date(2026, 6, 30)
    assert not domain.is_past_deadline(deadline, date(2026, 6, 30))
    assert domain.is_past_deadline(deadline, date(2026, 7, 1))
    domain.check_not_expired("matching", deadline, date(2026, 6, 30), "d")
    domain.check_not_expired("closed", deadline, date(2026, 7, 5), "d")
    with pytest.raises(Conflict) as refused:
        domain.check_not_expired("matching", deadline, date(2026, 7, 1), "d")
    assert refused.value.code == "demand.expired"


def test_funding_demand_needs_a_budget():  # R8.1
    domain.check_budget("technology", None)
    domain.check_budget("funding", 1)
    with pytest.raises(InvalidInput) as refused:
        domain.check_budget("funding", None)
    assert refused.value.details["field"] == "budget"


def test_identity_numbers_are_checked_by_their_check_digit():
    assert contract.id_number_problem("11010519491231002X") is None
    assert contract.id_number_problem("110105194912310021") == (
        "check digit does not match (GB 11643-1999)")
    assert contract.id_number_problem("11010519491231002") == (
        "not 17 digits followed by a digit or X")
    # A valid check digit around an impossible birth date (month 13).
    assert contract.id_number_problem("110105194913310021") == (
        "birth date inside the number is not a real date")


def test_phone_numbers():
    assert contract.phone_problem("13800001234") is None
    assert contract.phone_problem("0631-5212345") is None
    assert contract.phone_problem("138 0000 1234") is None
    assert contract.phone_problem("12800001234") is not None
    assert contract.phone_problem("call me") is not None


def test_personal_data_masked_but_for_city_staff_and_the_expert():
    assert contract.mask_phone("13800001234") == "138****1234"
    assert contract.mask_id_number("11010519491231002X") == "110***********002X"
    assert contract.mask_email("zhang.san@example.com") == "z***@example.com"
    assert domain.sees_personal_data(Principal("a", "city_hr"), "e1")
    assert domain.sees_personal_data(Principal("a", "expert", expert="e1"), "e1")
    for principal in (Principal("a", "expert", expert="e2"), Principal("a", "enterprise"),
                      Principal("a", "district_hr", district="371002"),
                      Principal("a", "auditor")):
        assert not domain.sees_personal_data(principal, "e1")


def test_district_staff_manage_only_their_own_district():  # R13.1
    staff = Principal("d", "district_hr", district="371002")
    domain.check_can_manage_expert(staff, "e1", "371002")
    with pytest.raises(Forbidden) as refused:
        domain.check_can_manage_expert(staff, "e1", "371003")
    assert refused.value.code == "forbidden.district"
    with pytest.raises(Forbidden):
        domain.check_can_read_demand(staff, "ent-1", "371003")
    with pytest.raises(Forbidden) as refused:
        domain.check_can_manage_expert(Principal("x", "expert", expert="e2"), "e1", "371002")
    assert refused.value.code == "expert.not_yours"


def test_an_enterprise_sees_only_its_own_demands():
    own = Principal("u", "enterprise", organisation="ent-1")
    domain.check_can_read_demand(own, "ent-1", "371002")
    with pytest.raises(Forbidden) as refused:
        domain.check_can_read_demand(own, "ent-2", "371002")
    assert refused.value.code == "demand.not_yours"


def test_collaboration_mode_is_one_both_sides_accept():  # R8.2
    expert = ["part_time", "joint_development"]
    assert domain.choose_mode(None, expert, [], "r") == "part_time"
    assert domain.choose_mode(None, expert, ["joint_development", "secondment"], "r") == (
        "joint_development")
    assert domain.choose_mode("joint_development", expert, [], "r") == "joint_development"
    with pytest.raises(InvalidInput) as refused:
        domain.choose_mode("secondment", expert, ["secondment", "part_time"], "r")
    assert refused.value.details == {"field": "mode", "allowed": ["part_time"],
                                     "recommendation_id": "r"}
    with pytest.raises(InvalidInput):
        domain.choose_mode(None, expert, ["technology_equity"], "r")


def test_a_recommendation_is_answered_once():
    domain.check_can_respond("published", "r")
    for status in ("accepted", "declined"):
        with pytest.raises(Conflict) as refused:
            domain.check_can_respond(status, "r")
        assert refused.value.code == "recommendation.already_answered"
    with pytest.raises(Conflict) as refused:
        domain.check_can_respond("proposed", "r")
    assert refused.value.code == "recommendation.not_published"


def test_talent_map_counts_by_district_industry_and_level():
    experts = [("371002", "B", ["C", "WH-MAT"]), ("371002", "C", ["I"]),
               ("371082", "B", ["WH-SEA"])]
    demands = [("371002", "WH-MAT"), ("371002", "WH-MAT"), ("371082", "WH-SEA")]
    collaborations = [("371002", "WH-MAT", "B")]
    data = talentmap.aggregate(experts, demands, collaborations, None, None, "experts")
    districts = {d["code"]: d for d in data["districts"]}
    # An expert under two industries counts once in the district.
    assert districts["371002"] == {**districts["371002"], "experts": 2, "demands": 2,
                                   "collaborations": 1}
    industries = {i["code"]: i for i in data["industries"]}
    assert (industries["WH-MAT"]["experts"], industries["C"]["experts"]) == (1, 1)
    assert {"district": "371002", "industry": "WH-MAT", "talent_level": "B",
            "count": 1} in data["cells"]["experts"]
    only_b = talentmap.aggregate(experts, demands, collaborations, "WH-MAT", "B", "experts")
    districts = {d["code"]: d for d in only_b["districts"]}
    assert (districts["371002"]["experts"], districts["371082"]["experts"]) == (1, 0)
    assert districts["371002"]["demands"] == 2


def test_talent_map_picture_names_every_district_and_its_count():
    data = talentmap.aggregate([("371082", "B", ["WH-SEA"])] * 7, [], [], None, None, "experts")
    svg = talentmap.render_svg(data, as_of=date(2026, 3, 2))
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for short in ("环翠区", "文登区", "荣成市", "乳山市", "火炬高新区", "经区", "临港区",
                  "南海新区"):
        assert short in svg
    assert "荣成市 Rongcheng City: 7 experts" in svg
    assert talentmap.classes(7) == [(1, 2), (3, 4), (5, 6), (7, 7)]
    assert talentmap.classes(0) == []
