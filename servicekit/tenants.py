"""Tenants: the city and the districts of Weihai (policy ARTICLES.md)."""

from __future__ import annotations

from dataclasses import dataclass

CITY = "371000"


@dataclass(frozen=True)
class Tenant:
    code: str
    name_zh: str
    name_en: str

    @property
    def is_city(self) -> bool:
        return self.code == CITY


# 南海新区 has no statistical code; 371091 is the project's own, outside the code ranges in use.
TENANTS: dict[str, Tenant] = {
    t.code: t
    for t in (
        Tenant(CITY, "威海市", "Weihai City"),
        Tenant("371002", "环翠区", "Huancui District"),
        Tenant("371003", "文登区", "Wendeng District"),
        Tenant("371082", "荣成市", "Rongcheng City"),
        Tenant("371083", "乳山市", "Rushan City"),
        Tenant("371071", "火炬高技术产业开发区", "Torch Hi-tech Industrial Development Zone"),
        Tenant("371072", "经济技术开发区", "Economic and Technological Development Zone"),
        Tenant("371073", "临港经济技术开发区", "Lingang Economic & Technological Development Zone"),
        Tenant("371091", "南海新区", "Nanhai New Area"),
    )
}

DISTRICTS: tuple[str, ...] = tuple(code for code in TENANTS if code != CITY)


def get_tenant(code: str) -> Tenant:
    """The tenant for ``code``; ValueError names the known codes otherwise."""
    try:
        return TENANTS[code]
    except KeyError:
        known = ", ".join(TENANTS)
        raise ValueError(f"unknown tenant {code!r}; known tenants: {known}") from None
