"""The station read model (servicekit.stations), fed by the applications service's station
events: only an active station brokers a recommendation; past collaborations keep theirs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contracts.rpc.matching import StationAnswer
from servicekit.context import Context
from servicekit.stations import apply_station_event
from services.matching.models import Station

# Commands ------------------------------------------------------------------------------------


def apply_station(ctx: Context, event_type: str, payload: dict[str, Any]) -> None:
    """station_approved (the first wins), station_status_changed, station_revoked (final); an
    event for a station not yet approved is kept until its approval arrives."""
    with ctx.uow:
        row = ctx.uow.session.get(Station, payload["station_id"])
        before = None if row is None else {"status": row.status, "approved_on": row.approved_on}
        station = apply_station_event(ctx.uow.session, Station, event_type, payload, ctx.now())
        after = {"status": station.status, "approved_on": station.approved_on}
        if after != before:  # a repeated event changes nothing, so it is not audited either
            ctx.uow.audit(f"station.{event_type.removeprefix('station_')}", "station",
                          station.id, before and {"status": before["status"]},
                          {"status": station.status, "name": station.name,
                           "district": station.district})
        ctx.uow.commit()


# Queries -------------------------------------------------------------------------------------

def list_stations(ctx: Context) -> list[dict[str, Any]]:
    """The approved stations (a row that knows only an early revoke is not one yet)."""
    with ctx.uow:
        rows = ctx.uow.session.scalars(
            select(Station).where(Station.approved_on.is_not(None))
            .order_by(Station.plaque_number))
        return StationAnswer(many=True).dump(rows)
