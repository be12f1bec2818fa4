"""Recognition of stations (Arts 5–7) and the station registry, at /api/v1.

Thin: each view checks the role, validates the body with the service's own schema (unknown
fields refused), calls the applications service, and returns its answer. Whether a principal
may touch a particular record (its district, its organisation, its panel) is decided by the
service, which owns the record (R13.1).
"""

from __future__ import annotations

import base64
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from gateway import rpc
from gateway.auth import optional_auth, requires
from gateway.limits import accepts, rate_limit
from gateway.paging import page_of
from servicekit.errors import InvalidInput
from services.applications import schemas as svc

blp = Blueprint(
    "applications",
    __name__,
    url_prefix="/api/v1",
    description="Host units, applications, review, public notices, approval, the registry.",
)

STAFF = ("city_hr", "talent_office", "org_department")


def _call(method: str, *args: Any) -> Any:
    return rpc.call("applications", method, *args)


# response shapes (for the OpenAPI document; the service's answer passes through) -----------


class HostUnitSchema(Schema):
    id = fields.String()
    name = fields.String()
    credit_code = fields.String()
    category = fields.String()
    category_name = fields.String()
    district = fields.String()
    city_level = fields.Boolean()
    contact_name = fields.String()
    contact_phone = fields.String()
    address = fields.String()
    route = fields.String(metadata={"description": "district or city (R7.1)"})


class HistorySchema(Schema):
    at = fields.String()
    actor = fields.String()
    role = fields.String()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    round = fields.Integer()
    comments = fields.String()
    policy_version = fields.String(allow_none=True)
    reason = fields.String()


class ApplicationSchema(Schema):
    id = fields.String()
    number = fields.String()
    host_unit_id = fields.String()
    host_unit_name = fields.String()
    station_type = fields.String()
    station_name = fields.String()
    district = fields.String()
    route = fields.String()
    status = fields.String()
    status_name = fields.String()
    round = fields.Integer()
    score = fields.String(allow_none=True)
    rank = fields.Integer(allow_none=True)
    submitted_at = fields.String(allow_none=True)
    updated_at = fields.String()
    conditions = fields.Dict()
    planned_functions = fields.List(fields.String())
    cooperating_experts = fields.List(fields.Dict())
    premises = fields.Dict()
    committed_funding = fields.String(metadata={"description": "yuan, two decimals"})
    history = fields.List(fields.Nested(HistorySchema))
    panel = fields.List(fields.String())


class StationSchema(Schema):
    id = fields.String()
    plaque_number = fields.String()
    name = fields.String()
    station_type = fields.String()
    host_unit_id = fields.String()
    host_unit_name = fields.String()
    district = fields.String()
    status = fields.String()
    approved_on = fields.String()
    policy_version = fields.String()
    application_id = fields.String()
    history = fields.List(fields.Nested(HistorySchema))


class NoticeEntrySchema(Schema):
    application_id = fields.String()
    number = fields.String()
    station_name = fields.String()
    station_type = fields.String()
    host_unit_name = fields.String()
    district = fields.String()
    status = fields.String()
    score = fields.String(allow_none=True)


class ObjectionSchema(Schema):
    id = fields.String()
    notice_id = fields.String()
    application_id = fields.String()
    reason = fields.String()
    name = fields.String(allow_none=True)
    contact = fields.String(allow_none=True)
    filed_at = fields.String()
    status = fields.String()
    finding = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)


class ObjectionReceipt(Schema):
    id = fields.String()
    status = fields.String()
    filed_at = fields.String()


class NoticeSchema(Schema):
    id = fields.String()
    number = fields.String()
    published_on = fields.String()
    opens_on = fields.String()
    closes_on = fields.String()
    closes_at = fields.String()
    status = fields.String()
    applications = fields.List(fields.Nested(NoticeEntrySchema))
    objections = fields.List(fields.Nested(ObjectionSchema))


class RankedSchema(Schema):
    application_id = fields.String()
    number = fields.String()
    station_name = fields.String()
    score = fields.String()
    rank = fields.Integer()
    shortlisted = fields.Boolean()


class ReviewSchema(Schema):
    id = fields.String()
    application_id = fields.String()
    expert_id = fields.String()
    total = fields.Integer()
    scores = fields.Dict(keys=fields.String(), values=fields.Integer())
    inspection_date = fields.String()
    rubric_version = fields.Integer()
    findings = fields.String()


class ReviewExpertSchema(Schema):
    id = fields.String()
    name = fields.String()
    organisation_name = fields.String()
    host_unit_id = fields.String(allow_none=True)
    field = fields.String()


