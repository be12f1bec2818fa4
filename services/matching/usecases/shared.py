"""What several aggregates' use cases share: ids, loading by id, the station check, pages."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import Schema
from sqlalchemy import Select, update

from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import InvalidInput, NotFound
from servicekit.paging import page, paginate
from services.matching.models import Demand, Expert, IndexRevision, Station


def new_id() -> str:
    return str(uuid.uuid4())


def load_expert(uow: UnitOfWork, expert_id: str) -> Expert:
    expert = uow.session.get(Expert, expert_id)
    if expert is None:
        raise NotFound("expert.not_found", f"There is no expert {expert_id}.",
                       f"不存在专家 {expert_id}。", {"expert_id": expert_id})
    return expert


def load_demand(uow: UnitOfWork, demand_id: str) -> Demand:
    demand = uow.session.get(Demand, demand_id)
    if demand is None:
        raise NotFound("demand.not_found", f"There is no demand {demand_id}.",
                       f"不存在需求 {demand_id}。", {"demand_id": demand_id})
    return demand


def active_station(uow: UnitOfWork, station_id: str | None) -> Station | None:
    """The station if it is approved and active (a revoke may have come first: no approval)."""
    if station_id is None:
        return None
    station = uow.session.get(Station, station_id)
    if station is None or station.status != "active" or station.approved_on is None:
        return None
    return station


def check_station(uow: UnitOfWork, station_id: str | None, field: str = "station_id") -> None:
    if station_id is not None and active_station(uow, station_id) is None:
        raise InvalidInput(
            "station.unknown",
            f"There is no active station {station_id}.",
            f"不存在有效的驿站 {station_id}。",
            {"field": field, "value": station_id},
        )


def bump_index_revision(uow: UnitOfWork) -> None:
    """Every transaction that changes an expert bumps it: each process's index knows it is
    stale."""
    uow.session.execute(
        update(IndexRevision).where(IndexRevision.id == 1)
        .values(revision=IndexRevision.revision + 1)
    )


def paged(ctx: Context, stmt: Select, query: dict[str, Any], schema: Schema) -> dict[str, Any]:
    """One page of ``stmt``'s rows, each dumped through ``schema``."""
    rows, total = paginate(ctx.uow.session, stmt, query["limit"], query["offset"])
    return page(schema.dump(rows, many=True), total, query["limit"], query["offset"])
