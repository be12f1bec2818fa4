"""A district's own instance and the city's (DESIGN.md §4): the hand-over of a recommended
application, and the district's copy of the registry following the city's.

The district takes applications in and recommends them; its recommendation carries the whole
application (``application_forwarded``, written in the same transaction) and the city's
instance takes it over under the same id and number, with its host unit, its evidence records
(the files stay in the district's store) and its history. From then on the city decides; the
district's instance follows the city's approval (its registry gets the station, its copy of
the application is approved), the city's rejection, and the station's later status changes.

Federation carries the events; the kit has already refused what a source may not send and
skipped what concerns another district (servicekit.tenancy). Every use case here is a command
run by an event handler; ``source`` is the tenant that published the event.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict
from servicekit.tenants import CITY
from services.applications.models import (
    Application,
    ApplicationHistory,
    Attachment,
    HostUnit,
    Station,
    StationHistory,
)
from services.applications.usecases.shared import move

log = logging.getLogger(__name__)


def _host_unit(uow: UnitOfWork, source: str, record: dict[str, Any]) -> HostUnit:
    unit = uow.session.get(HostUnit, record["id"])
    if unit is not None:
        return unit
    clash = uow.session.scalars(
        select(HostUnit).where(HostUnit.credit_code == record["credit_code"])).first()
    if clash is not None:
        # The same unit registered at the city under another id: an operator merges them
        # (the hand-over waits in the dead-letter queue and is replayed afterwards).
        raise Conflict("host_unit.duplicate",
                       f"Unit {record['credit_code']} is registered here as {clash.id}, "
                       f"and in district {source} as {record['id']}.",
                       "同一统一社会信用代码的单位在市级与区市登记为不同记录，需先合并。",
                       {"credit_code": record["credit_code"], "city_id": clash.id,
                        "district_id": record["id"]})
    unit = HostUnit(**record, tenant=source, created_at=datetime.now(UTC))
    uow.session.add(unit)
    return unit


# commands -----------------------------------------------------------------------------------


def take_over(ctx: Context, source: str, payload: dict[str, Any]) -> None:
    """The city's instance: a district's recommended application, now the city's to decide."""
    if not ctx.tenant.is_city:
        return  # a district's instance hears its own hand-over: nothing to do
    uow = ctx.uow
    with uow:
        if uow.session.get(Application, payload["application_id"]) is not None:
            uow.commit()
            return
        unit = _host_unit(uow, source, payload["host_unit"])
        for record in payload["attachments"]:
            if uow.session.get(Attachment, record["id"]) is None:
                uow.session.add(Attachment(**record))
        now = ctx.now()
        app = Application(
            id=payload["application_id"], tenant=source, number=payload["number"],
            host_unit_id=unit.id, station_type=payload["station_type"],
            station_name=payload["station_name"], district=payload["district"],
            route="district", status="at_city", round=payload["round"],
            conditions=payload["conditions"], planned_functions=payload["planned_functions"],
            type_functions=payload["type_functions"],
            cooperating_experts=payload["cooperating_experts"], premises=payload["premises"],
            committed_funding_fen=payload["committed_funding_fen"],
            created_at=payload["history"][0]["at"] if payload["history"] else now,
            submitted_at=payload["submitted_at"], updated_at=now)
        app.host_unit = unit
        uow.session.add(app)
        uow.session.flush()
        for step in payload["history"]:
            uow.session.add(ApplicationHistory(application_id=app.id, **step))
        comments = f"taken over from district {source}"
        uow.session.add(ApplicationHistory(
            application_id=app.id, at=now, actor=uow.actor, role=uow.role, action="take_over",
            from_status="at_city", to_status="at_city", round=app.round, comments=comments))
        uow.audit("application.take_over", "application", app.id, None,
                  {"number": app.number, "district": app.district, "status": app.status,
                   "host_unit_id": unit.id, "from_tenant": source})
        uow.commit()


def follow_approval(ctx: Context, source: str, payload: dict[str, Any]) -> None:
    """A district's instance: the city approved one of its applications (R7.4)."""
    if ctx.tenant.is_city or source != CITY:
        return
    uow = ctx.uow
    with uow:
        if uow.session.get(Station, payload["station_id"]) is not None:
            uow.commit()
            return
        app = uow.session.get(Application, payload["application_id"])
        if app is None:
            # Applied straight to the city (R7.1): its host unit and application are not
            # here, so this copy of the registry cannot hold it; the city's does.
            log.info("station %s: its application is not at this district",
                     payload["station_id"])
            uow.commit()
            return
        now = ctx.now()
        if app.status == "at_city":
            move(uow, app, "city_approved", now, f"approved at the city: {payload['name']}",
                  payload["policy_version"])
        station = Station(
            id=payload["station_id"], tenant=source, plaque_number=payload["plaque_number"],
            name=payload["name"], station_type=payload["station_type"],
            host_unit_id=app.host_unit_id, district=payload["district"], status="active",
            approved_on=payload["approved_on"], policy_version=payload["policy_version"],
            application_id=app.id)
        station.history.append(StationHistory(
            at=now, actor=uow.actor, role=uow.role, from_status=None, to_status="active",
            reason="approved at the city"))
        uow.session.add(station)
        uow.audit("station.follow_city", "station", station.id, None,
                  {"plaque_number": station.plaque_number, "status": "active"})
        uow.commit()


def follow_rejection(ctx: Context, source: str, payload: dict[str, Any]) -> None:
    """A district's instance: the city rejected or declined an application it took over."""
    if ctx.tenant.is_city or source != CITY or payload["decided_by"] != "city":
        return
    uow = ctx.uow
    with uow:
        app = uow.session.get(Application, payload["application_id"])
        if app is not None and app.status == "at_city":
            move(uow, app, "city_rejected", ctx.now(),
                  f"rejected at the city: {payload['comments']}")
        uow.commit()


def follow_status(ctx: Context, source: str, payload: dict[str, Any]) -> None:
    """A district's instance: a station of its registry changed status at the city (R17.1).

    Another district's station is not here: nothing to do. A change that finds the copy in
    neither its from- nor its to-status overtook an earlier one (handlers run concurrently):
    it is refused, and its retry comes after the earlier change."""
    if ctx.tenant.is_city or source != CITY:
        return
    uow = ctx.uow
    with uow:
        station = uow.session.get(Station, payload["station_id"])
        if station is None or station.status == payload["to_status"]:
            uow.commit()
            return
        if station.status != payload["from_status"]:
            raise Conflict("station.out_of_order",
                           f"Station {station.id} is {station.status} here; the city's change "
                           f"from {payload['from_status']} waits for the one before it.",
                           "驿站状态变更先于前一变更到达，稍后重试。",
                           {"station_id": station.id, "status": station.status})
        station.status = payload["to_status"]
        uow.session.add(StationHistory(
            station_id=station.id, at=datetime.now(UTC), actor=uow.actor, role=uow.role,
            from_status=payload["from_status"], to_status=station.status,
            reason=payload["reason"]))
        uow.audit("station.follow_city", "station", station.id,
                  {"status": payload["from_status"]}, {"status": station.status})
        uow.commit()
