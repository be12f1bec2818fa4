"""Commendations (R17.2, Art 17 表扬): the city records each with its document number, date
and reason; the station's profile shows them, the registry's history receives them
(``commendation_recorded``) and the next evaluation's pre-fill counts them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contracts.rpc import evaluation as contract
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict
from services.evaluation import domain
from services.evaluation.models import Commendation, CycleStation
from services.evaluation.usecases.shared import iso, load_cycle, load_station, new_id, ref

_COMMENDATION = contract.Commendation()


def commendations_of(uow: UnitOfWork, station_id: str) -> list[Commendation]:
    return list(uow.session.scalars(
        select(Commendation).where(Commendation.station_id == station_id)
        .order_by(Commendation.commended_on.desc(), Commendation.document)))


# Commands ------------------------------------------------------------------------------------


def record_commendation(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R17.2: the city HR bureau records a 表扬 of a station holding its title."""
    ctx.principal.require("city_hr")
    uow = ctx.uow
    with uow:
        station = load_station(uow, data["station_id"])
        domain.check_record_day("commended_on", data["commended_on"], ref(station),
                                ctx.today())
        if data["cycle_id"] is not None:
            cycle = load_cycle(uow, data["cycle_id"])
            if not uow.session.scalar(select(CycleStation.id).where(
                    CycleStation.cycle_id == cycle.id, CycleStation.station_id == station.id)):
                raise Conflict(
                    "cycle.station_not_in_cycle",
                    f"Station {station.id} was not evaluated in cycle {cycle.id}.",
                    f"驿站（{station.id}）不在评估周期（{cycle.id}）内。",
                    {"field": "cycle_id", "cycle_id": cycle.id, "station_id": station.id},
                )
        if any(c.document == data["document"] for c in commendations_of(uow, station.id)):
            raise Conflict(
                "commendation.duplicate",
                f"Commendation {data['document']} of station {station.id} is already recorded.",
                f"驿站（{station.id}）的表扬（{data['document']}）已登记。",
                {"field": "document", "document": data["document"]},
            )
        row = Commendation(id=new_id(), station_id=station.id, cycle_id=data["cycle_id"],
                           document=data["document"], commended_on=data["commended_on"],
                           reason=data["reason"], recorded_by=ctx.principal.actor,
                           recorded_at=ctx.now(), station=station)
        uow.session.add(row)
        answer = _COMMENDATION.dump(row)
        uow.audit("station.commendation_recorded", "commendation", row.id, None, answer)
        uow.add_event("commendation_recorded", {
            "commendation_id": row.id, "station_id": station.id, "cycle_id": row.cycle_id,
            "document": row.document, "commended_on": iso(row.commended_on),
            "reason": row.reason}, aggregate_id=station.id)
        uow.commit()
        return answer
