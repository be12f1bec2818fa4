"""Station records, biennial evaluation, rectification and demonstration selection
(Arts 8–10, 16–17), at /api/v1.

Thin: each view checks the role, validates with the evaluation service's own schemas (unknown
fields refused), calls the service and returns its answer. Which records a principal may touch
(its district, its host unit, the stations assigned to it) the service decides (R13.1).
/stations and /stations/{id} belong to the applications blueprint; this one serves their
evaluation sub-resources.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from gateway import rpc
from gateway.auth import requires
from gateway.paging import PageQuery, page_of
from services.evaluation import exports
from services.evaluation import schemas as svc

blp = Blueprint(
    "evaluation",
    __name__,
    url_prefix="/api/v1",
    description="Station records, evaluation cycles, rectification, demonstration stations.",
)

STAFF = ("city_hr", "talent_office", "org_department")
READERS = (*STAFF, "district_hr", "host_unit")


def _call(method: str, *args: Any) -> Any:
    return rpc.call("evaluation", method, *args)


def _body(schema: type[Schema], data: dict, **path: str) -> dict:
    """The validated body as JSON data again, with the ids the URL carries."""
    return {**schema(exclude=tuple(path)).dump(data), **path}


def _without(schema: type[Schema], *names: str) -> Schema:
    return schema(exclude=names)


# response shapes (for the OpenAPI document; the service's answer passes through) -------------


class ActivitySchema(Schema):
    activity_id = fields.String()
    station_id = fields.String()
    kind = fields.String()
    kind_zh = fields.String()
    title = fields.String()
    held_on = fields.String()
    place = fields.String()
    participants = fields.Integer()
    talents_served = fields.Integer(metadata={"description": "Person-times of high-level talent"})
    description = fields.String()
    recorded_by = fields.String()


class ExpertServiceSchema(Schema):
    service_id = fields.String()
    station_id = fields.String()
    kind = fields.String()
    kind_zh = fields.String()
    expert_name = fields.String()
    expert_id = fields.String(allow_none=True)
    description = fields.String()
    status = fields.String(
        metadata={"description": "requested, in_progress, completed, cancelled (R10.1)"}
    )
    requested_on = fields.String()
    started_on = fields.String(allow_none=True)
    completed_on = fields.String(allow_none=True)
    cancelled_on = fields.String(allow_none=True)
    note = fields.String()


class ReportSchema(Schema):
    report_id = fields.String(allow_none=True)
    station_id = fields.String()
    kind = fields.String()
    kind_zh = fields.String()
    year = fields.Integer()
    due_on = fields.String()
    state = fields.String(metadata={"description": "on_time, late, overdue, pending"})
    overdue_since = fields.String(allow_none=True)
    submitted_on = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    content = fields.String(allow_none=True)


class DeadlinesSchema(Schema):
    year = fields.Integer()
    plan = fields.String()
    summary = fields.String()


class RectificationSchema(Schema):
    rectification_id = fields.String()
    cycle_id = fields.String()
    station_id = fields.String()
    station_name = fields.String()
    district = fields.String()
    status = fields.String(
        metadata={"description": "open, evidence_submitted, passed, failed, closed"}
    )
    findings = fields.String()
    opened_on = fields.String()
    deadline = fields.String()
    evidence = fields.String(allow_none=True)
    evidence_submitted_on = fields.String(allow_none=True)
    reassessed_on = fields.String(allow_none=True)
    reassessment_score = fields.Integer(allow_none=True)
    reassessment_grade = fields.String(allow_none=True)
    reassessment_comments = fields.String(allow_none=True)
    failure_reason = fields.String(allow_none=True)


class ResultSchema(Schema):
    cycle_id = fields.String()
    cycle_name = fields.String()
    reference_date = fields.String()
    score = fields.String(allow_none=True)
    grade = fields.String(allow_none=True)
    rank = fields.Integer(allow_none=True)
    reviewers = fields.Integer(allow_none=True)
    criteria = fields.Dict(keys=fields.String(), values=fields.String())
    prefill = fields.Dict()
    rectification = fields.Nested(RectificationSchema, allow_none=True)


class StationEvaluationSchema(Schema):
    station_id = fields.String()
    plaque_number = fields.String()
    name = fields.String()
    station_type = fields.String()
    host_unit_id = fields.String()
    host_unit_name = fields.String()
    district = fields.String()
    approved_on = fields.String()
    status = fields.String()
    status_since = fields.String()
    revoked_on = fields.String(allow_none=True)
    last_evaluated_on = fields.String(allow_none=True)
    records = fields.Dict()
    overdue_reports = fields.List(fields.Dict())
    results = fields.List(fields.Nested(ResultSchema))


class CycleSchema(Schema):
    cycle_id = fields.String()
    name = fields.String()
    reference_date = fields.String()
    status = fields.String()
    weights = fields.Dict(keys=fields.String(), values=fields.Integer())
    bands = fields.Dict(keys=fields.String(), values=fields.Integer())
    targets = fields.Dict(keys=fields.String(), values=fields.Integer())
    rectification_days = fields.Integer()
    opened_by = fields.String()
    opened_on = fields.String()
    finalized_on = fields.String(allow_none=True)


class OpenedCycleSchema(CycleSchema):
    stations = fields.Integer(metadata={"description": "Stations due (R16.1)"})


class CycleStationSchema(Schema):
    station_id = fields.String()
    name = fields.String()
    plaque_number = fields.String()
    district = fields.String()
    basis_date = fields.String()
    prefill = fields.Dict(metadata={"description": "Criteria (4) and (6) with their sources"})
    reviewers_assigned = fields.Integer()
    sheets_in = fields.Integer()
    grade = fields.String(allow_none=True)


class CycleDetailSchema(CycleSchema):
    stations = fields.List(fields.Nested(CycleStationSchema))


class FinalizedSchema(CycleSchema):
    outcomes = fields.Dict(keys=fields.String(), values=fields.Integer())


class AssignedSchema(Schema):
    cycle_id = fields.String()
    station_id = fields.String()
    reviewers = fields.List(fields.String())


class SheetSchema(Schema):
    cycle_id = fields.String()
    station_id = fields.String()
    name = fields.String()
    plaque_number = fields.String()
    district = fields.String()
    prefill = fields.Dict()
    expert_id = fields.String()
    scores = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))
    from_records = fields.List(fields.String())
    comments = fields.String(allow_none=True)
    scored_at = fields.String(allow_none=True)


class ReportRowSchema(Schema):
    rank = fields.Integer()
    station_id = fields.String()
    plaque_number = fields.String()
    name = fields.String()
    district = fields.String()
    station_type = fields.String()
    score = fields.String()
    grade = fields.String()
    reviewers = fields.Integer()
    criteria = fields.Dict(keys=fields.String(), values=fields.String())
    outcome = fields.String(metadata={"description": "commended, passed, rectification"})
    rectification_id = fields.String(allow_none=True)
    rectification_status = fields.String(allow_none=True)
    rectification_deadline = fields.String(allow_none=True)
    findings = fields.String(allow_none=True)
    demonstration_status = fields.String(allow_none=True)


class CycleReportSchema(CycleSchema):
    criteria = fields.List(fields.String())
    rows = fields.List(fields.Nested(ReportRowSchema))


class DemonstrationSchema(Schema):
    selection_id = fields.String()
    cycle_id = fields.String()
    station_id = fields.String()
    station_name = fields.String()
    district = fields.String()
    proposed_subsidy = fields.String(metadata={"description": "yuan, two decimals (R9.1)"})
    provincial = fields.Boolean()
    provincial_reference = fields.String(allow_none=True)
    note = fields.String()
    status = fields.String(metadata={"description": "proposed, confirmed, declined"})
    proposed_by = fields.String()
    proposed_on = fields.String()
    city_hr_confirmed_by = fields.String(allow_none=True)
    org_department_confirmed_by = fields.String(allow_none=True)
    confirmed_on = fields.String(allow_none=True)
    declined_by = fields.String(allow_none=True)
    decline_reason = fields.String(allow_none=True)


class DeadlineCheckSchema(Schema):
    reports_overdue = fields.Integer()
    rectifications_failed = fields.Integer()


class CycleQuery(PageQuery):
    status = svc.CyclePage().fields["status"]


class RectificationQuery(svc.RectificationPage):
    pass


# station records -----------------------------------------------------------------------------


@blp.route("/stations/<station_id>/evaluation")
class StationEvaluation(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, StationEvaluationSchema)
    def get(self, station_id: str) -> dict:
        """The station as evaluation sees it: status, record counts, overdue plans and
        summaries, and its own results and findings."""
        return _call("station_profile", {"station_id": station_id})


@blp.route("/stations/<station_id>/activities")
class Activities(MethodView):
    @requires("host_unit")
    @blp.arguments(_without(svc.RecordActivity, "station_id"))
    @blp.response(201, ActivitySchema)
    def post(self, body: dict, station_id: str) -> dict:
        """Art 8: the host unit records an activity (date, place, participants, high-level
        talents served)."""
        return _call("record_activity", _body(svc.RecordActivity, body, station_id=station_id))

    @requires(*READERS, read=True)
    @blp.arguments(PageQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(ActivitySchema))
    def get(self, query: dict, station_id: str) -> dict:
        return _call("list_activities", {**query, "station_id": station_id})


@blp.route("/stations/<station_id>/expert-services")
class ExpertServices(MethodView):
    @requires("host_unit")
    @blp.arguments(_without(svc.RequestExpertService, "station_id"))
    @blp.response(201, ExpertServiceSchema)
    def post(self, body: dict, station_id: str) -> dict:
        """R10.1: a resident expert's request of one of the six Art 10 kinds."""
        payload = _body(svc.RequestExpertService, body, station_id=station_id)
        return _call("request_expert_service", payload)

    @requires(*READERS, read=True)
    @blp.arguments(PageQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(ExpertServiceSchema))
    def get(self, query: dict, station_id: str) -> dict:
        return _call("list_expert_services", {**query, "station_id": station_id})


