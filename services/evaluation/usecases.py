"""Use cases of the evaluation service: load, apply the rule, save, audit, add events, commit.

Every command takes the unit of work, the calling ``Principal`` and today's business date.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, update

from servicekit.auth import Principal
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicekit.money import fen_to_yuan, yuan_to_fen
from servicekit.paging import page, paginate
from services.evaluation import domain
from services.evaluation.models import (
    Activity,
    Assignment,
    Collaboration,
    Cycle,
    CycleStation,
    Demonstration,
    ExpertService,
    Rectification,
    ReportDeadline,
    Station,
    WorkReport,
)


class StationNotYetKnown(Exception):
    """An event about a station whose station_approved has not arrived yet: retried later."""


def _new_id() -> str:
    return str(uuid.uuid4())


def _not_found(what: str, what_zh: str, key: str, value: str) -> NotFound:
    return NotFound(f"{what}.not_found", f"No {what.replace('_', ' ')} {value}.",
                    f"{what_zh}（{value}）不存在。", {key: value})


def _station(uow: UnitOfWork, station_id: str) -> Station:
    station = uow.session.get(Station, station_id)
    if station is None:
        raise _not_found("station", "驿站", "station_id", station_id)
    return station


def _ref(station: Station) -> domain.StationRef:
    return domain.StationRef(station.id, station.host_unit_id, station.district, station.status,
                             station.approved_on)


def _readable_station(uow: UnitOfWork, principal: Principal, station_id: str) -> Station:
    station = _station(uow, station_id)
    domain.require_reader(principal, _ref(station))
    return station


def _writable_station(uow: UnitOfWork, principal: Principal, station_id: str) -> Station:
    """The host unit's own station, still holding its title."""
    station = _station(uow, station_id)
    domain.require_host_unit(principal, _ref(station))
    domain.require_takes_records(_ref(station))
    return station


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _station_dict(station: Station) -> dict[str, Any]:
    return {
        "station_id": station.id,
        "plaque_number": station.plaque_number,
        "name": station.name,
        "station_type": station.station_type,
        "host_unit_id": station.host_unit_id,
        "host_unit_name": station.host_unit_name,
        "district": station.district,
        "approved_on": station.approved_on.isoformat(),
        "status": station.status,
        "status_since": station.status_since.isoformat(),
        "revoked_on": _iso(station.revoked_on),
        "last_evaluated_on": _iso(station.last_evaluated_on),
    }


def _visible_stations(principal: Principal) -> Any:
    """A filter on Station for list queries (R13.1); None when the principal sees them all."""
    if principal.reads_everything:
        return None
    if principal.role == "district_hr":
        return Station.district == principal.district
    if principal.role == "host_unit":
        return Station.host_unit_id == principal.organisation
    raise Forbidden(
        "forbidden.role",
        f"Role {principal.role} may not list evaluation records.",
        "当前角色无权查看评估记录。",
        {"role": principal.role},
    )


# ---- the station read model (events of the applications service) ----------------------------


def station_approved(uow: UnitOfWork, payload: dict[str, Any]) -> None:
    """A new station joins the read model; a repeated approval of it changes nothing."""
    with uow:
        if uow.session.get(Station, payload["station_id"]) is not None:
            uow.commit()  # claims the event: it has been seen, with no second effect
            return
        station = Station(
            id=payload["station_id"],
            plaque_number=payload["plaque_number"],
            name=payload["name"],
            station_type=payload["station_type"],
            host_unit_id=payload["host_unit_id"],
            host_unit_name=payload["host_unit_name"],
            district=payload["district"],
            approved_on=payload["approved_on"],
            status="active",
            status_since=payload["approved_on"],
        )
        uow.session.add(station)
        uow.audit("station.registered", "station", station.id, None, _station_dict(station))
        uow.commit()


def station_status_changed(uow: UnitOfWork, payload: dict[str, Any]) -> None:
    """The registry's status; a revoked station stays revoked, and a change older than what we
    hold (a late echo) is ignored."""
    with uow:
        station = uow.session.get(Station, payload["station_id"])
        if station is None:
            raise StationNotYetKnown(payload["station_id"])
        stale = payload["changed_on"] < station.status_since
        if station.status != "revoked" and not stale and station.status != payload["to_status"]:
            before = _station_dict(station)
            station.status = payload["to_status"]
            station.status_since = payload["changed_on"]
            if station.status == "revoked":
                station.revoked_on = payload["changed_on"]
            uow.audit("station.status_changed", "station", station.id, before,
                      {**_station_dict(station), "reason": payload["reason"]})
        uow.commit()


def station_revoked(uow: UnitOfWork, payload: dict[str, Any]) -> None:
    """The title is withdrawn: no more records; open rectifications and selections close."""
    with uow:
        station = uow.session.get(Station, payload["station_id"])
        if station is None:
            raise StationNotYetKnown(payload["station_id"])
        if station.status != "revoked":
            before = _station_dict(station)
            station.status = "revoked"
            station.status_since = station.revoked_on = payload["revoked_on"]
            uow.audit("station.revoked", "station", station.id, before,
                      {**_station_dict(station), "reason": payload["reason"]})
            for rectification in uow.session.scalars(select(Rectification).where(
                    Rectification.station_id == station.id,
                    Rectification.status.in_(("open", "evidence_submitted")))):
                rectification.status = "closed"
                rectification.failure_reason = f"station revoked: {payload['reason']}"
                uow.audit("rectification.closed", "rectification", rectification.id, None,
                          {"status": "closed", "reason": rectification.failure_reason})
            for selection in uow.session.scalars(select(Demonstration).where(
                    Demonstration.station_id == station.id,
                    Demonstration.status == "proposed")):
                selection.status = "declined"
                selection.declined_by = "system"
                selection.decline_reason = f"station revoked: {payload['reason']}"
                uow.audit("demonstration.declined", "demonstration", selection.id, None,
                          {"status": "declined", "reason": selection.decline_reason})
        uow.commit()


