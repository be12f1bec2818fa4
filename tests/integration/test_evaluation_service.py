"""The evaluation service over RPC and events, on the real RabbitMQ and a real database: the
station read model, station records, cycles, outcomes, rectification and demonstration
selection (Arts 8–10, 16–17)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any

import eventlet
import pytest
from kombu import Connection, Exchange
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from servicekit.clock import SHANGHAI, set_clock_file
from servicekit.db import make_engine
from servicekit.envelope import make_envelope
from servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicekit.tables import audit_log, outbox, processed_events
from servicekit.tenants import CITY
from services.evaluation import models
from services.evaluation.service import EvaluationService
from tests.integration.helpers import wait_for

pytestmark = pytest.mark.integration

HUANCUI, WENDENG = "371002", "371003"
ALL_CRITERIA = ("development", "industry_effect", "talent_team", "events_and_talents_served",
                "management", "plans_and_reports")


class World:
    """The evaluation service, RPC proxies per principal, the test clock, and a stand-in for the
    producers whose events it consumes (publishing valid envelopes of the real contracts)."""

    def __init__(self, config: dict, url_template: str, clock_file: str) -> None:
        self.config = config
        self.clock_file = clock_file
        self.engine = make_engine(url_template.format(service="evaluation"))
        self._stack = ExitStack()
        self._proxies: dict[tuple, Any] = {}

    def close(self) -> None:
        self._stack.close()
        self.engine.dispose()

    def at(self, wall_clock: str) -> None:
        """Move the service's clock to a Weihai wall-clock time, e.g. "2026-06-30 09:00"."""
        naive = datetime.fromisoformat(wall_clock)
        set_clock_file(self.clock_file, naive.replace(tzinfo=SHANGHAI))

    def as_(self, role: str, actor: str | None = None, **binding: str) -> Any:
        key = (role, actor, tuple(sorted(binding.items())))
        if key not in self._proxies:
            context = {"role": role, "actor": actor or f"{role}-user", **binding}
            proxy = ServiceRpcProxy("evaluation", self.config, context_data=context)
            self._proxies[key] = self._stack.enter_context(proxy)
        return self._proxies[key]

    @property
    def city(self) -> Any:
        return self.as_("city_hr", actor="city-li")

    def unit(self, unit_id: str) -> Any:
        return self.as_("host_unit", actor=f"staff-{unit_id}", organisation=unit_id)

    def district(self, code: str) -> Any:
        return self.as_("district_hr", actor=f"hr-{code}", district=code)

    def reviewer(self, expert_id: str) -> Any:
        return self.as_("reviewer", actor=f"dr-{expert_id}", expert=expert_id)

    # ---- events in ----

    def publish(self, source: str, event_type: str, payload: dict | None = None,
                envelope: dict | None = None) -> dict:
        envelope = envelope or make_envelope(source, CITY, event_type, payload or {},
                                             str(uuid.uuid4()))
        exchange = Exchange(f"{source}.events", type="topic", durable=True)
        with Connection(self.config["AMQP_URI"]) as conn:
            # As the outbox relay sends it: the envelope's correlation id in the header.
            conn.Producer().publish(envelope, exchange=exchange, routing_key=event_type,
                                    serializer="json", declare=[exchange],
                                    headers={"nameko.correlation_id": envelope["correlation_id"]})
        return envelope

    def approve(self, station_id: str, unit: str, district: str = HUANCUI,
                approved_on: str = "2024-03-01", name: str | None = None) -> dict:
        return self.publish("applications", "station_approved", {
            "station_id": station_id, "application_id": f"app-{station_id}",
            "plaque_number": f"WH-{station_id}", "name": name or f"Station {station_id}",
            "station_type": "innovation", "host_unit_id": unit,
            "host_unit_name": f"Unit {unit}", "district": district, "approved_on": approved_on,
            "policy_version": "2020",
        })

    def approved(self, *stations: tuple[str, str, str, str]) -> None:
        """Approve (station, unit, district, approved_on) each and wait for the read model."""
        for station_id, unit, district, approved_on in stations:
            self.approve(station_id, unit, district, approved_on)
        wait_for(lambda: self.count(models.Station) == len(stations))

    # ---- reading the service's own database ----

    def count(self, table: Any, *where: Any) -> int:
        table = getattr(table, "__table__", table)
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()

    def events(self, event_type: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.envelope).where(outbox.c.event_type == event_type)
                                .order_by(outbox.c.position)).scalars().all()
        return [r["payload"] for r in rows]

    def audits(self, action: str) -> int:
        return self.count(audit_log, audit_log.c.action == action)


@pytest.fixture
def world(container_factory: Any, service_config: dict, database_url_template: str,
          tmp_path: Any) -> Iterator[World]:
    clock_file = str(tmp_path / "clock")
    config = {**service_config, "CLOCK_FILE": clock_file}
    world = World(config, database_url_template, clock_file)
    world.at("2026-06-30 09:00")
    container_factory(EvaluationService, config).start()
    yield world
    world.close()


def _activity(station_id: str, **overrides: Any) -> dict:
    return {"station_id": station_id, "kind": "lecture", "title": "Marine biotech lecture",
            "held_on": "2025-05-20", "place": "Weihai", "participants": 40,
            "talents_served": 12, **overrides}


def _scores(value: int, **overrides: int) -> dict:
    return {c: overrides.get(c, value) for c in ALL_CRITERIA}


# ---- the station read model ------------------------------------------------------------------


