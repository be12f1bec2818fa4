"""The talent and demand databases and the matching platform (Arts 8, 10, 11), at /api/v1.

Thin: each view checks the role, validates the body or query with the matching service's own
schemas (unknown fields refused), calls the service and shapes its answer. Whose record it
is (an enterprise's demand, a district's expert, R13.1) the service decides: it owns them.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from gateway import rpc
from gateway.auth import requires
from gateway.limits import accepts
from gateway.paging import page_of
from servicekit.errors import InvalidInput
from services.matching import schemas as svc

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


# Response shapes (what the service answers, for the OpenAPI document) --------------------------


class TalentExpertSchema(Schema):
    id = fields.String()
    name = fields.String()
    titles = fields.List(fields.String())
    organisation = fields.String()
    organisation_id = fields.String(allow_none=True)
    disciplines = fields.List(fields.String())
    industries = fields.List(fields.String(), metadata={"description": "GB/T 4754 or WH-…"})
    industry_names = fields.List(fields.String())
    skills = fields.String()
    achievements = fields.String()
    honours = fields.List(fields.String())
    district = fields.String()
    district_name = fields.String()
    talent_level = fields.String()
    modes = fields.List(fields.String(), metadata={"description": "R8.2"})
    availability = fields.String()
    capacity = fields.Integer()
    consent_to_contact = fields.Boolean()
    station_id = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    personal_data_masked = fields.Boolean(
        metadata={"description": "True but for city staff and the expert themself"})
    created_at = fields.String()
    updated_at = fields.String()


class DemandSchema(Schema):
    id = fields.String()
    enterprise_id = fields.String()
    enterprise_name = fields.String()
    kind = fields.String(metadata={"description": "R8.1: talent, technology, project, funding"})
    kind_name = fields.String()
    title = fields.String()
    description = fields.String()
    industry = fields.String()
    industry_name = fields.String()
    district = fields.String()
    district_name = fields.String()
    budget = fields.String(allow_none=True, metadata={"description": "yuan, two decimals"})
    modes = fields.List(fields.String())
    deadline = fields.String()
    status = fields.String()
    status_name = fields.String()
    status_reason = fields.String(allow_none=True)
    posted_at = fields.String()
    updated_at = fields.String()


class Term(Schema):
    term = fields.String()
    weight = fields.Float()


class RecommendedExpert(Schema):
    id = fields.String()
    name = fields.String()
    titles = fields.List(fields.String())
    organisation = fields.String()
    district = fields.String()
    talent_level = fields.String()
    industries = fields.List(fields.String())
    modes = fields.List(fields.String())
    honours = fields.List(fields.String())


class CollaborationSchema(Schema):
    id = fields.String()
    recommendation_id = fields.String()
    demand_id = fields.String()
    expert_id = fields.String()
    enterprise_id = fields.String()
    station_id = fields.String(allow_none=True, metadata={"description": "the broker"})
    mode = fields.String()
    mode_name = fields.String()
    district = fields.String()
    industry = fields.String()
    talent_level = fields.String()
    status = fields.String()
    recorded_on = fields.String()


class RecommendationSchema(Schema):
    id = fields.String()
    demand_id = fields.String()
    rank = fields.Integer()
    status = fields.String(metadata={"description": "proposed, published, accepted, declined"})
    score = fields.Float()
    text_score = fields.Float(metadata={"description": "BM25 over the expert's profile"})
    matched_terms = fields.List(fields.Nested(Term))
    factors = fields.Dict(keys=fields.String(), values=fields.Float(),
                          metadata={"description": "industry, mode, district, availability, "
                                    "load: each 0..1"})
    common_modes = fields.List(fields.String())
    reason_en = fields.String()
    reason_zh = fields.String()
    station_id = fields.String(allow_none=True)
    expert = fields.Nested(RecommendedExpert)
    published_at = fields.String(allow_none=True)
    responded_at = fields.String(allow_none=True)
    response_reason = fields.String(allow_none=True)
    collaboration = fields.Nested(CollaborationSchema)


class RunSchema(Schema):
    demand_id = fields.String()
    run_id = fields.String()
    index_revision = fields.Integer()
    recommendations = fields.List(fields.Nested(RecommendationSchema))


class PublishedSchema(Schema):
    demand_id = fields.String()
    notification_id = fields.String()
    recommendations = fields.List(fields.Nested(RecommendationSchema))


class DemandRecommendations(Schema):
    demand = fields.Nested(DemandSchema)
    recommendations = fields.List(fields.Nested(RecommendationSchema))


class NotificationSchema(Schema):
    id = fields.String()
    enterprise_id = fields.String()
    demand_id = fields.String()
    kind = fields.String()
    subject_zh = fields.String()
    subject_en = fields.String()
    body = fields.Dict()
    created_at = fields.String()
    read_at = fields.String(allow_none=True)


class SettingsSchema(Schema):
    enterprise_id = fields.String()
    email = fields.String(allow_none=True)
    webhook_url = fields.String(allow_none=True)
    webhook_secret_set = fields.Boolean()


class AttemptSchema(Schema):
    attempt = fields.Integer()
    at = fields.String()
    ok = fields.Boolean()
    detail = fields.String()


class DeliverySchema(Schema):
    id = fields.String()
    notification_id = fields.String()
    channel = fields.String()
    target = fields.String()
    status = fields.String(metadata={"description": "pending, sending, sent, failed"})
    attempts = fields.Integer()
    next_attempt_at = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)
    sent_at = fields.String(allow_none=True)
    history = fields.List(fields.Nested(AttemptSchema))


class TalentMapSchema(Schema):
    metric = fields.String()
    filters = fields.Dict()
    districts = fields.List(fields.Dict())
    industries = fields.List(fields.Dict())
    levels = fields.List(fields.Dict())
    cells = fields.Dict(metadata={"description": "experts, demands and collaborations by "
                                  "district × industry (× talent level)"})


class ImportReport(Schema):
    rows = fields.Integer()
    bad_rows = fields.List(fields.Integer())
    problems = fields.List(fields.Dict())
    imported = fields.Integer()
    ids = fields.List(fields.String())
    dry_run = fields.Boolean()


# Requests that the URL completes ---------------------------------------------------------------


class Triage(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("accept", "return", "reject")))
    reason = fields.String(load_default="")


class Reason(Schema):
    reason = fields.String(required=True)


class RecommendRequest(Schema):
    limit = fields.Integer(load_default=10)


class Answer(Schema):
    mode = fields.String(load_default=None, allow_none=True)
    reason = fields.String(load_default="")


class Decline(Schema):
    reason = fields.String(load_default="")


class ExpertChanges(svc.ExpertFields):
    """The fields of a profile to change (the others stay)."""


class ExportQuery(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(("csv", "xlsx")))


class TalentMapQuery(svc.TalentMapQuery):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "svg")))


# Talent database -------------------------------------------------------------------------------


@blp.route("/experts")
class Experts(MethodView):
    @requires("city_hr", "district_hr", "expert")
    @blp.arguments(svc.ExpertFields)
    @blp.response(201, TalentExpertSchema)
    def post(self, body: dict) -> dict:
        """Register an expert: staff (a district in its own district, R13.1), or an expert
        themself. Phone, ID number (check digit) and email are validated."""
        return _call("register_expert", svc.ExpertFields().dump(body))

    @requires(*READERS, "enterprise", "expert", read=True)
    @blp.arguments(svc.ExpertQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(TalentExpertSchema))
    def get(self, query: dict) -> dict:
        """The talent database; personal data masked but for city staff and the expert."""
        return _call("list_experts", svc.ExpertQuery().dump(query))


@blp.route("/experts/<expert_id>")
class ExpertView(MethodView):
    @requires(*READERS, "enterprise", "expert", read=True)
    @blp.response(200, TalentExpertSchema)
    def get(self, expert_id: str) -> dict:
        return _call("get_expert", {"expert_id": expert_id})

    @requires("city_hr", "district_hr", "expert")
    @blp.arguments(ExpertChanges(partial=True))
    @blp.response(200, TalentExpertSchema)
    def patch(self, body: dict, expert_id: str) -> dict:
        """Change the fields given; an expert edits only their own profile."""
        return _call("update_expert", {**ExpertChanges(partial=True).dump(body),
                                       "expert_id": expert_id})


# Demand database -------------------------------------------------------------------------------


@blp.route("/demands")
class Demands(MethodView):
    @requires("enterprise")
    @blp.arguments(svc.DemandFields)
    @blp.response(201, DemandSchema)
    def post(self, body: dict) -> dict:
        """An enterprise posts a talent, technology, project or funding need (R8.1)."""
        return _call("post_demand", svc.DemandFields().dump(body))

    @requires(*READERS, "enterprise", read=True)
    @blp.arguments(svc.DemandQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(DemandSchema))
    def get(self, query: dict) -> dict:
        """An enterprise sees its own; a district its district's (R13.1); the city all."""
        return _call("list_demands", svc.DemandQuery().dump(query))


