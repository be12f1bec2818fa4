"""The talent and demand databases and the matching platform (Arts 8, 10, 11), at /api/v1.

Thin: each view checks the role, validates the body or query with the matching contract's
schemas (contracts.rpc.matching; unknown fields refused), calls the service and documents its
answer with the contract's answer schemas. Whose record it is (an enterprise's demand, a
district's expert, R13.1) the service decides: it owns them. Exports are rendered here from
the rows the service answers.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import RAISE

from contracts.rpc import matching as contract
from gateway import rpc
from gateway.arguments import Blueprint
from gateway.auth import optional_auth, requires
from gateway.downloads import download
from gateway.limits import accepts
from gateway.paging import page_of
from servicekit import spreadsheets
from servicekit.errors import InvalidInput

blp = Blueprint(
    "matching",
    __name__,
    url_prefix="/api/v1",
    description="Talent database, demand database, recommendations, collaborations, the "
    "enterprise inbox and the talent map.",
)

CITY_STAFF = ("city_hr", "talent_office", "org_department")
READERS = (*CITY_STAFF, "district_hr")
STAFF = ("city_hr", "district_hr")
MAX_UPLOAD = 5 * 1024 * 1024


def _call(method: str, *args: Any) -> Any:
    return rpc.call("matching", method, *args)


# Talent database -------------------------------------------------------------------------------


@blp.route("/experts")
class Experts(MethodView):
    @requires("city_hr", "district_hr", "expert")
    @blp.arguments(contract.ExpertFields)
    @blp.response(201, contract.TalentExpert)
    def post(self, body: dict) -> dict:
        """Register an expert: staff (a district in its own district, R13.1), or an expert
        themself. Phone, ID number (check digit) and email are validated."""
        return _call("register_expert", contract.ExpertFields().dump(body))

    @requires(*READERS, "enterprise", "expert", read=True)
    @blp.arguments(contract.ExpertQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.TalentExpert))
    def get(self, query: dict) -> dict:
        """The talent database; personal data masked but for city staff and the expert."""
        return _call("list_experts", contract.ExpertQuery().dump(query))


@blp.route("/experts/<expert_id>")
class ExpertView(MethodView):
    @requires(*READERS, "enterprise", "expert", read=True)
    @blp.response(200, contract.TalentExpert)
    def get(self, expert_id: str) -> dict:
        return _call("get_expert", {"expert_id": expert_id})

    @requires("city_hr", "district_hr", "expert")
    @blp.arguments(contract.ExpertChanges(partial=True))
    @blp.response(200, contract.TalentExpert)
    def patch(self, body: dict, expert_id: str) -> dict:
        """Change the fields given; an expert edits only their own profile, and their change
        of an attested field (talent level, honours, station, district) becomes a change
        request for staff (``/expert-change-requests``)."""
        return _call("update_expert", {**contract.ExpertChanges(partial=True).dump(body),
                                       "expert_id": expert_id})


@blp.route("/experts/<expert_id>/deactivate")
class ExpertDeactivate(MethodView):
    @requires(*STAFF)
    @blp.arguments(contract.ExpertDeactivationBody)
    @blp.response(200, contract.TalentExpert)
    def post(self, body: dict, expert_id: str) -> dict:
        """Retire a profile created by mistake (never deleted): it leaves recommendations and
        the enterprises' view; audited. Staff of its district or the city."""
        return _call("deactivate_expert", {**body, "expert_id": expert_id})


@blp.route("/experts/<expert_id>/reactivate")
class ExpertReactivate(MethodView):
    @requires(*STAFF)
    @blp.response(200, contract.TalentExpert)
    def post(self, expert_id: str) -> dict:
        return _call("reactivate_expert", {"expert_id": expert_id})


@blp.route("/expert-change-requests")
class ChangeRequests(MethodView):
    @requires(*STAFF, "expert", read=True)
    @blp.arguments(contract.ChangeRequestQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.ExpertChangeRequestAnswer))
    def get(self, query: dict) -> dict:
        """Experts' own changes of attested fields (talent level, honours, station,
        district), waiting for staff or decided."""
        return _call("list_expert_change_requests", contract.ChangeRequestQuery().dump(query))


