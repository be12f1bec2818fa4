"""Weihai's districts by code, for labels and filters (the API speaks in codes)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CITY = "371000"
DISTRICTS: dict[str, object] = {
    "371002": _l("环翠区"),
    "371003": _l("文登区"),
    "371082": _l("荣成市"),
    "371083": _l("乳山市"),
    "371071": _l("火炬高技术产业开发区"),
    "371072": _l("经济技术开发区"),
    "371073": _l("临港经济技术开发区"),
    "371091": _l("南海新区"),
}


def district_name(code: str | None) -> str:
    if not code:
        return ""
    if code == CITY:
        return str(_l("威海市"))
    return str(DISTRICTS.get(code, code))