@blp.route("/demands/<demand_id>")
class DemandView(MethodView):
    @requires(*READERS, "enterprise", read=True)
    @blp.response(200, DemandSchema)
    def get(self, demand_id: str) -> dict:
        return _call("get_demand", {"demand_id": demand_id})

    @requires("enterprise")
    @blp.arguments(svc.DemandFields)
    @blp.response(200, DemandSchema)
    def put(self, body: dict, demand_id: str) -> dict:
        """The enterprise corrects a demand sent back to it; it is posted again."""
        return _call("revise_demand", {**svc.DemandFields().dump(body), "demand_id": demand_id})


@blp.route("/demands/<demand_id>/triage")
class TriageView(MethodView):
    @requires(*STAFF)
    @blp.arguments(Triage)
    @blp.response(200, DemandSchema)
    def post(self, body: dict, demand_id: str) -> dict:
        """City or own-district staff (R13.1) accept into matching, send back, or reject."""
        return _call("triage_demand", {"demand_id": demand_id, **body})


@blp.route("/demands/<demand_id>/close")
class CloseView(MethodView):
    @requires("enterprise", *STAFF)
    @blp.arguments(Reason)
    @blp.response(200, DemandSchema)
    def post(self, body: dict, demand_id: str) -> dict:
        return _call("close_demand", {"demand_id": demand_id, **body})


