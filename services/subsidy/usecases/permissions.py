"""Who may act on which money (R13.1; the gateway checks the roles too):

- a fund's manager moves its money: city_hr the city talent work special fund (371000),
  a district's district_hr its own district's fund (Art 14);
- the station's host unit (role host_unit, organisation = the host unit id) reports and
  explains the spending of its own grants;
- city staff and the auditor read everything, a district its own district's funds and the
  grants of its own stations, a host unit its own grants.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from servicekit.auth import Principal
from servicekit.context import Context
from servicekit.errors import Forbidden
from servicekit.tenants import CITY
from services.subsidy.models import Grant, Station

READERS = ("city_hr", "talent_office", "org_department", "auditor", "district_hr", "host_unit")
FUND_READERS = ("city_hr", "talent_office", "org_department", "auditor", "district_hr")
LEDGER_READERS = ("city_hr", "talent_office", "org_department", "auditor", "system")


def require_manager(principal: Principal, owner: str) -> None:
    """The fund's manager: city_hr for the city's fund, the district's own HR department."""
    if owner == CITY:
        principal.require("city_hr")
    else:
        principal.require("district_hr")
        principal.require_district(owner)


def require_here(ctx: Context, owner: str) -> None:
    """A district's own instance holds only that district's funds (DESIGN.md §4)."""
    tenant = ctx.tenant.code
    if not ctx.tenant.is_city and owner != tenant:
        raise Forbidden(
            "forbidden.tenant",
            f"This is the instance of district {tenant}; the money of {owner} is not here.",
            f"此为区市（{tenant}）的实例，不管理（{owner}）的资金。",
            {"tenant": tenant, "owner": owner},
        )


def _not_yours() -> Forbidden:
    return Forbidden(
        "forbidden.not_own_grant",
        "Only the station's own host unit may act on its grant.",
        "仅驿站的依托单位可处理其资助。",
        {"rule": "R13.1"},
    )


def require_grant_reader(principal: Principal, grant: Grant, station: Station | None) -> None:
    if principal.reads_everything:
        return
    if principal.role == "district_hr":
        principal.require_district(grant.district)
        return
    if principal.role == "host_unit":
        if station is None or station.host_unit_id != principal.organisation:
            raise _not_yours()
        return
    principal.require(*READERS)


def require_host_unit(principal: Principal, station: Station | None) -> Station:
    principal.require("host_unit")
    if station is None or station.host_unit_id != principal.organisation:
        raise _not_yours()
    return station


def require_own_filter(principal: Principal, district: str | None) -> None:
    """A list filter naming another district is refused, not answered with an empty page."""
    if district is not None and principal.role == "district_hr":
        principal.require_district(district)


def require_fund_reader(principal: Principal, district: str) -> None:
    """Funds are read by the city, the auditor and their own district (not host units)."""
    if principal.reads_everything:
        return
    principal.require(*FUND_READERS)
    principal.require_district(district)


def scope_grants(principal: Principal, query: Select) -> Select:
    """The grants a principal may see."""
    if principal.reads_everything:
        return query
    if principal.role == "district_hr":
        return query.where(Grant.district == principal.district)
    if principal.role == "host_unit":
        own = select(Station.id).where(Station.host_unit_id == principal.organisation)
        return query.where(Grant.station_id.in_(own))
    principal.require(*READERS)
    return query
