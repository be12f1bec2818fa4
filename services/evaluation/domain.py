"""Rules of the evaluation service (Arts 8–10, 15–17): pure functions and small state machines.

No I/O here. Scores are integers: a reviewer gives each criterion 0–100 points; weights are
integer percentages summing to 100, so a weighted total is an exact integer in hundredths of a
point ("centi-points"), and every aggregate is rounded half up to a centi-point once, at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from contracts.rpc.evaluation import (
    CRITERIA,
    CRITERIA_ZH,
    RECORD_BASED,
    REPORT_KINDS,
    format_score,
)
from servicekit.auth import Principal
from servicekit.errors import Conflict, Forbidden, InvalidInput

PREFILLED = RECORD_BASED
SCORE_MIN, SCORE_MAX = 0, 100

DEFAULT_WEIGHTS: dict[str, int] = {
    "development": 15,
    "industry_effect": 20,
    "talent_team": 15,
    "events_and_talents_served": 20,
    "management": 15,
    "plans_and_reports": 15,
}
DEFAULT_BANDS: dict[str, int] = {"excellent": 90, "pass": 70}
# Criterion (4) earns full marks at these counts over the two years evaluated.
DEFAULT_TARGETS: dict[str, int] = {"events": 20, "person_times": 200}
DEFAULT_RECTIFICATION_DAYS = 90
EVALUATION_INTERVAL_YEARS = 2
TRIM_FROM = 5  # with this many scores or more, the highest and the lowest are dropped
# R16.1: criteria (4) and (6) are computed from the records; a reviewer's judgement may move
# them this many points at most, with a reason that the report shows.
ADJUSTMENT_MAX = 10

# R9.1: a demonstration station's construction subsidy, in fen, both ends included.
SUBSIDY_MIN_FEN = 50_000_00
SUBSIDY_MAX_FEN = 200_000_00
CONFIRMING_ROLES = ("city_hr", "org_department")


# ---- access ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationRef:
    """What access and record rules need to know of a station (from the read model)."""

    station_id: str
    host_unit_id: str
    district: str
    status: str
    approved_on: date


def require_host_unit(principal: Principal, station: StationRef) -> None:
    """Only the station's own host unit enters its records (Art 15)."""
    principal.require("host_unit")
    if principal.organisation != station.host_unit_id:
        raise Forbidden(
            "forbidden.not_host_unit",
            f"Only the host unit of station {station.station_id} may enter its records.",
            f"仅驿站（{station.station_id}）的依托单位可录入其记录。",
            {"station_id": station.station_id},
        )


def require_reader(principal: Principal, station: StationRef) -> None:
    """R13.1: the city and the auditor read every station, a district its own, a host unit
    its own station."""
    if principal.reads_everything:
        return
    if principal.role == "district_hr":
        principal.require_district(station.district)
        return
    if principal.role == "host_unit" and principal.organisation == station.host_unit_id:
        return
    raise Forbidden(
        "forbidden.station",
        f"Role {principal.role} may not see the records of station {station.station_id}.",
        f"无权查看驿站（{station.station_id}）的记录。",
        {"station_id": station.station_id, "role": principal.role},
    )


def require_takes_records(station: StationRef) -> None:
    """A revoked station has lost its title: it takes no new records."""
    if station.status == "revoked":
        raise Conflict(
            "station.revoked",
            f"Station {station.station_id} is revoked and takes no records.",
            f"驿站（{station.station_id}）已被撤销命名，不再接受记录。",
            {"station_id": station.station_id, "status": station.status},
        )


def _not_in_future(field: str, day: date, today: date) -> None:
    if day > today:
        raise InvalidInput(
            "date.in_future",
            f"{field} ({day}) is after today ({today}).",
            f"{field}（{day}）晚于今天（{today}）。",
            {"field": field, "value": day.isoformat(), "today": today.isoformat()},
        )