@blp.route("/expert-services/<service_id>/progress")
class ExpertServiceProgress(MethodView):
    @requires("host_unit")
    @blp.arguments(_without(svc.AdvanceExpertService, "service_id"))
    @blp.response(200, ExpertServiceSchema)
    def post(self, body: dict, service_id: str) -> dict:
        """R10.1: start, complete (with its outcome) or cancel (with why) a request."""
        payload = _body(svc.AdvanceExpertService, body, service_id=service_id)
        return _call("advance_expert_service", payload)


@blp.route("/stations/<station_id>/reports")
class Reports(MethodView):
    @requires("host_unit")
    @blp.arguments(_without(svc.SubmitReport, "station_id"))
    @blp.response(201, ReportSchema)
    def post(self, body: dict, station_id: str) -> dict:
        """Submit a year's work plan or summary (late if past its due date)."""
        return _call("submit_report", _body(svc.SubmitReport, body, station_id=station_id))

    @requires(*READERS, read=True)
    @blp.response(200, ReportSchema(many=True))
    def get(self, station_id: str) -> list[dict]:
        """Every plan and summary owed so far or submitted, with its state."""
        return _call("list_reports", {"station_id": station_id})


@blp.route("/report-deadlines")
class ReportDeadlines(MethodView):
    @requires("city_hr")
    @blp.arguments(svc.SetReportDeadlines)
    @blp.response(200, DeadlinesSchema)
    def post(self, body: dict) -> dict:
        """Set a year's due dates (defaults: plan 31 Jan of the year, summary 31 Jan after)."""
        return _call("set_report_deadlines", svc.SetReportDeadlines().dump(body))


