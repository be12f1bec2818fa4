"""The talent map (Art 8(2)): experts, demands and collaborations by district × industry ×
talent level. Counts only; no one's personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contracts.rpc.matching import TalentMapAnswer
from servicekit.context import Context
from services.matching import talentmap
from services.matching.models import Collaboration, Demand, Expert

# Queries -------------------------------------------------------------------------------------


def _aggregate(ctx: Context, query: dict[str, Any]) -> dict[str, Any]:
    with ctx.uow:
        session = ctx.uow.session
        experts = session.execute(
            select(Expert.district, Expert.talent_level, Expert.industries)).all()
        # Rejected demands are not counted.
        demands = session.execute(
            select(Demand.district, Demand.industry).where(Demand.status != "rejected")).all()
        collaborations = session.execute(
            select(Collaboration.district, Collaboration.industry, Collaboration.talent_level)
        ).all()
    return talentmap.aggregate(
        [tuple(r) for r in experts], [tuple(r) for r in demands],
        [tuple(r) for r in collaborations], query["industry"], query["talent_level"],
        query["metric"],
    )


def get_talent_map(ctx: Context, query: dict[str, Any]) -> dict[str, Any]:
    return TalentMapAnswer().dump(_aggregate(ctx, query))


def render_talent_map(ctx: Context, query: dict[str, Any]) -> str:
    """The map as SVG: Weihai's districts coloured by the chosen metric."""
    return talentmap.render_svg(_aggregate(ctx, query), as_of=ctx.today())
