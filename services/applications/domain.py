"""Rules of recognition (Arts 5–7, 17, 18): pure functions and the application state machine.

No I/O here: the use cases load what these rules need and save what they decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from contracts.events import STATION_TYPES
from contracts.rpc.applications import CONDITIONS, HOST_CATEGORIES, TYPE_FUNCTIONS
from servicekit.errors import Conflict, InvalidInput
from servicekit.tenants import CITY, DISTRICTS

STATION_TYPE_NAMES = {
    "innovation": "创新型",
    "entrepreneurship": "创业型",
    "service": "服务型",
    "comprehensive": "综合型",
}
ALLOWED_HOSTS: dict[str, frozenset[str]] = {
    "innovation": frozenset({"university", "research_institute", "key_enterprise",
                             "industrial_park"}),
    "entrepreneurship": frozenset({"maker_space", "incubator", "entrepreneurship_base",
                                   "maker_street"}),
    "service": frozenset({"industry_association", "tech_intermediary", "talent_apartment",
                          "leisure_venue"}),
    "comprehensive": frozenset({"talent_service_agency", "hr_intermediary"}),
}
# R7.1: universities and research institutes apply to the city directly, as city-level units do.
CITY_DIRECT_CATEGORIES = frozenset({"university", "research_institute"})

MIN_PANEL = 3
TRIM_FROM = 5  # trimmed mean (drop one highest, one lowest) from this many scores on

DEFAULT_RUBRIC: list[dict[str, Any]] = [
    {"key": "commitment", "name_zh": "依托单位保障", "name_en": "Host commitment and premises",
     "max_points": 25},
    {"key": "environment", "name_zh": "产业与需求基础", "name_en": "Industry and demand",
     "max_points": 25},
    {"key": "experts", "name_zh": "专家人才资源", "name_en": "Expert network",
     "max_points": 25},
    {"key": "management", "name_zh": "管理与服务体系", "name_en": "Management and services",
     "max_points": 25},
]

# The application's life. Final states take no action.
STATUS_NAMES = {
    "draft": "草稿",
    "submitted": "待区市审核",
    "returned": "退回修改",
    "at_city": "待市级评审",
    "under_review": "专家评审中",
    "shortlisted": "拟入选",
    "not_selected": "未入选",
    "in_notice": "公示中",
    "withdrawn": "公示异议成立",
    "awaiting_approval": "待人才办审批",
    "approved": "已认定",
    "declined": "不予认定",
    "rejected": "不予推荐",
}
FINAL = frozenset({"not_selected", "withdrawn", "approved", "declined", "rejected"})
EDITABLE = frozenset({"draft", "returned"})

TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit_to_district"): "submitted",
    ("draft", "submit_to_city"): "at_city",
    ("returned", "submit_to_district"): "submitted",
    ("submitted", "recommend"): "at_city",
    ("submitted", "return"): "returned",
    ("submitted", "reject"): "rejected",
    ("at_city", "form_panel"): "under_review",
    ("at_city", "reject"): "rejected",
    ("under_review", "reject"): "rejected",
    ("under_review", "shortlist"): "shortlisted",
    ("under_review", "not_select"): "not_selected",
    ("shortlisted", "publish"): "in_notice",
    ("in_notice", "uphold_objection"): "withdrawn",
    ("in_notice", "close_notice"): "awaiting_approval",
    ("awaiting_approval", "approve"): "approved",
    ("awaiting_approval", "decline"): "declined",
    # A district's own instance keeps its copy of a recommended application; the city decides
    # on the one it took over, and the district's copy follows the outcome (DESIGN.md §4).
    ("at_city", "city_approved"): "approved",
    ("at_city", "city_rejected"): "rejected",
}


def transition(status: str, action: str) -> str:
    """The status after ``action``, or Conflict naming the status that forbids it."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise Conflict(
            "application.illegal_transition",
            f"An application that is {status} cannot be put through '{action}'.",
            f"申请当前状态为“{STATUS_NAMES.get(status, status)}”，不能执行此操作（{action}）。",
            {"status": status, "action": action},
        ) from None


