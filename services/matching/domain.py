"""Rules of the talent and demand databases and the matching platform (Arts 8, 10, 11).

Pure: no I/O. The use cases load what these rules need and save what they decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from contracts.events import COOPERATION_MODES
from contracts.rpc.matching import DEMAND_STATUS_NAMES, MODE_NAMES
from servicekit.auth import Principal
from servicekit.errors import Conflict, Forbidden, InvalidInput

# Weihai's key industrial clusters (names in contracts.rpc.matching), each related to the GB/T
# sections its enterprises mostly fall in: a demand filed under a cluster still meets experts
# filed under a section, and vice versa.
CLUSTER_SECTIONS: dict[str, frozenset[str]] = {
    "WH-IT": frozenset({"I", "C"}),
    "WH-MED": frozenset({"C", "M", "Q"}),
    "WH-MAT": frozenset({"C", "M"}),
    "WH-SEA": frozenset({"A", "C", "M"}),
    "WH-EQP": frozenset({"C"}),
    "WH-FASH": frozenset({"C", "F"}),
}


def related_industries(code: str) -> frozenset[str]:
    """Industries close to ``code``: a cluster's sections, or the clusters spanning a section."""
    if code in CLUSTER_SECTIONS:
        return CLUSTER_SECTIONS[code]
    return frozenset(k for k, sections in CLUSTER_SECTIONS.items() if code in sections)


OPEN_STATUSES = frozenset({"posted", "returned", "matching"})
DEMAND_TRANSITIONS: dict[tuple[str, str], str] = {
    ("posted", "accept"): "matching",
    ("posted", "return"): "returned",
    ("posted", "reject"): "rejected",
    ("returned", "revise"): "posted",
    ("matching", "match"): "matched",
    ("matched", "match"): "matched",
    ("posted", "close"): "closed",
    ("returned", "close"): "closed",
    ("matching", "close"): "closed",
    ("matched", "close"): "closed",
    ("posted", "expire"): "expired",
    ("returned", "expire"): "expired",
    ("matching", "expire"): "expired",
}
ACTION_NAMES_ZH = {
    "accept": "受理", "return": "退回", "reject": "不予受理", "revise": "修改后重新提交",
    "match": "对接", "close": "关闭", "expire": "过期", "recommend": "推荐",
    "publish": "发布推荐",
}


def transition(status: str, action: str, demand_id: str) -> str:
    """The demand's next status, or Conflict naming the state it is in."""
    try:
        return DEMAND_TRANSITIONS[(status, action)]
    except KeyError:
        raise Conflict(
            "demand.illegal_transition",
            f"A demand that is {status} cannot be {action}ed.",
            f"需求当前状态为“{DEMAND_STATUS_NAMES.get(status, status)}”，"
            f"不能{ACTION_NAMES_ZH.get(action, action)}。",
            {"demand_id": demand_id, "status": status, "action": action},
        ) from None


def is_past_deadline(deadline: date, today: date) -> bool:
    """A demand is open through its deadline day and expires the day after."""
    return today > deadline


def check_not_expired(status: str, deadline: date, today: date, demand_id: str) -> None:
    """An open demand whose deadline has passed takes no more actions (it expires)."""
    if status in OPEN_STATUSES and is_past_deadline(deadline, today):
        raise Conflict(
            "demand.expired",
            f"The demand's deadline {deadline.isoformat()} has passed; it has expired.",
            f"需求截止日期 {deadline.isoformat()} 已过，需求已过期。",
            {"demand_id": demand_id, "deadline": deadline.isoformat(),
             "today": today.isoformat()},
        )


def check_deadline(deadline: date, today: date, field: str = "deadline") -> None:
    if deadline < today:
        raise InvalidInput(
            "demand.deadline_past",
            f"The deadline {deadline.isoformat()} is before today ({today.isoformat()}).",
            f"截止日期 {deadline.isoformat()} 早于今天（{today.isoformat()}）。",
            {"field": field, "rule": "deadline >= today", "value": deadline.isoformat()},
        )


def check_budget(kind: str, budget_fen: int | None) -> None:
    """A funding demand says how much it seeks; the other kinds may leave the budget out."""
    if kind == "funding" and not budget_fen:
        raise InvalidInput(
            "demand.budget_required",
            "A funding demand needs a budget greater than zero.",
            "资金需求须填写大于零的金额。",
            {"field": "budget", "rule": "required for kind funding"},
        )


# Personal data -----------------------------------------------------------------------------

def sees_personal_data(principal: Principal, expert_id: str) -> bool:
    """Phone, ID number and email: city staff and the expert themself only."""
    return principal.is_city_staff or (
        principal.role == "expert" and principal.expert == expert_id
    )


