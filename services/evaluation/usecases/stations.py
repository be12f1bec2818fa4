"""The station read model (servicekit.stations, fed by the applications service's events)
with what evaluation adds: the day its status last changed, and a revocation closing what
was still open for the station. And the station as evaluation sees it."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import func, select

from contracts.rpc import evaluation as contract
from servicekit.context import Context
from servicekit.stations import apply_station_event
from services.evaluation.models import (
    Activity,
    Collaboration,
    Cycle,
    CycleStation,
    Demonstration,
    ExpertService,
    Rectification,
    Station,
)
from services.evaluation.usecases.commendations import commendations_of
from services.evaluation.usecases.reports import overdue_reports
from services.evaluation.usecases.shared import iso, readable_station

_PROFILE = contract.StationProfile()
# The day each station event speaks of.
_EVENT_DAY = {"station_approved": "approved_on", "station_status_changed": "changed_on",
              "station_revoked": "revoked_on"}


def _state(station: Station) -> dict[str, Any]:
    """What the audit log keeps of a station's change."""
    return {"status": station.status, "status_since": iso(station.status_since),
            "revoked_on": iso(station.revoked_on), "name": station.name,
            "district": station.district}


# Commands ------------------------------------------------------------------------------------


def apply_station(ctx: Context, event_type: str, payload: dict[str, Any]) -> None:
    """station_approved (the first wins), station_status_changed, station_revoked (final); an
    event for a station not yet approved is kept until its approval arrives."""
    uow = ctx.uow
    with uow:
        row = uow.session.get(Station, payload["station_id"])
        before = None if row is None else _state(row)
        approved_before = row is not None and row.approved_on is not None
        station = apply_station_event(uow.session, Station, event_type, payload, ctx.now())
        day: date = payload[_EVENT_DAY[event_type]]
        if before is None or station.status != before["status"]:
            station.status_since = day
        if event_type == "station_approved":
            if not approved_before:
                uow.audit("station.registered", "station", station.id, before, _state(station))
        elif before is None or station.status != before["status"]:
            action = "station.revoked" if event_type == "station_revoked" else (
                "station.status_changed")
            uow.audit(action, "station", station.id, before,
                      {**_state(station), "reason": payload["reason"]})
            if station.status == "revoked":
                _close_open_work(ctx, station.id, payload["reason"])
        uow.commit()  # a repeat claims the event too: seen, with no second effect


def _close_open_work(ctx: Context, station_id: str, reason: str) -> None:
    """A revoked station's open rectifications close and its proposals are declined."""
    uow = ctx.uow
    for rectification in uow.session.scalars(select(Rectification).where(
            Rectification.station_id == station_id,
            Rectification.status.in_(("open", "evidence_submitted")))):
        rectification.status = "closed"
        rectification.failure_reason = f"station revoked: {reason}"
        uow.audit("rectification.closed", "rectification", rectification.id, None,
                  {"status": "closed", "reason": rectification.failure_reason})
    for selection in uow.session.scalars(select(Demonstration).where(
            Demonstration.station_id == station_id, Demonstration.status == "proposed")):
        selection.status = "declined"
        selection.declined_by = "system"
        selection.decline_reason = f"station revoked: {reason}"
        uow.audit("demonstration.declined", "demonstration", selection.id, None,
                  {"status": "declined", "reason": selection.decline_reason})


# Queries -------------------------------------------------------------------------------------


def get_station_profile(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The station as evaluation sees it: status, records, overdue reports, open
    rectification, its own results and findings (never another station's) and its
    commendations (R17.2)."""
    uow = ctx.uow
    with uow:
        station = readable_station(uow, ctx.principal, data["station_id"])
        activities, talents = uow.session.execute(
            select(func.count(Activity.id), func.coalesce(func.sum(Activity.talents_served), 0))
            .where(Activity.station_id == station.id)).one()
        services = Counter(uow.session.scalars(
            select(ExpertService.status).where(ExpertService.station_id == station.id)))
        collaborations = uow.session.scalar(
            select(func.count(Collaboration.id)).where(Collaboration.station_id == station.id))
        results = uow.session.execute(
            select(CycleStation, Cycle).join(Cycle, Cycle.id == CycleStation.cycle_id)
            .where(CycleStation.station_id == station.id, Cycle.status == "finalized")
            .order_by(Cycle.reference_date.desc())).all()
        rectifications = {r.cycle_id: r for r in uow.session.scalars(
            select(Rectification).where(Rectification.station_id == station.id))}
        return _PROFILE.dump({
            "station": station,
            "records": {"activities": activities, "talents_served": int(talents),
                        "expert_services": dict(services), "collaborations": collaborations},
            "overdue_reports": overdue_reports(uow, station, ctx.today()),
            "results": [{"cycle": cycle, "result": member,
                         "rectification": rectifications.get(cycle.id)}
                        for member, cycle in results],
            "commendations": commendations_of(uow, station.id),
        })
