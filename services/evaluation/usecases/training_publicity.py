"""The city's training of station staff and its publicity of the stations: typical cases and
news (R12.1, Art 12). Both are part of the next evaluation's context for criterion (5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contracts.rpc import evaluation as contract
from servicekit.auth import READ_EVERYTHING
from servicekit.context import Context
from servicekit.errors import InvalidInput
from servicekit.paging import page, paginate
from services.evaluation import domain
from services.evaluation.models import Publicity, Training
from services.evaluation.usecases.shared import load_station, new_id, ref

_TRAINING = contract.Training()
_TRAININGS = contract.Training(many=True)
_PUBLICITY = contract.Publicity()
_PUBLICITIES = contract.Publicity(many=True)


# Commands ------------------------------------------------------------------------------------


def record_training(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R12.1: a training the city held, with the stations whose staff attended."""
    ctx.principal.require("city_hr")
    uow, today = ctx.uow, ctx.today()
    with uow:
        ids = [a["station_id"] for a in data["attendees"]]
        repeated = sorted({s for s in ids if ids.count(s) > 1})
        if repeated:
            raise InvalidInput(
                "training.station_repeated",
                f"Each station is listed once; repeated: {', '.join(repeated)}.",
                f"每个驿站只列一次，重复：{'、'.join(repeated)}。",
                {"field": "attendees", "station_ids": repeated},
            )
        for station_id in ids:
            domain.check_record_day("held_on", data["held_on"],
                                    ref(load_station(uow, station_id)), today)
        row = Training(id=new_id(), held_on=data["held_on"], topic=data["topic"],
                       attendees=[dict(a) for a in data["attendees"]],
                       recorded_by=ctx.principal.actor, recorded_at=ctx.now())
        uow.session.add(row)
        answer = _TRAINING.dump(row)
        uow.audit("training.recorded", "training", row.id, None, answer)
        uow.commit()
        return answer


def record_publicity(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R12.1: a typical case or news of a station the city published."""
    ctx.principal.require("city_hr")
    uow = ctx.uow
    with uow:
        station = load_station(uow, data["station_id"])
        domain.check_record_day("published_on", data["published_on"], ref(station),
                                ctx.today())
        row = Publicity(id=new_id(), recorded_by=ctx.principal.actor, recorded_at=ctx.now(),
                        station=station, **data)
        uow.session.add(row)
        answer = _PUBLICITY.dump(row)
        uow.audit("publicity.recorded", "publicity", row.id, None, answer)
        uow.commit()
        return answer


# Queries -------------------------------------------------------------------------------------


def list_trainings(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    ctx.principal.require(*READ_EVERYTHING)
    uow = ctx.uow
    with uow:
        query = select(Training).order_by(Training.held_on.desc(), Training.id)
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page(_TRAININGS.dump(rows), total, data["limit"], data["offset"])


def list_publicity(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """What the city published of the stations: public, no login needed."""
    uow = ctx.uow
    with uow:
        query = select(Publicity).order_by(Publicity.published_on.desc(), Publicity.id)
        if data["station_id"]:
            query = query.where(Publicity.station_id == data["station_id"])
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page(_PUBLICITIES.dump(rows), total, data["limit"], data["offset"])