def _decide(decision: str, request_id: str, body: dict) -> dict:
    return _call("decide_expert_change_request",
                 {**body, "change_request_id": request_id, "decision": decision})


@blp.route("/expert-change-requests/<change_request_id>/accept")
class ChangeRequestAccept(MethodView):
    @requires(*STAFF)
    @blp.arguments(contract.ChangeRequestDecisionBody)
    @blp.response(200, contract.ExpertChangeRequestAnswer)
    def post(self, body: dict, change_request_id: str) -> dict:
        """Staff of the expert's district (R13.1) or the city write the changes."""
        return _decide("accept", change_request_id, body)


@blp.route("/expert-change-requests/<change_request_id>/reject")
class ChangeRequestReject(MethodView):
    @requires(*STAFF)
    @blp.arguments(contract.ChangeRequestDecisionBody)
    @blp.response(200, contract.ExpertChangeRequestAnswer)
    def post(self, body: dict, change_request_id: str) -> dict:
        return _decide("reject", change_request_id, body)


# Demand database -------------------------------------------------------------------------------


@blp.route("/demands")
class Demands(MethodView):
    @requires("enterprise")
    @blp.arguments(contract.DemandFields)
    @blp.response(201, contract.DemandAnswer)
    def post(self, body: dict) -> dict:
        """An enterprise posts a talent, technology, project or funding need (R8.1)."""
        return _call("post_demand", contract.DemandFields().dump(body))

    @requires(*READERS, "enterprise", read=True)
    @blp.arguments(contract.DemandQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.DemandAnswer))
    def get(self, query: dict) -> dict:
        """An enterprise sees its own; a district its district's (R13.1); the city all."""
        return _call("list_demands", contract.DemandQuery().dump(query))


@blp.route("/demands/<demand_id>")
class DemandView(MethodView):
    @requires(*READERS, "enterprise", read=True)
    @blp.response(200, contract.DemandAnswer)
    def get(self, demand_id: str) -> dict:
        return _call("get_demand", {"demand_id": demand_id})

    @requires("enterprise")
    @blp.arguments(contract.DemandFields)
    @blp.response(200, contract.DemandAnswer)
    def put(self, body: dict, demand_id: str) -> dict:
        """The enterprise corrects a demand sent back to it; it is posted again."""
        return _call("revise_demand", {**contract.DemandFields().dump(body),
                                       "demand_id": demand_id})


@blp.route("/demands/<demand_id>/triage")
class TriageView(MethodView):
    @requires(*STAFF)
    @blp.arguments(contract.DemandTriageBody)
    @blp.response(200, contract.DemandAnswer)
    def post(self, body: dict, demand_id: str) -> dict:
        """City or own-district staff (R13.1) accept into matching, send back, or reject."""
        return _call("triage_demand", {"demand_id": demand_id, **body})


@blp.route("/demands/<demand_id>/close")
class CloseView(MethodView):
    @requires("enterprise", *STAFF)
    @blp.arguments(contract.DemandCloseBody)
    @blp.response(200, contract.DemandAnswer)
    def post(self, body: dict, demand_id: str) -> dict:
        return _call("close_demand", {"demand_id": demand_id, **body})


@blp.route("/demands/<demand_id>/recommendations")
class RecommendationsView(MethodView):
    @requires(*READERS, "enterprise", read=True)
    @blp.response(200, contract.DemandRecommendations)
    def get(self, demand_id: str) -> dict:
        """Staff see the proposals; the enterprise what was published to it."""
        return _call("list_recommendations", {"demand_id": demand_id})

    @requires(*STAFF)
    @blp.arguments(contract.RecommendExpertsBody)
    @blp.response(201, contract.RecommendationRun)
    def post(self, body: dict, demand_id: str) -> dict:
        """Run the engine: the best experts, each with its matched terms, fit and score."""
        return _call("recommend_experts", {"demand_id": demand_id, **body})


