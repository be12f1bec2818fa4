"""How a record's values are written in an official document: dates the Chinese way in
Asia/Shanghai, yuan with two decimals (and in capitals on a statement), Chinese names of
districts, station types and grades."""

from __future__ import annotations

from datetime import date, datetime

from servicekit.clock import SHANGHAI
from servicekit.money import fen_to_yuan, yuan_to_fen
from servicekit.tenants import TENANTS

STATION_TYPES_ZH = {"innovation": "创新型", "entrepreneurship": "创业型",
                    "service": "服务型", "comprehensive": "综合型"}
GRANT_KINDS_ZH = {"construction": "示范驿站建设补贴", "provincial_reward": "省级示范驿站奖励",
                  "district": "区市驿站扶持资金"}
GRANT_STATUSES_ZH = {"proposed": "待批准", "approved": "已批准", "declined": "未批准",
                     "closed": "已终止"}
EXPENDITURE_STATUSES_ZH = {"reported": "已报送", "queried": "待说明", "accepted": "已认可",
                           "disallowed": "不予认可"}
RECTIFICATION_STATUSES_ZH = {"open": "整改中", "evidence_submitted": "已提交整改材料",
                             "passed": "整改合格", "failed": "整改不合格", "closed": "已关闭"}


def chinese_date(value: str | date | datetime) -> str:
    """2026年12月2日: a date as written; an instant (ISO text or datetime) on its day in
    Asia/Shanghai."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(SHANGHAI).date() if value.tzinfo else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def today_in_shanghai() -> date:
    return datetime.now(SHANGHAI).date()


def yuan(amount: str | None) -> str:
    """"150000.00元" from the yuan string an answer carries (parsed to fen, so that what is
    printed is the amount exactly); an empty amount is a dash."""
    if amount is None:
        return "—"
    return f"{fen_to_yuan(yuan_to_fen(amount))}元"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ("", "拾", "佰", "仟")
_LARGE = ("", "万", "亿", "万亿")


def yuan_in_capitals(amount: str) -> str:
    """人民币壹拾伍万元整: the amount in the capital numerals of financial documents."""
    fen = yuan_to_fen(amount)
    whole, cents = divmod(fen, 100)
    words = ""
    if whole:
        groups = []
        while whole:
            whole, group = divmod(whole, 10000)
            groups.append(group)
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                words += "零" if words and not words.endswith("零") else ""
                continue
            if words and group < 1000 and not words.endswith("零"):
                words += "零"
            words += _group(group) + _LARGE[index]
        words = words.rstrip("零") + "元"
    jiao, fen_ = divmod(cents, 10)
    if not jiao and not fen_:
        return f"人民币{words or '零元'}整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if fen_:
        words += _DIGITS[fen_] + "分"
    return f"人民币{words}"


def _group(number: int) -> str:
    """A number under 10,000 in capitals (1,005: 壹仟零伍)."""
    text, zero = "", False
    for position in range(3, -1, -1):
        digit = number // 10 ** position % 10
        if digit:
            text += ("零" if zero and text else "") + _DIGITS[digit] + _SMALL[position]
            zero = False
        else:
            zero = True
    return text


def district_name(code: str) -> str:
    tenant = TENANTS.get(code)
    return tenant.name_zh if tenant else code


def organ_of(district: str) -> str:
    """The human resources and social security department of a tenant, as it signs."""
    if district not in TENANTS or TENANTS[district].is_city:
        return "威海市人力资源和社会保障局"
    return f"{district_name(district)}人力资源和社会保障局"