def _not_before(field: str, day: date, earliest: date, what: str, what_zh: str) -> None:
    if day < earliest:
        raise InvalidInput(
            "date.too_early",
            f"{field} ({day}) is before {what} ({earliest}).",
            f"{field}（{day}）早于{what_zh}（{earliest}）。",
            {"field": field, "value": day.isoformat(), "earliest": earliest.isoformat()},
        )


# ---- records ---------------------------------------------------------------------------------


def check_activity(
    station: StationRef, held_on: date, participants: int, talents_served: int, today: date
) -> None:
    """An activity happened while the station existed, and its high-level talents served are
    among its participants."""
    _not_in_future("held_on", held_on, today)
    _not_before("held_on", held_on, station.approved_on, "the station's approval",
                "驿站命名日期")
    if talents_served > participants:
        raise InvalidInput(
            "activity.talents_exceed_participants",
            f"talents_served ({talents_served}) exceeds participants ({participants}).",
            f"服务高层次人才人次（{talents_served}）超过参加人数（{participants}）。",
            {"field": "talents_served", "participants": participants},
        )


_SERVICE_MOVES: dict[str, tuple[str, ...]] = {
    "start": ("requested",),
    "complete": ("requested", "in_progress"),
    "cancel": ("requested", "in_progress"),
}
_SERVICE_TARGET = {"start": "in_progress", "complete": "completed", "cancel": "cancelled"}


def check_request_date(station: StationRef, requested_on: date, today: date) -> None:
    _not_in_future("requested_on", requested_on, today)
    _not_before("requested_on", requested_on, station.approved_on, "the station's approval",
                "驿站命名日期")


def advance_expert_service(status: str, action: str, requested_on: date, on: date,
                           today: date) -> str:
    """R10.1: requested → in progress → completed (or cancelled); returns the new status."""
    if status not in _SERVICE_MOVES[action]:
        raise Conflict(
            "expert_service.illegal_transition",
            f"A {status} service cannot be {_SERVICE_TARGET[action].replace('_', ' ')}.",
            f"状态为“{status}”的服务不能执行“{action}”。",
            {"status": status, "action": action},
        )
    _not_in_future("on", on, today)
    _not_before("on", on, requested_on, "the request", "申请日期")
    return _SERVICE_TARGET[action]


def check_record_day(field: str, day: date, station: StationRef, today: date) -> None:
    """A city record of a station (a 表扬 R17.2, a training or publicity R12.1): the station
    holds its title, and the day is neither ahead nor before its approval."""
    require_takes_records(station)
    _not_in_future(field, day, today)
    _not_before(field, day, station.approved_on, "the station's approval", "驿站命名日期")


# ---- plans and summaries ---------------------------------------------------------------------


def default_due_dates(year: int) -> dict[str, date]:
    """The plan of a year is due on 31 January of it; its summary on 31 January after it."""
    return {"plan": date(year, 1, 31), "summary": date(year + 1, 1, 31)}


DueDates = Callable[[int], Mapping[str, date]]


def reports_owed(
    approved_on: date, revoked_on: date | None, due_dates: DueDates, until: date
) -> list[tuple[str, int, date]]:
    """(kind, year, due date) of every plan and summary whose due date fell while the station
    held its title, up to ``until`` inclusive."""
    owed = []
    for year in range(approved_on.year, until.year + 1):
        for kind, due_on in due_dates(year).items():
            held_title = revoked_on is None or due_on <= revoked_on
            if approved_on < due_on <= until and held_title:
                owed.append((kind, year, due_on))
    return owed


def check_report_year(kind: str, year: int, approved_on: date, today: date) -> None:
    """A plan may come a year ahead; a summary only for a year begun; none before approval."""
    latest = today.year + 1 if kind == "plan" else today.year
    if not approved_on.year <= year <= latest:
        raise InvalidInput(
            "report.year_out_of_range",
            f"A {kind} for {year} cannot be submitted now; years {approved_on.year}–{latest} "
            f"can.",
            f"现在不能报送 {year} 年的{REPORT_KINDS[kind]}；"
            f"可报送 {approved_on.year}–{latest} 年。",
            {"field": "year", "earliest": approved_on.year, "latest": latest},
        )


