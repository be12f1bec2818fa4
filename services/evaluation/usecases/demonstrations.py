"""Demonstration-station selection (R9.1, R9.2, R9.4): the city proposes, at a time it chooses,
a station with a good evaluation record, with its subsidy; the city HR bureau and the
organisation department each confirm, and the amount they confirm is what the grant commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contracts.rpc import evaluation as contract
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict
from servicekit.money import yuan_to_fen
from servicekit.paging import page, paginate
from services.evaluation import domain
from services.evaluation.models import Cycle, CycleStation, Demonstration, Station
from services.evaluation.usecases.shared import (
    iso,
    load_cycle,
    load_station,
    new_id,
    not_found,
    ref,
    visible_stations,
)

_SELECTION = contract.Demonstration()
_SELECTIONS = contract.Demonstration(many=True)


def _selection(uow: UnitOfWork, selection_id: str) -> Demonstration:
    row = uow.session.get(Demonstration, selection_id)
    if row is None:
        raise not_found("demonstration", "示范驿站遴选", "selection_id", selection_id)
    load_station(uow, row.station_id)
    return row


# Commands ------------------------------------------------------------------------------------


def _latest_record(uow: UnitOfWork, station_id: str) -> tuple[str | None, str | None]:
    """The cycle and grade of the station's latest finalized evaluation (none: not yet)."""
    row = uow.session.execute(
        select(CycleStation.cycle_id, CycleStation.grade)
        .join(Cycle, Cycle.id == CycleStation.cycle_id)
        .where(CycleStation.station_id == station_id, Cycle.status == "finalized")
        .order_by(Cycle.reference_date.desc(), Cycle.finalized_on.desc())).first()
    return (row.cycle_id, row.grade) if row else (None, None)


def propose_demonstration(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R9.1, R9.4: the city proposes, when it chooses, a station with a good evaluation record
    (its latest evaluation, which a given cycle must be), with its subsidy."""
    principal = ctx.principal
    principal.require("city_hr")
    subsidy_fen = yuan_to_fen(data["proposed_subsidy"], "proposed_subsidy")
    uow = ctx.uow
    with uow:
        if data["cycle_id"] is not None:
            load_cycle(uow, data["cycle_id"])
        station = load_station(uow, data["station_id"])
        basis, grade = _latest_record(uow, station.id)
        if data["cycle_id"] not in (None, basis):
            raise Conflict(
                "demonstration.not_latest_record",
                f"Cycle {data['cycle_id']} is not the latest evaluation of station "
                f"{station.id}; a selection rests on its latest record (R9.4).",
                f"评估周期（{data['cycle_id']}）不是驿站（{station.id}）最近一次评估，"
                "示范驿站遴选须依据最近一次评估记录（R9.4）。",
                {"field": "cycle_id", "latest_cycle_id": basis, "rule": "R9.4"},
            )
        domain.check_demonstration(grade, ref(station), subsidy_fen, data["provincial"],
                                   data["provincial_reference"])
        cycle = load_cycle(uow, basis)
        existing = uow.session.scalars(select(Demonstration).where(
            Demonstration.cycle_id == cycle.id, Demonstration.station_id == station.id)).first()
        if existing is not None:
            raise Conflict(
                "demonstration.duplicate",
                f"Station {station.id} is already proposed in this cycle ({existing.status}).",
                f"驿站（{station.id}）已在本周期被提名（{existing.status}）。",
                {"selection_id": existing.id, "status": existing.status},
            )
        row = Demonstration(
            id=new_id(), cycle_id=cycle.id, station_id=station.id,
            proposed_subsidy_fen=subsidy_fen, provincial=data["provincial"],
            provincial_reference=data["provincial_reference"] if data["provincial"] else None,
            note=data["note"], status="proposed", proposed_by=principal.actor,
            proposed_on=ctx.today(), station=station,
        )
        uow.session.add(row)
        answer = _SELECTION.dump(row)
        uow.audit("demonstration.proposed", "demonstration", row.id, None, answer)
        uow.commit()
        return answer


def confirm_demonstration(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R9.1: city_hr and org_department each confirm; the second confirmation selects the
    station and tells the subsidy service (demonstration_selected)."""
    principal, uow, today = ctx.principal, ctx.uow, ctx.today()
    with uow:
        row = _selection(uow, data["selection_id"])
        confirmations = {"city_hr": row.city_hr_confirmed_by,
                         "org_department": row.org_department_confirmed_by}
        complete = domain.confirm_demonstration(row.status, confirmations, principal, row.id)
        domain.require_takes_records(ref(row.station))
        before = _SELECTION.dump(row)
        setattr(row, f"{principal.role}_confirmed_by", principal.actor)
        if complete:
            row.status, row.confirmed_on = "confirmed", today
            uow.add_event("demonstration_selected", {
                "selection_id": row.id, "cycle_id": row.cycle_id, "station_id": row.station_id,
                "district": row.station.district,
                "proposed_subsidy_fen": row.proposed_subsidy_fen,
                "provincial": row.provincial, "confirmed_on": iso(today),
            }, aggregate_id=row.station_id)
        answer = _SELECTION.dump(row)
        uow.audit("demonstration.confirmed", "demonstration", row.id, before, answer)
        uow.commit()
        return answer


def decline_demonstration(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Either department turns a proposal down, with its reason, before it is confirmed."""
    principal = ctx.principal
    principal.require(*domain.CONFIRMING_ROLES)
    uow = ctx.uow
    with uow:
        row = _selection(uow, data["selection_id"])
        domain.require_proposed(row.status, row.id)
        before = _SELECTION.dump(row)
        row.status, row.declined_by, row.decline_reason = (
            "declined", principal.actor, data["reason"])
        answer = _SELECTION.dump(row)
        uow.audit("demonstration.declined", "demonstration", row.id, before, answer)
        uow.commit()
        return answer


# Queries -------------------------------------------------------------------------------------


def list_demonstrations(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    visible = visible_stations(ctx.principal)
    uow = ctx.uow
    with uow:
        query = (select(Demonstration).join(Station, Station.id == Demonstration.station_id)
                 .options(selectinload(Demonstration.station))
                 .order_by(Demonstration.proposed_on.desc(), Demonstration.id))
        if visible is not None:
            query = query.where(visible)
        if data["cycle_id"]:
            query = query.where(Demonstration.cycle_id == data["cycle_id"])
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page(_SELECTIONS.dump(rows), total, data["limit"], data["offset"])