# Who may do what (R13.1 for district staff) -------------------------------------------------

STAFF = ("city_hr", "district_hr")
READERS = ("city_hr", "talent_office", "org_department", "district_hr", "auditor")


def check_can_manage_expert(principal: Principal, expert_id: str, district: str) -> None:
    """City staff, district staff of the expert's district (R13.1), or the expert themself."""
    if principal.role == "expert":
        if principal.expert != expert_id:
            raise Forbidden(
                "expert.not_yours",
                "An expert may edit only their own profile.",
                "专家只能修改本人的信息。",
                {"expert_id": expert_id},
            )
        return
    principal.require("city_hr", "district_hr", "expert")
    principal.require_district(district)


def check_can_read_demand(principal: Principal, enterprise_id: str, district: str) -> None:
    """The enterprise sees its own demands; district staff their district's (R13.1)."""
    if principal.role == "enterprise":
        check_own_enterprise(principal, enterprise_id)
        return
    principal.require(*READERS, "system")
    principal.require_district(district)


def check_own_enterprise(principal: Principal, enterprise_id: str) -> None:
    if principal.role != "enterprise" or principal.organisation != enterprise_id:
        raise Forbidden(
            "demand.not_yours",
            "This demand belongs to another enterprise.",
            "该需求属于其他用人单位。",
            {"enterprise_id_of_caller": principal.organisation},
        )


def check_enterprise_identity(principal: Principal) -> str:
    """The enterprise id a demand is posted for: the caller's own organisation."""
    principal.require("enterprise")
    if not principal.organisation:
        raise Forbidden(
            "enterprise.no_organisation",
            "The signed-in enterprise has no organisation id.",
            "当前登录的用人单位缺少单位标识。",
            {},
        )
    return principal.organisation


# Matching and feedback -------------------------------------------------------------------------

def choose_mode(
    requested: str | None,
    expert_modes: Iterable[str],
    demand_modes: Iterable[str],
    recommendation_id: str,
) -> str:
    """The cooperation mode of a collaboration (R8.2): one the expert accepts and, when the
    demand named its preferred modes, one of those. Without a request, the first such mode
    in the order of Art 8(5)."""
    expert, wanted = set(expert_modes), set(demand_modes)
    possible = [m for m in COOPERATION_MODES if m in expert and (not wanted or m in wanted)]
    if requested is not None and requested in possible:
        return requested
    if requested is None and possible:
        return possible[0]
    raise InvalidInput(
        "collaboration.mode_not_possible",
        f"Mode {requested!r} is not one both the expert and the demand accept: "
        f"{', '.join(possible) or 'none in common'}.",
        f"合作方式“{MODE_NAMES.get(requested or '', requested)}”不在专家与需求共同接受的方式中："
        f"{'、'.join(MODE_NAMES[m] for m in possible) or '无共同方式'}。",
        {"field": "mode", "allowed": possible, "recommendation_id": recommendation_id},
    )


def check_can_respond(status: str, recommendation_id: str) -> None:
    """A published recommendation is answered once: accept or decline, not both, not twice."""
    if status == "published":
        return
    if status in ("accepted", "declined"):
        raise Conflict(
            "recommendation.already_answered",
            f"This recommendation was already {status}.",
            f"该推荐已{'接受' if status == 'accepted' else '谢绝'}，不能重复答复。",
            {"recommendation_id": recommendation_id, "status": status},
        )
    raise Conflict(
        "recommendation.not_published",
        "This recommendation has not been published to the enterprise.",
        "该推荐尚未发布给用人单位。",
        {"recommendation_id": recommendation_id, "status": status},
    )


def explanation_text(matched_terms: list[dict], factors: dict[str, float]) -> tuple[str, str]:
    """A one-line reason a person reads, in English and Chinese."""
    terms = "、".join(str(t["term"]) for t in matched_terms[:5])
    names_zh = {"industry": "行业", "mode": "合作方式", "district": "区市",
                "availability": "可合作时间", "load": "当前负荷"}
    strong = [name for name, value in factors.items() if value >= 0.99]
    en = (f"Shares the terms {', '.join(str(t['term']) for t in matched_terms[:5])}; "
          if matched_terms else "No terms in common; ")
    en += f"full fit on {', '.join(strong) or 'no factor'}."
    zh = f"共同关键词：{terms}；" if matched_terms else "无共同关键词；"
    zh += f"完全匹配：{'、'.join(names_zh[s] for s in strong) or '无'}。"
    return en, zh