def test_read_model_follows_approval_status_and_revocation(world: World) -> None:
    first = world.approve("s1", "unit-a", name="First name")
    world.publish("applications", "station_approved", envelope=first)  # redelivered
    world.approve("s1", "unit-a", name="Second approval of the same station")
    wait_for(lambda: world.count(processed_events) == 2)
    eventlet.sleep(0.3)
    assert world.count(models.Station) == 1
    assert world.audits("station.registered") == 1
    profile = world.city.get_station_profile({"station_id": "s1"})
    assert (profile["name"], profile["status"]) == ("First name", "active")

    world.publish("applications", "station_status_changed", {
        "station_id": "s1", "from_status": "active", "to_status": "rectifying",
        "reason": "city decision", "changed_on": "2026-06-01"})
    wait_for(lambda: world.city.get_station_profile({"station_id": "s1"})["status"] == "rectifying")
    world.publish("applications", "station_revoked", {
        "station_id": "s1", "plaque_number": "WH-s1", "district": HUANCUI,
        "reason": "rectification failed", "revoked_on": "2026-06-20"})
    wait_for(lambda: world.city.get_station_profile({"station_id": "s1"})["status"] == "revoked")
    # A late status change does not bring a revoked station back.
    world.publish("applications", "station_status_changed", {
        "station_id": "s1", "from_status": "rectifying", "to_status": "active",
        "reason": "late echo", "changed_on": "2026-06-25"})
    wait_for(lambda: world.count(processed_events) == 5)
    assert world.city.get_station_profile({"station_id": "s1"})["revoked_on"] == "2026-06-20"

    # A revoked station takes no records; nothing is stored.
    with pytest.raises(Conflict) as refused:
        world.unit("unit-a").record_activity(_activity("s1"))
    assert refused.value.code == "station.revoked"
    assert world.count(models.Activity) == 0


def test_a_revoke_before_its_approval_is_kept(world: World) -> None:
    # servicekit.stations: the revoke is applied, not dead-lettered (it used to be retried
    # until it went to the dead letters); the approval fills in the station, revoked still.
    world.publish("applications", "station_revoked", {
        "station_id": "s9", "plaque_number": "WH-s9", "district": HUANCUI,
        "reason": "withdrawn", "revoked_on": "2026-06-20"})
    wait_for(lambda: world.count(processed_events) == 1)
    assert world.count(models.Station) == 1
    with pytest.raises(NotFound):  # not a station until its approval arrives
        world.city.get_station_profile({"station_id": "s9"})
    world.approve("s9", "unit-a")
    wait_for(lambda: world.count(processed_events) == 2)
    profile = world.city.get_station_profile({"station_id": "s9"})
    assert (profile["name"], profile["status"], profile["revoked_on"]) == (
        "Station s9", "revoked", "2026-06-20")
    with pytest.raises(Conflict):
        world.unit("unit-a").record_activity(_activity("s9"))


def test_collaborations_count_for_the_brokering_station(world: World) -> None:  # R16.1
    world.approved(("s1", "unit-a", HUANCUI, "2024-03-01"))
    collaboration = {"collaboration_id": "c1", "demand_id": "d1", "expert_id": "e1",
                     "enterprise_id": "ent1", "station_id": "s1", "mode": "part_time",
                     "recorded_on": "2025-04-01"}
    envelope = world.publish("matching", "collaboration_recorded", collaboration)
    world.publish("matching", "collaboration_recorded", envelope=envelope)
    world.publish("matching", "collaboration_recorded",
                  {**collaboration, "collaboration_id": "c2", "station_id": None})
    wait_for(lambda: world.count(processed_events) == 3)
    assert world.city.get_station_profile({"station_id": "s1"})["records"]["collaborations"] == 1


# ---- station records -------------------------------------------------------------------------


def test_host_unit_records_activities_its_district_and_the_city_see_them(world: World) -> None:
    # R13.1
    world.approved(("s1", "unit-a", HUANCUI, "2024-03-01"))
    recorded = world.unit("unit-a").record_activity(_activity("s1", kind="roadshow"))
    assert (recorded["kind_zh"], recorded["talents_served"]) == ("项目路演", 12)

    for reader in (world.city, world.district(HUANCUI), world.unit("unit-a"),
                   world.as_("auditor")):
        assert reader.list_activities({"station_id": "s1"})["total"] == 1
    with pytest.raises(Forbidden) as other_district:
        world.district(WENDENG).list_activities({"station_id": "s1"})
    assert other_district.value.code == "forbidden.district"
    with pytest.raises(Forbidden):
        world.unit("unit-b").list_activities({"station_id": "s1"})
    with pytest.raises(Forbidden) as not_host:
        world.unit("unit-b").record_activity(_activity("s1"))
    assert not_host.value.code == "forbidden.not_host_unit"
    with pytest.raises(Forbidden):
        world.city.record_activity(_activity("s1"))


def test_bad_activities_are_refused_and_change_nothing(world: World) -> None:
    world.approved(("s1", "unit-a", HUANCUI, "2024-03-01"))
    unit = world.unit("unit-a")
    cases = [
        (_activity("s1", talents_served=41), "activity.talents_exceed_participants"),
        (_activity("s1", held_on="2026-07-01"), "date.in_future"),
        (_activity("s1", held_on="2024-02-28"), "date.too_early"),
        (_activity("s1", kind="banquet"), "invalid_input"),
        (_activity("s1", participants=-1), "invalid_input"),
        ({**_activity("s1"), "approved": True}, "invalid_input"),
    ]
    for payload, code in cases:
        with pytest.raises(InvalidInput) as refused:
            unit.record_activity(payload)
        assert refused.value.code == code, payload
    with pytest.raises(NotFound):
        unit.record_activity(_activity("nope"))
    assert world.count(models.Activity) == 0
    assert world.audits("activity.recorded") == 0


