"""Rules of the talent and demand databases and the matching platform (Arts 8, 10, 11).

Pure: no I/O. The use cases load what these rules need and save what they decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from contracts.events import COOPERATION_MODES, DEMAND_KINDS
from servicekit.auth import Principal
from servicekit.errors import Conflict, Forbidden, InvalidInput
from servicekit.tenants import CITY, DISTRICTS, TENANTS

# GB/T 4754-2017 《国民经济行业分类》: the twenty sections (门类) A–T.
INDUSTRY_SECTIONS: dict[str, tuple[str, str]] = {
    "A": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "B": ("采矿业", "Mining"),
    "C": ("制造业", "Manufacturing"),
    "D": ("电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water supply"),
    "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale and retail trade"),
    "G": ("交通运输、仓储和邮政业", "Transport, storage and postal services"),
    "H": ("住宿和餐饮业", "Accommodation and catering"),
    "I": ("信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    "J": ("金融业", "Finance"),
    "K": ("房地产业", "Real estate"),
    "L": ("租赁和商务服务业", "Leasing and business services"),
    "M": ("科学研究和技术服务业", "Scientific research and technical services"),
    "N": ("水利、环境和公共设施管理业", "Water, environment and public facilities management"),
    "O": ("居民服务、修理和其他服务业", "Resident, repair and other services"),
    "P": ("教育", "Education"),
    "Q": ("卫生和社会工作", "Health and social work"),
    "R": ("文化、体育和娱乐业", "Culture, sports and entertainment"),
    "S": ("公共管理、社会保障和社会组织", "Public administration, social security, organisations"),
    "T": ("国际组织", "International organisations"),
}


@dataclass(frozen=True)
class Cluster:
    name_zh: str
    name_en: str
    sections: frozenset[str]  # the GB/T sections its enterprises mostly fall in


# Weihai's key industrial clusters. The project's own list (not an official code list), after
# the clusters the city's plans single out; each is related to the GB/T sections it spans, so
# a demand filed under a cluster still meets experts filed under a section, and vice versa.
CLUSTERS: dict[str, Cluster] = {
    "WH-IT": Cluster("新一代信息技术", "New-generation information technology",
                     frozenset({"I", "C"})),
    "WH-MED": Cluster("医疗器械与生物医药", "Medical devices and biomedicine",
                      frozenset({"C", "M", "Q"})),
    "WH-MAT": Cluster("碳纤维等新材料", "Carbon fibre and other new materials",
                      frozenset({"C", "M"})),
    "WH-SEA": Cluster("海洋生物与健康食品", "Marine biology and health food",
                      frozenset({"A", "C", "M"})),
    "WH-EQP": Cluster("高端装备制造", "High-end equipment manufacturing", frozenset({"C"})),
    "WH-FASH": Cluster("时尚服装", "Fashion and apparel", frozenset({"C", "F"})),
}

INDUSTRIES: dict[str, tuple[str, str]] = {
    **INDUSTRY_SECTIONS,
    **{code: (c.name_zh, c.name_en) for code, c in CLUSTERS.items()},
}


def related_industries(code: str) -> frozenset[str]:
    """Industries close to ``code``: a cluster's sections, or the clusters spanning a section."""
    if code in CLUSTERS:
        return CLUSTERS[code].sections
    return frozenset(k for k, c in CLUSTERS.items() if code in c.sections)


# Talent levels of the talent map, after the A–E tiers Shandong's cities use in their
# high-level talent catalogues (the project's own labels).
TALENT_LEVELS: dict[str, tuple[str, str]] = {
    "A": ("顶尖人才", "Top talent"),
    "B": ("领军人才", "Leading talent"),
    "C": ("拔尖人才", "Outstanding talent"),
    "D": ("骨干人才", "Key talent"),
    "E": ("青年人才", "Young talent"),
}
AVAILABILITY: dict[str, str] = {"available": "可合作", "limited": "时间有限",
                                "unavailable": "暂不可合作"}
# R8.1 and R8.2: the kinds and modes themselves come from the event contracts.
KIND_NAMES: dict[str, str] = dict(zip(DEMAND_KINDS, ("人才", "技术", "项目", "资金"), strict=True))
MODE_NAMES: dict[str, str] = dict(
    zip(COOPERATION_MODES, ("兼职", "挂职", "项目合作", "联合研发", "技术入股"), strict=True)
)

# A demand's life: posted → triaged (accept into matching, send back, reject) → matching →
# matched (a recommendation accepted) or closed; past its deadline an open demand expires.
DEMAND_STATUS_NAMES: dict[str, str] = {
    "posted": "待审核",
    "returned": "退回修改",
    "rejected": "不予受理",
    "matching": "对接中",
    "matched": "已对接",
    "closed": "已关闭",
    "expired": "已过期",
}
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

# What may be written where. Longer text is refused, not cut.
NAME_MAX = 50
SHORT_MAX = 100
TEXT_MAX = 2000
DESCRIPTION_MAX = 4000
LIST_MAX = 20
CAPACITY_MAX = 20
RECOMMEND_MAX = 50


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

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s()（）]", "", value)


def phone_problem(value: str) -> str | None:
    """Why ``value`` is not a mainland mobile (11 digits from 13…19) or landline number."""
    phone = normalise_phone(value)
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return None
    return "not a mainland mobile (1[3-9] and 9 digits) or landline (0area-number) number"


def id_number_problem(value: str) -> str | None:
    """Why ``value`` is not a valid 18-character resident identity number (GB 11643-1999)."""
    number = value.strip().upper()
    if not _ID_NUMBER.match(number):
        return "not 17 digits followed by a digit or X"
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        return "check digit does not match (GB 11643-1999)"
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "birth date inside the number is not a real date"
    return None


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "*" * max(len(phone) - 7, 1) + phone[-4:]


def mask_id_number(number: str | None) -> str | None:
    if not number:
        return number
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, _, domain_part = email.partition("@")
    return f"{local[:1]}***@{domain_part}"


def sees_personal_data(principal: Principal, expert_id: str) -> bool:
    """Phone, ID number and email: city staff and the expert themself only."""
    return principal.is_city_staff or (
        principal.role == "expert" and principal.expert == expert_id
    )


# Who may do what (R13.1 for district staff) -------------------------------------------------

STAFF = ("city_hr", "district_hr")
READERS = ("city_hr", "talent_office", "org_department", "district_hr", "auditor")


def check_district_code(district: str, field: str = "district") -> None:
    if district not in DISTRICTS and district != CITY:
        raise InvalidInput(
            "district.unknown",
            f"{district!r} is not a Weihai district code.",
            f"“{district}”不是威海的区市代码。",
            {"field": field, "allowed": list(TENANTS)},
        )


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
