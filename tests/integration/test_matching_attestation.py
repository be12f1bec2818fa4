"""Attested fields and retired profiles in the talent database (issue 13, items 7 and 11): an
expert's own change of talent level, honours, station or district becomes a change request
that staff of the expert's district or the city accept or reject; staff deactivate (never
delete) a profile created by mistake, audited, and it leaves recommendations and enterprises'
view."""

from __future__ import annotations

import pytest

from servicekit.errors import Conflict, Forbidden, NotFound
from services.matching.demo_data import EXPERTS
from services.matching.models import Expert, ExpertChangeRequest
from tests.integration.matching_world import (
    district_hr,
    enterprise,
    expert,
    start_world,
)

pytestmark = pytest.mark.integration

WANG = EXPERTS["wang_cf"]  # district 371002, talent level B, honours ["泰山学者"]


@pytest.fixture
def world(container_factory, service_config, database_url_template, tmp_path):
    yield from start_world(container_factory, service_config, database_url_template, tmp_path)


def test_an_experts_own_change_of_attested_fields_waits_for_staff(world):
    expert_id = world.city.register_expert(WANG)["id"]
    me = world.as_(expert(expert_id))
    answer = me.update_expert({"expert_id": expert_id, "talent_level": "A",
                               "honours": ["国家杰出青年"], "district": "371003",
                               "availability": "limited"})
    # The expert's own field is written; the attested ones are not, yet.
    assert answer["availability"] == "limited"
    assert (answer["talent_level"], answer["honours"], answer["district"]) == (
        "B", WANG["honours"], "371002")
    [pending] = me.list_expert_change_requests({})["items"]
    assert pending["status"] == "pending" and pending["district"] == "371002"
    assert pending["changes"] == {"talent_level": "A", "honours": ["国家杰出青年"],
                                  "district": "371003"}
    # Another district's staff may not decide (R13.1), nor see it; the expert may not either.
    with pytest.raises(Forbidden):
        world.as_(district_hr("371003")).decide_expert_change_request(
            {"change_request_id": pending["id"], "decision": "accept"})
    assert world.as_(district_hr("371003")).list_expert_change_requests({})["total"] == 0
    with pytest.raises(Forbidden):
        me.decide_expert_change_request({"change_request_id": pending["id"],
                                         "decision": "accept"})
    # The district may not move the expert to another district: the city accepts.
    with pytest.raises(Forbidden):
        world.as_(district_hr("371002")).decide_expert_change_request(
            {"change_request_id": pending["id"], "decision": "accept"})
    accepted = world.city.decide_expert_change_request(
        {"change_request_id": pending["id"], "decision": "accept"})
    assert accepted["status"] == "accepted" and accepted["decided_by"] == "city-1"
    [row] = world.rows(Expert.__table__)
    assert (row.talent_level, row.honours, row.district) == ("A", ["国家杰出青年"], "371003")
    with pytest.raises(Conflict):
        world.city.decide_expert_change_request({"change_request_id": pending["id"],
                                                 "decision": "reject"})
    assert [a.action for a in world.audits("expert.change_accepted")] == [
        "expert.change_accepted"]


def test_a_rejected_request_changes_nothing_and_a_later_one_supersedes(world):
    expert_id = world.city.register_expert(WANG)["id"]
    me = world.as_(expert(expert_id))
    me.update_expert({"expert_id": expert_id, "talent_level": "A"})
    me.update_expert({"expert_id": expert_id, "talent_level": "A", "honours": []})
    requests = {r["status"]: r for r in world.city.list_expert_change_requests({})["items"]}
    assert requests["rejected"]["reason"] == "superseded by a later request"
    rejected = world.as_(district_hr("371002")).decide_expert_change_request(
        {"change_request_id": requests["pending"]["id"], "decision": "reject",
         "reason": "未提供人才认定证明"})
    assert rejected["status"] == "rejected"
    [row] = world.rows(Expert.__table__)
    assert (row.talent_level, row.honours) == ("B", WANG["honours"])
    # Unchanged values are no request; staff edit attested fields directly.
    me.update_expert({"expert_id": expert_id, "talent_level": "B"})
    assert len(world.rows(ExpertChangeRequest.__table__)) == 2
    staff = world.as_(district_hr("371002")).update_expert({"expert_id": expert_id,
                                                            "talent_level": "C"})
    assert staff["talent_level"] == "C"


def test_staff_deactivate_a_profile_without_deleting_it(world):
    expert_id = world.city.register_expert(WANG)["id"]
    with pytest.raises(Forbidden):
        world.as_(district_hr("371003")).deactivate_expert({"expert_id": expert_id,
                                                            "reason": "重复录入"})
    with pytest.raises(Forbidden):
        world.as_(expert(expert_id)).deactivate_expert({"expert_id": expert_id,
                                                        "reason": "x"})
    off = world.as_(district_hr("371002")).deactivate_expert({"expert_id": expert_id,
                                                              "reason": "重复录入"})
    assert (off["active"], off["deactivation_reason"]) == (False, "重复录入")
    assert off["deactivated_at"]
    with pytest.raises(Conflict):
        world.city.deactivate_expert({"expert_id": expert_id, "reason": "again"})
    # Kept, and seen by staff; gone for enterprises.
    assert world.city.list_experts({})["total"] == 1
    assert world.as_(enterprise("ent-x")).list_experts({})["total"] == 0
    with pytest.raises(NotFound):
        world.as_(enterprise("ent-x")).get_expert({"expert_id": expert_id})
    [audit] = world.audits("expert.deactivate")
    assert audit.after == {"active": False, "reason": "重复录入"}
    on = world.city.reactivate_expert({"expert_id": expert_id})
    assert on["active"] is True and on["deactivation_reason"] is None
    assert world.as_(enterprise("ent-x")).list_experts({})["total"] == 1