def test_resident_expert_services_are_tracked_to_completion(world: World) -> None:  # R10.1
    world.approved(("s1", "unit-a", HUANCUI, "2024-03-01"))
    unit = world.unit("unit-a")
    service = unit.request_expert_service({
        "station_id": "s1", "kind": "professional_title_evaluation", "expert_name": "Prof. Wang",
        "description": "Senior title application", "requested_on": "2026-03-02"})
    assert service["status"] == "requested"
    sid = service["service_id"]
    assert unit.advance_expert_service({"service_id": sid, "action": "start",
                                        "on": "2026-03-05"})["status"] == "in_progress"
    with pytest.raises(InvalidInput):  # completing needs its outcome
        unit.advance_expert_service({"service_id": sid, "action": "complete", "on": "2026-04-01"})
    done = unit.advance_expert_service({"service_id": sid, "action": "complete",
                                        "on": "2026-04-01", "note": "Title granted"})
    assert (done["status"], done["completed_on"], done["note"]) == (
        "completed", "2026-04-01", "Title granted")
    with pytest.raises(Conflict) as again:
        unit.advance_expert_service({"service_id": sid, "action": "cancel", "on": "2026-04-02",
                                     "note": "changed mind"})
    assert again.value.code == "expert_service.illegal_transition"
    with pytest.raises(InvalidInput):  # not one of the six Art 10 kinds
        unit.request_expert_service({
            "station_id": "s1", "kind": "house_hunting", "expert_name": "Dr. Li",
            "description": "x", "requested_on": "2026-03-02"})
    listed = world.district(HUANCUI).list_expert_services({"station_id": "s1"})
    assert [s["status"] for s in listed["items"]] == ["completed"]
    assert world.audits("expert_service.complete") == 1


def test_plans_and_summaries_fall_overdue_and_show_on_the_station(world: World) -> None:
    world.approved(("s1", "unit-a", HUANCUI, "2024-03-01"))
    world.at("2025-01-20 09:00")
    unit = world.unit("unit-a")
    unit.submit_report({"station_id": "s1", "kind": "plan", "year": 2025, "title": "Plan 2025",
                        "content": "Four lectures and a fair"})
    world.at("2025-02-03 09:00")
    # The 2024 summary was due on 2025-01-31 (the default) and is not in.
    assert world.city.check_deadlines() == {"reports_overdue": 1, "rectifications_failed": 0}
    assert world.city.check_deadlines()["reports_overdue"] == 0  # found once
    assert world.events("report_overdue") == [{
        "station_id": "s1", "district": HUANCUI, "kind": "summary", "year": 2024,
        "due_on": "2025-01-31", "detected_on": "2025-02-03"}]
    profile = world.district(HUANCUI).get_station_profile({"station_id": "s1"})
    assert profile["overdue_reports"] == [{"kind": "summary", "year": 2024,
                                           "due_on": "2025-01-31", "overdue_since": "2025-02-03"}]
    late = unit.submit_report({"station_id": "s1", "kind": "summary", "year": 2024,
                               "title": "Summary 2024", "content": "Done"})
    assert late["state"] == "late"
    assert world.city.get_station_profile({"station_id": "s1"})["overdue_reports"] == []
    states = {(r["kind"], r["year"]): r["state"]
              for r in unit.list_reports({"station_id": "s1"})}
    assert states == {("summary", 2024): "late", ("plan", 2025): "on_time"}
    with pytest.raises(Conflict) as twice:
        unit.submit_report({"station_id": "s1", "kind": "plan", "year": 2025, "title": "Again",
                            "content": "x"})
    assert twice.value.code == "report.already_submitted"
    with pytest.raises(InvalidInput) as future:
        unit.submit_report({"station_id": "s1", "kind": "summary", "year": 2026, "title": "x",
                            "content": "x"})
    assert future.value.code == "report.year_out_of_range"

    # The city moves the 2026 due dates; a date already past cannot be set.
    world.city.set_report_deadlines({"year": 2026, "plan_due_on": "2026-03-31",
                                     "summary_due_on": "2027-02-28"})
    with pytest.raises(Conflict):
        world.city.set_report_deadlines({"year": 2025, "plan_due_on": "2025-03-31",
                                         "summary_due_on": "2026-02-28"})


def test_the_profile_shows_overdue_reports_before_the_deadline_check_runs(
        world: World) -> None:
    """R16.1, Art 15, 16(6): a plan or summary past due shows on the station's profile at once
    (it stayed empty until the hourly check had run); the check then dates it."""
    world.approved(("s1", "unit-a", HUANCUI, "2024-03-01"))
    world.at("2025-02-03 09:00")
    profile = world.district(HUANCUI).get_station_profile({"station_id": "s1"})
    assert profile["overdue_reports"] == [
        {"kind": "summary", "year": 2024, "due_on": "2025-01-31", "overdue_since": None},
        {"kind": "plan", "year": 2025, "due_on": "2025-01-31", "overdue_since": None}]
    world.city.check_deadlines()
    dated = world.city.get_station_profile({"station_id": "s1"})["overdue_reports"]
    assert {r["overdue_since"] for r in dated} == {"2025-02-03"}


# ---- a cycle from opening to outcomes --------------------------------------------------------


