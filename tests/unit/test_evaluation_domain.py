"""The evaluation service's rules, without a broker or a database."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from fractions import Fraction
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from contracts.rpc import evaluation as contract
from gateway.evaluation import report_file
from servicekit.auth import Principal
from servicekit.errors import Conflict, Forbidden, InvalidInput
from services.evaluation import domain
from services.evaluation.domain import CRITERIA, DEFAULT_BANDS, DEFAULT_WEIGHTS

STATION = domain.StationRef("s1", "unit-a", "371002", "active", date(2024, 3, 1))


def _sheet(value: int, **overrides: int) -> dict[str, int]:
    return {c: overrides.get(c, value) for c in CRITERIA}


# ---- R16.1: who is due, on what criteria -----------------------------------------------------


def test_a_station_is_due_two_years_after_approval_or_last_evaluation() -> None:  # R16.1
    approved = date(2024, 6, 30)
    assert domain.is_due("active", approved, None, date(2026, 6, 30))
    assert not domain.is_due("active", approved, None, date(2026, 6, 29))
    assert not domain.is_due("active", approved, date(2025, 1, 1), date(2026, 6, 30))
    assert domain.is_due("active", approved, date(2025, 1, 1), date(2027, 1, 1))
    assert not domain.is_due("rectifying", approved, None, date(2026, 6, 30))
    assert not domain.is_due("revoked", approved, None, date(2030, 1, 1))
    assert domain.add_years(date(2024, 2, 29), 2) == date(2026, 2, 28)


def test_the_six_criteria_are_the_schemas_and_the_default_weights() -> None:  # R16.1
    assert len(CRITERIA) == 6
    assert set(contract.Scores().fields) == set(CRITERIA) == set(contract.Weights().fields)
    assert sum(DEFAULT_WEIGHTS.values()) == 100
    assert DEFAULT_BANDS == {"excellent": 90, "pass": 70}


def test_weights_and_bands_are_checked() -> None:  # R16.1
    domain.check_weights(DEFAULT_WEIGHTS)
    with pytest.raises(InvalidInput) as refused:
        domain.check_weights({**DEFAULT_WEIGHTS, "management": 16})
    assert refused.value.code == "cycle.weights_sum"
    with pytest.raises(InvalidInput):
        domain.check_weights({**DEFAULT_WEIGHTS, "management": -15, "development": 45})
    with pytest.raises(InvalidInput):
        domain.check_bands({"excellent": 70, "pass": 70})


def test_criterion_4_is_prefilled_from_events_and_person_times() -> None:  # R16.1
    window = (date(2024, 3, 1), date(2026, 6, 30))
    counts = domain.ActivityCounts(activities=10, talents_served=80,
                                   expert_services_completed=15, collaborations=5,
                                   by_kind={"salon": 4, "lecture": 6})
    prefill = domain.prefill_events(counts, domain.DEFAULT_TARGETS, window)
    # 10 of 20 events (half), 100 of 200 person-times (half).
    assert prefill["score"] == 50
    assert prefill["sources"]["person_times"] == 100
    assert prefill["sources"]["activities_by_kind"] == {"lecture": 6, "salon": 4}
    busy = domain.ActivityCounts(40, 900, 0, 0, {})
    assert domain.prefill_events(busy, domain.DEFAULT_TARGETS, window)["score"] == 100


def test_criterion_6_counts_plans_and_summaries_in_on_time() -> None:  # R16.1
    window = (date(2024, 3, 1), date(2026, 6, 30))
    owed = [("summary", 2024, date(2025, 1, 31)), ("plan", 2025, date(2025, 1, 31)),
            ("summary", 2025, date(2026, 1, 31))]
    submitted = {("summary", 2024): date(2025, 1, 31), ("plan", 2025): date(2025, 3, 1)}
    prefill = domain.prefill_reports(owed, submitted, window)
    assert prefill is not None
    assert prefill["score"] == 50  # 1 + 0.5 + 0 of 3
    assert [r["state"] for r in prefill["sources"]["reports"]] == ["on_time", "late", "overdue"]
    assert domain.prefill_reports([], {}, window) is None


def test_reports_owed_follow_approval_and_revocation() -> None:
    owed = domain.reports_owed(date(2024, 3, 1), None, domain.default_due_dates,
                               date(2026, 1, 31))
    assert owed == [("summary", 2024, date(2025, 1, 31)), ("plan", 2025, date(2025, 1, 31)),
                    ("summary", 2025, date(2026, 1, 31)), ("plan", 2026, date(2026, 1, 31))]
    revoked = domain.reports_owed(date(2024, 3, 1), date(2025, 6, 1), domain.default_due_dates,
                                  date(2026, 12, 31))
    assert [(k, y) for k, y, _ in revoked] == [("summary", 2024), ("plan", 2025)]


def test_a_sheet_takes_the_prefill_when_criteria_4_or_6_are_left_out() -> None:  # R16.1
    prefill = {"events_and_talents_served": {"score": 64}, "plans_and_reports": None}
    sheet, from_records, adjustments = domain.complete_sheet(
        {**_sheet(80), "events_and_talents_served": None}, prefill)
    assert sheet["events_and_talents_served"] == 64 and from_records == [
        "events_and_talents_served"]
    assert adjustments == []
    with pytest.raises(InvalidInput) as missing:  # no pre-fill for (6): the reviewer scores it
        domain.complete_sheet({**_sheet(80), "events_and_talents_served": None,
                               "plans_and_reports": None}, prefill)
    assert missing.value.details["fields"] == ["plans_and_reports"]
    with pytest.raises(InvalidInput) as outside:
        domain.complete_sheet(_sheet(80, management=101, events_and_talents_served=64), prefill)
    assert outside.value.details == {"field": "management", "value": 101, "min": 0, "max": 100}


def test_record_based_criteria_move_only_by_a_bounded_reasoned_adjustment() -> None:
    """R16.1: criterion (6) computed as 13 cannot be scored a free 95; ten points either way
    with a reason is an adjustment the sheet records."""
    prefill = {"events_and_talents_served": {"score": 95}, "plans_and_reports": {"score": 13}}
    with pytest.raises(InvalidInput) as free:
        domain.complete_sheet(_sheet(95), prefill)
    assert free.value.code == "score.record_based_beyond_adjustment"
    assert free.value.details["computed"] == 13
    with pytest.raises(InvalidInput) as unreasoned:
        domain.complete_sheet({**_sheet(95), "plans_and_reports": 23}, prefill)
    assert unreasoned.value.code == "score.adjustment_reason_missing"
    sheet, from_records, adjustments = domain.complete_sheet(
        {**_sheet(95), "plans_and_reports": 3}, prefill, {"plans_and_reports": "copied plan"})
    assert (sheet["plans_and_reports"], from_records) == (3, ["events_and_talents_served"])
    assert adjustments == [{"criterion": "plans_and_reports", "computed": 13, "score": 3,
                            "reason": "copied plan"}]
    assert domain.ADJUSTMENT_MAX == 10


def test_five_or_more_scores_drop_the_highest_and_the_lowest() -> None:  # R16.1
    assert domain.robust_mean([9400, 9500, 9600, 9500, 4000]) == Fraction(28400, 3)
    assert domain.robust_mean([9400, 9500, 9600, 4000]) == Fraction(32500, 4)
    sheets = [_sheet(v) for v in (94, 95, 96, 95, 40)]
    result = domain.station_result("s1", sheets, DEFAULT_WEIGHTS, DEFAULT_BANDS)
    assert (result.score_centi, result.grade, result.reviewers) == (9467, "excellent", 5)
    assert result.criteria_centi["management"] == 9467


def test_grade_bands_are_inclusive_at_their_lower_edge() -> None:  # R17.1
    assert domain.grade(9000, DEFAULT_BANDS) == "excellent"
    assert domain.grade(8999, DEFAULT_BANDS) == "pass"
    assert domain.grade(7000, DEFAULT_BANDS) == "pass"
    assert domain.grade(6999, DEFAULT_BANDS) == "fail"
    assert domain.grade(8000, {"excellent": 80, "pass": 60}) == "excellent"


def test_weighted_totals_and_ranks() -> None:
    sheet = _sheet(100, industry_effect=0)  # loses the 20 % weight of criterion (2)
    assert domain.weighted_total(sheet, DEFAULT_WEIGHTS) == 8000
    assert domain.format_score(9467) == "94.67" and domain.format_score(5) == "0.05"
    assert domain.rank([("a", 9000), ("b", 9500), ("c", 9000), ("d", 100)]) == {
        "b": 1, "a": 2, "c": 2, "d": 4}


# ---- records -------------------------------------------------------------------------------


def test_activity_dates_and_talents_served() -> None:
    today = date(2026, 6, 30)
    domain.check_activity(STATION, date(2026, 6, 30), 10, 10, today)
    with pytest.raises(InvalidInput):
        domain.check_activity(STATION, date(2026, 7, 1), 10, 1, today)
    with pytest.raises(InvalidInput):
        domain.check_activity(STATION, date(2024, 2, 29), 10, 1, today)
    with pytest.raises(InvalidInput):
        domain.check_activity(STATION, date(2025, 1, 1), 10, 11, today)
    with pytest.raises(Conflict):
        domain.require_takes_records(domain.StationRef("s1", "u", "371002", "revoked",
                                                       date(2024, 1, 1)))


def test_resident_expert_services_move_from_request_to_completion() -> None:  # R10.1
    assert len(contract.EXPERT_SERVICE_KINDS) == 6
    requested, today = date(2026, 3, 1), date(2026, 6, 30)
    assert domain.advance_expert_service("requested", "start", requested, requested,
                                         today) == "in_progress"
    assert domain.advance_expert_service("in_progress", "complete", requested,
                                         date(2026, 4, 1), today) == "completed"
    with pytest.raises(Conflict):
        domain.advance_expert_service("completed", "cancel", requested, today, today)
    with pytest.raises(Conflict):
        domain.advance_expert_service("in_progress", "start", requested, today, today)
    with pytest.raises(InvalidInput):
        domain.advance_expert_service("requested", "complete", requested, date(2026, 2, 1),
                                      today)


def test_readers_of_a_station() -> None:  # R13.1
    for principal in (Principal("a", "city_hr"), Principal("a", "auditor"),
                      Principal("a", "district_hr", district="371002"),
                      Principal("a", "host_unit", organisation="unit-a")):
        domain.require_reader(principal, STATION)
    for principal in (Principal("a", "district_hr", district="371003"),
                      Principal("a", "host_unit", organisation="unit-b"),
                      Principal("a", "reviewer", expert="e1"), Principal("a", "public")):
        with pytest.raises(Forbidden):
            domain.require_reader(principal, STATION)
    with pytest.raises(Forbidden):
        domain.require_host_unit(Principal("a", "city_hr"), STATION)


def test_reviewers_from_the_host_unit_are_refused() -> None:  # R16.1
    domain.check_reviewer("e1", "university-1", STATION)
    with pytest.raises(InvalidInput):
        domain.check_reviewer("e1", "unit-a", STATION)


def test_report_deadlines_change_only_while_ahead() -> None:
    current = domain.default_due_dates(2027)
    domain.check_report_deadlines(2027, date(2027, 3, 31), date(2028, 2, 28), current,
                                  date(2026, 12, 1))
    with pytest.raises(InvalidInput):
        domain.check_report_deadlines(2027, date(2028, 1, 31), date(2028, 2, 28), current,
                                      date(2026, 12, 1))
    with pytest.raises(Conflict):
        domain.check_report_deadlines(2027, date(2027, 3, 31), date(2028, 2, 28), current,
                                      date(2027, 2, 1))


# ---- R17.1: rectification ------------------------------------------------------------------


def test_rectification_deadline_evidence_and_reassessment() -> None:  # R17.1
    deadline = domain.rectification_deadline(date(2026, 6, 30), domain.DEFAULT_RECTIFICATION_DAYS)
    assert deadline == date(2026, 9, 28)
    domain.check_evidence("open", deadline, deadline, "r1")
    with pytest.raises(Conflict) as late:
        domain.check_evidence("open", deadline, date(2026, 9, 29), "r1")
    assert late.value.code == "rectification.deadline_passed"
    with pytest.raises(Conflict) as early:
        domain.check_reassessment("open", "r1")
    assert early.value.code == "rectification.no_evidence"
    domain.check_reassessment("evidence_submitted", "r1")
    for decided in ("passed", "failed", "closed"):
        with pytest.raises(Conflict):
            domain.check_reassessment(decided, "r1")
    assert domain.lapsed("open", deadline, date(2026, 9, 29))
    assert not domain.lapsed("open", deadline, deadline)
    assert not domain.lapsed("evidence_submitted", deadline, date(2027, 1, 1))
    assert [domain.outcome_of(g) for g in ("excellent", "pass", "fail")] == [
        "commended", "passed", "rectification"]


# ---- R9.1, R9.2: demonstration stations ----------------------------------------------------


def test_demonstration_subsidy_range_is_inclusive() -> None:  # R9.1
    for fen in (5_000_000, 20_000_000):
        domain.check_demonstration("excellent", STATION, fen, False, None)
    for fen in (4_999_999, 20_000_001):
        with pytest.raises(InvalidInput):
            domain.check_demonstration("excellent", STATION, fen, False, None)
    with pytest.raises(Conflict):
        domain.check_demonstration("fail", STATION, 10_000_000, False, None)
    with pytest.raises(InvalidInput):  # R9.2: the provincial recognition is referenced
        domain.check_demonstration("excellent", STATION, 10_000_000, True, " ")


def test_demonstration_rests_on_a_good_record_not_only_an_excellent_grade() -> None:
    """R9.4: a passing station may be selected (the old rule took the excellent only); a
    failing, unevaluated or rectifying one may not."""
    domain.check_demonstration("pass", STATION, 10_000_000, False, None)
    rectifying = replace(STATION, status="rectifying")
    for grade_, station in (("fail", STATION), (None, STATION), ("excellent", rectifying)):
        with pytest.raises(Conflict) as refused:
            domain.check_demonstration(grade_, station, 10_000_000, False, None)
        assert refused.value.code == "demonstration.record_not_good"


def test_demonstration_needs_two_departments_and_two_people() -> None:  # R9.1
    empty = {"city_hr": None, "org_department": None}
    assert not domain.confirm_demonstration("proposed", empty, Principal("li", "city_hr"), "d")
    after_city = {"city_hr": "li", "org_department": None}
    with pytest.raises(Conflict):
        domain.confirm_demonstration("proposed", after_city, Principal("zhao", "city_hr"), "d")
    with pytest.raises(Conflict):
        domain.confirm_demonstration("proposed", after_city, Principal("li", "org_department"),
                                     "d")
    assert domain.confirm_demonstration("proposed", after_city,
                                        Principal("wu", "org_department"), "d")
    with pytest.raises(Forbidden):
        domain.confirm_demonstration("proposed", empty, Principal("x", "district_hr"), "d")
    with pytest.raises(Conflict):
        domain.confirm_demonstration("confirmed", empty, Principal("wu", "org_department"), "d")


# ---- exports -------------------------------------------------------------------------------


REPORT = {
    "cycle_id": "c1", "name": "2026", "reference_date": "2026-06-30",
    "finalized_on": "2026-07-01", "weights": DEFAULT_WEIGHTS, "bands": DEFAULT_BANDS,
    "rows": [{
        "rank": 1, "station_id": "s1", "plaque_number": "WH-1", "name": "=HYPERLINK(\"x\")",
        "district": "371002", "station_type": "service", "score": "94.67",
        "grade": "excellent", "reviewers": 5, "criteria": {c: "94.67" for c in CRITERIA},
        "outcome": "commended", "rectification_deadline": None, "findings": None,
    }],
}


def test_csv_export_is_excel_readable_and_inert() -> None:
    data, media_type = report_file(REPORT, "csv")
    assert media_type.startswith("text/csv")
    assert data.startswith(b"\xef\xbb\xbf")
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[0] == "排名 Rank"
    assert len(header) == len(row) == len(contract.REPORT_COLUMNS) == 18
    assert row[2] == "'=HYPERLINK(\"x\")"
    assert row[6] == "优秀 excellent" and row[-1] == ""


def test_xlsx_export_has_numeric_scores_and_the_cycle_settings() -> None:
    workbook = load_workbook(io.BytesIO(report_file(REPORT, "xlsx")[0]))
    ranking = workbook["Ranking"]
    assert ranking["F2"].value == pytest.approx(94.67)
    assert ranking["F2"].number_format == "0.00"
    assert ranking["C2"].value.startswith("'=")
    settings = {r[0]: r[1] for r in workbook["Cycle"].iter_rows(values_only=True)}
    assert settings["bands.excellent"] == 90 and settings["reference_date"] == "2026-06-30"


# ---- answers (contracts.rpc.evaluation) ------------------------------------------------------


def _rows() -> dict[str, SimpleNamespace]:
    station = SimpleNamespace(
        id="s1", plaque_number="WH-1", name="威高人才驿站", station_type="service",
        host_unit_id="unit-a", host_unit_name="威高集团", district="371002",
        approved_on=date(2024, 3, 1), status="rectifying", status_since=date(2026, 7, 1),
        revoked_on=None, last_evaluated_on=date(2026, 6, 30))
    cycle = SimpleNamespace(
        id="c1", name="2026", reference_date=date(2026, 6, 30), status="finalized",
        weights=DEFAULT_WEIGHTS, bands=DEFAULT_BANDS, targets=domain.DEFAULT_TARGETS,
        rectification_days=90, opened_by="city-li", opened_on=date(2026, 6, 30),
        finalized_on=date(2026, 7, 1))
    member = SimpleNamespace(rank=2, score_centi=4000, grade="fail", reviewers=1,
                             criteria_centi={c: 4000 for c in CRITERIA},
                             basis_date=date(2024, 3, 1),
                             prefill={"plans_and_reports": {"score": 63}})
    rectification = SimpleNamespace(
        id="r1", cycle_id="c1", station_id="s1", station=station, status="open",
        findings="Hold events.", opened_on=date(2026, 7, 1), deadline=date(2026, 9, 28),
        evidence=None, evidence_submitted_on=None, reassessed_on=None, reassessment_score=None,
        reassessment_grade=None, reassessment_comments=None, failure_reason=None)
    return {"station": station, "cycle": cycle, "member": member, "rectification": rectification}


def test_answers_dump_rows_and_redump_unchanged() -> None:
    # The gateway re-dumps each answer through the same schema: it must come out as it went in.
    rows = _rows()
    profile = contract.StationProfile().dump({
        "station": rows["station"],
        "records": {"activities": 2, "talents_served": 9, "expert_services": {"completed": 1},
                    "collaborations": 1},
        "overdue_reports": [SimpleNamespace(kind="plan", year=2026, due_on=date(2026, 1, 31),
                                            overdue_since=date(2026, 2, 3))],
        "results": [{"cycle": rows["cycle"], "result": rows["member"],
                     "rectification": rows["rectification"]}],
        "commendations": [],
    })
    assert (profile["station_id"], profile["approved_on"], profile["revoked_on"]) == (
        "s1", "2024-03-01", None)
    [result] = profile["results"]
    assert (result["score"], result["criteria"]["management"]) == ("40.00", "40.00")
    assert result["rectification"]["station_name"] == "威高人才驿站"
    assert result["prefill"] == {"plans_and_reports": {"score": 63}}
    report = contract.CycleReport().dump({
        "cycle": rows["cycle"], "criteria": list(CRITERIA),
        "rows": [{**rows, "outcome": "rectification", "demonstration": None,
                  "adjustments": []}]})
    assert report["rows"][0]["rectification_deadline"] == "2026-09-28"
    assert report["rows"][0]["demonstration_status"] is None
    for schema, answer in ((contract.StationProfile(), profile),
                           (contract.CycleReport(), report)):
        assert schema.dump(answer) == answer
        assert schema.validate(answer) == {}  # a schema check of the answer passes
    assert contract.CycleReport().validate({**report, "rows": [{}]})  # and can fail
