"""Evaluation cycles (R16.1): opened with every station due and its records pre-filled,
finalized into scores, grades, ranks and outcomes (R17.1), and reported."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, select, update

from contracts.rpc import evaluation as contract
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, InvalidInput
from servicekit.paging import page, paginate
from services.evaluation import domain
from services.evaluation.models import (
    Activity,
    Assignment,
    Collaboration,
    Commendation,
    Cycle,
    CycleStation,
    Demonstration,
    ExpertService,
    Publicity,
    Rectification,
    Station,
    Training,
    WorkReport,
)
from services.evaluation.usecases.rectifications import open_rectification
from services.evaluation.usecases.shared import (
    due_dates,
    iso,
    load_cycle,
    new_id,
    visible_stations,
)

_CYCLES = contract.Cycle(many=True)
_OPENED = contract.OpenedCycle()
_FINALIZED = contract.FinalizedCycle()
_DETAIL = contract.CycleDetail()
_REPORT = contract.CycleReport()
_SETTINGS = contract.Cycle()


def _prefills(uow: UnitOfWork, stations: list[Station], reference: date,
              targets: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Criteria (4) and (6) of each station from its records over its window (R16.1), and
    the context the reviewers read with them: its commendations (R17.2), the city's training
    its staff attended and its publicity (R12.1) in the window."""
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
    # R17.2: commendations since the last evaluation are part of the reviewers' context.
    commended: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in uow.session.scalars(select(Commendation).where(Commendation.station_id.in_(ids))
                                   .order_by(Commendation.commended_on)):
        if inside(row.station_id, row.commended_on):
            commended[row.station_id].append({
                "document": row.document, "commended_on": row.commended_on.isoformat(),
                "reason": row.reason})
    # R12.1: the city's training its staff attended and its publicity, for criterion (5).
    trained: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in uow.session.scalars(select(Training).order_by(Training.held_on)):
        for attendee in row.attendees:
            if attendee["station_id"] in windows and inside(attendee["station_id"], row.held_on):
                trained[attendee["station_id"]].append({
                    "held_on": row.held_on.isoformat(), "topic": row.topic,
                    "people": attendee["people"]})
    published: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in uow.session.scalars(select(Publicity).where(Publicity.station_id.in_(ids))
                                   .order_by(Publicity.published_on)):
        if inside(row.station_id, row.published_on):
            published[row.station_id].append({
                "kind": row.kind, "title": row.title,
                "published_on": row.published_on.isoformat()})
    dues = due_dates(uow)
    prefills = {}
    for s in stations:
        counts = domain.ActivityCounts(
            activities=sum(by_kind[s.id].values()),
            talents_served=talents[s.id],
            expert_services_completed=services[s.id],
            collaborations=collaborations[s.id],
            by_kind=dict(by_kind[s.id]),
        )
        owed = domain.reports_owed(s.approved_on, s.revoked_on, dues, reference)
        prefills[s.id] = {
            "events_and_talents_served": domain.prefill_events(counts, targets, windows[s.id]),
            "plans_and_reports": domain.prefill_reports(owed, submitted[s.id], windows[s.id]),
            "context": {"commendations": commended[s.id], "trainings": trained[s.id],
                        "publicity": published[s.id]},
        }
    return prefills


# Commands ------------------------------------------------------------------------------------