def _open_three_station_cycle(world: World) -> dict:
    """s-top (unit-a, Huancui), s-mid (unit-b, Huancui), s-low (unit-c, Wendeng) approved
    in 2024, s-new approved in 2025 (not due); twenty events for s-top and s-mid, reports for
    s-top."""
    world.approved(("s-top", "unit-a", HUANCUI, "2024-03-01"),
                   ("s-mid", "unit-b", HUANCUI, "2024-04-01"),
                   ("s-low", "unit-c", WENDENG, "2024-05-01"),
                   ("s-new", "unit-d", WENDENG, "2025-01-10"))
    world.at("2025-01-20 09:00")
    world.unit("unit-a").submit_report({"station_id": "s-top", "kind": "plan", "year": 2025,
                                        "title": "Plan", "content": "x"})
    world.at("2026-01-05 09:00")
    world.unit("unit-a").submit_report({"station_id": "s-top", "kind": "summary", "year": 2024,
                                        "title": "Summary", "content": "x"})  # late
    world.unit("unit-a").submit_report({"station_id": "s-top", "kind": "summary", "year": 2025,
                                        "title": "Summary", "content": "x"})
    for month in range(1, 11):
        for day in (10, 20):
            world.unit("unit-a").record_activity(
                _activity("s-top", held_on=f"2025-{month:02d}-{day}", participants=30,
                          talents_served=10))
            world.unit("unit-b").record_activity(
                _activity("s-mid", held_on=f"2025-{month:02d}-{day}", participants=30,
                          talents_served=10))
    world.at("2026-06-30 09:00")
    return world.city.open_cycle({"name": "2026 evaluation", "reference_date": "2026-06-30"})


def test_a_cycle_takes_the_due_stations_with_criteria_4_and_6_prefilled(world: World) -> None:
    cycle = _open_three_station_cycle(world)  # R16.1
    assert cycle["stations"] == 3
    assert cycle["weights"]["events_and_talents_served"] == 20
    assert cycle["bands"] == {"excellent": 90, "pass": 70}
    detail = world.city.get_cycle({"cycle_id": cycle["cycle_id"]})
    by_station = {s["station_id"]: s for s in detail["stations"]}
    assert set(by_station) == {"s-top", "s-mid", "s-low"}  # s-new is not two years old
    events = by_station["s-top"]["prefill"]["events_and_talents_served"]
    # 20 of 20 events, 200 of 200 person-times: full marks.
    assert events["score"] == 100
    assert events["sources"]["activities"] == 20
    assert events["sources"]["person_times"] == 200
    assert events["sources"]["window"] == {"from": "2024-03-01", "to": "2026-06-30"}
    reports = by_station["s-top"]["prefill"]["plans_and_reports"]
    # Due in the window: summary 2024 (late), plan 2025 (on time), summary 2025, plan 2026
    # (missing): 2.5 of 4.
    assert reports["score"] == 63
    assert [(r["kind"], r["year"], r["state"]) for r in reports["sources"]["reports"]] == [
        ("summary", 2024, "late"), ("plan", 2025, "on_time"), ("summary", 2025, "on_time"),
        ("plan", 2026, "overdue")]
    # A district sees its own stations only.
    mine = world.district(WENDENG).get_cycle({"cycle_id": cycle["cycle_id"]})
    assert [s["station_id"] for s in mine["stations"]] == ["s-low"]
    # The same stations are not due twice while the cycle is open.
    with pytest.raises(Conflict) as none_due:
        world.city.open_cycle({"name": "again", "reference_date": "2026-06-30"})
    assert none_due.value.code == "cycle.no_stations_due"
    with pytest.raises(InvalidInput) as weights:
        world.city.open_cycle({"name": "bad", "reference_date": "2026-06-30",
                               "weights": _scores(20)})
    assert weights.value.code == "cycle.weights_sum"
    with pytest.raises(Forbidden):
        world.district(HUANCUI).open_cycle({"name": "x", "reference_date": "2026-06-30"})


def _score_all(world: World, cycle_id: str) -> None:
    """s-top: five reviewers, one an outlier; s-mid: one reviewer; s-low: one reviewer."""
    city = world.city
    city.assign_reviewers({"cycle_id": cycle_id, "station_id": "s-top", "reviewers": [
        {"expert_id": f"e{i}", "affiliation": f"uni-{i}"} for i in range(1, 6)]})
    city.assign_reviewers({"cycle_id": cycle_id, "station_id": "s-mid",
                           "reviewers": [{"expert_id": "e1", "affiliation": "uni-1"}]})
    city.assign_reviewers({"cycle_id": cycle_id, "station_id": "s-low",
                           "reviewers": [{"expert_id": "e2", "affiliation": "uni-2"}]})
    for expert, value in (("e1", 95), ("e2", 94), ("e3", 96), ("e4", 95), ("e5", 40)):
        world.reviewer(expert).submit_scores({
            "cycle_id": cycle_id, "station_id": "s-top", "scores": _judged(value)})
    # R16.1: s-mid's reviewer moves criterion (6) by ten points, with the reason.
    world.reviewer("e1").submit_scores({
        "cycle_id": cycle_id, "station_id": "s-mid",
        "scores": {**_judged(80), "plans_and_reports": 10},
        "adjustment_reasons": {"plans_and_reports": "Plans filed on paper with the district."}})
    world.reviewer("e2").submit_scores({
        "cycle_id": cycle_id, "station_id": "s-low", "comments": "Few events, no plans.",
        "scores": _judged(50)})


def _judged(value: int) -> dict:
    """A sheet scoring the four criteria of judgement; (4) and (6) come from the records."""
    return _scores(value, events_and_talents_served=None, plans_and_reports=None)