def report_state(due_on: date, submitted_on: date | None, today: date) -> str:
    """on_time, late, overdue (past due, not in) or pending (not yet due)."""
    if submitted_on is not None:
        return "on_time" if submitted_on <= due_on else "late"
    return "overdue" if today > due_on else "pending"


def check_report_deadlines(year: int, plan_due_on: date, summary_due_on: date,
                           current: Mapping[str, date], today: date) -> None:
    """A year's plan falls due by the end of that year, its summary in the year after; dates
    change only while the current ones and the new ones are still ahead."""
    if not (date(year - 1, 1, 1) <= plan_due_on <= date(year, 12, 31)
            and date(year, 12, 31) < summary_due_on <= date(year + 1, 12, 31)):
        raise InvalidInput(
            "report_deadlines.invalid",
            f"The plan for {year} must be due in {year - 1} or {year}, its summary in "
            f"{year + 1}.",
            f"{year} 年工作计划的报送期限须在 {year - 1} 或 {year} 年内，"
            f"工作总结须在 {year + 1} 年内。",
            {"fields": ["plan_due_on", "summary_due_on"], "year": year},
        )
    first = min(current.values())
    if today > first or min(plan_due_on, summary_due_on) < today:
        raise Conflict(
            "report_deadlines.passed",
            f"Due dates of {year} can no longer change: {first} or a new date is already past.",
            f"{year} 年的报送期限已无法修改：原期限（{first}）或新期限已过。",
            {"year": year, "current_first_due_on": first.isoformat(),
             "today": today.isoformat()},
        )


# ---- cycles (R16.1) --------------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def evaluation_basis(approved_on: date, last_evaluated_on: date | None) -> date:
    return last_evaluated_on or approved_on


def is_due(status: str, approved_on: date, last_evaluated_on: date | None,
           reference: date) -> bool:
    """R16.1: an active station approved, or last evaluated, two or more years before the
    cycle's reference date."""
    basis = evaluation_basis(approved_on, last_evaluated_on)
    return status == "active" and add_years(basis, EVALUATION_INTERVAL_YEARS) <= reference


def check_reference_date(reference: date, today: date) -> None:
    """Records are counted up to the reference date, so it cannot lie ahead."""
    _not_in_future("reference_date", reference, today)


def require_stations_due(count: int, reference: date) -> None:
    if count == 0:
        raise Conflict(
            "cycle.no_stations_due",
            f"No active station is due for evaluation on {reference} (approved or last "
            f"evaluated two or more years before it, and not in an open cycle).",
            f"截至 {reference} 没有需要评估的驿站"
            "（命名或上次评估满两年且不在进行中的评估周期内）。",
            {"field": "reference_date", "reference_date": reference.isoformat()},
        )


def check_weights(weights: Mapping[str, int]) -> None:
    if set(weights) != set(CRITERIA) or any(w < 0 for w in weights.values()):
        raise InvalidInput(
            "cycle.weights_invalid",
            f"Weights must give each of the six criteria {', '.join(CRITERIA)} a non-negative "
            f"percentage.",
            "权重须为六项评估指标各给出一个非负百分比。",
            {"field": "weights", "criteria": list(CRITERIA)},
        )
    if sum(weights.values()) != 100:
        raise InvalidInput(
            "cycle.weights_sum",
            f"Weights must add up to 100; they add up to {sum(weights.values())}.",
            f"权重之和须为 100，现为 {sum(weights.values())}。",
            {"field": "weights", "sum": sum(weights.values())},
        )


def check_bands(bands: Mapping[str, int]) -> None:
    if not 0 < bands["pass"] < bands["excellent"] <= SCORE_MAX:
        raise InvalidInput(
            "cycle.bands_invalid",
            "Grade bands need 0 < pass < excellent <= 100.",
            "等次分数线须满足 0 < 合格 < 优秀 ≤ 100。",
            {"field": "bands", "bands": dict(bands)},
        )


def _ratio(count: int, target: int) -> Fraction:
    return min(Fraction(1), Fraction(count, target)) if target > 0 else Fraction(1)


