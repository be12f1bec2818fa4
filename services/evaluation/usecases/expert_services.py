"""Art 10 services for a station's resident experts, from request to completion (R10.1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contracts.rpc import evaluation as contract
from servicekit.context import Context
from servicekit.paging import page, paginate
from services.evaluation import domain
from services.evaluation.models import ExpertService
from services.evaluation.usecases.shared import (
    new_id,
    not_found,
    readable_station,
    ref,
    writable_station,
)

_SERVICE = contract.ExpertService()
_SERVICES = contract.ExpertService(many=True)
# The day each status is reached is kept in its own column.
_DATE_OF = {"in_progress": "started_on", "completed": "completed_on",
            "cancelled": "cancelled_on"}

# Commands ------------------------------------------------------------------------------------


def request_expert_service(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R10.1: a resident expert's request of one of the six Art 10 kinds."""
    uow = ctx.uow
    with uow:
        station = writable_station(uow, ctx.principal, data["station_id"])
        domain.check_request_date(ref(station), data["requested_on"], ctx.today())
        row = ExpertService(id=new_id(), status="requested", note="", **data)
        uow.session.add(row)
        answer = _SERVICE.dump(row)
        uow.audit("expert_service.requested", "expert_service", row.id, None, answer)
        uow.commit()
        return answer


def advance_expert_service(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R10.1: the request is started, completed (with its outcome) or cancelled (with why)."""
    uow = ctx.uow
    with uow:
        row = uow.session.get(ExpertService, data["service_id"])
        if row is None:
            raise not_found("expert_service", "专家服务", "service_id", data["service_id"])
        writable_station(uow, ctx.principal, row.station_id)
        before = _SERVICE.dump(row)
        row.status = domain.advance_expert_service(row.status, data["action"], row.requested_on,
                                                   data["on"], ctx.today())
        setattr(row, _DATE_OF[row.status], data["on"])
        if data["note"]:
            row.note = data["note"]
        answer = _SERVICE.dump(row)
        uow.audit(f"expert_service.{data['action']}", "expert_service", row.id, before, answer)
        uow.commit()
        return answer


# Queries -------------------------------------------------------------------------------------


def list_expert_services(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    uow = ctx.uow
    with uow:
        readable_station(uow, ctx.principal, data["station_id"])
        query = (select(ExpertService).where(ExpertService.station_id == data["station_id"])
                 .order_by(ExpertService.requested_on.desc(), ExpertService.id))
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page(_SERVICES.dump(rows), total, data["limit"], data["offset"])