def open_cycle(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R16.1: the city opens a cycle; every active station due by the reference date joins it
    with criteria (4) and (6) pre-filled from its records."""
    ctx.principal.require("city_hr")
    weights = data["weights"] or dict(domain.DEFAULT_WEIGHTS)
    bands = data["bands"] or dict(domain.DEFAULT_BANDS)
    targets = data["targets"] or dict(domain.DEFAULT_TARGETS)
    domain.check_weights(weights)
    domain.check_bands(bands)
    today = ctx.today()
    domain.check_reference_date(data["reference_date"], today)
    reference = data["reference_date"]
    uow = ctx.uow
    with uow:
        in_open_cycles = select(CycleStation.station_id).join(
            Cycle, Cycle.id == CycleStation.cycle_id).where(Cycle.status == "open")
        due = [s for s in uow.session.scalars(
                   select(Station).where(Station.status == "active",
                                         Station.approved_on.is_not(None),
                                         Station.id.not_in(in_open_cycles))
                   .order_by(Station.plaque_number))
               if domain.is_due(s.status, s.approved_on, s.last_evaluated_on, reference)]
        domain.require_stations_due(len(due), reference)
        cycle = Cycle(
            id=new_id(), name=data["name"], reference_date=reference, status="open",
            weights=weights, bands=bands, targets=targets,
            rectification_days=data["rectification_days"] or domain.DEFAULT_RECTIFICATION_DAYS,
            opened_by=ctx.principal.actor, opened_on=today,
        )
        uow.session.add(cycle)
        prefills = _prefills(uow, due, reference, targets)
        uow.session.add_all(
            CycleStation(id=new_id(), cycle_id=cycle.id, station_id=s.id,
                         basis_date=domain.evaluation_basis(s.approved_on, s.last_evaluated_on),
                         prefill=prefills[s.id])
            for s in due)
        answer = _OPENED.dump({"cycle": cycle, "stations": len(due)})
        uow.audit("cycle.opened", "cycle", cycle.id, None,
                  {**answer, "station_ids": [s.id for s in due]})
        uow.commit()
        return answer


def _sheets(uow: UnitOfWork, cycle: Cycle, members: set[str]
            ) -> tuple[dict[str, list[dict[str, int]]], dict[str, list[str]]]:
    """Every station's scored sheets and the reviewers' comments; refused while one is
    missing."""
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
    missing.extend((s, None) for s in sorted(members) if s not in sheets and s not in waiting)
    domain.require_all_scored(sorted(missing, key=lambda m: (m[0], m[1] or "")), cycle.id)
    return sheets, comments


def finalize_cycle(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R16.1, R17.1: every sheet in, each station gets its score, grade and rank; excellent
    ones are commended, failing ones go into rectification with findings and a deadline."""
    ctx.principal.require("city_hr")
    uow, today = ctx.uow, ctx.today()
    with uow:
        cycle = load_cycle(uow, data["cycle_id"])
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
        sheets, comments = _sheets(uow, cycle, set(members))
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
            score = domain.format_score(result.score_centi)
            uow.add_event("evaluation_completed", {
                "cycle_id": cycle.id, "station_id": station_id, "score": score,
                "grade": result.grade, "rectification_id": None, "evaluated_on": iso(today),
            }, aggregate_id=station_id)
            uow.audit("cycle.station_evaluated", "station", station_id, None, {
                "cycle_id": cycle.id, "score": score, "grade": result.grade,
                "rank": ranks[station_id]})
            if station.status == "revoked":
                continue  # revoked while the cycle ran: graded, but neither commended nor rectified
            if result.grade == "excellent":
                uow.add_event("station_commended", {"cycle_id": cycle.id,
                                                    "station_id": station_id},
                              aggregate_id=station_id)
            elif result.grade == "fail":
                findings = data["findings"].get(station_id) or domain.default_findings(
                    result, cycle.bands, comments[station_id])
                open_rectification(uow, cycle, station, findings, today, deadline)
        before = _SETTINGS.dump(cycle)
        cycle.status, cycle.finalized_on = "finalized", today
        answer = _FINALIZED.dump({"cycle": cycle, "outcomes": dict(outcome)})
        uow.audit("cycle.finalized", "cycle", cycle.id, before, answer)
        uow.commit()
        return answer


# Queries -------------------------------------------------------------------------------------


def list_cycles(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    if ctx.principal.role != "reviewer":
        visible_stations(ctx.principal)  # refuses a role that sees no evaluation records
    uow = ctx.uow
    with uow:
        query = select(Cycle).order_by(Cycle.reference_date.desc(), Cycle.id)
        if data["status"]:
            query = query.where(Cycle.status == data["status"])
        rows, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page(_CYCLES.dump(rows), total, data["limit"], data["offset"])


def get_cycle(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The cycle, its settings and each visible station's progress (reviewers, sheets in)."""
    visible = visible_stations(ctx.principal)
    uow = ctx.uow
    with uow:
        cycle = load_cycle(uow, data["cycle_id"])
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
        for member, station in uow.session.execute(query):
            assigned, scored = progress.get(station.id, (0, 0))
            stations.append({"station": station, "member": member,
                             "reviewers_assigned": assigned, "sheets_in": scored})
        return _DETAIL.dump({"cycle": cycle, "stations": stations})


def get_cycle_report(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A finalized cycle's ranking with per-criterion scores, outcomes and the reviewers'
    reasoned adjustments of criteria (4) and (6) (R16.1); a district sees its own stations
    (R13.1), a host unit its own station's row alone."""
    visible = visible_stations(ctx.principal)
    uow = ctx.uow
    with uow:
        cycle = load_cycle(uow, data["cycle_id"])
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
        adjustments: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for station_id, expert_id, moved in uow.session.execute(
                select(Assignment.station_id, Assignment.expert_id, Assignment.adjustments)
                .where(Assignment.cycle_id == cycle.id).order_by(Assignment.expert_id)):
            adjustments[station_id].extend({**a, "expert_id": expert_id} for a in moved or ())
        rows = [{"station": station, "member": member, "outcome": domain.outcome_of(member.grade),
                 "rectification": rectifications.get(station.id),
                 "demonstration": demonstrations.get(station.id),
                 "adjustments": adjustments[station.id]}
                for member, station in uow.session.execute(query)]
        return _REPORT.dump({"cycle": cycle, "criteria": list(domain.CRITERIA), "rows": rows})