@blp.route("/deadline-checks")
class DeadlineChecks(MethodView):
    @requires("city_hr")
    @blp.response(200, DeadlineCheckSchema)
    def post(self) -> dict:
        """Run now what the service does hourly: overdue plans and summaries, lapsed
        rectifications."""
        return _call("check_deadlines")


# evaluation cycles ---------------------------------------------------------------------------


@blp.route("/evaluation-cycles")
class Cycles(MethodView):
    @requires("city_hr")
    @blp.arguments(svc.OpenCycle)
    @blp.response(201, OpenedCycleSchema)
    def post(self, body: dict) -> dict:
        """R16.1: open a cycle; every active station due by the reference date joins it."""
        return _call("open_cycle", svc.OpenCycle().dump(body))

    @requires(*READERS, "reviewer", read=True)
    @blp.arguments(CycleQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(CycleSchema))
    def get(self, query: dict) -> dict:
        return _call("list_cycles", query)


@blp.route("/evaluation-cycles/<cycle_id>")
class CycleView(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, CycleDetailSchema)
    def get(self, cycle_id: str) -> dict:
        """The cycle's settings and each visible station's pre-fill and scoring progress."""
        return _call("get_cycle", {"cycle_id": cycle_id})


@blp.route("/evaluation-cycles/<cycle_id>/assignments")
class Assignments(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(svc.AssignReviewers, "cycle_id"))
    @blp.response(201, AssignedSchema)
    def post(self, body: dict, cycle_id: str) -> dict:
        """Assign review experts to a station (none from its host unit)."""
        return _call("assign_reviewers", _body(svc.AssignReviewers, body, cycle_id=cycle_id))

    @requires("city_hr", "reviewer", read=True)
    @blp.response(200, SheetSchema(many=True))
    def get(self, cycle_id: str) -> list[dict]:
        """A reviewer's stations with the pre-filled criteria and their sources; the city's
        view has every assignment."""
        return _call("list_assignments", {"cycle_id": cycle_id})


@blp.route("/evaluation-cycles/<cycle_id>/scores")
class Scores(MethodView):
    @requires("reviewer")
    @blp.arguments(_without(svc.SubmitScores, "cycle_id"))
    @blp.response(200, SheetSchema)
    def post(self, body: dict, cycle_id: str) -> dict:
        """Score the six Art 16 criteria 0–100; leave (4) or (6) out to take the pre-fill."""
        return _call("submit_scores", _body(svc.SubmitScores, body, cycle_id=cycle_id))


