"""A station's annual work plans and summaries, their due dates, and the deadline check that
finds them overdue (and lapses rectifications, R17.1)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from contracts.rpc import evaluation as contract
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict
from services.evaluation import domain
from services.evaluation.models import ReportDeadline, Station, WorkReport
from services.evaluation.usecases.rectifications import fail_lapsed
from services.evaluation.usecases.shared import (
    due_dates,
    iso,
    new_id,
    readable_station,
    writable_station,
)

_REPORT = contract.WorkReport()
_REPORTS = contract.WorkReport(many=True)
_DEADLINES = contract.ReportDeadlines()
_CHECK = contract.DeadlineCheck()


def _owed(station_id: str, kind: str, year: int, due_on: date, row: WorkReport | None,
          today: date) -> dict[str, Any]:
    """A report owed, with its state today and the row once there is one (WorkReport)."""
    return {"station_id": station_id, "kind": kind, "year": year, "due_on": due_on,
            "state": domain.report_state(due_on, row.submitted_on if row else None, today),
            "report": row}


def overdue_reports(uow: UnitOfWork, station: Station, today: date) -> list[dict[str, Any]]:
    """Every plan and summary past due and not in (Art 15, 16(6)), whether or not the deadline
    check has run since; ``overdue_since`` is the day the check found it (None: not yet)."""
    rows = {(r.kind, r.year): r for r in uow.session.scalars(
        select(WorkReport).where(WorkReport.station_id == station.id))}
    overdue = []
    for kind, year, due_on in domain.reports_owed(station.approved_on, station.revoked_on,
                                                  due_dates(uow), today):
        row = rows.get((kind, year))
        if domain.report_state(due_on, row.submitted_on if row else None, today) == "overdue":
            overdue.append({"kind": kind, "year": year, "due_on": due_on,
                            "overdue_since": row.overdue_since if row else None})
    return overdue


# Commands ------------------------------------------------------------------------------------


def set_report_deadlines(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The city sets a year's due dates, before the first of them has passed."""
    ctx.principal.require("city_hr")
    uow, year = ctx.uow, data["year"]
    with uow:
        current = due_dates(uow)(year)
        domain.check_report_deadlines(year, data["plan_due_on"], data["summary_due_on"],
                                      current, ctx.today())
        row = uow.session.get(ReportDeadline, year)
        before = {k: v.isoformat() for k, v in current.items()}
        if row is None:
            row = ReportDeadline(year=year)
            uow.session.add(row)
        row.plan_due_on, row.summary_due_on = data["plan_due_on"], data["summary_due_on"]
        row.set_by, row.set_at = ctx.principal.actor, ctx.now()
        answer = _DEADLINES.dump(row)
        uow.audit("report_deadlines.set", "report_deadlines", str(year), before, answer)
        uow.commit()
        return answer


def submit_report(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The host unit submits a year's plan or summary; one each, late if past its due date."""
    uow, today = ctx.uow, ctx.today()
    with uow:
        station = writable_station(uow, ctx.principal, data["station_id"])
        kind, year = data["kind"], data["year"]
        domain.check_report_year(kind, year, station.approved_on, today)
        row = uow.session.scalars(select(WorkReport).where(
            WorkReport.station_id == station.id, WorkReport.kind == kind,
            WorkReport.year == year)).first()
        if row is not None and row.submitted_on is not None:
            raise Conflict(
                "report.already_submitted",
                f"The {kind} for {year} was submitted on {row.submitted_on}.",
                f"{year} 年的{domain.REPORT_KINDS[kind]}已于 {row.submitted_on} 报送。",
                {"station_id": station.id, "kind": kind, "year": year},
            )
        if row is None:
            row = WorkReport(id=new_id(), station_id=station.id, kind=kind, year=year,
                             due_on=due_dates(uow)(year)[kind])
            uow.session.add(row)
        row.submitted_on, row.submitted_by = today, ctx.principal.actor
        row.title, row.content = data["title"], data["content"]
        answer = _REPORT.dump(_owed(station.id, kind, year, row.due_on, row, today))
        uow.audit("report.submitted", "work_report", row.id, None, answer)
        uow.commit()
        return answer


def check_deadlines(ctx: Context) -> dict[str, int]:
    """Hourly and on demand: plans and summaries past due become overdue on their station;
    rectifications with no evidence by their deadline fail (R17.1)."""
    uow, today = ctx.uow, ctx.today()
    with uow:
        dues = due_dates(uow)
        seen = {(r.station_id, r.kind, r.year) for r in uow.session.execute(
            select(WorkReport.station_id, WorkReport.kind, WorkReport.year))}
        overdue = 0
        for station in uow.session.scalars(select(Station).where(
                Station.status != "revoked", Station.approved_on.is_not(None))):
            for kind, year, due_on in domain.reports_owed(station.approved_on, None, dues, today):
                if due_on < today and (station.id, kind, year) not in seen:
                    uow.session.add(WorkReport(id=new_id(), station_id=station.id, kind=kind,
                                               year=year, due_on=due_on, overdue_since=today))
                    uow.audit("report.overdue", "station", station.id, None,
                              {"kind": kind, "year": year, "due_on": iso(due_on)})
                    uow.add_event("report_overdue", {
                        "station_id": station.id, "district": station.district, "kind": kind,
                        "year": year, "due_on": iso(due_on),
                        "detected_on": iso(today)}, aggregate_id=station.id)
                    overdue += 1
        failed = fail_lapsed(uow, today)
        uow.commit()
        return _CHECK.dump({"reports_overdue": overdue, "rectifications_failed": failed})


# Queries -------------------------------------------------------------------------------------


def list_reports(ctx: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every plan and summary owed so far or already in, with its state."""
    uow, today = ctx.uow, ctx.today()
    with uow:
        station = readable_station(uow, ctx.principal, data["station_id"])
        rows = {(r.kind, r.year): r for r in uow.session.scalars(
            select(WorkReport).where(WorkReport.station_id == station.id))}
        keys = {(kind, year): due_on for kind, year, due_on in domain.reports_owed(
            station.approved_on, station.revoked_on, due_dates(uow), today)}
        keys.update({key: row.due_on for key, row in rows.items()})
        return _REPORTS.dump([
            _owed(station.id, kind, year, due_on, rows.get((kind, year)), today)
            for (kind, year), due_on in sorted(keys.items(), key=lambda kv: (kv[1], kv[0]))])
