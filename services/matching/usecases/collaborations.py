"""Collaborations: accepted recommendations, each credited to the station that brokered it
(R16.1). They are recorded by ``recommendations.answer_recommendation``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contracts.rpc.matching import CollaborationAnswer
from servicekit.context import Context
from services.matching import domain
from services.matching.models import Collaboration
from services.matching.usecases.shared import paged

# Queries -------------------------------------------------------------------------------------


def list_collaborations(ctx: Context, query: dict[str, Any]) -> dict[str, Any]:
    principal = ctx.principal
    principal.require(*domain.READERS, "enterprise", "expert", "system")
    principal.require_own_filters(query, expert="expert_id")
    with ctx.uow:
        stmt = select(Collaboration).order_by(Collaboration.created_at, Collaboration.id)
        if principal.role == "enterprise":
            stmt = stmt.where(Collaboration.enterprise_id == (principal.organisation or ""))
        if principal.role == "expert":
            stmt = stmt.where(Collaboration.expert_id == (principal.expert or ""))
        if principal.role == "district_hr":
            stmt = stmt.where(Collaboration.district == (principal.district or ""))
        for name in ("demand_id", "expert_id", "station_id"):
            if query.get(name):
                stmt = stmt.where(getattr(Collaboration, name) == query[name])
        return paged(ctx, stmt, query, CollaborationAnswer())