@blp.route("/demands/<demand_id>/recommendations")
class RecommendationsView(MethodView):
    @requires(*READERS, "enterprise", read=True)
    @blp.response(200, DemandRecommendations)
    def get(self, demand_id: str) -> dict:
        """Staff see the proposals; the enterprise what was published to it."""
        return _call("list_recommendations", {"demand_id": demand_id})

    @requires(*STAFF)
    @blp.arguments(RecommendRequest)
    @blp.response(201, RunSchema)
    def post(self, body: dict, demand_id: str) -> dict:
        """Run the engine: the best experts, each with its matched terms, fit and score."""
        return _call("recommend", {"demand_id": demand_id, **body})


class PublishRequest(Schema):
    expert_ids = fields.List(fields.String(), load_default=None, allow_none=True)
    station_id = fields.String(load_default=None, allow_none=True)


@blp.route("/demands/<demand_id>/recommendations/publish")
class PublishView(MethodView):
    @requires(*STAFF)
    @blp.arguments(PublishRequest)
    @blp.response(200, PublishedSchema)
    def post(self, body: dict, demand_id: str) -> dict:
        """Publish the proposals (all, or those named) to the enterprise: inbox, email and
        webhook; optionally name the station that brokered them."""
        return _call("publish_recommendations", {"demand_id": demand_id, **body})


def _answer(decision: str, demand_id: str, recommendation_id: str, body: dict) -> dict:
    return _call("respond", {"recommendation_id": recommendation_id, "demand_id": demand_id,
                             "decision": decision, **body})


@blp.route("/demands/<demand_id>/recommendations/<recommendation_id>/accept")
class AcceptView(MethodView):
    @requires("enterprise")
    @blp.arguments(Answer)
    @blp.response(200, RecommendationSchema)
    def post(self, body: dict, demand_id: str, recommendation_id: str) -> dict:
        """Accept once: a collaboration in a mode both sides accept (R8.2), credited to the
        brokering station (it counts in its evaluation, R16.1)."""
        return _answer("accept", demand_id, recommendation_id, body)


@blp.route("/demands/<demand_id>/recommendations/<recommendation_id>/decline")
class DeclineView(MethodView):
    @requires("enterprise")
    @blp.arguments(Decline)
    @blp.response(200, RecommendationSchema)
    def post(self, body: dict, demand_id: str, recommendation_id: str) -> dict:
        return _answer("decline", demand_id, recommendation_id, body)


@blp.route("/collaborations")
class Collaborations(MethodView):
    @requires(*READERS, "enterprise", "expert", read=True)
    @blp.arguments(svc.CollaborationQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(CollaborationSchema))
    def get(self, query: dict) -> dict:
        return _call("list_collaborations", svc.CollaborationQuery().dump(query))


