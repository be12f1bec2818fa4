"""Station records, biennial evaluation, rectification and demonstration selection
(Arts 8–10, 16–17), at /api/v1.

Thin: each view checks the role, validates with the evaluation contract's request schemas
(unknown fields refused), calls the service and answers with the contract's answer schemas
(``contracts.rpc.evaluation``). Which records a principal may touch (its district, its host
unit, the stations assigned to it) the service decides (R13.1). /stations and /stations/{id}
belong to the applications blueprint; this one serves their evaluation sub-resources.
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Response
from flask.views import MethodView
from marshmallow import RAISE, Schema

from contracts.rpc import evaluation as contract
from gateway import rpc
from gateway.arguments import Blueprint
from gateway.auth import optional_auth, requires
from gateway.downloads import download
from gateway.paging import PageQuery, page_of
from servicekit import spreadsheets

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


class CycleQuery(contract.CyclePage):
    """``?status=`` with the page."""


class RectificationQuery(contract.RectificationPage):
    """``?status=&station_id=`` with the page."""


class PublicityQuery(contract.PublicityPage):
    """``?station_id=`` with the page."""


class DemonstrationProposal(contract.ProposeDemonstration):
    """A proposal that names its station, and its cycle only when it chooses to (R9.4)."""


def report_file(report: dict[str, Any], fmt: Literal["csv", "xlsx"]) -> tuple[bytes, str]:
    """A finalized cycle's report (the get_cycle_report answer) as a spreadsheet and its
    media type: the ranking, and in a workbook the cycle's settings on a second sheet."""
    return spreadsheets.render(fmt, contract.REPORT_COLUMNS, contract.report_lines(report),
                               contract.REPORT_SHEET,
                               extra_sheets={"Cycle": contract.report_settings(report)})


# station records -----------------------------------------------------------------------------


@blp.route("/stations/<station_id>/evaluation")
class StationEvaluation(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, contract.StationProfile)
    def get(self, station_id: str) -> dict:
        """The station as evaluation sees it: status, record counts, overdue plans and
        summaries, and its own results and findings."""
        return _call("get_station_profile", {"station_id": station_id})


@blp.route("/stations/<station_id>/activities")
class Activities(MethodView):
    @requires("host_unit")
    @blp.arguments(_without(contract.RecordActivity, "station_id"))
    @blp.response(201, contract.Activity)
    def post(self, body: dict, station_id: str) -> dict:
        """Art 8: the host unit records an activity (date, place, participants, high-level
        talents served)."""
        return _call("record_activity", _body(contract.RecordActivity, body, station_id=station_id))

    @requires(*READERS, read=True)
    @blp.arguments(PageQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.Activity))
    def get(self, query: dict, station_id: str) -> dict:
        return _call("list_activities", {**query, "station_id": station_id})


@blp.route("/stations/<station_id>/expert-services")
class ExpertServices(MethodView):
    @requires("host_unit")
    @blp.arguments(_without(contract.RequestExpertService, "station_id"))
    @blp.response(201, contract.ExpertService)
    def post(self, body: dict, station_id: str) -> dict:
        """R10.1: a resident expert's request of one of the six Art 10 kinds."""
        payload = _body(contract.RequestExpertService, body, station_id=station_id)
        return _call("request_expert_service", payload)

    @requires(*READERS, read=True)
    @blp.arguments(PageQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.ExpertService))
    def get(self, query: dict, station_id: str) -> dict:
        return _call("list_expert_services", {**query, "station_id": station_id})


@blp.route("/expert-services/<service_id>/progress")
class ExpertServiceProgress(MethodView):
    @requires("host_unit")
    @blp.arguments(_without(contract.AdvanceExpertService, "service_id"))
    @blp.response(200, contract.ExpertService)
    def post(self, body: dict, service_id: str) -> dict:
        """R10.1: start, complete (with its outcome) or cancel (with why) a request."""
        payload = _body(contract.AdvanceExpertService, body, service_id=service_id)
        return _call("advance_expert_service", payload)


@blp.route("/stations/<station_id>/reports")
class Reports(MethodView):
    @requires("host_unit")
    @blp.arguments(_without(contract.SubmitReport, "station_id"))
    @blp.response(201, contract.WorkReport)
    def post(self, body: dict, station_id: str) -> dict:
        """Submit a year's work plan or summary (late if past its due date)."""
        return _call("submit_report", _body(contract.SubmitReport, body, station_id=station_id))

    @requires(*READERS, read=True)
    @blp.response(200, contract.WorkReport(many=True))
    def get(self, station_id: str) -> list[dict]:
        """Every plan and summary owed so far or submitted, with its state."""
        return _call("list_reports", {"station_id": station_id})


@blp.route("/stations/<station_id>/commendations")
class Commendations(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(contract.RecordCommendation, "station_id"))
    @blp.response(201, contract.Commendation)
    def post(self, body: dict, station_id: str) -> dict:
        """R17.2: record a 表扬 of the station with its document number, date and reason."""
        return _call("record_commendation",
                     _body(contract.RecordCommendation, body, station_id=station_id))