def collaboration_recorded(uow: UnitOfWork, payload: dict[str, Any]) -> None:
    """A brokered collaboration counts for its station (criterion 4); one without a station,
    or already recorded, changes nothing."""
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


# ---- station records -------------------------------------------------------------------------


def _activity_dict(row: Activity) -> dict[str, Any]:
    return {
        "activity_id": row.id,
        "station_id": row.station_id,
        "kind": row.kind,
        "kind_zh": domain.ACTIVITY_KINDS[row.kind],
        "title": row.title,
        "held_on": row.held_on.isoformat(),
        "place": row.place,
        "participants": row.participants,
        "talents_served": row.talents_served,
        "description": row.description,
        "recorded_by": row.recorded_by,
    }


def record_activity(uow: UnitOfWork, principal: Principal, today: date,
                    data: dict[str, Any]) -> dict[str, Any]:
    """Art 8: the host unit records an activity its station held."""
    with uow:
        station = _writable_station(uow, principal, data["station_id"])
        domain.check_activity(_ref(station), data["held_on"], data["participants"],
                              data["talents_served"], today)
        row = Activity(id=_new_id(), recorded_by=principal.actor,
                       recorded_at=datetime.now(UTC), **data)
        uow.session.add(row)
        uow.audit("activity.recorded", "activity", row.id, None, _activity_dict(row))
        uow.commit()
        return _activity_dict(row)


def list_activities(uow: UnitOfWork, principal: Principal, data: dict[str, Any]
                    ) -> dict[str, Any]:
    with uow:
        _readable_station(uow, principal, data["station_id"])
        query = (select(Activity).where(Activity.station_id == data["station_id"])
                 .order_by(Activity.held_on.desc(), Activity.id))
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page([_activity_dict(r) for r in rows], total, data["limit"], data["offset"])


def _service_dict(row: ExpertService) -> dict[str, Any]:
    return {
        "service_id": row.id,
        "station_id": row.station_id,
        "kind": row.kind,
        "kind_zh": domain.EXPERT_SERVICE_KINDS[row.kind],
        "expert_name": row.expert_name,
        "expert_id": row.expert_id,
        "description": row.description,
        "status": row.status,
        "requested_on": row.requested_on.isoformat(),
        "started_on": _iso(row.started_on),
        "completed_on": _iso(row.completed_on),
        "cancelled_on": _iso(row.cancelled_on),
        "note": row.note,
    }


def request_expert_service(uow: UnitOfWork, principal: Principal, today: date,
                           data: dict[str, Any]) -> dict[str, Any]:
    """R10.1: a resident expert's request of one of the six Art 10 kinds."""
    with uow:
        station = _writable_station(uow, principal, data["station_id"])
        domain.check_request_date(_ref(station), data["requested_on"], today)
        row = ExpertService(id=_new_id(), status="requested", note="", **data)
        uow.session.add(row)
        uow.audit("expert_service.requested", "expert_service", row.id, None, _service_dict(row))
        uow.commit()
        return _service_dict(row)


def advance_expert_service(uow: UnitOfWork, principal: Principal, today: date,
                           data: dict[str, Any]) -> dict[str, Any]:
    """R10.1: the request is started, completed (with its outcome) or cancelled (with why)."""
    with uow:
        row = uow.session.get(ExpertService, data["service_id"])
        if row is None:
            raise _not_found("expert_service", "专家服务", "service_id", data["service_id"])
        _writable_station(uow, principal, row.station_id)
        before = _service_dict(row)
        row.status = domain.advance_expert_service(row.status, data["action"], row.requested_on,
                                                   data["on"], today)
        date_field = {"in_progress": "started_on", "completed": "completed_on",
                      "cancelled": "cancelled_on"}[row.status]
        setattr(row, date_field, data["on"])
        if data["note"]:
            row.note = data["note"]
        uow.audit(f"expert_service.{data['action']}", "expert_service", row.id, before,
                  _service_dict(row))
        uow.commit()
        return _service_dict(row)


def list_expert_services(uow: UnitOfWork, principal: Principal, data: dict[str, Any]
                         ) -> dict[str, Any]:
    with uow:
        _readable_station(uow, principal, data["station_id"])
        query = (select(ExpertService).where(ExpertService.station_id == data["station_id"])
                 .order_by(ExpertService.requested_on.desc(), ExpertService.id))
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page([_service_dict(r) for r in rows], total, data["limit"], data["offset"])


# ---- plans and summaries ---------------------------------------------------------------------


def _due_dates(uow: UnitOfWork) -> domain.DueDates:
    """Due dates by year: what the city set, else the defaults."""
    configured = {
        row.year: {"plan": row.plan_due_on, "summary": row.summary_due_on}
        for row in uow.session.scalars(select(ReportDeadline))
    }
    return lambda year: configured.get(year) or domain.default_due_dates(year)


def _report_dict(station_id: str, kind: str, year: int, due_on: date, row: WorkReport | None,
                 today: date) -> dict[str, Any]:
    submitted_on = row.submitted_on if row else None
    return {
        "report_id": row.id if row else None,
        "station_id": station_id,
        "kind": kind,
        "kind_zh": domain.REPORT_KINDS[kind],
        "year": year,
        "due_on": due_on.isoformat(),
        "state": domain.report_state(due_on, submitted_on, today),
        "overdue_since": _iso(row.overdue_since) if row else None,
        "submitted_on": _iso(submitted_on),
        "title": row.title if row else None,
        "content": row.content if row else None,
    }