@blp.route("/demands/<demand_id>/recommendations/publish")
class PublishView(MethodView):
    @requires(*STAFF)
    @blp.arguments(contract.PublishRecommendationsBody)
    @blp.response(200, contract.PublishedRecommendations)
    def post(self, body: dict, demand_id: str) -> dict:
        """Publish the proposals (all, or those named) to the enterprise: inbox, email and
        webhook; optionally name the station that brokered them."""
        return _call("publish_recommendations", {"demand_id": demand_id, **body})


def _answer(decision: str, demand_id: str, recommendation_id: str, body: dict) -> dict:
    return _call("answer_recommendation", {"recommendation_id": recommendation_id,
                                           "demand_id": demand_id, "decision": decision,
                                           **body})


@blp.route("/demands/<demand_id>/recommendations/<recommendation_id>/accept")
class AcceptView(MethodView):
    @requires("enterprise")
    @blp.arguments(contract.AcceptRecommendationBody)
    @blp.response(200, contract.AcceptedRecommendation)
    def post(self, body: dict, demand_id: str, recommendation_id: str) -> dict:
        """Accept once: a collaboration in a mode both sides accept (R8.2), credited to the
        brokering station (it counts in its evaluation, R16.1)."""
        return _answer("accept", demand_id, recommendation_id, body)


@blp.route("/demands/<demand_id>/recommendations/<recommendation_id>/decline")
class DeclineView(MethodView):
    @requires("enterprise")
    @blp.arguments(contract.DeclineRecommendationBody)
    @blp.response(200, contract.RecommendationAnswer)
    def post(self, body: dict, demand_id: str, recommendation_id: str) -> dict:
        return _answer("decline", demand_id, recommendation_id, body)


@blp.route("/collaborations")
class Collaborations(MethodView):
    @requires(*READERS, "enterprise", "expert", read=True)
    @blp.arguments(contract.CollaborationQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.CollaborationAnswer))
    def get(self, query: dict) -> dict:
        return _call("list_collaborations", contract.CollaborationQuery().dump(query))


# The enterprise inbox --------------------------------------------------------------------------


@blp.route("/notifications")
class Notifications(MethodView):
    @requires("enterprise", "city_hr", read=True)
    @blp.arguments(contract.NotificationQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.NotificationAnswer))
    def get(self, query: dict) -> dict:
        """The enterprise's inbox, newest first."""
        return _call("list_notifications", contract.NotificationQuery().dump(query))


@blp.route("/notifications/<notification_id>/read")
class ReadView(MethodView):
    @requires("enterprise")
    @blp.response(200, contract.NotificationAnswer)
    def post(self, notification_id: str) -> dict:
        return _call("mark_notification_read", {"notification_id": notification_id})


@blp.route("/notifications/settings")
class SettingsView(MethodView):
    @requires("enterprise")
    @blp.response(200, contract.NotificationSettingsAnswer)
    def get(self) -> dict:
        return _call("get_notification_settings")

    @requires("enterprise")
    @blp.arguments(contract.NotificationSettings)
    @blp.response(200, contract.NotificationSettingsAnswer)
    def put(self, body: dict) -> dict:
        """Where notifications go: an email address and a webhook signed with HMAC-SHA256
        (header X-Talent-Signature) by a secret that is never read back."""
        return _call("set_notification_settings", body)


@blp.route("/notifications/deliveries")
class DeliveriesView(MethodView):
    @requires("enterprise", "city_hr", read=True)
    @blp.arguments(contract.DeliveryQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.DeliveryAnswer))
    def get(self, query: dict) -> dict:
        """Each email and webhook delivery: its state and every attempt."""
        return _call("list_deliveries", contract.DeliveryQuery().dump(query))


# The talent map --------------------------------------------------------------------------------


