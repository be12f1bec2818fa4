"""Scoring a cycle's stations (R16.1, as R7.2): the city assigns review experts, none from the
station's host unit; each scores the six Art 16 criteria on their own sheet."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contracts.rpc import evaluation as contract
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, Forbidden
from services.evaluation import domain
from services.evaluation.models import Assignment, Cycle, CycleStation, Station
from services.evaluation.usecases.shared import load_cycle, load_station, ref

_ASSIGNED = contract.AssignedReviewers()
_SHEET = contract.ScoreSheet()
_ASSIGNED_SHEETS = contract.AssignedSheet(many=True)


def _member(uow: UnitOfWork, cycle: Cycle, station_id: str) -> CycleStation:
    row = uow.session.scalars(select(CycleStation).where(
        CycleStation.cycle_id == cycle.id, CycleStation.station_id == station_id)).first()
    if row is None:
        raise Conflict(
            "cycle.station_not_in_cycle",
            f"Station {station_id} is not being evaluated in cycle {cycle.id}.",
            f"驿站（{station_id}）不在本评估周期（{cycle.id}）内。",
            {"cycle_id": cycle.id, "station_id": station_id},
        )
    return row


# Commands ------------------------------------------------------------------------------------


def assign_reviewers(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R16.1 (as R7.2): the city assigns review experts to a station, none from its host unit."""
    ctx.principal.require("city_hr")
    uow = ctx.uow
    with uow:
        cycle = load_cycle(uow, data["cycle_id"])
        domain.require_cycle_open(cycle.status, cycle.id)
        _member(uow, cycle, data["station_id"])
        station = load_station(uow, data["station_id"])
        existing = set(uow.session.scalars(select(Assignment.expert_id).where(
            Assignment.cycle_id == cycle.id, Assignment.station_id == station.id)))
        experts = [r["expert_id"] for r in data["reviewers"]]
        repeated = sorted({e for e in experts if experts.count(e) > 1} | (existing & set(experts)))
        if repeated:
            raise Conflict(
                "assignment.duplicate",
                f"Already assigned to this station: {', '.join(repeated)}.",
                f"以下专家已分配至该驿站：{'、'.join(repeated)}。",
                {"field": "reviewers", "expert_ids": repeated},
            )
        for reviewer in data["reviewers"]:
            domain.check_reviewer(reviewer["expert_id"], reviewer["affiliation"], ref(station))
        uow.session.add_all(
            Assignment(cycle_id=cycle.id, station_id=station.id, expert_id=r["expert_id"],
                       affiliation=r["affiliation"], assigned_by=ctx.principal.actor)
            for r in data["reviewers"])
        answer = _ASSIGNED.dump({"cycle_id": cycle.id, "station_id": station.id,
                                 "reviewers": sorted(existing | set(experts))})
        uow.audit("cycle.reviewers_assigned", "cycle_station", f"{cycle.id}:{station.id}",
                  {"reviewers": sorted(existing)}, answer)
        uow.commit()
        return answer


def submit_scores(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R16.1: an assigned reviewer scores the six criteria (and may revise until finalized);
    criteria (4) and (6) are bound to their records but for a bounded, reasoned adjustment."""
    principal = ctx.principal
    principal.require("reviewer")
    uow = ctx.uow
    with uow:
        cycle = load_cycle(uow, data["cycle_id"])
        domain.require_cycle_open(cycle.status, cycle.id)
        member = _member(uow, cycle, data["station_id"])
        row = uow.session.scalars(select(Assignment).where(
            Assignment.cycle_id == cycle.id, Assignment.station_id == data["station_id"],
            Assignment.expert_id == principal.expert)).first()
        if row is None:
            raise Forbidden(
                "score.not_assigned",
                f"Reviewer {principal.expert} is not assigned to station {data['station_id']}.",
                f"评审专家（{principal.expert}）未被分配评审该驿站（{data['station_id']}）。",
                {"station_id": data["station_id"], "expert_id": principal.expert},
            )
        sheet, from_records, adjustments = domain.complete_sheet(
            data["scores"], member.prefill, data["adjustment_reasons"])
        before = _SHEET.dump({"sheet": row}) if row.scored_at else None
        for criterion, value in sheet.items():
            setattr(row, criterion, value)
        row.from_records, row.adjustments = from_records, adjustments
        row.comments = data["comments"]
        row.scored_at = ctx.now()
        answer = _SHEET.dump({"sheet": row})
        uow.audit("cycle.scored", "cycle_station", f"{cycle.id}:{data['station_id']}",
                  before, answer)
        uow.commit()
        return answer


# Queries -------------------------------------------------------------------------------------


def list_assignments(ctx: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """A reviewer's stations in a cycle, with the pre-fill and sources and their own sheet;
    the city sees every assignment."""
    principal, uow = ctx.principal, ctx.uow
    with uow:
        cycle = load_cycle(uow, data["cycle_id"])
        query = (select(Assignment, CycleStation, Station)
                 .join(CycleStation, (CycleStation.cycle_id == Assignment.cycle_id)
                       & (CycleStation.station_id == Assignment.station_id))
                 .join(Station, Station.id == Assignment.station_id)
                 .where(Assignment.cycle_id == cycle.id)
                 .order_by(Station.plaque_number, Assignment.expert_id))
        if principal.role == "reviewer":
            query = query.where(Assignment.expert_id == principal.expert)
        elif not principal.reads_everything:
            principal.require("city_hr", "reviewer")
        return _ASSIGNED_SHEETS.dump([
            {"sheet": sheet, "member": member, "station": station}
            for sheet, member, station in uow.session.execute(query)])
