"""The station registry follows the evaluation service's events (R17.1)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from kombu import Connection, Exchange
from sqlalchemy import select

from servicekit.db import make_engine
from servicekit.errors import Conflict
from servicekit.tables import outbox, processed_events
from tests.integration.applications_world import world_of
from tests.integration.helpers import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def world(container_factory, service_config, tmp_path):
    yield from world_of(container_factory, service_config, tmp_path)


def _approved_station(world) -> dict:
    world.register_successor_policy()
    experts = world.review_experts(3)
    app = world.reviewed(world.host_unit(), [85, 85, 85], experts)
    world.city.shortlist_applications({"application_ids": [app["id"]], "top": 1})
    world.set_time("2026-09-30 10:00")
    notice = world.city.publish_notice({"application_ids": [app["id"]]})
    world.set_time("2026-10-13 09:00")
    world.city.close_notice({"notice_id": notice["id"]})
    return world.talent_office.approve_application({"application_id": app["id"],
                                                    "comments": "同意"})


def _publish(config: dict, event_type: str, payload: dict, event_id: str | None = None) -> str:
    """Publish as the evaluation service's relay would."""
    envelope = {
        "id": event_id or str(uuid.uuid4()), "type": event_type, "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": {"service": "evaluation", "tenant": "371000"},
        "correlation_id": None, "payload": payload,
    }
    exchange = Exchange("evaluation.events", type="topic", durable=True)
    with Connection(config["AMQP_URI"]) as conn:
        conn.Producer().publish(envelope, exchange=exchange, routing_key=event_type,
                                serializer="json", declare=[exchange])
    return envelope["id"]


def _status(world, station_id: str) -> str:
    return world.city.get_station(station_id)["status"]


def test_rectification_then_pass_then_failure_revokes_for_good(
    world, database_url_template
):  # R17.1
    station = _approved_station(world)
    sid = station["id"]
    required = {"rectification_id": "r1", "cycle_id": "c1", "station_id": sid,
                "findings": "活动记录不足", "deadline": "2027-01-11"}
    event_id = _publish(world.config, "rectification_required", required)
    wait_for(lambda: _status(world, sid) == "rectifying")

    _publish(world.config, "evaluation_completed", {
        "cycle_id": "c1", "station_id": sid, "score": "75.00", "grade": "pass",
        "rectification_id": "r1", "evaluated_on": "2027-01-12"})
    wait_for(lambda: _status(world, sid) == "active")

    _publish(world.config, "rectification_required", {**required, "rectification_id": "r2"})
    wait_for(lambda: _status(world, sid) == "rectifying")
    _publish(world.config, "rectification_failed", {
        "rectification_id": "r2", "station_id": sid, "reason": "整改后仍不合格"})
    wait_for(lambda: _status(world, sid) == "revoked")

    # A late pass and a redelivered rectification change nothing: revocation is final.
    _publish(world.config, "evaluation_completed", {
        "cycle_id": "c1", "station_id": sid, "score": "90.00", "grade": "excellent",
        "rectification_id": "r2", "evaluated_on": "2027-02-01"})
    _publish(world.config, "rectification_required", required, event_id=event_id)
    probe = _publish(world.config, "rectification_required",
                     {**required, "rectification_id": "r3"})
    engine = make_engine(database_url_template.format(service="applications"))

    def handled(event: str) -> bool:
        with engine.connect() as conn:
            return conn.execute(select(processed_events.c.event_id)
                                .where(processed_events.c.event_id == event)).first() is not None

    wait_for(lambda: handled(probe))
    detail = world.city.get_station(sid)
    assert detail["status"] == "revoked"
    assert [(h["from_status"], h["to_status"]) for h in detail["history"]] == [
        (None, "active"), ("active", "rectifying"), ("rectifying", "active"),
        ("active", "rectifying"), ("rectifying", "revoked")]
    assert detail["history"][-1]["reason"] == "整改后仍不合格"
    assert detail["history"][-1]["actor"] == "event:evaluation.rectification_failed"

    with engine.connect() as conn:
        types = [r.event_type for r in conn.execute(
            select(outbox.c.event_type).order_by(outbox.c.position))]
    engine.dispose()
    assert types.count("station_status_changed") == 4
    assert types.count("station_revoked") == 1