def round_half_up(value: Fraction) -> int:
    return int((value * 2 + 1) // 2)


@dataclass(frozen=True)
class ActivityCounts:
    activities: int
    talents_served: int
    expert_services_completed: int
    collaborations: int
    by_kind: dict[str, int]

    @property
    def person_times(self) -> int:
        # Each completed resident-expert service and each brokered collaboration serves one
        # high-level talent once.
        return self.talents_served + self.expert_services_completed + self.collaborations


def prefill_events(counts: ActivityCounts, targets: Mapping[str, int], window: tuple[date, date]
                   ) -> dict[str, Any]:
    """Criterion (4) from the records: half for events held, half for person-times served,
    each in proportion to its target (capped at full marks)."""
    share = (_ratio(counts.activities, targets["events"])
             + _ratio(counts.person_times, targets["person_times"])) / 2
    return {
        "score": round_half_up(share * SCORE_MAX),
        "sources": {
            "window": {"from": window[0].isoformat(), "to": window[1].isoformat()},
            "activities": counts.activities,
            "activities_by_kind": dict(sorted(counts.by_kind.items())),
            "talents_served": counts.talents_served,
            "expert_services_completed": counts.expert_services_completed,
            "collaborations": counts.collaborations,
            "person_times": counts.person_times,
            "targets": dict(targets),
        },
    }


def prefill_reports(owed: Sequence[tuple[str, int, date]],
                    submitted: Mapping[tuple[str, int], date], window: tuple[date, date]
                    ) -> dict[str, Any] | None:
    """Criterion (6) from plans and summaries due in the window: on time counts fully, late
    half, missing nothing. None when nothing fell due (the reviewers score it themselves)."""
    due = [(kind, year, due_on) for kind, year, due_on in owed
           if window[0] <= due_on <= window[1]]
    if not due:
        return None
    points = Fraction(0)
    rows = []
    for kind, year, due_on in due:
        submitted_on = submitted.get((kind, year))
        state = report_state(due_on, submitted_on, window[1])
        points += {"on_time": Fraction(1), "late": Fraction(1, 2)}.get(state, Fraction(0))
        rows.append({"kind": kind, "year": year, "due_on": due_on.isoformat(),
                     "submitted_on": submitted_on.isoformat() if submitted_on else None,
                     "state": state})
    return {
        "score": round_half_up(points / len(due) * SCORE_MAX),
        "sources": {
            "window": {"from": window[0].isoformat(), "to": window[1].isoformat()},
            "reports": rows,
        },
    }


def check_reviewer(expert_id: str, affiliation: str, station: StationRef) -> None:
    """R16.1 (as R7.2): no reviewer from the station's own host unit."""
    if affiliation == station.host_unit_id:
        raise InvalidInput(
            "assignment.own_host_unit",
            f"Reviewer {expert_id} belongs to the host unit of station {station.station_id}.",
            f"评审专家（{expert_id}）来自驿站（{station.station_id}）的依托单位，须回避。",
            {"field": "affiliation", "expert_id": expert_id},
        )


def _adjustment(criterion: str, value: int, computed: int, reason: str | None
                ) -> dict[str, Any]:
    """R16.1: a record-based criterion scores what the records give, or differs from it by
    at most ADJUSTMENT_MAX points with a written reason."""
    if abs(value - computed) > ADJUSTMENT_MAX:
        raise InvalidInput(
            "score.record_based_beyond_adjustment",
            f"{criterion} is computed from the station's records as {computed}; a reviewer may "
            f"adjust it by at most {ADJUSTMENT_MAX} points, not to {value} (R16.1).",
            f"“{CRITERIA_ZH[criterion]}”依据驿站记录计算为 {computed} 分，评审专家最多可调整 "
            f"{ADJUSTMENT_MAX} 分，不能改为 {value} 分（R16.1）。",
            {"field": criterion, "value": value, "computed": computed,
             "max_adjustment": ADJUSTMENT_MAX, "rule": "R16.1"},
        )
    if not (reason or "").strip():
        raise InvalidInput(
            "score.adjustment_reason_missing",
            f"{criterion} differs from the {computed} its records give: say why in "
            f"adjustment_reasons (R16.1).",
            f"“{CRITERIA_ZH[criterion]}”与依据记录计算的 {computed} 分不同，须在调整理由中说明"
            "（R16.1）。",
            {"field": f"adjustment_reasons.{criterion}", "computed": computed, "rule": "R16.1"},
        )
    return {"criterion": criterion, "computed": computed, "score": value,
            "reason": (reason or "").strip()}


def complete_sheet(scores: Mapping[str, int | None], prefill: Mapping[str, Any],
                   reasons: Mapping[str, str] | None = None
                   ) -> tuple[dict[str, int], list[str], list[dict[str, Any]]]:
    """A reviewer's six scores, criteria (4) and (6) bound to the pre-fill computed from the
    records (R16.1): left out, they take it; given, they may differ only by a bounded,
    reasoned adjustment. Also which criteria came from the records and the adjustments."""
    reasons = reasons or {}
    sheet: dict[str, int] = {}
    from_records: list[str] = []
    adjustments: list[dict[str, Any]] = []
    missing = []
    for criterion in CRITERIA:
        value = scores.get(criterion)
        computed = (prefill[criterion]["score"]
                    if criterion in PREFILLED and prefill.get(criterion) is not None else None)
        if value is None and computed is not None:
            value = computed
        if value is None:
            missing.append(criterion)
            continue
        if not SCORE_MIN <= value <= SCORE_MAX:
            raise InvalidInput(
                "score.out_of_scale",
                f"{criterion} is scored {value}; the scale is {SCORE_MIN}–{SCORE_MAX}.",
                f"“{CRITERIA_ZH[criterion]}”得分 {value} 超出 {SCORE_MIN}–{SCORE_MAX} 分的范围。",
                {"field": criterion, "value": value, "min": SCORE_MIN, "max": SCORE_MAX},
            )
        if computed is not None and value == computed:
            from_records.append(criterion)
        elif computed is not None:
            adjustments.append(_adjustment(criterion, value, computed, reasons.get(criterion)))
        sheet[criterion] = value
    if missing:
        raise InvalidInput(
            "score.missing_criteria",
            f"Scores are missing for: {', '.join(missing)}.",
            f"缺少以下指标的评分：{'、'.join(CRITERIA_ZH[c] for c in missing)}。",
            {"fields": missing},
        )
    unused = sorted(set(reasons) - {a["criterion"] for a in adjustments})
    if unused:
        raise InvalidInput(
            "score.adjustment_reason_unused",
            f"A reason is given for {', '.join(unused)}, which is not adjusted from its "
            f"records (R16.1).",
            "以下指标未偏离依据记录计算的分数，无需调整理由："
            f"{'、'.join(CRITERIA_ZH[c] for c in unused)}（R16.1）。",
            {"field": "adjustment_reasons", "criteria": unused, "rule": "R16.1"},
        )
    return sheet, from_records, adjustments


def weighted_total(sheet: Mapping[str, int], weights: Mapping[str, int]) -> int:
    """One reviewer's total in centi-points (weights are percentages summing to 100)."""
    return sum(sheet[c] * weights[c] for c in CRITERIA)


def robust_mean(values: Sequence[int]) -> Fraction:
    """The mean; with TRIM_FROM or more values, without the highest and the lowest."""
    ordered = sorted(values)
    if len(ordered) >= TRIM_FROM:
        ordered = ordered[1:-1]
    return Fraction(sum(ordered), len(ordered))


def grade(score_centi: int, bands: Mapping[str, int]) -> str:
    if score_centi >= bands["excellent"] * 100:
        return "excellent"
    if score_centi >= bands["pass"] * 100:
        return "pass"
    return "fail"


@dataclass(frozen=True)
class StationResult:
    station_id: str
    score_centi: int
    criteria_centi: dict[str, int]
    grade: str
    reviewers: int


def station_result(station_id: str, sheets: Sequence[Mapping[str, int]],
                   weights: Mapping[str, int], bands: Mapping[str, int]) -> StationResult:
    totals = [weighted_total(s, weights) for s in sheets]
    score = round_half_up(robust_mean(totals))
    criteria = {c: round_half_up(robust_mean([s[c] * 100 for s in sheets])) for c in CRITERIA}
    return StationResult(station_id, score, criteria, grade(score, bands), len(sheets))


def rank(results: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Competition ranking by score, highest first (equal scores share a rank: 1, 2, 2, 4)."""
    ordered = sorted(results, key=lambda r: (-r[1], r[0]))
    ranks: dict[str, int] = {}
    for position, (key, score) in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        ranks[key] = ranks[previous[0]] if previous and previous[1] == score else position
    return ranks


def outcome_of(grade_: str) -> str:
    """R17.1: excellent is commended, fail goes into rectification."""
    return {"excellent": "commended", "pass": "passed", "fail": "rectification"}[grade_]


def default_findings(result: StationResult, bands: Mapping[str, int],
                     comments: Sequence[str]) -> str:
    """Findings for a failing station when the city gives none: the criteria below the pass
    mark and what the reviewers wrote."""
    weak = [f"{c} {format_score(v)}" for c, v in result.criteria_centi.items()
            if v < bands["pass"] * 100]
    text = (f"Score {format_score(result.score_centi)} is below the pass mark "
            f"{bands['pass']}. Criteria below it: {', '.join(weak) or 'none'}.")
    notes = [c.strip() for c in comments if c and c.strip()]
    return text + (" Reviewers: " + " | ".join(notes) if notes else "")


def require_cycle_open(status: str, cycle_id: str) -> None:
    if status != "open":
        raise Conflict(
            "cycle.not_open",
            f"Cycle {cycle_id} is {status}; it takes no more assignments or scores.",
            f"评估周期（{cycle_id}）已结束，不再接受分配或评分。",
            {"cycle_id": cycle_id, "status": status},
        )


def require_all_scored(missing: Sequence[tuple[str, str | None]], cycle_id: str) -> None:
    """Finalization needs every assigned reviewer's sheet, and a reviewer for every station."""
    if missing:
        shown = [{"station_id": s, "expert_id": e} for s, e in missing[:50]]
        raise Conflict(
            "cycle.scores_missing",
            f"Cycle {cycle_id} cannot be finalized: {len(missing)} score sheets are missing.",
            f"评估周期（{cycle_id}）尚有 {len(missing)} 份评分未提交，不能确定结果。",
            {"cycle_id": cycle_id, "missing": len(missing), "first_missing": shown},
        )


# ---- rectification (R17.1) -------------------------------------------------------------------


def rectification_deadline(opened_on: date, days: int) -> date:
    return opened_on + timedelta(days=days)


def check_evidence(status: str, deadline: date, today: date, rectification_id: str) -> None:
    if status != "open":
        raise Conflict(
            "rectification.not_open",
            f"Rectification {rectification_id} is {status}; it takes no evidence.",
            f"整改（{rectification_id}）当前状态为“{status}”，不接受整改材料。",
            {"rectification_id": rectification_id, "status": status},
        )
    if today > deadline:
        raise Conflict(
            "rectification.deadline_passed",
            f"The rectification deadline {deadline} has passed.",
            f"整改期限（{deadline}）已过。",
            {"rectification_id": rectification_id, "deadline": deadline.isoformat()},
        )


def check_reassessment(status: str, rectification_id: str) -> None:
    """R17.1: re-assessment only once the host unit's rectification evidence is in."""
    if status == "open":
        raise Conflict(
            "rectification.no_evidence",
            f"Rectification {rectification_id} has no evidence yet; it cannot be re-assessed.",
            f"整改（{rectification_id}）尚未提交整改材料，不能复评。",
            {"rectification_id": rectification_id, "status": status},
        )
    if status != "evidence_submitted":
        raise Conflict(
            "rectification.already_decided",
            f"Rectification {rectification_id} is already {status}.",
            f"整改（{rectification_id}）已有结论（{status}）。",
            {"rectification_id": rectification_id, "status": status},
        )


def check_reassessment_score(score: int) -> None:
    if not SCORE_MIN <= score <= SCORE_MAX:
        raise InvalidInput(
            "score.out_of_scale",
            f"The re-assessment score {score} is outside {SCORE_MIN}–{SCORE_MAX}.",
            f"复评得分 {score} 超出 {SCORE_MIN}–{SCORE_MAX} 分的范围。",
            {"field": "score", "value": score, "min": SCORE_MIN, "max": SCORE_MAX},
        )


def lapsed(status: str, deadline: date, today: date) -> bool:
    """An open rectification with no evidence by its deadline fails (R17.1)."""
    return status == "open" and today > deadline


# ---- demonstration selection (R9.1, R9.2) ----------------------------------------------------


GOOD_RECORD = ("excellent", "pass")


def check_demonstration(latest_grade: str | None, station: StationRef, subsidy_fen: int,
                        provincial: bool, provincial_reference: str | None) -> None:
    """R9.4 (Art 9 适时): the departments select, when they choose, from stations with a good
    evaluation record: active, and graded excellent or pass in their latest evaluation."""
    require_takes_records(station)
    if latest_grade not in GOOD_RECORD or station.status != "active":
        raise Conflict(
            "demonstration.record_not_good",
            f"Station {station.station_id} has no good evaluation record (latest grade: "
            f"{latest_grade or 'not evaluated'}, status {station.status}); a demonstration "
            "station is selected from active stations graded excellent or pass (R9.4).",
            f"驿站（{station.station_id}）评估记录不佳（最近一次评估："
            f"{latest_grade or '未评估'}，状态：{station.status}），示范驿站须从运行中且最近一次"
            "评估为优秀或合格的驿站中遴选（R9.4）。",
            {"station_id": station.station_id, "grade": latest_grade,
             "status": station.status, "rule": "R9.4"},
        )
    if not SUBSIDY_MIN_FEN <= subsidy_fen <= SUBSIDY_MAX_FEN:
        raise InvalidInput(
            "demonstration.subsidy_out_of_range",
            "The proposed subsidy must be between 50000.00 and 200000.00 yuan inclusive.",
            "拟定建设补助须在 50000.00 至 200000.00 元之间（含）。",
            {"field": "proposed_subsidy", "min": "50000.00", "max": "200000.00"},
        )
    if provincial and not (provincial_reference or "").strip():
        raise InvalidInput(
            "demonstration.provincial_reference_missing",
            "A provincial demonstration station needs the reference of its provincial "
            "recognition.",
            "省级示范驿站须填写省级认定文号。",
            {"field": "provincial_reference"},
        )


def confirm_demonstration(status: str, confirmations: Mapping[str, str | None],
                          principal: Principal, selection_id: str) -> bool:
    """R9.1: the city HR bureau and the organisation department each confirm, as two different
    people; returns True when this confirmation completes the selection."""
    principal.require(*CONFIRMING_ROLES)
    require_proposed(status, selection_id)
    if confirmations.get(principal.role):
        raise Conflict(
            "demonstration.already_confirmed",
            f"{principal.role} has already confirmed selection {selection_id}.",
            "该遴选已由本部门确认。",
            {"selection_id": selection_id, "role": principal.role},
        )
    if principal.actor in confirmations.values():
        raise Conflict(
            "demonstration.same_person",
            "The two confirmations must come from two different people.",
            "两项确认须由不同人员作出。",
            {"selection_id": selection_id, "actor": principal.actor},
        )
    others = [r for r in CONFIRMING_ROLES if r != principal.role]
    return all(confirmations.get(r) for r in others)


def require_proposed(status: str, selection_id: str) -> None:
    if status != "proposed":
        raise Conflict(
            "demonstration.not_proposed",
            f"Selection {selection_id} is {status}.",
            f"示范驿站遴选（{selection_id}）当前状态为“{status}”。",
            {"selection_id": selection_id, "status": status},
        )
