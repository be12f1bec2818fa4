"""Approval (R7.4) and the station registry, whose status follows evaluation (R17.1)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import or_, select

from contracts.rpc import applications as contract
from servicekit.context import Context
from servicekit.errors import NotFound
from servicekit.paging import page, paginate
from services.applications import domain
from services.applications.models import Application, Station, StationHistory
from services.applications.usecases.policies import policy_in_force
from services.applications.usecases.shared import get, move, next_number

_ENTRY = contract.Station(exclude=("history",))
_ENTRIES = contract.Station(many=True, exclude=("history",))
_WITH_HISTORY = contract.Station()


# commands -----------------------------------------------------------------------------------


def approve_application(ctx: Context, application_id: str, comments: str) -> dict:
    """R7.4: the talent office approves; an active station with a new plaque number."""
    ctx.principal.require("talent_office")
    uow = ctx.uow
    with uow:
        app = get(uow, Application, application_id, "application")
        today, now = ctx.today(), ctx.now()
        policy = policy_in_force(uow, today)
        move(uow, app, "approve", now, comments, policy)
        station = Station(
            id=str(uuid.uuid4()), tenant=ctx.tenant.code,
            plaque_number=domain.plaque_number(today.year,
                                               next_number(uow, "plaque", today.year)),
            name=app.station_name, station_type=app.station_type, host_unit_id=app.host_unit_id,
            district=app.host_unit.district, status="active", approved_on=today,
            policy_version=policy, application_id=app.id)
        station.host_unit = app.host_unit
        station.history.append(StationHistory(at=now, actor=uow.actor, role=uow.role,
                                              from_status=None, to_status="active",
                                              reason=comments))
        uow.session.add(station)
        answer = _ENTRY.dump(station)
        uow.audit("station.approve", "station", station.id, None, answer)
        uow.add_event("station_approved", {
            "station_id": station.id, "application_id": app.id,
            "plaque_number": station.plaque_number, "name": station.name,
            "station_type": station.station_type, "host_unit_id": station.host_unit_id,
            "host_unit_name": app.host_unit.name, "district": station.district,
            "approved_on": today.isoformat(), "policy_version": policy,
        }, aggregate_id=station.id)
        uow.commit()
        return answer


def follow_evaluation(ctx: Context, station_id: str, cause: str, reason: str) -> None:
    """Apply an evaluation outcome to the station; a revoked station never comes back."""
    if not ctx.tenant.is_city:
        return  # a district's copy of the registry follows the city's (handover.py)
    uow = ctx.uow
    today = ctx.today()
    with uow:
        station = uow.session.get(Station, station_id)
        if station is None:
            raise NotFound("station.not_found", f"No station {station_id}.",
                           f"未找到驿站 {station_id}。", {"id": station_id})
        new_status = domain.station_transition(station.status, cause)
        if new_status is not None:
            before = station.status
            station.status = new_status
            uow.session.add(StationHistory(
                station_id=station.id, at=datetime.now(UTC), actor=uow.actor, role=uow.role,
                from_status=before, to_status=new_status, reason=reason))
            uow.audit(f"station.{cause}", "station", station.id, {"status": before},
                      {"status": new_status, "reason": reason})
            uow.add_event("station_status_changed", {
                "station_id": station.id, "from_status": before, "to_status": new_status,
                "reason": reason, "changed_on": today.isoformat()}, aggregate_id=station.id)
            if new_status == "revoked":
                uow.add_event("station_revoked", {
                    "station_id": station.id, "plaque_number": station.plaque_number,
                    "district": station.district, "reason": reason,
                    "revoked_on": today.isoformat()}, aggregate_id=station.id)
        uow.commit()


def record_commendation(ctx: Context, payload: dict) -> None:
    """R17.2: a 表扬 the city recorded enters the station's history in the registry, with its
    document number, date and reason; the status stays what it is."""
    if not ctx.tenant.is_city:
        return  # a district's copy of the registry follows the city's (handover.py)
    uow = ctx.uow
    with uow:
        station = uow.session.get(Station, payload["station_id"])
        if station is None:
            raise NotFound("station.not_found", f"No station {payload['station_id']}.",
                           f"未找到驿站 {payload['station_id']}。", {"id": payload["station_id"]})
        reason = (f"表扬 commended: {payload['document']} ({payload['commended_on']}): "
                  f"{payload['reason']}")
        uow.session.add(StationHistory(
            station_id=station.id, at=datetime.now(UTC), actor=uow.actor, role=uow.role,
            from_status=station.status, to_status=station.status, reason=reason))
        uow.audit("station.commended", "station", station.id, None,
                  {"status": station.status, "reason": reason,
                   "commendation_id": payload["commendation_id"]})
        uow.commit()


# queries ------------------------------------------------------------------------------------


def list_stations(ctx: Context, query: dict) -> dict:
    """The registry, searchable by name or plaque. Recognised stations are announced in public
    (Art 7(4)), so anyone may read this list; a district's list starts at its own district."""
    principal = ctx.principal
    with ctx.uow:
        stmt = select(Station).order_by(Station.approved_on, Station.plaque_number)
        district = query["district"] or (
            principal.district if principal.role == "district_hr" else None)
        if district:
            stmt = stmt.where(Station.district == district)
        for key in ("host_unit_id", "station_type", "status"):
            if query[key]:
                stmt = stmt.where(getattr(Station, key) == query[key])
        if query["q"]:
            # autoescape: % and _ in the words are searched for, not wildcards.
            stmt = stmt.where(or_(Station.name.contains(query["q"], autoescape=True),
                                  Station.plaque_number.contains(query["q"], autoescape=True)))
        items, total = paginate(ctx.uow.session, stmt, query["limit"], query["offset"])
        return page(_ENTRIES.dump(items), total, query["limit"], query["offset"])


def get_station(ctx: Context, station_id: str) -> dict:
    principal = ctx.principal
    with ctx.uow:
        station = get(ctx.uow, Station, station_id, "station")
        # Its public entry for anyone; who changed it and why for its supervisors (R13.1).
        owner = principal.role == "host_unit" and principal.organisation == station.host_unit_id
        own_district = principal.role == "district_hr" and principal.district == station.district
        sees_history = owner or own_district or principal.reads_everything
        return (_WITH_HISTORY if sees_history else _ENTRY).dump(station)