@blp.route("/trainings")
class Trainings(MethodView):
    @requires("city_hr")
    @blp.arguments(contract.RecordTraining)
    @blp.response(201, contract.Training)
    def post(self, body: dict) -> dict:
        """R12.1: record a training of station staff and the stations whose staff attended."""
        return _call("record_training", contract.RecordTraining().dump(body))

    @requires(*STAFF, read=True)
    @blp.arguments(PageQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.Training))
    def get(self, query: dict) -> dict:
        return _call("list_trainings", query)


@blp.route("/publicity")
class PublicityRecords(MethodView):
    @requires("city_hr")
    @blp.arguments(contract.RecordPublicity)
    @blp.response(201, contract.Publicity)
    def post(self, body: dict) -> dict:
        """R12.1: record a typical case or news of a station the city published."""
        return _call("record_publicity", contract.RecordPublicity().dump(body))


@blp.route("/public/publicity")
class PublicPublicity(MethodView):
    @optional_auth
    @blp.arguments(PublicityQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.Publicity))
    def get(self, query: dict) -> dict:
        """Typical cases and news of the stations (Art 12); no login needed."""
        return _call("list_publicity", query)


@blp.route("/report-deadlines")
class ReportDeadlines(MethodView):
    @requires("city_hr")
    @blp.arguments(contract.SetReportDeadlines)
    @blp.response(200, contract.ReportDeadlines)
    def post(self, body: dict) -> dict:
        """Set a year's due dates (defaults: plan 31 Jan of the year, summary 31 Jan after)."""
        return _call("set_report_deadlines", contract.SetReportDeadlines().dump(body))


@blp.route("/deadline-checks")
class DeadlineChecks(MethodView):
    @requires("city_hr")
    @blp.response(200, contract.DeadlineCheck)
    def post(self) -> dict:
        """Run now what the service does hourly: overdue plans and summaries, lapsed
        rectifications."""
        return _call("check_deadlines")


# evaluation cycles ---------------------------------------------------------------------------


@blp.route("/evaluation-cycles")
class Cycles(MethodView):
    @requires("city_hr")
    @blp.arguments(contract.OpenCycle)
    @blp.response(201, contract.OpenedCycle)
    def post(self, body: dict) -> dict:
        """R16.1: open a cycle; every active station due by the reference date joins it."""
        return _call("open_cycle", contract.OpenCycle().dump(body))

    @requires(*READERS, "reviewer", read=True)
    @blp.arguments(CycleQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.Cycle))
    def get(self, query: dict) -> dict:
        return _call("list_cycles", query)


@blp.route("/evaluation-cycles/<cycle_id>")
class CycleView(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, contract.CycleDetail)
    def get(self, cycle_id: str) -> dict:
        """The cycle's settings and each visible station's pre-fill and scoring progress."""
        return _call("get_cycle", {"cycle_id": cycle_id})


@blp.route("/evaluation-cycles/<cycle_id>/assignments")
class Assignments(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(contract.AssignReviewers, "cycle_id"))
    @blp.response(201, contract.AssignedReviewers)
    def post(self, body: dict, cycle_id: str) -> dict:
        """Assign review experts to a station (none from its host unit)."""
        return _call("assign_reviewers", _body(contract.AssignReviewers, body, cycle_id=cycle_id))

    @requires("city_hr", "reviewer", read=True)
    @blp.response(200, contract.AssignedSheet(many=True))
    def get(self, cycle_id: str) -> list[dict]:
        """A reviewer's stations with the pre-filled criteria and their sources; the city's
        view has every assignment."""
        return _call("list_assignments", {"cycle_id": cycle_id})


@blp.route("/evaluation-cycles/<cycle_id>/scores")
class Scores(MethodView):
    @requires("reviewer")
    @blp.arguments(_without(contract.SubmitScores, "cycle_id"))
    @blp.response(200, contract.ScoreSheet)
    def post(self, body: dict, cycle_id: str) -> dict:
        """Score the six Art 16 criteria 0–100; leave (4) or (6) out to take the pre-fill."""
        return _call("submit_scores", _body(contract.SubmitScores, body, cycle_id=cycle_id))


@blp.route("/evaluation-cycles/<cycle_id>/finalize")
class Finalize(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(contract.Finalize, "cycle_id"))
    @blp.response(200, contract.FinalizedCycle)
    def post(self, body: dict, cycle_id: str) -> dict:
        """R16.1, R17.1: grade every station; commend the excellent, send failing ones into
        rectification (findings per station optional)."""
        return _call("finalize_cycle", _body(contract.Finalize, body, cycle_id=cycle_id))