def test_scoring_refuses_bad_input_and_finalizing_needs_every_sheet(world: World) -> None:
    cycle_id = _open_three_station_cycle(world)["cycle_id"]
    city = world.city
    with pytest.raises(InvalidInput) as own_unit:  # R16.1: none from the host unit
        city.assign_reviewers({"cycle_id": cycle_id, "station_id": "s-top",
                               "reviewers": [{"expert_id": "e9", "affiliation": "unit-a"}]})
    assert own_unit.value.code == "assignment.own_host_unit"
    with pytest.raises(Conflict) as not_in_cycle:
        city.assign_reviewers({"cycle_id": cycle_id, "station_id": "s-new",
                               "reviewers": [{"expert_id": "e9", "affiliation": "uni-9"}]})
    assert not_in_cycle.value.code == "cycle.station_not_in_cycle"
    city.assign_reviewers({"cycle_id": cycle_id, "station_id": "s-top",
                           "reviewers": [{"expert_id": "e1", "affiliation": "uni-1"}]})
    reviewer = world.reviewer("e1")
    sheet = {"cycle_id": cycle_id, "station_id": "s-top", "scores": _judged(80)}
    for scores, code in (({**_judged(80), "management": 101}, "score.out_of_scale"),
                         ({**_judged(80), "development": -1}, "score.out_of_scale"),
                         ({**_judged(80), "talent_team": None}, "score.missing_criteria"),
                         ({**_judged(80), "management": 80.5}, "invalid_input")):
        with pytest.raises(InvalidInput) as refused:
            reviewer.submit_scores({**sheet, "scores": scores})
        assert refused.value.code == code
    with pytest.raises(Forbidden) as unassigned:
        world.reviewer("e2").submit_scores(sheet)
    assert unassigned.value.code == "score.not_assigned"
    with pytest.raises(Conflict):
        reviewer.submit_scores({**sheet, "station_id": "s-new"})
    assert world.count(models.Assignment, models.Assignment.scored_at.is_not(None)) == 0

    reviewer.submit_scores(sheet)
    with pytest.raises(Conflict) as missing:
        city.finalize_cycle({"cycle_id": cycle_id})
    assert missing.value.code == "cycle.scores_missing"
    assert missing.value.details["missing"] == 2  # s-mid and s-low have no reviewer yet
    assert world.count(models.Cycle, models.Cycle.status == "open") == 1
    assert world.events("evaluation_completed") == []


def test_record_based_criteria_cannot_be_replaced_by_a_free_score(world: World) -> None:
    """R16.1, Art 16(4), 16(6): criteria (4) and (6) score what the records give; a reviewer
    may move them by at most ten points, with a reason the sheet and the report keep."""
    cycle_id = _open_three_station_cycle(world)["cycle_id"]
    world.city.assign_reviewers({"cycle_id": cycle_id, "station_id": "s-top",
                                 "reviewers": [{"expert_id": "e1", "affiliation": "uni-1"}]})
    reviewer = world.reviewer("e1")
    sheet = {"cycle_id": cycle_id, "station_id": "s-top"}
    # The old behaviour: a free 95 for criterion (6) where the records give 63.
    with pytest.raises(InvalidInput) as free:
        reviewer.submit_scores({**sheet, "scores": _scores(95, events_and_talents_served=None)})
    assert free.value.code == "score.record_based_beyond_adjustment"
    assert free.value.details == {
        "field": "plans_and_reports", "value": 95, "computed": 63, "max_adjustment": 10,
        "rule": "R16.1"}
    with pytest.raises(InvalidInput) as unreasoned:
        reviewer.submit_scores({**sheet, "scores": {**_judged(95), "plans_and_reports": 70}})
    assert unreasoned.value.code == "score.adjustment_reason_missing"
    with pytest.raises(InvalidInput) as unused:
        reviewer.submit_scores({**sheet, "scores": _judged(95), "adjustment_reasons": {
            "events_and_talents_served": "no change"}})
    assert unused.value.code == "score.adjustment_reason_unused"
    with pytest.raises(InvalidInput):  # only the record-based criteria take a reason
        reviewer.submit_scores({**sheet, "scores": _judged(95),
                                "adjustment_reasons": {"management": "x"}})
    assert world.count(models.Assignment, models.Assignment.scored_at.is_not(None)) == 0

    scored = reviewer.submit_scores({
        **sheet, "scores": {**_judged(95), "plans_and_reports": 73},
        "adjustment_reasons": {"plans_and_reports": "2026 plan handed in at the district."}})
    assert scored["scores"]["plans_and_reports"] == 73
    assert scored["from_records"] == ["events_and_talents_served"]
    assert scored["adjustments"] == [{"criterion": "plans_and_reports", "computed": 63,
                                      "score": 73,
                                      "reason": "2026 plan handed in at the district."}]


