"""Rectification of a failing station (R17.1): opened by a cycle's outcome, evidence by the
deadline, the city's re-assessment, or failure when no evidence came."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contracts.rpc import evaluation as contract
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.paging import page, paginate
from services.evaluation import domain
from services.evaluation.models import Cycle, Rectification, Station
from services.evaluation.usecases.shared import (
    iso,
    load_cycle,
    load_station,
    new_id,
    not_found,
    ref,
    visible_stations,
    writable_station,
)

_RECTIFICATION = contract.Rectification()
_RECTIFICATIONS = contract.Rectification(many=True)


def _rectification(uow: UnitOfWork, rectification_id: str) -> Rectification:
    row = uow.session.get(Rectification, rectification_id)
    if row is None:
        raise not_found("rectification", "整改", "rectification_id", rectification_id)
    load_station(uow, row.station_id)
    return row


def open_rectification(uow: UnitOfWork, cycle: Cycle, station: Station, findings: str,
                       today: date, deadline: date) -> None:
    """A failing station goes into rectification with its findings and deadline."""
    row = Rectification(id=new_id(), cycle_id=cycle.id, station_id=station.id, status="open",
                        findings=findings, opened_on=today, deadline=deadline)
    uow.session.add(row)
    before = {"status": station.status, "status_since": iso(station.status_since)}
    station.status, station.status_since = "rectifying", today
    uow.audit("rectification.opened", "rectification", row.id, None,
              {"station_id": station.id, "findings": findings, "deadline": iso(deadline)})
    uow.audit("station.status_changed", "station", station.id, before,
              {"status": station.status, "status_since": iso(today)})
    uow.add_event("rectification_required", {
        "rectification_id": row.id, "cycle_id": cycle.id, "station_id": station.id,
        "findings": findings, "deadline": iso(deadline),
    }, aggregate_id=station.id)


def fail_rectification(uow: UnitOfWork, row: Rectification, today: date, reason: str) -> None:
    """The rectification failed; the applications service answers by revoking the title."""
    row.status, row.failure_reason = "failed", reason
    uow.audit("rectification.failed", "rectification", row.id, None,
              {"station_id": row.station_id, "reason": reason, "on": iso(today)})
    uow.add_event("rectification_failed", {
        "rectification_id": row.id, "station_id": row.station_id, "reason": reason,
    }, aggregate_id=row.station_id)


def fail_lapsed(uow: UnitOfWork, today: date) -> int:
    """Open rectifications with no evidence by their deadline fail; how many did."""
    failed = 0
    for row in uow.session.scalars(select(Rectification).where(Rectification.status == "open")):
        if domain.lapsed(row.status, row.deadline, today):
            fail_rectification(uow, row, today, f"no rectification evidence by the deadline "
                                                f"{iso(row.deadline)}")
            failed += 1
    return failed


# Commands ------------------------------------------------------------------------------------


def submit_evidence(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The host unit hands in its rectification evidence, by the deadline."""
    uow, today = ctx.uow, ctx.today()
    with uow:
        row = _rectification(uow, data["rectification_id"])
        writable_station(uow, ctx.principal, row.station_id)
        domain.check_evidence(row.status, row.deadline, today, row.id)
        before = _RECTIFICATION.dump(row)
        row.status, row.evidence, row.evidence_submitted_on = (
            "evidence_submitted", data["evidence"], today)
        answer = _RECTIFICATION.dump(row)
        uow.audit("rectification.evidence_submitted", "rectification", row.id, before, answer)
        uow.commit()
        return answer


def reassess_rectification(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R17.1: the city re-assesses a rectified station: it passes (active again) or fails
    (rectification_failed; the applications service revokes the title)."""
    ctx.principal.require("city_hr")
    domain.check_reassessment_score(data["score"])
    uow, today = ctx.uow, ctx.today()
    with uow:
        row = _rectification(uow, data["rectification_id"])
        station = row.station
        domain.check_reassessment(row.status, row.id)
        domain.require_takes_records(ref(station))
        cycle = load_cycle(uow, row.cycle_id)
        before = _RECTIFICATION.dump(row)
        result = domain.grade(data["score"] * 100, cycle.bands)
        row.reassessed_on, row.reassessment_score = today, data["score"]
        row.reassessment_grade, row.reassessment_comments = result, data["comments"]
        uow.add_event("evaluation_completed", {
            "cycle_id": cycle.id, "station_id": station.id,
            "score": domain.format_score(data["score"] * 100), "grade": result,
            "rectification_id": row.id, "evaluated_on": iso(today),
        }, aggregate_id=station.id)
        if result == "fail":
            fail_rectification(uow, row, today, f"re-assessment scored {data['score']}, below "
                               f"the pass mark {cycle.bands['pass']}: {data['comments']}")
        else:
            row.status = "passed"
            station_before = {"status": station.status, "status_since": iso(station.status_since)}
            station.status, station.status_since = "active", today
            uow.audit("station.status_changed", "station", station.id, station_before,
                      {"status": station.status, "status_since": iso(today)})
        answer = _RECTIFICATION.dump(row)
        uow.audit("rectification.reassessed", "rectification", row.id, before, answer)
        uow.commit()
        return answer


# Queries -------------------------------------------------------------------------------------


def list_rectifications(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    visible = visible_stations(ctx.principal)
    uow = ctx.uow
    with uow:
        # Each answer names its station: the page's stations are loaded in one query.
        query = (select(Rectification).join(Station, Station.id == Rectification.station_id)
                 .options(selectinload(Rectification.station))
                 .order_by(Rectification.deadline, Rectification.id))
        if visible is not None:
            query = query.where(visible)
        if data["status"]:
            query = query.where(Rectification.status == data["status"])
        if data["station_id"]:
            query = query.where(Rectification.station_id == data["station_id"])
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page(_RECTIFICATIONS.dump(rows), total, data["limit"], data["offset"])


def get_rectification(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    uow = ctx.uow
    with uow:
        row = _rectification(uow, data["rectification_id"])
        domain.require_reader(ctx.principal, ref(row.station))
        return _RECTIFICATION.dump(row)