def test_registry_search_and_filters(world):
    station = _approved_station(world)
    by_plaque = world.city.list_stations({"q": "〔2026〕001"})
    assert [s["id"] for s in by_plaque["items"]] == [station["id"]]
    assert world.city.list_stations({"station_type": "service"})["total"] == 0
    assert world.city.list_stations({"district": "371002", "status": "active"})["total"] == 1
    assert world.public.list_stations({})["items"][0]["plaque_number"] == station["plaque_number"]
    assert "history" not in world.public.get_station(station["id"])
    # A host unit's own stations, whatever the size of the registry (its dashboard).
    mine = world.city.list_stations({"host_unit_id": station["host_unit_id"]})
    assert [s["id"] for s in mine["items"]] == [station["id"]]
    assert world.city.list_stations({"host_unit_id": "no-such-unit"})["total"] == 0


def test_a_commendation_enters_the_station_history_in_the_registry(world):
    """R17.2 (Art 17): a 表扬 the city recorded shows in the registry's history of the
    station with its document number, date and reason; the status stays active."""
    station = _approved_station(world)
    sid = station["id"]
    event_id = _publish(world.config, "commendation_recorded", {
        "commendation_id": "cm-1", "station_id": sid, "cycle_id": None,
        "document": "威人社字〔2026〕30号", "commended_on": "2026-11-02",
        "reason": "服务高层次人才成效突出"})

    def commended() -> list[dict]:
        return [h for h in world.city.get_station(sid)["history"] if "表扬" in h["reason"]]

    [step] = wait_for(commended)
    assert "威人社字〔2026〕30号 (2026-11-02): 服务高层次人才成效突出" in step["reason"]
    assert (step["from_status"], step["to_status"]) == ("active", "active")
    _publish(world.config, "commendation_recorded", {  # redelivered: no second entry
        "commendation_id": "cm-1", "station_id": sid, "cycle_id": None,
        "document": "威人社字〔2026〕30号", "commended_on": "2026-11-02",
        "reason": "服务高层次人才成效突出"}, event_id=event_id)
    probe = _publish(world.config, "rectification_required", {
        "rectification_id": "r9", "cycle_id": "c9", "station_id": sid,
        "findings": "probe", "deadline": "2027-01-11"})
    assert probe
    wait_for(lambda: _status(world, sid) == "rectifying")
    assert len(commended()) == 1


def _recognised(world, unit: dict, experts: list[str], published: str, closed: str) -> dict:
    app = world.reviewed(unit, [85, 85, 85], experts)
    world.city.shortlist_applications({"application_ids": [app["id"]], "top": 1})
    world.set_time(published)
    notice = world.city.publish_notice({"application_ids": [app["id"]]})
    world.set_time(closed)
    world.city.close_notice({"notice_id": notice["id"]})
    return world.talent_office.approve_application({"application_id": app["id"],
                                                    "comments": "同意"})


def test_a_unit_whose_station_was_revoked_may_apply_again(world):
    """R16.2 (Art 16 能进能出): once its station is revoked, the unit applies again (the old
    rule refused it for good): a new application, a new station, a new plaque; the registry
    keeps both stations with their histories."""
    world.register_successor_policy()
    experts = world.review_experts(3)
    unit = world.host_unit(name="威海重新申报科技有限公司")
    first = _recognised(world, unit, experts, "2026-09-30 10:00", "2026-10-13 09:00")
    with pytest.raises(Conflict) as while_titled:
        world.draft(unit)
    assert while_titled.value.code == "application.duplicate_open"

    _publish(world.config, "rectification_required", {
        "rectification_id": "r1", "cycle_id": "c1", "station_id": first["id"],
        "findings": "活动记录不足", "deadline": "2027-01-11"})
    wait_for(lambda: _status(world, first["id"]) == "rectifying")
    _publish(world.config, "rectification_failed", {
        "rectification_id": "r1", "station_id": first["id"], "reason": "整改后仍不合格"})
    wait_for(lambda: _status(world, first["id"]) == "revoked")

    second = _recognised(world, unit, experts, "2026-11-02 10:00", "2026-11-09 09:00")
    assert second["id"] != first["id"] and second["application_id"] != first["application_id"]
    assert (first["plaque_number"], second["plaque_number"]) == (
        "威人驿〔2026〕001号", "威人驿〔2026〕002号")
    registry = world.city.list_stations({"q": "威海重新申报"})
    assert {(s["id"], s["status"]) for s in registry["items"]} == {
        (first["id"], "revoked"), (second["id"], "active")}
    assert [h["to_status"] for h in world.city.get_station(first["id"])["history"]] == [
        "active", "rectifying", "revoked"]
    assert [h["to_status"] for h in world.city.get_station(second["id"])["history"]] == [
        "active"]