def check_applies_here(route: str, district_instance: bool) -> None:
    """R7.1: a unit that applies straight to the city applies at the city's instance, not at
    a district's own (which only takes in and recommends its district's applications)."""
    if route == "city" and district_instance:
        raise InvalidInput(
            "application.apply_at_city",
            "This unit applies straight to the city (R7.1): apply at the city's instance.",
            "该单位直接向市级申报（R7.1），请在市级平台提出申请。",
            {"field": "host_unit_id", "route": "city", "rule": "R7.1"},
        )


def check_station_type(station_type: str) -> None:
    """R5.1: exactly one of the four types."""
    if station_type not in STATION_TYPES:
        raise InvalidInput(
            "application.station_type",
            f"station_type must be one of {', '.join(STATION_TYPES)} (R5.1).",
            "驿站类型须为创新型、创业型、服务型、综合型之一（R5.1）。",
            {"field": "station_type", "rule": "R5.1"},
        )


def check_host_category(station_type: str, category: str) -> None:
    """R5.2: the host unit's category must be one the station type allows."""
    check_station_type(station_type)
    if category not in ALLOWED_HOSTS[station_type]:
        allowed = sorted(ALLOWED_HOSTS[station_type])
        allowed_zh = "、".join(HOST_CATEGORIES[c] for c in allowed)
        raise InvalidInput(
            "application.host_category",
            f"A {station_type} station may be hosted by {', '.join(allowed)}; "
            f"the unit is a {category} (R5.2).",
            f"{STATION_TYPE_NAMES[station_type]}驿站的依托单位须为{allowed_zh}；"
            f"该单位为{HOST_CATEGORIES.get(category, category)}（R5.2）。",
            {"field": "station_type", "rule": "R5.2", "category": category, "allowed": allowed},
        )


def route_of(category: str, district: str | None, city_level: bool) -> str:
    """R7.1: "city" for city-level units, universities and research institutes; else "district"."""
    if city_level or category in CITY_DIRECT_CATEGORIES or district in (None, CITY):
        return "city"
    return "district"


def check_unit_location(district: str | None, city_level: bool) -> None:
    if not city_level and district not in DISTRICTS:
        raise InvalidInput(
            "host_unit.district",
            "A unit that is not city-level must name its district.",
            "非市直单位须填写所在区市。",
            {"field": "district", "allowed": list(DISTRICTS)},
        )


def check_type_functions(station_type: str, functions: list[str]) -> None:
    """R5.3 (Art 5): a station offers the functions of its type; a comprehensive one any."""
    allowed = TYPE_FUNCTIONS[station_type]
    foreign = [f for f in functions if f not in allowed]
    if foreign:
        raise InvalidInput(
            "application.function_not_of_type",
            f"A {station_type} station does not offer {', '.join(foreign)} (Art 5, R5.3); "
            f"it offers {', '.join(allowed)}.",
            f"{STATION_TYPE_NAMES[station_type]}驿站不提供："
            f"{'、'.join(TYPE_FUNCTIONS['comprehensive'][f] for f in foreign)}"
            f"（第五条，R5.3）；可提供：{'、'.join(allowed.values())}。",
            {"field": "type_functions", "rule": "R5.3", "values": foreign,
             "allowed": list(allowed)},
        )


def check_submittable(conditions: dict[str, Any]) -> None:
    """R6.1: each of the four Art 6 conditions attested by a statement and evidence."""
    missing = [
        key
        for key in CONDITIONS
        if not (conditions.get(key) or {}).get("statement", "").strip()
        or not (conditions.get(key) or {}).get("evidence")
    ]
    if missing:
        names_zh = "；".join(CONDITIONS[k] for k in missing)
        raise InvalidInput(
            "application.conditions_incomplete",
            f"Each Art 6 condition needs a statement and evidence before submission; "
            f"missing: {', '.join(missing)} (R6.1).",
            f"提交前须逐项说明第六条四项条件并附证明材料，尚缺：{names_zh}（R6.1）。",
            {"field": "conditions", "rule": "R6.1", "missing": missing},
        )


@dataclass(frozen=True)
class Affiliation:
    """Where an expert or an applicant sits among the registered organisations (R7.5): the
    host unit it is (if any), its organisation, that organisation's parent and group."""

    unit_id: str | None = None
    organisation_id: str | None = None
    parent_id: str | None = None
    group: str | None = None