# The enterprise inbox --------------------------------------------------------------------------


@blp.route("/notifications")
class Notifications(MethodView):
    @requires("enterprise", "city_hr", read=True)
    @blp.arguments(svc.NotificationQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(NotificationSchema))
    def get(self, query: dict) -> dict:
        """The enterprise's inbox, newest first."""
        return _call("list_notifications", svc.NotificationQuery().dump(query))


@blp.route("/notifications/<notification_id>/read")
class ReadView(MethodView):
    @requires("enterprise")
    @blp.response(200, NotificationSchema)
    def post(self, notification_id: str) -> dict:
        return _call("mark_notification_read", {"notification_id": notification_id})


@blp.route("/notifications/settings")
class SettingsView(MethodView):
    @requires("enterprise")
    @blp.response(200, SettingsSchema)
    def get(self) -> dict:
        return _call("get_notification_settings")

    @requires("enterprise")
    @blp.arguments(svc.NotificationSettings)
    @blp.response(200, SettingsSchema)
    def put(self, body: dict) -> dict:
        """Where notifications go: an email address and a webhook signed with HMAC-SHA256
        (header X-Talent-Signature) by a secret that is never read back."""
        return _call("set_notification_settings", body)


@blp.route("/notifications/deliveries")
class DeliveriesView(MethodView):
    @requires("enterprise", "city_hr", read=True)
    @blp.arguments(svc.DeliveryQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(DeliverySchema))
    def get(self, query: dict) -> dict:
        """Each email and webhook delivery: its state and every attempt."""
        return _call("list_deliveries", svc.DeliveryQuery().dump(query))


# The talent map --------------------------------------------------------------------------------


def _svg_wanted(query: dict) -> bool:
    if query["format"] == "svg":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "image/svg+xml"])
    return best == "image/svg+xml"


@blp.route("/talent-map")
class TalentMapView(MethodView):
    @requires(read=True)
    @blp.arguments(TalentMapQuery, location="query", unknown=RAISE)
    @blp.response(200, TalentMapSchema)
    def get(self, query: dict) -> Any:
        """Experts, demands and collaborations by district × industry × talent level
        (Art 8(2)): counts only. JSON, or with ``format=svg`` (or Accept: image/svg+xml) a
        picture of Weihai's districts coloured by the chosen metric."""
        payload = svc.TalentMapQuery().dump({k: v for k, v in query.items() if k != "format"})
        if _svg_wanted(query):
            return Response(_call("talent_map_svg", payload), mimetype="image/svg+xml")
        return _call("talent_map", payload)


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


def _download(kind: str, query: dict) -> Response:
    exported = _call("export", {"kind": kind, "format": query["format"]})
    return Response(
        base64.b64decode(exported["content"]), mimetype=exported["media_type"],
        headers={"Content-Disposition": f'attachment; filename="{exported["filename"]}"'},
    )


@blp.route("/experts/import")
class ExpertImport(MethodView):
    @requires(*STAFF)
    @accepts("multipart/form-data", max_bytes=MAX_UPLOAD)
    @blp.response(200, ImportReport)
    def post(self) -> dict:
        """Import experts from .xlsx or .csv (field ``file``; ``dry_run=true`` only checks):
        all rows or none; a bad row is reported with its field and reason (422). Larger
        files: ``python -m services.matching.importer``."""
        return _upload("experts")


@blp.route("/experts/export")
class ExpertExport(MethodView):
    @requires(*READERS, read=True)
    @blp.arguments(ExportQuery, location="query", unknown=RAISE)
    @blp.response(200, description="The file", content_type="application/octet-stream")
    def get(self, query: dict) -> Response:
        """The talent database as .xlsx or .csv, personal data masked as the caller sees it."""
        return _download("experts", query)


@blp.route("/demands/import")
class DemandImport(MethodView):
    @requires("enterprise", *STAFF)
    @accepts("multipart/form-data", max_bytes=MAX_UPLOAD)
    @blp.response(200, ImportReport)
    def post(self) -> dict:
        """Import demands (staff name each row's enterprise); all rows or none."""
        return _upload("demands")


@blp.route("/demands/export")
class DemandExport(MethodView):
    @requires(*READERS, "enterprise", read=True)
    @blp.arguments(ExportQuery, location="query", unknown=RAISE)
    @blp.response(200, description="The file", content_type="application/octet-stream")
    def get(self, query: dict) -> Response:
        return _download("demands", query)
