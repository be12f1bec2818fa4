"""The station read model (servicekit.stations), fed by the applications service's station
events; a revocation also closes the station's grants (repayments.close_grants_of)."""

from __future__ import annotations

from typing import Any

from servicekit.context import Context
from servicekit.stations import apply_station_event
from services.subsidy.models import Station
from services.subsidy.usecases.repayments import close_grants_of

# Commands ------------------------------------------------------------------------------------


def record_station(ctx: Context, payload: dict[str, Any]) -> None:
    """applications.station_approved: the station, its district and its host unit (the first
    approval wins; a repeat is a no-op)."""
    with ctx.uow:
        apply_station_event(ctx.uow.session, Station, "station_approved", payload, ctx.now())
        ctx.uow.commit()


def revoke_station(ctx: Context, payload: dict[str, Any], event_id: str) -> list[str]:
    """applications.station_revoked (Art 17, R13.1): the station is revoked for good and
    every open grant of it closes; what was never paid goes back to its fund, what was paid
    and not spent is a receivable. A revoke that overtook the approval is kept."""
    with ctx.uow:
        apply_station_event(ctx.uow.session, Station, "station_revoked", payload, ctx.now())
        reason = f"station revoked on {payload['revoked_on'].isoformat()}: {payload['reason']}"
        closed = close_grants_of(ctx, payload["station_id"], reason,
                                 f"applications.station_revoked {event_id}")
        ctx.uow.commit()
        return closed
