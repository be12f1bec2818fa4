"""Every RPC answer of the applications service has the shape its contract says (issue 11):
loading an answer with its answer schema finds no missing required field and no field the
schema does not define."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import Schema

from contracts.rpc import applications as contract
from tests.integration.applications_world import world_of

pytestmark = pytest.mark.integration


@pytest.fixture
def world(container_factory, service_config, tmp_path):
    yield from world_of(container_factory, service_config, tmp_path)


def _conforms(schema: Schema, answer: Any) -> None:
    assert schema.validate(answer) == {}, answer


def _page_conforms(item: type[Schema], answer: dict) -> None:
    assert set(answer) == {"items", "total", "limit", "offset"}
    assert answer["items"]
    _conforms(item(many=True), answer["items"])


def test_answers_of_the_whole_recognition_conform_to_the_contract(world):
    world.register_successor_policy()
    _conforms(contract.Policy(many=True), world.city.list_policy_versions())
    _conforms(contract.Workdays(), world.public.list_workdays({"start": "2026-09-28",
                                                               "end": "2026-10-09"}))
    _conforms(contract.NoticeWindow(),
              world.public.get_notice_window({"published_on": "2026-09-30"}))
    _conforms(contract.Rubric(), world.city.get_rubric())

    unit = world.host_unit()
    _conforms(contract.HostUnit(), unit)
    _conforms(contract.HostUnit(), world.city.get_host_unit(unit["id"]))
    _page_conforms(contract.HostUnit, world.city.list_host_units({}))

    experts = world.review_experts(3)
    _conforms(contract.ReviewExpert(many=True), world.city.list_review_experts())
    app = world.draft(unit)
    _conforms(contract.Application(), app)
    assert "history" not in app and "panel" not in app
    reviewed_unit = world.host_unit(name="威海评审科技有限公司")
    app = world.reviewed(reviewed_unit, [80, 85, 90], experts)
    detail = world.city.get_application(app["id"])
    _conforms(contract.Application(), detail)
    assert detail["panel"] == sorted(experts)
    _conforms(contract.ApplicationStep(many=True), detail["history"])
    assert "panel" not in world.unit(reviewed_unit["id"]).get_application(app["id"])
    _page_conforms(contract.Application, world.city.list_applications({}))

    ids = [app["id"]]
    _conforms(contract.Ranked(many=True), world.city.rank_applications({"application_ids": ids}))
    _conforms(contract.Shortlisted(many=True),
              world.city.shortlist_applications({"application_ids": ids, "top": 1}))

    world.set_time("2026-09-30 10:00")
    notice = world.city.publish_notice({"application_ids": ids})
    _conforms(contract.Notice(), notice)
    _conforms(contract.Notice(many=True), world.public.list_notices(True))
    receipt = world.public.file_objection({"notice_id": notice["id"], "application_id": ids[0],
                                           "reason": "场地与申报材料不符"})
    _conforms(contract.ObjectionReceipt(), receipt)
    with_objections = world.city.get_notice(notice["id"])
    _conforms(contract.Notice(), with_objections)
    assert [o["id"] for o in with_objections["objections"]] == [receipt["id"]]
    assert "objections" not in world.public.get_notice(notice["id"])
    _conforms(contract.Objection(), world.city.decide_objection({
        "objection_id": receipt["id"], "outcome": "dismissed", "finding": "异议不成立"}))

    world.set_time("2026-10-13 09:00")
    _conforms(contract.Notice(), world.city.close_notice({"notice_id": notice["id"]}))
    station = world.talent_office.approve_application({"application_id": ids[0],
                                                       "comments": "同意认定"})
    _conforms(contract.Station(), station)
    assert "history" not in station
    entry = world.city.get_station(station["id"])
    _conforms(contract.Station(), entry)
    assert [h["to_status"] for h in entry["history"]] == ["active"]
    assert "history" not in world.public.get_station(station["id"])
    _page_conforms(contract.Station, world.public.list_stations({}))
