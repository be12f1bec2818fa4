"""What more than one aggregate's use cases need: ids, loading with NotFound, who may read or
write a station's records, and the year's report due dates."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select

from servicekit.auth import Principal
from servicekit.db import UnitOfWork
from servicekit.errors import Forbidden, NotFound
from services.evaluation import domain
from services.evaluation.models import Cycle, ReportDeadline, Station


def new_id() -> str:
    return str(uuid.uuid4())


def iso(day: date | None) -> str | None:
    """A date as the audit log and the events keep it."""
    return day.isoformat() if day else None


def not_found(what: str, what_zh: str, key: str, value: str) -> NotFound:
    return NotFound(f"{what}.not_found", f"No {what.replace('_', ' ')} {value}.",
                    f"{what_zh}（{value}）不存在。", {key: value})


def load_station(uow: UnitOfWork, station_id: str) -> Station:
    """An approved station; a row that knows only an early revoke is not one yet."""
    station = uow.session.get(Station, station_id)
    if station is None or station.approved_on is None:
        raise not_found("station", "驿站", "station_id", station_id)
    return station


def load_cycle(uow: UnitOfWork, cycle_id: str) -> Cycle:
    cycle = uow.session.get(Cycle, cycle_id)
    if cycle is None:
        raise not_found("cycle", "评估周期", "cycle_id", cycle_id)
    return cycle


def ref(station: Station) -> domain.StationRef:
    return domain.StationRef(station.id, station.host_unit_id, station.district, station.status,
                             station.approved_on)


def readable_station(uow: UnitOfWork, principal: Principal, station_id: str) -> Station:
    station = load_station(uow, station_id)
    domain.require_reader(principal, ref(station))
    return station


def writable_station(uow: UnitOfWork, principal: Principal, station_id: str) -> Station:
    """The host unit's own station, still holding its title."""
    station = load_station(uow, station_id)
    domain.require_host_unit(principal, ref(station))
    domain.require_takes_records(ref(station))
    return station


def visible_stations(principal: Principal) -> ColumnElement[bool] | None:
    """A filter on Station for list queries (R13.1); None when the principal sees them all."""
    if principal.reads_everything:
        return None
    if principal.role == "district_hr":
        return Station.district == principal.district
    if principal.role == "host_unit":
        return Station.host_unit_id == principal.organisation
    raise Forbidden(
        "forbidden.role",
        f"Role {principal.role} may not list evaluation records.",
        "当前角色无权查看评估记录。",
        {"role": principal.role},
    )


def due_dates(uow: UnitOfWork) -> domain.DueDates:
    """Due dates by year: what the city set, else the defaults."""
    configured: dict[int, dict[str, Any]] = {
        row.year: {"plan": row.plan_due_on, "summary": row.summary_due_on}
        for row in uow.session.scalars(select(ReportDeadline))
    }
    return lambda year: configured.get(year) or domain.default_due_dates(year)