def conflict_of(expert: Affiliation, applicant: Affiliation) -> str | None:
    """R7.2, R7.5: why an expert may not review an applicant: its own unit, its parent (or
    child) organisation, or a unit of the same group; None when there is no conflict."""
    if expert.unit_id is not None and expert.unit_id == applicant.unit_id:
        return "own_unit"
    mine, theirs = expert.organisation_id, applicant.organisation_id
    if mine is not None and theirs is not None and (
            mine == theirs or mine == applicant.parent_id or expert.parent_id == theirs):
        return "own_unit" if mine == theirs else "parent"
    if expert.group is not None and expert.group == applicant.group:
        return "same_group"
    return None


_CONFLICTS = {"own_unit": ("the applicant's own unit", "申请单位本单位"),
              "parent": ("the applicant's parent or subsidiary", "申请单位的上级或下属单位"),
              "same_group": ("a unit of the applicant's group", "与申请单位同属一个集团（系统）")}


def check_panel(expert_ids: list[str], applicant: Affiliation,
                experts: dict[str, Affiliation]) -> None:
    """R7.2: at least MIN_PANEL distinct experts; R7.5: none from the applicant's own unit,
    its parent or a unit of its group, by the registered organisations."""
    if len(set(expert_ids)) != len(expert_ids) or len(expert_ids) < MIN_PANEL:
        raise InvalidInput(
            "review.panel_size",
            f"A review panel needs at least {MIN_PANEL} distinct experts.",
            f"评审专家组至少需要 {MIN_PANEL} 名不同的专家。",
            {"field": "expert_ids", "rule": "R7.2", "minimum": MIN_PANEL},
        )
    conflicts = {e: why for e in expert_ids
                 if (why := conflict_of(experts.get(e, Affiliation()), applicant))}
    if conflicts:
        en = "; ".join(f"{e}: {_CONFLICTS[w][0]}" for e, w in conflicts.items())
        zh = "；".join(f"{e}：{_CONFLICTS[w][1]}" for e, w in conflicts.items())
        raise InvalidInput(
            "review.conflict_of_interest",
            f"These experts may not review the applicant ({en}) (R7.2, R7.5).",
            f"以下专家须回避（{zh}）（R7.2、R7.5）。",
            {"field": "expert_ids", "rule": "R7.5", "experts": sorted(conflicts),
             "reasons": conflicts},
        )


def check_rubric(criteria: list[dict[str, Any]]) -> None:
    keys = [c["key"] for c in criteria]
    if not criteria or len(set(keys)) != len(keys):
        raise InvalidInput(
            "review.rubric",
            "A rubric needs at least one criterion and unique keys.",
            "评分标准至少包含一项且各项标识不得重复。",
            {"field": "criteria"},
        )


def score_total(criteria: list[dict[str, Any]], scores: dict[str, int]) -> int:
    """The total of one review; every criterion scored within 0..max_points, nothing else."""
    expected = {c["key"]: int(c["max_points"]) for c in criteria}
    problems = {
        key: f"0..{maximum}"
        for key, maximum in expected.items()
        if key not in scores or not 0 <= scores[key] <= maximum
    }
    problems.update({key: "not in the rubric" for key in scores if key not in expected})
    if problems:
        raise InvalidInput(
            "review.scores",
            "Each rubric criterion needs a score within its range, and no other key.",
            "须按评分标准逐项打分，分值在规定范围内，且不得有多余项。",
            {"field": "scores", "rule": "R7.2", "problems": problems},
        )
    return sum(scores[key] for key in expected)


def aggregate(totals: list[int]) -> Decimal:
    """Mean of the reviewers' totals; from TRIM_FROM scores on, the highest and the lowest
    are dropped first (trimmed mean). Two decimals, half up."""
    if not totals:
        raise ValueError("no scores to aggregate")
    kept = sorted(totals)[1:-1] if len(totals) >= TRIM_FROM else list(totals)
    return (Decimal(sum(kept)) / len(kept)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Ranked:
    application_id: str
    score: Decimal
    rank: int


def rank(scores: dict[str, Decimal], submitted: dict[str, Any]) -> list[Ranked]:
    """Best score first; ties go to the earlier submission (then the id, for stability)."""
    order = sorted(scores, key=lambda a: (-scores[a], submitted[a], a))
    return [Ranked(a, scores[a], i + 1) for i, a in enumerate(order)]


def select_shortlist(ranking: list[Ranked], top: int | None,
                     minimum: Decimal | int | None) -> set[str]:
    """R7.2 (Art 7(2) 择优): the best by score under an explicit rule, a top N or a minimum
    score (or both); a shortlist without a rule is refused."""
    if top is None and minimum is None:
        raise InvalidInput(
            "shortlist.rule_missing",
            "A shortlist selects the best by score: give top (the best N) or minimum_score, "
            "or both (R7.2).",
            "入选名单须择优确定：请给出入选名额（top）或最低分数线（minimum_score），或两者（R7.2）。",
            {"fields": ["top", "minimum_score"], "rule": "R7.2"},
        )
    return {
        r.application_id
        for r in ranking
        if (top is None or r.rank <= top) and (minimum is None or r.score >= minimum)
    }


@dataclass(frozen=True)
class PolicyVersion:
    code: str
    effective_from: date
    effective_to: date | None

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None
                                               or day <= self.effective_to)