def test_finalizing_grades_commends_and_orders_rectification(world: World) -> None:
    cycle_id = _open_three_station_cycle(world)["cycle_id"]  # R16.1, R17.1
    _score_all(world, cycle_id)
    summary = world.city.finalize_cycle({"cycle_id": cycle_id})
    assert summary["outcomes"] == {"excellent": 1, "pass": 1, "fail": 1}

    report = world.city.get_cycle_report({"cycle_id": cycle_id})
    rows = {r["station_id"]: r for r in report["rows"]}
    # Five sheets: the outlier 40 and the top 96 are dropped, the mean of 94, 95, 95 stays
    # (each with (4) = 100 and (6) = 63 from the records).
    assert (rows["s-top"]["score"], rows["s-top"]["grade"], rows["s-top"]["rank"]) == (
        "90.98", "excellent", 1)
    assert (rows["s-mid"]["score"], rows["s-mid"]["grade"]) == ("73.50", "pass")
    # R16.1: the report shows the reasoned adjustment of s-mid's criterion (6).
    assert rows["s-mid"]["adjustments"] == [{
        "expert_id": "e1", "criterion": "plans_and_reports", "computed": 0, "score": 10,
        "reason": "Plans filed on paper with the district."}]
    assert rows["s-top"]["adjustments"] == []
    # s-low's criterion (4) came from its records: nothing recorded, 0 points.
    assert rows["s-low"]["criteria"]["events_and_talents_served"] == "0.00"
    assert (rows["s-low"]["score"], rows["s-low"]["outcome"]) == ("32.50", "rectification")
    assert "Few events, no plans." in rows["s-low"]["findings"]
    assert rows["s-low"]["rectification_deadline"] == "2026-09-28"  # 90 calendar days

    completed = world.events("evaluation_completed")
    assert sorted((e["station_id"], e["grade"], e["score"]) for e in completed) == [
        ("s-low", "fail", "32.50"), ("s-mid", "pass", "73.50"), ("s-top", "excellent", "90.98")]
    assert world.events("station_commended") == [{"cycle_id": cycle_id, "station_id": "s-top"}]
    [required] = world.events("rectification_required")
    assert (required["station_id"], required["deadline"]) == ("s-low", "2026-09-28")
    assert world.city.get_station_profile({"station_id": "s-low"})["status"] == "rectifying"

    # R13.1: a district sees its own stations' rows; a host unit only its own result.
    assert [r["station_id"] for r in world.district(WENDENG).get_cycle_report(
        {"cycle_id": cycle_id})["rows"]] == ["s-low"]
    assert [r["station_id"] for r in world.unit("unit-c").get_cycle_report(
        {"cycle_id": cycle_id})["rows"]] == ["s-low"]
    own = world.unit("unit-c").get_station_profile({"station_id": "s-low"})
    assert own["results"][0]["score"] == "32.50"
    assert own["results"][0]["rectification"]["findings"] == rows["s-low"]["findings"]
    with pytest.raises(Forbidden):
        world.unit("unit-c").get_station_profile({"station_id": "s-top"})
    with pytest.raises(Forbidden):
        world.reviewer("e1").get_cycle_report({"cycle_id": cycle_id})
    with pytest.raises(Conflict):
        world.city.finalize_cycle({"cycle_id": cycle_id})
    assert len(world.events("evaluation_completed")) == 3


def test_rectification_evidence_reassessment_and_failure(world: World) -> None:  # R17.1
    cycle_id = _open_three_station_cycle(world)["cycle_id"]
    _score_all(world, cycle_id)
    world.city.finalize_cycle({"cycle_id": cycle_id})
    [rectification] = world.unit("unit-c").list_rectifications({})["items"]
    rid = rectification["rectification_id"]
    assert world.unit("unit-a").list_rectifications({})["total"] == 0

    with pytest.raises(Conflict) as early:
        world.city.reassess_rectification({"rectification_id": rid, "score": 80,
                                           "comments": "fine"})
    assert early.value.code == "rectification.no_evidence"
    with pytest.raises(Forbidden):
        world.unit("unit-a").submit_evidence({"rectification_id": rid, "evidence": "x"})
    world.at("2026-09-01 10:00")
    world.unit("unit-c").submit_evidence({"rectification_id": rid,
                                          "evidence": "Twelve events held, plans filed."})
    world.at("2026-09-29 10:00")
    with pytest.raises(InvalidInput):
        world.city.reassess_rectification({"rectification_id": rid, "score": 120, "comments": "x"})
    failed = world.city.reassess_rectification({"rectification_id": rid, "score": 60,
                                  "comments": "Still no talent served."})
    assert (failed["status"], failed["reassessment_grade"]) == ("failed", "fail")
    with pytest.raises(Conflict) as twice:
        world.city.reassess_rectification({"rectification_id": rid, "score": 90,
                                           "comments": "again"})
    assert twice.value.code == "rectification.already_decided"
    [failure] = world.events("rectification_failed")
    assert (failure["rectification_id"], failure["station_id"]) == (rid, "s-low")
    reassessed = [e for e in world.events("evaluation_completed") if e["rectification_id"]]
    assert [(e["grade"], e["score"]) for e in reassessed] == [("fail", "60.00")]
    # The applications service answers by revoking the title; then nothing more is taken.
    world.publish("applications", "station_revoked", {
        "station_id": "s-low", "plaque_number": "WH-s-low", "district": WENDENG,
        "reason": "rectification failed", "revoked_on": "2026-09-30"})
    wait_for(lambda: world.city.get_station_profile({"station_id": "s-low"})["status"] == "revoked")
    with pytest.raises(Conflict):
        world.unit("unit-c").record_activity(_activity("s-low"))


def test_rectification_passes_or_lapses_without_evidence(world: World) -> None:  # R17.1
    cycle_id = _open_three_station_cycle(world)["cycle_id"]
    _score_all(world, cycle_id)
    world.city.finalize_cycle({"cycle_id": cycle_id, "findings": {"s-low": "Hold events."}})
    [rectification] = world.city.list_rectifications({"status": "open"})["items"]
    assert rectification["findings"] == "Hold events."
    rid = rectification["rectification_id"]
    world.at("2026-09-28 18:00")
    assert world.city.check_deadlines()["rectifications_failed"] == 0  # deadline is today
    world.unit("unit-c").submit_evidence({"rectification_id": rid, "evidence": "Done."})
    passed = world.city.reassess_rectification({"rectification_id": rid, "score": 75,
                                                "comments": "Better."})
    assert passed["status"] == "passed"
    assert world.city.get_station_profile({"station_id": "s-low"})["status"] == "active"
    assert world.events("rectification_failed") == []

    # A second failing station that hands in nothing lapses after its deadline.
    cycle2 = _second_cycle_with_failure(world)
    world.at("2027-04-01 09:00")
    assert world.city.check_deadlines()["rectifications_failed"] == 1
    assert world.city.check_deadlines()["rectifications_failed"] == 0
    [lapsed] = world.events("rectification_failed")
    assert "no rectification evidence" in lapsed["reason"]
    assert lapsed["station_id"] == "s-new"
    assert cycle2