@blp.route("/evaluation-cycles/<cycle_id>/finalize")
class Finalize(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(svc.Finalize, "cycle_id"))
    @blp.response(200, FinalizedSchema)
    def post(self, body: dict, cycle_id: str) -> dict:
        """R16.1, R17.1: grade every station; commend the excellent, send failing ones into
        rectification (findings per station optional)."""
        return _call("finalize_cycle", _body(svc.Finalize, body, cycle_id=cycle_id))


@blp.route("/evaluation-cycles/<cycle_id>/report")
class CycleReport(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, CycleReportSchema)
    def get(self, cycle_id: str) -> dict:
        """Ranking, per-criterion scores and outcomes; a district sees its own stations, a
        host unit its own row."""
        return _call("cycle_report", {"cycle_id": cycle_id})


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.route("/evaluation-cycles/<cycle_id>/report.csv")
class CycleReportCsv(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, content_type="text/csv", description="UTF-8 with BOM")
    def get(self, cycle_id: str) -> Response:
        """The report as CSV."""
        report = _call("cycle_report", {"cycle_id": cycle_id})
        return _download(
            exports.to_csv(report), "text/csv", f"evaluation-{report['reference_date']}.csv"
        )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/evaluation-cycles/<cycle_id>/report.xlsx")
class CycleReportXlsx(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, content_type=XLSX, description="An Excel workbook")
    def get(self, cycle_id: str) -> Response:
        """The report as an Excel workbook (ranking sheet, cycle settings sheet)."""
        report = _call("cycle_report", {"cycle_id": cycle_id})
        return _download(
            exports.to_xlsx(report), XLSX, f"evaluation-{report['reference_date']}.xlsx"
        )


# demonstration stations (R9.1, R9.2) ---------------------------------------------------------


@blp.route("/evaluation-cycles/<cycle_id>/demonstrations")
class Demonstrations(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(svc.ProposeDemonstration, "cycle_id"))
    @blp.response(201, DemonstrationSchema)
    def post(self, body: dict, cycle_id: str) -> dict:
        """Propose an excellent station as a demonstration station with its subsidy
        (50000.00–200000.00 yuan)."""
        payload = _body(svc.ProposeDemonstration, body, cycle_id=cycle_id)
        return _call("propose_demonstration", payload)

    @requires(*READERS, read=True)
    @blp.arguments(PageQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(DemonstrationSchema))
    def get(self, query: dict, cycle_id: str) -> dict:
        return _call("list_demonstrations", {**query, "cycle_id": cycle_id})


@blp.route("/demonstrations/<selection_id>/confirm")
class ConfirmDemonstration(MethodView):
    @requires("city_hr", "org_department")
    @blp.response(200, DemonstrationSchema)
    def post(self, selection_id: str) -> dict:
        """The city HR bureau and the organisation department each confirm, as two people;
        the second confirmation selects the station."""
        return _call("confirm_demonstration", {"selection_id": selection_id})


@blp.route("/demonstrations/<selection_id>/decline")
class DeclineDemonstration(MethodView):
    @requires("city_hr", "org_department")
    @blp.arguments(_without(svc.DeclineSelection, "selection_id"))
    @blp.response(200, DemonstrationSchema)
    def post(self, body: dict, selection_id: str) -> dict:
        payload = _body(svc.DeclineSelection, body, selection_id=selection_id)
        return _call("decline_demonstration", payload)


# rectification (R17.1) -----------------------------------------------------------------------


@blp.route("/rectifications")
class Rectifications(MethodView):
    @requires(*READERS, read=True)
    @blp.arguments(RectificationQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(RectificationSchema))
    def get(self, query: dict) -> dict:
        """Rectifications a principal may see: all for the city, a district's, a host unit's."""
        return _call("list_rectifications", query)


@blp.route("/rectifications/<rectification_id>")
class RectificationView(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, RectificationSchema)
    def get(self, rectification_id: str) -> dict:
        return _call("get_rectification", {"rectification_id": rectification_id})


@blp.route("/rectifications/<rectification_id>/evidence")
class Evidence(MethodView):
    @requires("host_unit")
    @blp.arguments(_without(svc.SubmitEvidence, "rectification_id"))
    @blp.response(200, RectificationSchema)
    def post(self, body: dict, rectification_id: str) -> dict:
        """The host unit hands in its rectification evidence, by the deadline."""
        payload = _body(svc.SubmitEvidence, body, rectification_id=rectification_id)
        return _call("submit_evidence", payload)


@blp.route("/rectifications/<rectification_id>/reassessment")
class Reassessment(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(svc.Reassess, "rectification_id"))
    @blp.response(200, RectificationSchema)
    def post(self, body: dict, rectification_id: str) -> dict:
        """Re-assess once the evidence is in: a pass makes the station active again, a fail
        ends the rectification (the applications service revokes the title)."""
        payload = _body(svc.Reassess, body, rectification_id=rectification_id)
        return _call("reassess", payload)