class RubricSchema(Schema):
    version = fields.Integer()
    criteria = fields.List(fields.Nested(svc.Criterion))


class PolicySchema(Schema):
    code = fields.String()
    title = fields.String()
    document = fields.String()
    effective_from = fields.String()
    effective_to = fields.String(allow_none=True)
    note = fields.String()
    registered_by = fields.String()


class AttachmentSchema(Schema):
    attachment_id = fields.String(metadata={"description": "SHA-256 of the content"})
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class Comments(Schema):
    comments = fields.String(required=True, validate=svc.Decision().fields["comments"].validate)


def _without(schema: type[Schema], *names: str) -> Schema:
    """The service's request schema minus the fields the URL carries."""
    return schema(exclude=names)


# host units and attachments -----------------------------------------------------------------


@blp.route("/host-units")
class HostUnits(MethodView):
    @requires("city_hr", "district_hr")
    @blp.arguments(svc.RegisterHostUnit)
    @blp.response(201, HostUnitSchema)
    def post(self, body: dict) -> dict:
        """Register a host unit (依托单位); its credit code is checked by its check digit."""
        return _call("register_host_unit", svc.RegisterHostUnit().dump(body))

    @requires(*STAFF, "district_hr", read=True)
    @blp.arguments(svc.ListHostUnits, location="query", unknown=RAISE)
    @blp.response(200, page_of(HostUnitSchema))
    def get(self, query: dict) -> dict:
        """Host units; a district sees its own (R13.1)."""
        return _call("list_host_units", svc.ListHostUnits().dump(query))


@blp.route("/host-units/<host_unit_id>")
class HostUnit(MethodView):
    @requires(*STAFF, "district_hr", "host_unit", read=True)
    @blp.response(200, HostUnitSchema)
    def get(self, host_unit_id: str) -> dict:
        return _call("get_host_unit", host_unit_id)


@blp.route("/attachments")
class Attachments(MethodView):
    @requires("host_unit", "city_hr", "district_hr")
    @accepts("multipart/form-data", max_bytes=11 * 1024 * 1024)
    @blp.response(201, AttachmentSchema)
    def post(self) -> dict:
        """Upload evidence (multipart field ``file``): PDF, JPEG, PNG, DOCX or XLSX, ≤ 10 MiB;
        stored once by its content's hash."""
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise InvalidInput("attachment.missing", "Send the file in the multipart field 'file'.",
                               "请在表单字段 file 中上传文件。", {"field": "file"})
        return _call("upload_attachment", {
            "filename": upload.filename,
            "content_type": upload.mimetype,
            "content_base64": base64.b64encode(upload.read()).decode("ascii"),
        })


# applications -------------------------------------------------------------------------------


@blp.route("/applications")
class Applications(MethodView):
    @requires("host_unit")
    @blp.arguments(svc.CreateApplication)
    @blp.response(201, ApplicationSchema)
    def post(self, body: dict) -> dict:
        """A host unit drafts an application (R5.1 type, R5.2 host category)."""
        return _call("create_application", svc.CreateApplication().dump(body))

    @requires("host_unit", "district_hr", "reviewer", *STAFF, read=True)
    @blp.arguments(svc.ListApplications, location="query", unknown=RAISE)
    @blp.response(200, page_of(ApplicationSchema))
    def get(self, query: dict) -> dict:
        """Applications the caller may see: its own, its district's, its panel's, or all."""
        return _call("list_applications", svc.ListApplications().dump(query))


@blp.route("/applications/<application_id>")
class Application(MethodView):
    @requires("host_unit", "district_hr", "reviewer", *STAFF, read=True)
    @blp.response(200, ApplicationSchema)
    def get(self, application_id: str) -> dict:
        """An application with its conditions and its whole history, every round kept."""
        return _call("get_application", application_id)

    @requires("host_unit")
    @blp.arguments(_without(svc.UpdateApplication, "application_id"))
    @blp.response(200, ApplicationSchema)
    def patch(self, body: dict, application_id: str) -> dict:
        """Edit a draft, or an application returned for changes."""
        payload = _without(svc.UpdateApplication, "application_id").dump(body)
        return _call("update_application", {**payload, "application_id": application_id})


@blp.route("/applications/<application_id>/submit")
class Submit(MethodView):
    @requires("host_unit")
    @blp.response(200, ApplicationSchema)
    def post(self, application_id: str) -> dict:
        """Submit (R6.1: all four conditions with evidence) to the district or the city (R7.1)."""
        return _call("submit_application", {"application_id": application_id})