def _second_cycle_with_failure(world: World) -> str:
    world.at("2027-01-15 09:00")
    cycle_id = world.city.open_cycle({"name": "2027", "reference_date": "2027-01-15",
                                      "rectification_days": 30})["cycle_id"]
    world.city.assign_reviewers({"cycle_id": cycle_id, "station_id": "s-new",
                                 "reviewers": [{"expert_id": "e7", "affiliation": "uni-7"}]})
    world.reviewer("e7").submit_scores({"cycle_id": cycle_id, "station_id": "s-new",
                                        "scores": _judged(30)})
    world.city.finalize_cycle({"cycle_id": cycle_id})
    return cycle_id


def test_demonstration_selection_needs_both_departments(world: World) -> None:  # R9.1, R9.2
    cycle_id = _open_three_station_cycle(world)["cycle_id"]
    _score_all(world, cycle_id)
    world.city.finalize_cycle({"cycle_id": cycle_id})
    proposal = {"cycle_id": cycle_id, "station_id": "s-top", "proposed_subsidy": "200000.00",
                "provincial": True, "provincial_reference": "鲁人社字〔2026〕12号"}
    with pytest.raises(Conflict) as failing:
        world.city.propose_demonstration({**proposal, "station_id": "s-low"})
    assert failing.value.code == "demonstration.record_not_good"
    for amount in ("49999.99", "200000.01"):
        with pytest.raises(InvalidInput) as out_of_range:
            world.city.propose_demonstration({**proposal, "proposed_subsidy": amount})
        assert out_of_range.value.code == "demonstration.subsidy_out_of_range"
    with pytest.raises(InvalidInput) as as_number:
        world.city.propose_demonstration({**proposal, "proposed_subsidy": 100000})
    assert as_number.value.code == "money.invalid"
    with pytest.raises(InvalidInput):
        world.city.propose_demonstration({**proposal, "provincial_reference": None})
    with pytest.raises(Forbidden):
        world.as_("org_department").propose_demonstration(proposal)
    assert world.count(models.Demonstration) == 0

    selection = world.city.propose_demonstration(proposal)
    sid = selection["selection_id"]
    assert selection["proposed_subsidy"] == "200000.00"
    with pytest.raises(Conflict):
        world.city.propose_demonstration({**proposal, "proposed_subsidy": "50000.00"})
    world.as_("city_hr", actor="city-zhao").confirm_demonstration({"selection_id": sid})
    assert world.events("demonstration_selected") == []
    with pytest.raises(Conflict):
        world.as_("city_hr", actor="city-li").confirm_demonstration({"selection_id": sid})
    with pytest.raises(Conflict) as same_person:
        world.as_("org_department", actor="city-zhao").confirm_demonstration(
            {"selection_id": sid})
    assert same_person.value.code == "demonstration.same_person"
    confirmed = world.as_("org_department", actor="org-wu").confirm_demonstration(
        {"selection_id": sid})
    assert confirmed["status"] == "confirmed"
    [selected] = world.events("demonstration_selected")
    assert selected == {"selection_id": sid, "cycle_id": cycle_id, "station_id": "s-top",
                        "district": HUANCUI, "proposed_subsidy_fen": 20_000_000,
                        "provincial": True, "confirmed_on": "2026-06-30"}
    with pytest.raises(Conflict):
        world.as_("org_department", actor="org-qian").confirm_demonstration(
            {"selection_id": sid})
    assert len(world.events("demonstration_selected")) == 1
    assert world.city.list_demonstrations({"cycle_id": cycle_id})["items"][0]["provincial"]


def test_demonstration_stations_are_selected_when_chosen_from_a_good_record(
        world: World) -> None:
    """R9.4 (Art 9 适时): not only the excellent of a cycle: the departments select, at a time
    they choose, any active station whose latest evaluation is excellent or pass."""
    cycle_id = _open_three_station_cycle(world)["cycle_id"]
    _score_all(world, cycle_id)
    world.city.finalize_cycle({"cycle_id": cycle_id})
    world.at("2026-11-20 10:00")  # months after the cycle, no cycle named
    proposal = {"station_id": "s-mid", "proposed_subsidy": "80000.00"}
    for station_id, code in (("s-low", "demonstration.record_not_good"),   # failed, rectifying
                             ("s-new", "demonstration.record_not_good")):  # never evaluated
        with pytest.raises(Conflict) as refused:
            world.city.propose_demonstration({**proposal, "station_id": station_id})
        assert (refused.value.code, refused.value.details["rule"]) == (code, "R9.4")
    with pytest.raises(NotFound):
        world.city.propose_demonstration({**proposal, "cycle_id": "no-such-cycle"})
    assert world.count(models.Demonstration) == 0

    selection = world.city.propose_demonstration(proposal)  # passed: a good record
    assert (selection["cycle_id"], selection["proposed_on"]) == (cycle_id, "2026-11-20")
    world.city.confirm_demonstration({"selection_id": selection["selection_id"]})
    world.as_("org_department", actor="org-wu").confirm_demonstration(
        {"selection_id": selection["selection_id"]})
    [selected] = world.events("demonstration_selected")
    assert (selected["station_id"], selected["proposed_subsidy_fen"]) == ("s-mid", 8_000_000)