@blp.route("/evaluation-cycles/<cycle_id>/report")
class CycleReport(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, contract.CycleReport)
    def get(self, cycle_id: str) -> dict:
        """Ranking, per-criterion scores and outcomes; a district sees its own stations, a
        host unit its own row."""
        return _call("get_cycle_report", {"cycle_id": cycle_id})


def _download(cycle_id: str, fmt: Literal["csv", "xlsx"]) -> Response:
    report = _call("get_cycle_report", {"cycle_id": cycle_id})
    content, media_type = report_file(report, fmt)
    return download(content, media_type, f"evaluation-{report['reference_date']}.{fmt}")


@blp.route("/evaluation-cycles/<cycle_id>/report.csv")
class CycleReportCsv(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, content_type="text/csv", description="UTF-8 with BOM")
    def get(self, cycle_id: str) -> Response:
        """The report as CSV."""
        return _download(cycle_id, "csv")


@blp.route("/evaluation-cycles/<cycle_id>/report.xlsx")
class CycleReportXlsx(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, content_type=spreadsheets.XLSX_MEDIA_TYPE, description="An Excel workbook")
    def get(self, cycle_id: str) -> Response:
        """The report as an Excel workbook (ranking sheet, cycle settings sheet)."""
        return _download(cycle_id, "xlsx")


# demonstration stations (R9.1, R9.2, R9.4) -------------------------------------------------


@blp.route("/evaluation-cycles/<cycle_id>/demonstrations")
class Demonstrations(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(contract.ProposeDemonstration, "cycle_id"))
    @blp.response(201, contract.Demonstration)
    def post(self, body: dict, cycle_id: str) -> dict:
        """Propose a station this cycle graded excellent or pass (its latest evaluation) as a
        demonstration station with its subsidy (50000.00–200000.00 yuan)."""
        payload = _body(contract.ProposeDemonstration, body, cycle_id=cycle_id)
        return _call("propose_demonstration", payload)

    @requires(*READERS, read=True)
    @blp.arguments(PageQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.Demonstration))
    def get(self, query: dict, cycle_id: str) -> dict:
        return _call("list_demonstrations", {**query, "cycle_id": cycle_id})


@blp.route("/demonstrations")
class DemonstrationProposals(MethodView):
    @requires("city_hr")
    @blp.arguments(DemonstrationProposal)
    @blp.response(201, contract.Demonstration)
    def post(self, body: dict) -> dict:
        """R9.4: propose, at a time the departments choose, a station with a good evaluation
        record (its latest evaluation excellent or pass) as a demonstration station."""
        return _call("propose_demonstration", contract.ProposeDemonstration().dump(body))


@blp.route("/demonstrations/<selection_id>/confirm")
class ConfirmDemonstration(MethodView):
    @requires("city_hr", "org_department")
    @blp.response(200, contract.Demonstration)
    def post(self, selection_id: str) -> dict:
        """The city HR bureau and the organisation department each confirm, as two people;
        the second confirmation selects the station."""
        return _call("confirm_demonstration", {"selection_id": selection_id})


@blp.route("/demonstrations/<selection_id>/decline")
class DeclineDemonstration(MethodView):
    @requires("city_hr", "org_department")
    @blp.arguments(_without(contract.DeclineSelection, "selection_id"))
    @blp.response(200, contract.Demonstration)
    def post(self, body: dict, selection_id: str) -> dict:
        payload = _body(contract.DeclineSelection, body, selection_id=selection_id)
        return _call("decline_demonstration", payload)


# rectification (R17.1) -----------------------------------------------------------------------


@blp.route("/rectifications")
class Rectifications(MethodView):
    @requires(*READERS, read=True)
    @blp.arguments(RectificationQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.Rectification))
    def get(self, query: dict) -> dict:
        """Rectifications a principal may see: all for the city, a district's, a host unit's."""
        return _call("list_rectifications", query)


@blp.route("/rectifications/<rectification_id>")
class RectificationView(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, contract.Rectification)
    def get(self, rectification_id: str) -> dict:
        return _call("get_rectification", {"rectification_id": rectification_id})


@blp.route("/rectifications/<rectification_id>/evidence")
class Evidence(MethodView):
    @requires("host_unit")
    @blp.arguments(_without(contract.SubmitEvidence, "rectification_id"))
    @blp.response(200, contract.Rectification)
    def post(self, body: dict, rectification_id: str) -> dict:
        """The host unit hands in its rectification evidence, by the deadline."""
        payload = _body(contract.SubmitEvidence, body, rectification_id=rectification_id)
        return _call("submit_evidence", payload)


@blp.route("/rectifications/<rectification_id>/reassessment")
class Reassessment(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(contract.Reassess, "rectification_id"))
    @blp.response(200, contract.Rectification)
    def post(self, body: dict, rectification_id: str) -> dict:
        """Re-assess once the evidence is in: a pass makes the station active again, a fail
        ends the rectification (the applications service revokes the title)."""
        payload = _body(contract.Reassess, body, rectification_id=rectification_id)
        return _call("reassess_rectification", payload)