def _svg_wanted(query: dict) -> bool:
    if query["format"] == "svg":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "image/svg+xml"])
    return best == "image/svg+xml"


@blp.route("/talent-map")
class TalentMapView(MethodView):
    # Public (Art 8(2): the stations help draw the talent map for the public): counts only.
    @optional_auth
    @blp.arguments(contract.TalentMapView, location="query", unknown=RAISE)
    @blp.response(200, contract.TalentMapAnswer)
    def get(self, query: dict) -> Any:
        """Experts, demands and collaborations by district × industry × talent level
        (Art 8(2)): counts only. JSON, or with ``format=svg`` (or Accept: image/svg+xml) a
        picture of Weihai's districts coloured by the chosen metric."""
        payload = contract.TalentMapQuery().dump({k: v for k, v in query.items() if k != "format"})
        if _svg_wanted(query):
            return Response(_call("render_talent_map", payload), mimetype="image/svg+xml")
        return _call("get_talent_map", payload)


# Imports and exports ---------------------------------------------------------------------------


def _upload(kind: str) -> dict:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("import.file_missing", "Send the file in the multipart field 'file'.",
                           "请在表单字段 file 中上传文件。", {"field": "file"})
    name = upload.filename.lower()
    if not name.endswith((".csv", ".xlsx")):
        raise InvalidInput("import.format", "Upload an .xlsx or a .csv file.",
                           "请上传 .xlsx 或 .csv 文件。", {"field": "file",
                                                         "filename": upload.filename})
    dry_run = request.form.get("dry_run", "false").lower() in ("1", "true", "yes")
    return _call("import_file", {
        "kind": kind, "format": "xlsx" if name.endswith(".xlsx") else "csv",
        "content": base64.b64encode(upload.read()).decode("ascii"), "dry_run": dry_run,
    })


def render_export(exported: dict, fmt: str) -> tuple[bytes, str]:
    """The rows of an ``export_records`` answer as a file, by the platform's one renderer."""
    kind = exported["kind"]
    rows = [contract.export_cells(row) for row in exported["rows"]]
    return spreadsheets.render(fmt, contract.EXPORT_COLUMNS[kind], rows, sheet=kind)


def _download(kind: str, query: dict) -> Response:
    exported = _call("export_records", {"kind": kind})
    content, media_type = render_export(exported, query["format"])
    return download(content, media_type, f"{kind}-{exported['as_of']}.{query['format']}")


@blp.route("/experts/import")
class ExpertImport(MethodView):
    @requires(*STAFF)
    @accepts("multipart/form-data", max_bytes=MAX_UPLOAD)
    @blp.response(200, contract.ImportReport)
    def post(self) -> dict:
        """Import experts from .xlsx or .csv (field ``file``; ``dry_run=true`` only checks):
        all rows or none; a bad row is reported with its field and reason (422). Larger
        files: ``python -m services.matching.importer``."""
        return _upload("experts")


@blp.route("/experts/export")
class ExpertExport(MethodView):
    @requires(*READERS, read=True)
    @blp.arguments(contract.ExportQuery, location="query", unknown=RAISE)
    @blp.response(200, description="The file", content_type="application/octet-stream")
    def get(self, query: dict) -> Response:
        """The talent database as .xlsx or .csv, personal data masked as the caller sees it."""
        return _download("experts", query)


@blp.route("/demands/import")
class DemandImport(MethodView):
    @requires("enterprise", *STAFF)
    @accepts("multipart/form-data", max_bytes=MAX_UPLOAD)
    @blp.response(200, contract.ImportReport)
    def post(self) -> dict:
        """Import demands (staff name each row's enterprise); all rows or none."""
        return _upload("demands")


@blp.route("/demands/export")
class DemandExport(MethodView):
    @requires(*READERS, "enterprise", read=True)
    @blp.arguments(contract.ExportQuery, location="query", unknown=RAISE)
    @blp.response(200, description="The file", content_type="application/octet-stream")
    def get(self, query: dict) -> Response:
        return _download("demands", query)
