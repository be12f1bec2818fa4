"""The `make run` demo data, loaded through the real services: what it shows of the measures
holds (R16.1, R7.2, R7.5, R9.4, R14.1, R17.2, R18.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from deploy.local.demo import (
    Demo,
    load_applications,
    load_current_applications,
    load_evaluation,
    load_subsidy,
)
from services.applications.service import ApplicationsService
from services.evaluation.service import EvaluationService
from services.subsidy.service import SubsidyService

pytestmark = pytest.mark.integration


def test_the_demo_grades_by_the_records_and_follows_the_new_clauses(
        container_factory: Any, service_config: dict, tmp_path: Path) -> None:
    """R16.1: the 2026 excellent grade rests on criteria (4) and (6) from the records (plans
    and summaries filed on time), not on a free 95; the other clauses show in the data."""
    clock = tmp_path / "clock"
    config = {**service_config, "CLOCK_FILE": str(clock)}
    for service in (ApplicationsService, EvaluationService, SubsidyService):
        container_factory(service, config).start()
    said: list[str] = []
    demo = Demo(config, clock, said.append)
    try:
        first = load_applications(demo)
        load_current_applications(demo, first)
        evaluated = load_evaluation(demo, first["stations"])
        load_subsidy(demo, evaluated["demonstration"])
    finally:
        demo.close()

    context = {"role": "city_hr", "actor": "check"}
    with ClusterRpcProxy(config, context_data=context) as rpc:
        report = rpc.evaluation.get_cycle_report({"cycle_id": evaluated["cycle"]})
        rows = {r["station_id"]: r for r in report["rows"]}
        top = rows[evaluated["demonstration"]["id"]]
        assert (top["grade"], top["criteria"]["plans_and_reports"]) == ("excellent", "100.00")
        assert [r["grade"] for r in report["rows"]] == ["excellent", "pass", "fail"]
        [adjusted] = [a for r in report["rows"] for a in r["adjustments"]]
        assert adjusted["criterion"] == "events_and_talents_served"
        assert abs(adjusted["score"] - adjusted["computed"]) <= 10 and adjusted["reason"]
        profile = rpc.evaluation.get_station_profile({"station_id": top["station_id"]})
        assert [c["document"] for c in profile["commendations"]] == ["威人社字〔2026〕30号"]
        [policy] = [p for p in rpc.applications.list_policy_versions() if p["assumed"]]
        assert policy["code"] == "WH-2024-ASSUMED"
        grants = rpc.subsidy.list_grants({"station_id": top["station_id"]})["items"]
        amounts = {g["kind"]: g["amount"] for g in grants}
        assert amounts == {"construction": "150000.00", "district": "20000.00"}
        notices = rpc.applications.list_notices(False)
        assert all(n["ranking"] for n in notices)
    assert any("banquet is refused" in line for line in said)