def version_in_force(versions: list[PolicyVersion], day: date) -> PolicyVersion:
    """R18.1: the version in force on ``day``; refused when there is none."""
    for version in versions:
        if version.in_force_on(day):
            return version
    raise Conflict(
        "policy.none_in_force",
        f"No version of the measures is in force on {day.isoformat()}; an administrator must "
        "register the successor before decisions can be taken (R18.1).",
        f"{day.isoformat()} 无有效的管理办法版本，须由管理员登记后续版本后方可作出决定（R18.1）。",
        {"date": day.isoformat(), "rule": "R18.1"},
    )


def check_terms(terms: dict[str, Any]) -> None:
    """R18.1: a version's subsidy range runs from its minimum up to its maximum."""
    if terms["subsidy_min_fen"] > terms["subsidy_max_fen"]:
        raise InvalidInput(
            "policy.subsidy_range",
            "The subsidy minimum is above its maximum.",
            "补助下限高于上限。",
            {"fields": ["terms.subsidy_min", "terms.subsidy_max"], "rule": "R18.1"},
        )


def check_new_version(existing: list[PolicyVersion], new: PolicyVersion) -> PolicyVersion | None:
    """A successor starts after every existing version has started and overlaps none that has
    an end. An open-ended predecessor is closed the day before the successor starts: that
    closed predecessor is returned for the use case to save."""
    if new.effective_to is not None and new.effective_to < new.effective_from:
        raise InvalidInput(
            "policy.dates",
            "effective_to is before effective_from.",
            "失效日期早于生效日期。",
            {"field": "effective_to"},
        )
    closed = None
    for version in existing:
        if version.code == new.code:
            raise Conflict("policy.duplicate", f"Version {new.code} is already registered.",
                           f"版本 {new.code} 已登记。", {"code": new.code})
        if new.effective_from <= version.effective_from or (
            version.effective_to is not None and new.effective_from <= version.effective_to
        ):
            raise Conflict(
                "policy.overlap",
                f"Version {new.code} must start after version {version.code} has ended.",
                f"版本 {new.code} 须在版本 {version.code} 失效之后生效。",
                {"code": new.code, "overlaps": version.code, "rule": "R18.1"},
            )
        if version.effective_to is None:
            closed = PolicyVersion(version.code, version.effective_from,
                                   new.effective_from - timedelta(days=1))
    return closed


STATION_TRANSITIONS: dict[tuple[str, str], str] = {
    ("active", "rectification_required"): "rectifying",
    ("rectifying", "rectification_passed"): "active",
    ("rectifying", "rectification_failed"): "revoked",
    ("active", "rectification_failed"): "revoked",
}


def station_transition(status: str, cause: str) -> str | None:
    """R17.1: the station's next status for an evaluation outcome; None when it changes
    nothing (a revoked station stays revoked: revocation is final)."""
    return STATION_TRANSITIONS.get((status, cause))


def plaque_number(year: int, sequence: int) -> str:
    """The plaque's number: sequential per year, never reused."""
    return f"威人驿〔{year}〕{sequence:03d}号"


def application_number(year: int, sequence: int, district: str | None = None) -> str:
    """A district's own instance numbers with its code: the city takes its applications over
    under the same number, beside its own."""
    prefix = f"WHRCYZ-{district}" if district else "WHRCYZ"
    return f"{prefix}-{year}-{sequence:04d}"


def notice_number(year: int, sequence: int) -> str:
    return f"威人驿公示〔{year}〕{sequence}号"