def _decision(method: str, application_id: str, body: dict) -> dict:
    return _call(method, {"application_id": application_id, "comments": body["comments"]})


@blp.route("/applications/<application_id>/recommend")
class Recommend(MethodView):
    @requires("district_hr")
    @blp.arguments(Comments)
    @blp.response(200, ApplicationSchema)
    def post(self, body: dict, application_id: str) -> dict:
        """The district recommends its application to the city (R7.1)."""
        return _decision("recommend_application", application_id, body)


@blp.route("/applications/<application_id>/return")
class Return(MethodView):
    @requires("district_hr")
    @blp.arguments(Comments)
    @blp.response(200, ApplicationSchema)
    def post(self, body: dict, application_id: str) -> dict:
        """The district returns it for changes, with comments (R7.1)."""
        return _decision("return_application", application_id, body)


@blp.route("/applications/<application_id>/reject")
class Reject(MethodView):
    @requires("district_hr", "city_hr")
    @blp.arguments(Comments)
    @blp.response(200, ApplicationSchema)
    def post(self, body: dict, application_id: str) -> dict:
        """The district (its own) or the city (at the city stage) rejects, with the reason."""
        return _decision("reject_application", application_id, body)


@blp.route("/applications/<application_id>/panel")
class Panel(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(svc.FormPanel, "application_id"))
    @blp.response(200, ApplicationSchema)
    def post(self, body: dict, application_id: str) -> dict:
        """Form the review panel (R7.2: ≥ 3 experts, none from the applicant's unit)."""
        return _call("form_panel", {"application_id": application_id,
                                    "expert_ids": body["expert_ids"]})


@blp.route("/applications/<application_id>/reviews")
class Reviews(MethodView):
    @requires("reviewer")
    @blp.arguments(_without(svc.RecordReview, "application_id"))
    @blp.response(201, ReviewSchema)
    def post(self, body: dict, application_id: str) -> dict:
        """A panel expert records the on-site inspection and a score per criterion (R7.2)."""
        payload = _without(svc.RecordReview, "application_id").dump(body)
        return _call("record_review", {**payload, "application_id": application_id})


@blp.route("/applications/ranking")
class Ranking(MethodView):
    @requires(*STAFF)
    @blp.arguments(svc.Ranking)
    @blp.response(200, RankedSchema(many=True))
    def post(self, body: dict) -> list:
        """The ranking of these applications by aggregated score (trimmed mean from 5)."""
        return _call("ranking", svc.Ranking().dump(body))


@blp.route("/applications/shortlist")
class Shortlist(MethodView):
    @requires("city_hr")
    @blp.arguments(svc.Shortlist)
    @blp.response(200, RankedSchema(many=True))
    def post(self, body: dict) -> list:
        """Shortlist the best of these by score (top N and/or a minimum); the rest are not
        selected (R7.2)."""
        return _call("shortlist", svc.Shortlist().dump(body))


@blp.route("/applications/<application_id>/approve")
class Approve(MethodView):
    @requires("talent_office")
    @blp.arguments(Comments)
    @blp.response(200, StationSchema)
    def post(self, body: dict, application_id: str) -> dict:
        """The talent office approves: an active station with its plaque number (R7.4)."""
        return _decision("approve_application", application_id, body)


@blp.route("/applications/<application_id>/decline")
class Decline(MethodView):
    @requires("talent_office")
    @blp.arguments(Comments)
    @blp.response(200, ApplicationSchema)
    def post(self, body: dict, application_id: str) -> dict:
        """The talent office declines, with the reason."""
        return _decision("decline_application", application_id, body)


@blp.route("/review-experts")
class ReviewExperts(MethodView):
    @requires("city_hr")
    @blp.arguments(svc.RegisterReviewExpert)
    @blp.response(201, ReviewExpertSchema)
    def post(self, body: dict) -> dict:
        """Add an expert to the city's pool of review experts."""
        return _call("register_review_expert", svc.RegisterReviewExpert().dump(body))

    @requires(*STAFF, read=True)
    @blp.response(200, ReviewExpertSchema(many=True))
    def get(self) -> list:
        return _call("list_review_experts")


