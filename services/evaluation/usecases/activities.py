"""Art 8 activities a station held, recorded by its host unit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contracts.rpc import evaluation as contract
from servicekit.context import Context
from servicekit.paging import page, paginate
from services.evaluation import domain
from services.evaluation.models import Activity
from services.evaluation.usecases.shared import new_id, readable_station, ref, writable_station

_ACTIVITY = contract.Activity()
_ACTIVITIES = contract.Activity(many=True)

# Commands ------------------------------------------------------------------------------------


def record_activity(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Art 8: the host unit records an activity its station held."""
    uow, principal = ctx.uow, ctx.principal
    with uow:
        station = writable_station(uow, principal, data["station_id"])
        domain.check_activity(ref(station), data["held_on"], data["participants"],
                              data["talents_served"], ctx.today())
        row = Activity(id=new_id(), recorded_by=principal.actor, recorded_at=ctx.now(), **data)
        uow.session.add(row)
        answer = _ACTIVITY.dump(row)
        uow.audit("activity.recorded", "activity", row.id, None, answer)
        uow.commit()
        return answer


# Queries -------------------------------------------------------------------------------------


def list_activities(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    uow = ctx.uow
    with uow:
        readable_station(uow, ctx.principal, data["station_id"])
        query = (select(Activity).where(Activity.station_id == data["station_id"])
                 .order_by(Activity.held_on.desc(), Activity.id))
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page(_ACTIVITIES.dump(rows), total, data["limit"], data["offset"])