def set_report_deadlines(uow: UnitOfWork, principal: Principal, today: date,
                         data: dict[str, Any]) -> dict[str, Any]:
    """The city sets a year's due dates, before the first of them has passed."""
    principal.require("city_hr")
    year = data["year"]
    with uow:
        current = _due_dates(uow)(year)
        domain.check_report_deadlines(year, data["plan_due_on"], data["summary_due_on"],
                                      current, today)
        row = uow.session.get(ReportDeadline, year)
        before = {k: v.isoformat() for k, v in current.items()}
        if row is None:
            row = ReportDeadline(year=year)
            uow.session.add(row)
        row.plan_due_on, row.summary_due_on = data["plan_due_on"], data["summary_due_on"]
        row.set_by, row.set_at = principal.actor, datetime.now(UTC)
        after = {"year": year, "plan": row.plan_due_on.isoformat(),
                 "summary": row.summary_due_on.isoformat()}
        uow.audit("report_deadlines.set", "report_deadlines", str(year), before, after)
        uow.commit()
        return after


def submit_report(uow: UnitOfWork, principal: Principal, today: date,
                  data: dict[str, Any]) -> dict[str, Any]:
    """The host unit submits a year's plan or summary; one each, late if past its due date."""
    with uow:
        station = _writable_station(uow, principal, data["station_id"])
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
            row = WorkReport(id=_new_id(), station_id=station.id, kind=kind, year=year,
                             due_on=_due_dates(uow)(year)[kind])
            uow.session.add(row)
        row.submitted_on, row.submitted_by = today, principal.actor
        row.title, row.content = data["title"], data["content"]
        view = _report_dict(station.id, kind, year, row.due_on, row, today)
        uow.audit("report.submitted", "work_report", row.id, None, view)
        uow.commit()
        return view


def list_reports(uow: UnitOfWork, principal: Principal, today: date, data: dict[str, Any]
                 ) -> list[dict[str, Any]]:
    """Every plan and summary owed so far or already in, with its state."""
    with uow:
        station = _readable_station(uow, principal, data["station_id"])
        rows = {(r.kind, r.year): r for r in uow.session.scalars(
            select(WorkReport).where(WorkReport.station_id == station.id))}
        due_dates = _due_dates(uow)
        keys = {(kind, year): due_on for kind, year, due_on in domain.reports_owed(
            station.approved_on, station.revoked_on, due_dates, today)}
        keys.update({key: row.due_on for key, row in rows.items()})
        return [_report_dict(station.id, kind, year, due_on, rows.get((kind, year)), today)
                for (kind, year), due_on in sorted(keys.items(), key=lambda kv: (kv[1], kv[0]))]


def check_deadlines(uow: UnitOfWork, today: date) -> dict[str, int]:
    """Hourly and on demand: plans and summaries past due become overdue on their station;
    rectifications with no evidence by their deadline fail (R17.1)."""
    with uow:
        due_dates = _due_dates(uow)
        seen = {(r.station_id, r.kind, r.year) for r in uow.session.execute(
            select(WorkReport.station_id, WorkReport.kind, WorkReport.year))}
        overdue = 0
        for station in uow.session.scalars(select(Station).where(Station.status != "revoked")):
            for kind, year, due_on in domain.reports_owed(station.approved_on, None, due_dates,
                                                          today):
                if due_on < today and (station.id, kind, year) not in seen:
                    row = WorkReport(id=_new_id(), station_id=station.id, kind=kind, year=year,
                                     due_on=due_on, overdue_since=today)
                    uow.session.add(row)
                    uow.audit("report.overdue", "station", station.id, None,
                              {"kind": kind, "year": year, "due_on": due_on.isoformat()})
                    uow.add_event("report_overdue", {
                        "station_id": station.id, "district": station.district, "kind": kind,
                        "year": year, "due_on": due_on.isoformat(),
                        "detected_on": today.isoformat()}, aggregate_id=station.id)
                    overdue += 1
        failed = 0
        for rectification in uow.session.scalars(select(Rectification).where(
                Rectification.status == "open")):
            if not domain.lapsed(rectification.status, rectification.deadline, today):
                continue
            _fail_rectification(uow, rectification, today,
                                f"no rectification evidence by the deadline "
                                f"{rectification.deadline.isoformat()}")
            failed += 1
        uow.commit()
        return {"reports_overdue": overdue, "rectifications_failed": failed}


def station_profile(uow: UnitOfWork, principal: Principal, today: date,
                    data: dict[str, Any]) -> dict[str, Any]:
    """The station as evaluation sees it: status, records, overdue reports, open
    rectification, and its own results and findings (never another station's)."""
    with uow:
        station = _readable_station(uow, principal, data["station_id"])
        counts = uow.session.execute(select(func.count(Activity.id),
                                            func.coalesce(func.sum(Activity.talents_served), 0))
                                     .where(Activity.station_id == station.id)).one()
        services = Counter(uow.session.scalars(
            select(ExpertService.status).where(ExpertService.station_id == station.id)))
        collaborations = uow.session.scalar(
            select(func.count(Collaboration.id)).where(Collaboration.station_id == station.id))
        overdue = uow.session.scalars(select(WorkReport).where(
            WorkReport.station_id == station.id, WorkReport.submitted_on.is_(None))
            .order_by(WorkReport.due_on))
        results = uow.session.execute(
            select(CycleStation, Cycle).join(Cycle, Cycle.id == CycleStation.cycle_id)
            .where(CycleStation.station_id == station.id, Cycle.status == "finalized")
            .order_by(Cycle.reference_date.desc())).all()
        rectifications = {r.cycle_id: r for r in uow.session.scalars(
            select(Rectification).where(Rectification.station_id == station.id))}
        return {
            **_station_dict(station),
            "records": {
                "activities": counts[0],
                "talents_served": int(counts[1]),
                "expert_services": dict(services),
                "collaborations": collaborations,
            },
            "overdue_reports": [
                {"kind": r.kind, "year": r.year, "due_on": r.due_on.isoformat(),
                 "overdue_since": _iso(r.overdue_since)} for r in overdue],
            "results": [
                {**_result_dict(cs, cycle),
                 "rectification": _rectification_dict(rectifications[cycle.id], station)
                 if cycle.id in rectifications else None}
                for cs, cycle in results],
        }