@blp.route("/rubric")
class Rubric(MethodView):
    @requires(read=True)
    @blp.response(200, RubricSchema)
    def get(self) -> dict:
        """The review rubric in force: criteria and their maximum points."""
        return _call("get_rubric")

    @requires("city_hr")
    @blp.arguments(svc.SetRubric)
    @blp.response(200, RubricSchema)
    def put(self, body: dict) -> dict:
        """A new rubric version; reviews already recorded keep theirs."""
        return _call("set_rubric", svc.SetRubric().dump(body))


# public notices (R7.3) ----------------------------------------------------------------------


@blp.route("/notices")
class Notices(MethodView):
    @requires("city_hr")
    @blp.arguments(svc.PublishNotice)
    @blp.response(201, NoticeSchema)
    def post(self, body: dict) -> dict:
        """Publish the shortlist for 5 working days by the statutory calendar (R7.3)."""
        return _call("publish_notice", svc.PublishNotice().dump(body))

    @requires(*STAFF, read=True)
    @blp.response(200, NoticeSchema(many=True))
    def get(self) -> list:
        """Every notice, open or closed."""
        return _call("list_notices", False)


@blp.route("/notices/<notice_id>")
class Notice(MethodView):
    @requires(*STAFF, read=True)
    @blp.response(200, NoticeSchema)
    def get(self, notice_id: str) -> dict:
        """A notice with its objections and their investigation."""
        return _call("get_notice", notice_id)


@blp.route("/notices/<notice_id>/close")
class CloseNotice(MethodView):
    @requires("city_hr")
    @blp.response(200, NoticeSchema)
    def post(self, notice_id: str) -> dict:
        """After the window, with every objection decided: to the talent office (R7.4)."""
        return _call("close_notice", {"notice_id": notice_id})


@blp.route("/objections/<objection_id>/decision")
class ObjectionDecision(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(svc.DecideObjection, "objection_id"))
    @blp.response(200, ObjectionSchema)
    def post(self, body: dict, objection_id: str) -> dict:
        """Record the investigation: upheld (the application drops out) or dismissed."""
        payload = _without(svc.DecideObjection, "objection_id").dump(body)
        return _call("decide_objection", {**payload, "objection_id": objection_id})


@blp.route("/public/notices")
class PublicNotices(MethodView):
    @optional_auth
    @blp.response(200, NoticeSchema(many=True))
    def get(self) -> list:
        """Notices whose window is open now; no login needed."""
        return _call("list_notices", True)


@blp.route("/public/notices/<notice_id>/objections")
class PublicObjections(MethodView):
    @optional_auth
    @rate_limit("OBJECTION_RATE_LIMIT")
    @blp.arguments(_without(svc.FileObjection, "notice_id"))
    @blp.response(201, ObjectionReceipt)
    def post(self, body: dict, notice_id: str) -> dict:
        """Anyone may object inside the window (R7.3): a reason is required, a name and a
        contact are optional."""
        payload = _without(svc.FileObjection, "notice_id").dump(body)
        return _call("file_objection", {**payload, "notice_id": notice_id})


# the registry and the measures ---------------------------------------------------------------


@blp.route("/stations")
class Stations(MethodView):
    @optional_auth
    @blp.arguments(svc.ListStations, location="query", unknown=RAISE)
    @blp.response(200, page_of(StationSchema))
    def get(self, query: dict) -> dict:
        """The registry of recognised stations, by type, district, status or name; a district
        sees its own (R13.1)."""
        return _call("list_stations", svc.ListStations().dump(query))


@blp.route("/stations/<station_id>")
class Station(MethodView):
    @optional_auth
    @blp.response(200, StationSchema)
    def get(self, station_id: str) -> dict:
        """A station; staff and its host unit also see every status change, who and when."""
        return _call("get_station", station_id)


@blp.route("/policies")
class Policies(MethodView):
    @optional_auth
    @blp.response(200, PolicySchema(many=True))
    def get(self) -> list:
        """Versions of the measures and when each is in force (R18.1)."""
        return _call("list_policy_versions")

    @requires("city_hr")
    @blp.arguments(svc.RegisterPolicyVersion)
    @blp.response(201, PolicySchema)
    def post(self, body: dict) -> dict:
        """Register a successor version (R18.1)."""
        return _call("register_policy_version", svc.RegisterPolicyVersion().dump(body))


@blp.route("/calendar/years")
class CalendarYears(MethodView):
    @requires("city_hr")
    @blp.arguments(svc.RegisterCalendarYear)
    @blp.response(201, svc.RegisterCalendarYear)
    def post(self, body: dict) -> dict:
        """Load a year's holidays and make-up working days from the State Council's notice."""
        return _call("calendar_register_year", svc.RegisterCalendarYear().dump(body))

