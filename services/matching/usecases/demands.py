"""The demand database (R8.1): enterprises' needs, triaged by staff, matched, closed or
expired."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contracts.rpc.matching import DemandAnswer, ExpiredDemands
from servicekit.context import Context
from servicekit.money import yuan_to_fen
from services.matching import domain
from services.matching.models import Demand
from services.matching.usecases.shared import load_demand, new_id, paged

DEMAND = DemandAnswer()


def readable_demand(ctx: Context, demand_id: str) -> Demand:
    demand = load_demand(ctx.uow, demand_id)
    domain.check_can_read_demand(ctx.principal, demand.enterprise_id, demand.district)
    return demand


# Commands ------------------------------------------------------------------------------------

def check_demand_fields(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The demand's fields as stored: budget in fen, deadline not past, funding has a budget."""
    budget = data["budget"]
    budget_fen = None if budget is None else yuan_to_fen(budget, field="budget")
    domain.check_budget(data["kind"], budget_fen)
    domain.check_deadline(data["deadline"], ctx.today())
    fields = {k: v for k, v in data.items() if k != "budget"}
    return {**fields, "budget_fen": budget_fen}


def add_demand(ctx: Context, enterprise_id: str, fields: dict[str, Any]) -> Demand:
    """Write a checked demand (``check_demand_fields``), audit it, add its event; no commit."""
    now = ctx.now()
    demand = Demand(
        id=new_id(), tenant=ctx.tenant.code, enterprise_id=enterprise_id, status="posted",
        status_reason=None, posted_at=now, posted_by=ctx.uow.actor, updated_at=now, **fields,
    )
    ctx.uow.session.add(demand)
    ctx.uow.audit("demand.post", "demand", demand.id, None, DEMAND.dump(demand))
    ctx.uow.add_event(
        "demand_posted",
        {"demand_id": demand.id, "enterprise_id": enterprise_id, "kind": demand.kind,
         "industry": demand.industry, "district": demand.district},
        aggregate_id=demand.id,
    )
    return demand


def move(ctx: Context, demand: Demand, action: str, reason: str | None) -> dict[str, Any]:
    """Apply ``action`` to the demand (refused past its deadline), audit the change, and
    answer the demand as it now is."""
    domain.check_not_expired(demand.status, demand.deadline, ctx.today(), demand.id)
    before = DEMAND.dump(demand)
    demand.status = domain.transition(demand.status, action, demand.id)
    demand.status_reason = reason or None
    demand.updated_at = ctx.now()
    after = DEMAND.dump(demand)
    ctx.uow.audit(f"demand.{action}", "demand", demand.id, before, after)
    return after


def post_demand(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R8.1: an enterprise posts a talent, technology, project or funding need."""
    enterprise_id = domain.check_enterprise_identity(ctx.principal)
    with ctx.uow:
        demand = add_demand(ctx, enterprise_id, check_demand_fields(ctx, data))
        ctx.uow.commit()
        return DEMAND.dump(demand)


def revise_demand(ctx: Context, demand_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The enterprise corrects a demand sent back to it and posts it again."""
    with ctx.uow:
        demand = load_demand(ctx.uow, demand_id)
        domain.check_own_enterprise(ctx.principal, demand.enterprise_id)
        fields = check_demand_fields(ctx, data)
        domain.transition(demand.status, "revise", demand.id)
        for name, value in fields.items():
            setattr(demand, name, value)
        after = move(ctx, demand, "revise", None)
        ctx.uow.commit()
        return after


def triage_demand(ctx: Context, demand_id: str, action: str, reason: str) -> dict[str, Any]:
    """City staff, or the demand's own district's staff (R13.1), accept a posted demand into
    matching, send it back for changes, or reject it."""
    ctx.principal.require("city_hr", "district_hr")
    with ctx.uow:
        demand = load_demand(ctx.uow, demand_id)
        ctx.principal.require_district(demand.district)
        after = move(ctx, demand, action, reason)
        ctx.uow.commit()
        return after


def close_demand(ctx: Context, demand_id: str, reason: str) -> dict[str, Any]:
    with ctx.uow:
        demand = load_demand(ctx.uow, demand_id)
        if ctx.principal.role == "enterprise":
            domain.check_own_enterprise(ctx.principal, demand.enterprise_id)
        else:
            ctx.principal.require("city_hr", "district_hr", "enterprise")
            ctx.principal.require_district(demand.district)
        after = move(ctx, demand, "close", reason)
        ctx.uow.commit()
        return after


def expire_due_demands(ctx: Context) -> dict[str, Any]:
    """Open demands past their deadline become expired (run by a timer, or by staff)."""
    ctx.principal.require("city_hr", "system")
    today = ctx.today()
    with ctx.uow:
        due = ctx.uow.session.scalars(
            select(Demand).where(Demand.status.in_(domain.OPEN_STATUSES),
                                 Demand.deadline < today).order_by(Demand.id)
        ).all()
        for demand in due:
            before = DEMAND.dump(demand)
            demand.status = domain.transition(demand.status, "expire", demand.id)
            demand.updated_at = ctx.now()
            ctx.uow.audit("demand.expire", "demand", demand.id, before, DEMAND.dump(demand))
        ctx.uow.commit()
        return ExpiredDemands().dump({"expired": [d.id for d in due], "on": today})


# Queries -------------------------------------------------------------------------------------

def get_demand(ctx: Context, demand_id: str) -> dict[str, Any]:
    with ctx.uow:
        return DEMAND.dump(readable_demand(ctx, demand_id))


def list_demands(ctx: Context, query: dict[str, Any]) -> dict[str, Any]:
    principal = ctx.principal
    principal.require(*domain.READERS, "enterprise", "system")
    principal.require_own_filters(query, district="district")  # R13.1
    with ctx.uow:
        stmt = select(Demand).order_by(Demand.posted_at.desc(), Demand.id)
        if principal.role == "enterprise":
            stmt = stmt.where(Demand.enterprise_id == (principal.organisation or ""))
        if principal.role == "district_hr":
            stmt = stmt.where(Demand.district == (principal.district or ""))
        for name in ("status", "kind", "district", "industry"):
            if query.get(name):
                stmt = stmt.where(getattr(Demand, name) == query[name])
        return paged(ctx, stmt, query, DEMAND)
