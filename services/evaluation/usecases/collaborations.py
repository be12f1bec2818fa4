"""Collaborations the matching service recorded: each counts for the station that brokered it
(criterion 4, R16.1)."""

from __future__ import annotations

from typing import Any

from servicekit.context import Context
from services.evaluation.models import Collaboration

# Commands ------------------------------------------------------------------------------------


def count_collaboration(ctx: Context, payload: dict[str, Any]) -> None:
    """A brokered collaboration counts for its station; one without a station, or already
    recorded, changes nothing."""
    uow = ctx.uow
    with uow:
        station_id = payload["station_id"]
        if station_id and uow.session.get(Collaboration, payload["collaboration_id"]) is None:
            uow.session.add(Collaboration(
                id=payload["collaboration_id"],
                station_id=station_id,
                demand_id=payload["demand_id"],
                expert_id=payload["expert_id"],
                enterprise_id=payload["enterprise_id"],
                mode=payload["mode"],
                recorded_on=payload["recorded_on"],
            ))
            uow.audit("collaboration.counted", "station", station_id, None,
                      {"collaboration_id": payload["collaboration_id"], "mode": payload["mode"]})
        uow.commit()


# Queries: none; the station profile and the cycle's pre-fill count them.