# ---- evaluation cycles (R16.1) ---------------------------------------------------------------


def _cycle(uow: UnitOfWork, cycle_id: str) -> Cycle:
    cycle = uow.session.get(Cycle, cycle_id)
    if cycle is None:
        raise _not_found("cycle", "评估周期", "cycle_id", cycle_id)
    return cycle


def _cycle_dict(cycle: Cycle) -> dict[str, Any]:
    return {
        "cycle_id": cycle.id,
        "name": cycle.name,
        "reference_date": cycle.reference_date.isoformat(),
        "status": cycle.status,
        "weights": cycle.weights,
        "bands": cycle.bands,
        "targets": cycle.targets,
        "rectification_days": cycle.rectification_days,
        "opened_by": cycle.opened_by,
        "opened_on": cycle.opened_on.isoformat(),
        "finalized_on": _iso(cycle.finalized_on),
    }


def _prefills(uow: UnitOfWork, stations: list[Station], reference: date,
              targets: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Criteria (4) and (6) of each station from its records over its window (R16.1)."""
    ids = [s.id for s in stations]
    windows = {s.id: (domain.evaluation_basis(s.approved_on, s.last_evaluated_on), reference)
               for s in stations}

    def inside(station_id: str, day: date | None) -> bool:
        start, end = windows[station_id]
        return day is not None and start <= day <= end

    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    talents: Counter[str] = Counter()
    for station_id, kind, held_on, served in uow.session.execute(
            select(Activity.station_id, Activity.kind, Activity.held_on, Activity.talents_served)
            .where(Activity.station_id.in_(ids), Activity.held_on <= reference)):
        if inside(station_id, held_on):
            by_kind[station_id][kind] += 1
            talents[station_id] += served
    services: Counter[str] = Counter(
        station_id for station_id, completed_on in uow.session.execute(
            select(ExpertService.station_id, ExpertService.completed_on)
            .where(ExpertService.station_id.in_(ids), ExpertService.status == "completed"))
        if inside(station_id, completed_on))
    collaborations: Counter[str] = Counter(
        station_id for station_id, recorded_on in uow.session.execute(
            select(Collaboration.station_id, Collaboration.recorded_on)
            .where(Collaboration.station_id.in_(ids)))
        if inside(station_id, recorded_on))
    submitted: dict[str, dict[tuple[str, int], date]] = defaultdict(dict)
    for station_id, kind, year, submitted_on in uow.session.execute(
            select(WorkReport.station_id, WorkReport.kind, WorkReport.year,
                   WorkReport.submitted_on)
            .where(WorkReport.station_id.in_(ids), WorkReport.submitted_on.is_not(None))):
        submitted[station_id][(kind, year)] = submitted_on
    due_dates = _due_dates(uow)
    prefills = {}
    for s in stations:
        counts = domain.ActivityCounts(
            activities=sum(by_kind[s.id].values()),
            talents_served=talents[s.id],
            expert_services_completed=services[s.id],
            collaborations=collaborations[s.id],
            by_kind=dict(by_kind[s.id]),
        )
        owed = domain.reports_owed(s.approved_on, s.revoked_on, due_dates, reference)
        prefills[s.id] = {
            "events_and_talents_served": domain.prefill_events(counts, targets, windows[s.id]),
            "plans_and_reports": domain.prefill_reports(owed, submitted[s.id], windows[s.id]),
        }
    return prefills


def open_cycle(uow: UnitOfWork, principal: Principal, today: date,
               data: dict[str, Any]) -> dict[str, Any]:
    """R16.1: the city opens a cycle; every active station due by the reference date joins it
    with criteria (4) and (6) pre-filled from its records."""
    principal.require("city_hr")
    weights = data["weights"] or dict(domain.DEFAULT_WEIGHTS)
    bands = data["bands"] or dict(domain.DEFAULT_BANDS)
    targets = data["targets"] or dict(domain.DEFAULT_TARGETS)
    domain.check_weights(weights)
    domain.check_bands(bands)
    domain.check_reference_date(data["reference_date"], today)
    reference = data["reference_date"]
    with uow:
        in_open_cycles = select(CycleStation.station_id).join(
            Cycle, Cycle.id == CycleStation.cycle_id).where(Cycle.status == "open")
        due = [s for s in uow.session.scalars(
                   select(Station).where(Station.status == "active",
                                         Station.id.not_in(in_open_cycles))
                   .order_by(Station.plaque_number))
               if domain.is_due(s.status, s.approved_on, s.last_evaluated_on, reference)]
        domain.require_stations_due(len(due), reference)
        cycle = Cycle(
            id=_new_id(), name=data["name"], reference_date=reference, status="open",
            weights=weights, bands=bands, targets=targets,
            rectification_days=data["rectification_days"] or domain.DEFAULT_RECTIFICATION_DAYS,
            opened_by=principal.actor, opened_on=today,
        )
        uow.session.add(cycle)
        prefills = _prefills(uow, due, reference, targets)
        uow.session.add_all(
            CycleStation(id=_new_id(), cycle_id=cycle.id, station_id=s.id,
                         basis_date=domain.evaluation_basis(s.approved_on, s.last_evaluated_on),
                         prefill=prefills[s.id])
            for s in due)
        view = {**_cycle_dict(cycle), "stations": len(due)}
        uow.audit("cycle.opened", "cycle", cycle.id, None,
                  {**view, "station_ids": [s.id for s in due]})
        uow.commit()
        return view


def list_cycles(uow: UnitOfWork, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    if principal.role != "reviewer":
        _visible_stations(principal)
    with uow:
        query = select(Cycle).order_by(Cycle.reference_date.desc(), Cycle.id)
        if data["status"]:
            query = query.where(Cycle.status == data["status"])
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page([_cycle_dict(c) for c in rows], total, data["limit"], data["offset"])


def _cycle_station(uow: UnitOfWork, cycle: Cycle, station_id: str) -> CycleStation:
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


def get_cycle(uow: UnitOfWork, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """The cycle, its settings and each visible station's progress (reviewers, sheets in)."""
    visible = _visible_stations(principal)
    with uow:
        cycle = _cycle(uow, data["cycle_id"])
        progress = {station_id: (assigned, scored) for station_id, assigned, scored in
                    uow.session.execute(
                        select(Assignment.station_id, func.count(Assignment.id),
                               func.count(Assignment.scored_at))
                        .where(Assignment.cycle_id == cycle.id)
                        .group_by(Assignment.station_id))}
        query = (select(CycleStation, Station).join(Station, Station.id == CycleStation.station_id)
                 .where(CycleStation.cycle_id == cycle.id).order_by(Station.plaque_number))
        if visible is not None:
            query = query.where(visible)
        stations = []
        for cs, station in uow.session.execute(query):
            assigned, scored = progress.get(station.id, (0, 0))
            stations.append({
                "station_id": station.id, "name": station.name,
                "plaque_number": station.plaque_number, "district": station.district,
                "basis_date": cs.basis_date.isoformat(), "prefill": cs.prefill,
                "reviewers_assigned": assigned, "sheets_in": scored,
                "grade": cs.grade,
            })
        return {**_cycle_dict(cycle), "stations": stations}


def assign_reviewers(uow: UnitOfWork, principal: Principal, data: dict[str, Any]
                     ) -> dict[str, Any]:
    """R16.1 (as R7.2): the city assigns review experts to a station, none from its host unit."""
    principal.require("city_hr")
    with uow:
        cycle = _cycle(uow, data["cycle_id"])
        domain.require_cycle_open(cycle.status, cycle.id)
        _cycle_station(uow, cycle, data["station_id"])
        station = _station(uow, data["station_id"])
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
            domain.check_reviewer(reviewer["expert_id"], reviewer["affiliation"], _ref(station))
        uow.session.add_all(
            Assignment(cycle_id=cycle.id, station_id=station.id, expert_id=r["expert_id"],
                       affiliation=r["affiliation"], assigned_by=principal.actor)
            for r in data["reviewers"])
        after = {"cycle_id": cycle.id, "station_id": station.id,
                 "reviewers": sorted(existing | set(experts))}
        uow.audit("cycle.reviewers_assigned", "cycle_station", f"{cycle.id}:{station.id}",
                  {"reviewers": sorted(existing)}, after)
        uow.commit()
        return after


def _sheet_dict(row: Assignment) -> dict[str, Any]:
    return {
        "expert_id": row.expert_id,
        "scores": {c: getattr(row, c) for c in domain.CRITERIA},
        "from_records": row.from_records or [],
        "comments": row.comments,
        "scored_at": row.scored_at.isoformat() if row.scored_at else None,
    }


def submit_scores(uow: UnitOfWork, principal: Principal, data: dict[str, Any]
                  ) -> dict[str, Any]:
    """R16.1: an assigned reviewer scores the six criteria (and may revise until finalized)."""
    principal.require("reviewer")
    with uow:
        cycle = _cycle(uow, data["cycle_id"])
        domain.require_cycle_open(cycle.status, cycle.id)
        cycle_station = _cycle_station(uow, cycle, data["station_id"])
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
        sheet, from_records = domain.complete_sheet(data["scores"], cycle_station.prefill)
        before = _sheet_dict(row) if row.scored_at else None
        for criterion, value in sheet.items():
            setattr(row, criterion, value)
        row.from_records, row.comments = from_records, data["comments"]
        row.scored_at = datetime.now(UTC)
        after = {"cycle_id": cycle.id, "station_id": data["station_id"], **_sheet_dict(row)}
        uow.audit("cycle.scored", "cycle_station", f"{cycle.id}:{data['station_id']}",
                  before, after)
        uow.commit()
        return after


def my_assignments(uow: UnitOfWork, principal: Principal, data: dict[str, Any]
                   ) -> list[dict[str, Any]]:
    """A reviewer's stations in a cycle, with the pre-fill and sources and their own sheet;
    the city sees every assignment."""
    with uow:
        cycle = _cycle(uow, data["cycle_id"])
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
        return [{
            "station_id": station.id, "name": station.name,
            "plaque_number": station.plaque_number, "district": station.district,
            "prefill": cs.prefill, **_sheet_dict(row),
        } for row, cs, station in uow.session.execute(query)]


def finalize_cycle(uow: UnitOfWork, principal: Principal, today: date,
                   data: dict[str, Any]) -> dict[str, Any]:
    """R16.1, R17.1: every sheet in, each station gets its score, grade and rank; excellent
    ones are commended, failing ones go into rectification with findings and a deadline."""
    principal.require("city_hr")
    with uow:
        cycle = _cycle(uow, data["cycle_id"])
        domain.require_cycle_open(cycle.status, cycle.id)
        members = {cs.station_id: cs for cs in uow.session.scalars(
            select(CycleStation).where(CycleStation.cycle_id == cycle.id))}
        unknown = sorted(set(data["findings"]) - set(members))
        if unknown:
            raise InvalidInput(
                "finalize.findings_for_unknown_station",
                f"Findings name stations not in the cycle: {', '.join(unknown)}.",
                f"整改意见所列驿站不在本评估周期内：{'、'.join(unknown)}。",
                {"field": "findings", "station_ids": unknown},
            )
        sheets: dict[str, list[dict[str, int]]] = defaultdict(list)
        comments: dict[str, list[str]] = defaultdict(list)
        missing: list[tuple[str, str | None]] = []
        columns = [getattr(Assignment, c) for c in domain.CRITERIA]
        for station_id, expert_id, scored_at, note, *scores in uow.session.execute(
                select(Assignment.station_id, Assignment.expert_id, Assignment.scored_at,
                       Assignment.comments, *columns)
                .where(Assignment.cycle_id == cycle.id)
                .order_by(Assignment.station_id, Assignment.expert_id)):
            if scored_at is None:
                missing.append((station_id, expert_id))
                continue
            sheets[station_id].append(dict(zip(domain.CRITERIA, scores, strict=True)))
            comments[station_id].append(note or "")
        waiting = {station_id for station_id, _ in missing}
        missing.extend((s, None) for s in sorted(members) if s not in sheets
                       and s not in waiting)
        domain.require_all_scored(sorted(missing, key=lambda m: (m[0], m[1] or "")), cycle.id)

        results = {s: domain.station_result(s, sheets[s], cycle.weights, cycle.bands)
                   for s in members}
        ranks = domain.rank((s, r.score_centi) for s, r in results.items())
        uow.session.execute(update(CycleStation), [
            {"id": members[s].id, "score_centi": r.score_centi, "criteria_centi": r.criteria_centi,
             "grade": r.grade, "rank": ranks[s], "reviewers": r.reviewers}
            for s, r in results.items()])
        stations = {s.id: s for s in uow.session.scalars(
            select(Station).where(Station.id.in_(list(members))))}
        deadline = domain.rectification_deadline(today, cycle.rectification_days)
        outcome: Counter[str] = Counter()
        for station_id, result in sorted(results.items(), key=lambda kv: ranks[kv[0]]):
            station = stations[station_id]
            station.last_evaluated_on = cycle.reference_date
            outcome[result.grade] += 1
            uow.add_event("evaluation_completed", {
                "cycle_id": cycle.id, "station_id": station_id,
                "score": domain.format_score(result.score_centi), "grade": result.grade,
                "rectification_id": None, "evaluated_on": today.isoformat(),
            }, aggregate_id=station_id)
            uow.audit("cycle.station_evaluated", "station", station_id, None, {
                "cycle_id": cycle.id, "score": domain.format_score(result.score_centi),
                "grade": result.grade, "rank": ranks[station_id]})
            if station.status == "revoked":
                continue  # revoked while the cycle ran: graded, but neither commended nor rectified
            if result.grade == "excellent":
                uow.add_event("station_commended", {"cycle_id": cycle.id,
                                                    "station_id": station_id},
                              aggregate_id=station_id)
            elif result.grade == "fail":
                findings = data["findings"].get(station_id) or domain.default_findings(
                    result, cycle.bands, comments[station_id])
                _open_rectification(uow, cycle, station, findings, today, deadline)
        before = _cycle_dict(cycle)
        cycle.status, cycle.finalized_on = "finalized", today
        summary = {**_cycle_dict(cycle), "outcomes": dict(outcome)}
        uow.audit("cycle.finalized", "cycle", cycle.id, before, summary)
        uow.commit()
        return summary


def _open_rectification(uow: UnitOfWork, cycle: Cycle, station: Station, findings: str,
                        today: date, deadline: date) -> None:
    row = Rectification(id=_new_id(), cycle_id=cycle.id, station_id=station.id, status="open",
                        findings=findings, opened_on=today, deadline=deadline)
    uow.session.add(row)
    before = _station_dict(station)
    station.status, station.status_since = "rectifying", today
    uow.audit("rectification.opened", "rectification", row.id, None,
              {"station_id": station.id, "findings": findings,
               "deadline": deadline.isoformat()})
    uow.audit("station.status_changed", "station", station.id, before, _station_dict(station))
    uow.add_event("rectification_required", {
        "rectification_id": row.id, "cycle_id": cycle.id, "station_id": station.id,
        "findings": findings, "deadline": deadline.isoformat(),
    }, aggregate_id=station.id)


def _result_dict(cs: CycleStation, cycle: Cycle) -> dict[str, Any]:
    return {
        "cycle_id": cycle.id,
        "cycle_name": cycle.name,
        "reference_date": cycle.reference_date.isoformat(),
        "score": domain.format_score(cs.score_centi) if cs.score_centi is not None else None,
        "grade": cs.grade,
        "rank": cs.rank,
        "reviewers": cs.reviewers,
        "criteria": {c: domain.format_score(v) for c, v in (cs.criteria_centi or {}).items()},
        "prefill": cs.prefill,
    }


def cycle_report(uow: UnitOfWork, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """A finalized cycle's ranking with per-criterion scores and outcomes; a district sees its
    own stations (R13.1), a host unit its own station's row alone."""
    visible = _visible_stations(principal)
    with uow:
        cycle = _cycle(uow, data["cycle_id"])
        if cycle.status != "finalized":
            raise Conflict(
                "cycle.not_finalized",
                f"Cycle {cycle.id} is not finalized yet; it has no results.",
                f"评估周期（{cycle.id}）尚未确定结果。",
                {"cycle_id": cycle.id, "status": cycle.status},
            )
        query = (select(CycleStation, Station).join(Station, Station.id == CycleStation.station_id)
                 .where(CycleStation.cycle_id == cycle.id)
                 .order_by(CycleStation.rank, Station.plaque_number))
        if visible is not None:
            query = query.where(visible)
        rectifications = {r.station_id: r for r in uow.session.scalars(
            select(Rectification).where(Rectification.cycle_id == cycle.id))}
        demonstrations = {d.station_id: d for d in uow.session.scalars(
            select(Demonstration).where(Demonstration.cycle_id == cycle.id))}
        rows = []
        for cs, station in uow.session.execute(query):
            rectification = rectifications.get(station.id)
            demonstration = demonstrations.get(station.id)
            rows.append({
                "rank": cs.rank, "station_id": station.id, "plaque_number": station.plaque_number,
                "name": station.name, "district": station.district,
                "station_type": station.station_type,
                "score": domain.format_score(cs.score_centi), "grade": cs.grade,
                "reviewers": cs.reviewers,
                "criteria": {c: domain.format_score(cs.criteria_centi[c])
                             for c in domain.CRITERIA},
                "outcome": domain.outcome_of(cs.grade),
                "rectification_id": rectification.id if rectification else None,
                "rectification_status": rectification.status if rectification else None,
                "rectification_deadline": _iso(rectification.deadline) if rectification
                else None,
                "findings": rectification.findings if rectification else None,
                "demonstration_status": demonstration.status if demonstration else None,
            })
        return {**_cycle_dict(cycle), "criteria": list(domain.CRITERIA), "rows": rows}


# ---- rectification (R17.1) -------------------------------------------------------------------


def _rectification_dict(row: Rectification, station: Station) -> dict[str, Any]:
    return {
        "rectification_id": row.id,
        "cycle_id": row.cycle_id,
        "station_id": row.station_id,
        "station_name": station.name,
        "district": station.district,
        "status": row.status,
        "findings": row.findings,
        "opened_on": row.opened_on.isoformat(),
        "deadline": row.deadline.isoformat(),
        "evidence": row.evidence,
        "evidence_submitted_on": _iso(row.evidence_submitted_on),
        "reassessed_on": _iso(row.reassessed_on),
        "reassessment_score": row.reassessment_score,
        "reassessment_grade": row.reassessment_grade,
        "reassessment_comments": row.reassessment_comments,
        "failure_reason": row.failure_reason,
    }


def _rectification(uow: UnitOfWork, rectification_id: str) -> tuple[Rectification, Station]:
    row = uow.session.get(Rectification, rectification_id)
    if row is None:
        raise _not_found("rectification", "整改", "rectification_id", rectification_id)
    return row, _station(uow, row.station_id)


def list_rectifications(uow: UnitOfWork, principal: Principal, data: dict[str, Any]
                        ) -> dict[str, Any]:
    visible = _visible_stations(principal)
    with uow:
        query = (select(Rectification).join(Station, Station.id == Rectification.station_id)
                 .order_by(Rectification.deadline, Rectification.id))
        if visible is not None:
            query = query.where(visible)
        if data["status"]:
            query = query.where(Rectification.status == data["status"])
        if data["station_id"]:
            query = query.where(Rectification.station_id == data["station_id"])
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        stations = {s.id: s for s in uow.session.scalars(
            select(Station).where(Station.id.in_({r.station_id for r in rows})))}
        return page([_rectification_dict(r, stations[r.station_id]) for r in rows], total,
                    data["limit"], data["offset"])


def get_rectification(uow: UnitOfWork, principal: Principal, data: dict[str, Any]
                      ) -> dict[str, Any]:
    with uow:
        row, station = _rectification(uow, data["rectification_id"])
        domain.require_reader(principal, _ref(station))
        return _rectification_dict(row, station)


def submit_evidence(uow: UnitOfWork, principal: Principal, today: date,
                    data: dict[str, Any]) -> dict[str, Any]:
    """The host unit hands in its rectification evidence, by the deadline."""
    with uow:
        row, station = _rectification(uow, data["rectification_id"])
        _writable_station(uow, principal, station.id)
        domain.check_evidence(row.status, row.deadline, today, row.id)
        before = _rectification_dict(row, station)
        row.status, row.evidence, row.evidence_submitted_on = (
            "evidence_submitted", data["evidence"], today)
        uow.audit("rectification.evidence_submitted", "rectification", row.id, before,
                  _rectification_dict(row, station))
        uow.commit()
        return _rectification_dict(row, station)


def reassess(uow: UnitOfWork, principal: Principal, today: date, data: dict[str, Any]
             ) -> dict[str, Any]:
    """R17.1: the city re-assesses a rectified station: it passes (active again) or fails
    (rectification_failed; the applications service revokes the title)."""
    principal.require("city_hr")
    domain.check_reassessment_score(data["score"])
    with uow:
        row, station = _rectification(uow, data["rectification_id"])
        domain.check_reassessment(row.status, row.id)
        domain.require_takes_records(_ref(station))
        cycle = _cycle(uow, row.cycle_id)
        before = _rectification_dict(row, station)
        result = domain.grade(data["score"] * 100, cycle.bands)
        row.reassessed_on, row.reassessment_score = today, data["score"]
        row.reassessment_grade, row.reassessment_comments = result, data["comments"]
        uow.add_event("evaluation_completed", {
            "cycle_id": cycle.id, "station_id": station.id,
            "score": domain.format_score(data["score"] * 100), "grade": result,
            "rectification_id": row.id, "evaluated_on": today.isoformat(),
        }, aggregate_id=station.id)
        if result == "fail":
            _fail_rectification(uow, row, today, f"re-assessment scored {data['score']}, below "
                                 f"the pass mark {cycle.bands['pass']}: {data['comments']}")
        else:
            row.status = "passed"
            station_before = _station_dict(station)
            station.status, station.status_since = "active", today
            uow.audit("station.status_changed", "station", station.id, station_before,
                      _station_dict(station))
        uow.audit("rectification.reassessed", "rectification", row.id, before,
                  _rectification_dict(row, station))
        uow.commit()
        return _rectification_dict(row, station)


def _fail_rectification(uow: UnitOfWork, row: Rectification, today: date, reason: str) -> None:
    row.status, row.failure_reason = "failed", reason
    uow.audit("rectification.failed", "rectification", row.id, None,
              {"station_id": row.station_id, "reason": reason, "on": today.isoformat()})
    uow.add_event("rectification_failed", {
        "rectification_id": row.id, "station_id": row.station_id, "reason": reason,
    }, aggregate_id=row.station_id)


# ---- demonstration selection (R9.1, R9.2) ----------------------------------------------------


def _demonstration_dict(row: Demonstration, station: Station) -> dict[str, Any]:
    return {
        "selection_id": row.id,
        "cycle_id": row.cycle_id,
        "station_id": row.station_id,
        "station_name": station.name,
        "district": station.district,
        "proposed_subsidy": fen_to_yuan(row.proposed_subsidy_fen),
        "provincial": row.provincial,
        "provincial_reference": row.provincial_reference,
        "note": row.note,
        "status": row.status,
        "proposed_by": row.proposed_by,
        "proposed_on": row.proposed_on.isoformat(),
        "city_hr_confirmed_by": row.city_hr_confirmed_by,
        "org_department_confirmed_by": row.org_department_confirmed_by,
        "confirmed_on": _iso(row.confirmed_on),
        "declined_by": row.declined_by,
        "decline_reason": row.decline_reason,
    }


def propose_demonstration(uow: UnitOfWork, principal: Principal, today: date,
                          data: dict[str, Any]) -> dict[str, Any]:
    """R9.1: the city proposes an excellent station of a finalized cycle, with its subsidy."""
    principal.require("city_hr")
    subsidy_fen = yuan_to_fen(data["proposed_subsidy"], "proposed_subsidy")
    with uow:
        cycle = _cycle(uow, data["cycle_id"])
        station = _station(uow, data["station_id"])
        grade = uow.session.scalar(select(CycleStation.grade).where(
            CycleStation.cycle_id == cycle.id, CycleStation.station_id == station.id))
        domain.check_demonstration(grade, _ref(station), subsidy_fen, data["provincial"],
                                   data["provincial_reference"])
        existing = uow.session.scalars(select(Demonstration).where(
            Demonstration.cycle_id == cycle.id, Demonstration.station_id == station.id)).first()
        if existing is not None:
            raise Conflict(
                "demonstration.duplicate",
                f"Station {station.id} is already proposed in this cycle ({existing.status}).",
                f"驿站（{station.id}）已在本周期被提名（{existing.status}）。",
                {"selection_id": existing.id, "status": existing.status},
            )
        row = Demonstration(
            id=_new_id(), cycle_id=cycle.id, station_id=station.id,
            proposed_subsidy_fen=subsidy_fen, provincial=data["provincial"],
            provincial_reference=data["provincial_reference"] if data["provincial"] else None,
            note=data["note"], status="proposed", proposed_by=principal.actor, proposed_on=today,
        )
        uow.session.add(row)
        uow.audit("demonstration.proposed", "demonstration", row.id, None,
                  _demonstration_dict(row, station))
        uow.commit()
        return _demonstration_dict(row, station)


def _selection(uow: UnitOfWork, selection_id: str) -> tuple[Demonstration, Station]:
    row = uow.session.get(Demonstration, selection_id)
    if row is None:
        raise _not_found("demonstration", "示范驿站遴选", "selection_id", selection_id)
    return row, _station(uow, row.station_id)


def confirm_demonstration(uow: UnitOfWork, principal: Principal, today: date,
                          data: dict[str, Any]) -> dict[str, Any]:
    """R9.1: city_hr and org_department each confirm; the second confirmation selects the
    station and tells the subsidy service (demonstration_selected)."""
    with uow:
        row, station = _selection(uow, data["selection_id"])
        confirmations = {"city_hr": row.city_hr_confirmed_by,
                         "org_department": row.org_department_confirmed_by}
        complete = domain.confirm_demonstration(row.status, confirmations, principal, row.id)
        domain.require_takes_records(_ref(station))
        before = _demonstration_dict(row, station)
        setattr(row, f"{principal.role}_confirmed_by", principal.actor)
        if complete:
            row.status, row.confirmed_on = "confirmed", today
            uow.add_event("demonstration_selected", {
                "selection_id": row.id, "cycle_id": row.cycle_id, "station_id": station.id,
                "district": station.district, "proposed_subsidy_fen": row.proposed_subsidy_fen,
                "provincial": row.provincial, "confirmed_on": today.isoformat(),
            }, aggregate_id=station.id)
        uow.audit("demonstration.confirmed", "demonstration", row.id, before,
                  _demonstration_dict(row, station))
        uow.commit()
        return _demonstration_dict(row, station)


def decline_demonstration(uow: UnitOfWork, principal: Principal, data: dict[str, Any]
                          ) -> dict[str, Any]:
    """Either department turns a proposal down, with its reason, before it is confirmed."""
    principal.require(*domain.CONFIRMING_ROLES)
    with uow:
        row, station = _selection(uow, data["selection_id"])
        domain.require_proposed(row.status, row.id)
        before = _demonstration_dict(row, station)
        row.status, row.declined_by, row.decline_reason = (
            "declined", principal.actor, data["reason"])
        uow.audit("demonstration.declined", "demonstration", row.id, before,
                  _demonstration_dict(row, station))
        uow.commit()
        return _demonstration_dict(row, station)


def list_demonstrations(uow: UnitOfWork, principal: Principal, data: dict[str, Any]
                        ) -> dict[str, Any]:
    visible = _visible_stations(principal)
    with uow:
        query = (select(Demonstration, Station).join(Station,
                                                     Station.id == Demonstration.station_id)
                 .order_by(Demonstration.proposed_on.desc(), Demonstration.id))
        if visible is not None:
            query = query.where(visible)
        if data["cycle_id"]:
            query = query.where(Demonstration.cycle_id == data["cycle_id"])
        total = uow.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = uow.session.execute(query.limit(data["limit"]).offset(data["offset"])).all()
        return page([_demonstration_dict(d, s) for d, s in rows], int(total or 0),
                    data["limit"], data["offset"])