def test_a_commendation_is_recorded_shown_and_counted_in_the_next_evaluation(
        world: World) -> None:
    """R17.2 (Art 17): 表扬 is a record with its document number, date and reason (before,
    only an event without them): the station's profile shows it, the registry receives it,
    and the next cycle's pre-fill carries it as context."""
    world.approved(("s1", "unit-a", HUANCUI, "2024-03-01"))
    commendation = {"station_id": "s1", "document": "威人社字〔2025〕30号",
                    "commended_on": "2025-11-02", "reason": "服务高层次人才成效突出"}
    for bad, code in (({**commendation, "commended_on": "2026-07-01"}, "date.in_future"),
                      ({**commendation, "commended_on": "2024-02-01"}, "date.too_early"),
                      ({**commendation, "reason": ""}, "invalid_input"),
                      ({**commendation, "grade": "excellent"}, "invalid_input")):
        with pytest.raises(InvalidInput) as refused:
            world.city.record_commendation(bad)
        assert refused.value.code == code
    with pytest.raises(Forbidden):
        world.district(HUANCUI).record_commendation(commendation)
    with pytest.raises(NotFound):
        world.city.record_commendation({**commendation, "station_id": "nope"})
    assert world.count(models.Commendation) == 0

    recorded = world.city.record_commendation(commendation)
    assert (recorded["document"], recorded["commended_on"], recorded["recorded_by"]) == (
        "威人社字〔2025〕30号", "2025-11-02", "city-li")
    with pytest.raises(Conflict) as twice:
        world.city.record_commendation(commendation)
    assert twice.value.code == "commendation.duplicate"
    [event] = world.events("commendation_recorded")
    assert event == {"commendation_id": recorded["commendation_id"], "station_id": "s1",
                     "cycle_id": None, "document": "威人社字〔2025〕30号",
                     "commended_on": "2025-11-02", "reason": "服务高层次人才成效突出"}
    assert world.audits("station.commendation_recorded") == 1
    profile = world.unit("unit-a").get_station_profile({"station_id": "s1"})
    assert [c["document"] for c in profile["commendations"]] == ["威人社字〔2025〕30号"]

    cycle = world.city.open_cycle({"name": "2026", "reference_date": "2026-06-30"})
    [member] = world.city.get_cycle({"cycle_id": cycle["cycle_id"]})["stations"]
    assert member["prefill"]["context"]["commendations"] == [{
        "document": "威人社字〔2025〕30号", "commended_on": "2025-11-02",
        "reason": "服务高层次人才成效突出"}]


def test_training_and_publicity_are_recorded_and_count_in_the_next_evaluation(
        world: World) -> None:
    """R12.1 (Art 12): the city records the training of station staff (which stations came)
    and publishes typical cases and news of stations; both are criterion (5) context of the
    next evaluation. Bad input is refused and changes nothing."""
    world.approved(("s1", "unit-a", HUANCUI, "2024-03-01"),
                   ("s2", "unit-b", HUANCUI, "2024-03-01"))
    training = {"held_on": "2025-06-10", "topic": "驿站服务规范培训",
                "attendees": [{"station_id": "s1", "people": 3}]}
    for bad, code in (({**training, "held_on": "2026-07-01"}, "date.in_future"),
                      ({**training, "attendees": []}, "invalid_input"),
                      ({**training, "attendees": [{"station_id": "s1", "people": 2}] * 2},
                       "training.station_repeated")):
        with pytest.raises(InvalidInput) as refused:
            world.city.record_training(bad)
        assert refused.value.code == code
    with pytest.raises(NotFound):
        world.city.record_training({**training, "attendees": [{"station_id": "x", "people": 1}]})
    with pytest.raises(Forbidden):
        world.district(HUANCUI).record_training(training)
    recorded = world.city.record_training(training)
    assert recorded["attendees"] == [{"station_id": "s1", "people": 3}]

    case = {"kind": "typical_case", "station_id": "s1", "title": "柔性引才助企攻关",
            "published_on": "2025-09-01", "summary": "驿站对接专家解决企业技术难题。"}
    with pytest.raises(InvalidInput):
        world.city.record_publicity({**case, "kind": "advert"})
    published = world.city.record_publicity(case)
    assert (published["kind_zh"], published["station_name"]) == ("典型事迹", "Station s1")
    assert world.count(models.Publicity) == 1 and world.audits("training.recorded") == 1
    public = world.as_("public").list_publicity({})
    assert [p["title"] for p in public["items"]] == ["柔性引才助企攻关"]

    cycle = world.city.open_cycle({"name": "2026", "reference_date": "2026-06-30"})
    members = {m["station_id"]: m for m in
               world.city.get_cycle({"cycle_id": cycle["cycle_id"]})["stations"]}
    context = members["s1"]["prefill"]["context"]
    assert context["trainings"] == [{"held_on": "2025-06-10", "topic": "驿站服务规范培训",
                                     "people": 3}]
    assert [p["title"] for p in context["publicity"]] == ["柔性引才助企攻关"]
    assert members["s2"]["prefill"]["context"]["trainings"] == []


def test_unknown_ids_are_not_found(world: World) -> None:
    for call, payload in ((world.city.get_cycle, {"cycle_id": str(uuid.uuid4())}),
                          (world.city.get_rectification, {"rectification_id": "r"}),
                          (world.city.get_station_profile, {"station_id": "s"})):
        with pytest.raises(NotFound):
            call(payload)
