"""Recognition of stations (Arts 5–7) and the station registry, at /api/v1.

Thin: each view checks the role, validates the body with the contract's request schema
(``contracts.rpc.applications``; unknown fields refused), calls the applications service, and
returns its answer through the contract's answer schema, which also documents it. Whether a
principal may touch a particular record (its district, its organisation, its panel) is decided
by the service, which owns the record (R13.1).
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import RAISE, Schema

from contracts.rpc import applications as contract
from gateway import rpc
from gateway.arguments import Blueprint
from gateway.auth import optional_auth, requires
from gateway.downloads import download
from gateway.limits import accepts, rate_limit
from gateway.paging import page_of
from servicekit.errors import InvalidInput

blp = Blueprint(
    "applications",
    __name__,
    url_prefix="/api/v1",
    description="Host units, applications, review, public notices, approval, the registry.",
)

STAFF = ("city_hr", "talent_office", "org_department")


def _call(method: str, *args: Any) -> Any:
    return rpc.call("applications", method, *args)


def _without(schema: type[Schema], *names: str) -> Schema:
    """The contract's request schema minus the fields the URL carries."""
    return schema(exclude=names)


COMMENTS = _without(contract.Decision, "application_id")


# host units and attachments -----------------------------------------------------------------


@blp.route("/host-units")
class HostUnits(MethodView):
    @requires("city_hr", "district_hr")
    @blp.arguments(contract.RegisterHostUnit)
    @blp.response(201, contract.HostUnit)
    def post(self, body: dict) -> dict:
        """Register a host unit (依托单位); its credit code is checked by its check digit."""
        return _call("register_host_unit", contract.RegisterHostUnit().dump(body))

    @requires(*STAFF, "district_hr", read=True)
    @blp.arguments(contract.ListHostUnits, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.HostUnit))
    def get(self, query: dict) -> dict:
        """Host units; a district sees its own (R13.1)."""
        return _call("list_host_units", contract.ListHostUnits().dump(query))


@blp.route("/host-units/<host_unit_id>")
class HostUnit(MethodView):
    @requires(*STAFF, "district_hr", "host_unit", read=True)
    @blp.response(200, contract.HostUnit)
    def get(self, host_unit_id: str) -> dict:
        return _call("get_host_unit", host_unit_id)


@blp.route("/attachments")
class Attachments(MethodView):
    @requires("host_unit", "city_hr", "district_hr")
    @accepts("multipart/form-data", max_bytes=11 * 1024 * 1024)
    @blp.response(201, contract.Attachment)
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
    @blp.arguments(contract.CreateApplication)
    @blp.response(201, contract.Application)
    def post(self, body: dict) -> dict:
        """A host unit drafts an application (R5.1 type, R5.2 host category)."""
        return _call("create_application", contract.CreateApplication().dump(body))

    @requires("host_unit", "district_hr", "reviewer", *STAFF, read=True)
    @blp.arguments(contract.ListApplications, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.Application))
    def get(self, query: dict) -> dict:
        """Applications the caller may see: its own, its district's, its panel's, or all."""
        return _call("list_applications", contract.ListApplications().dump(query))


@blp.route("/applications/<application_id>")
class Application(MethodView):
    @requires("host_unit", "district_hr", "reviewer", *STAFF, read=True)
    @blp.response(200, contract.Application)
    def get(self, application_id: str) -> dict:
        """An application with its conditions and its whole history, every round kept."""
        return _call("get_application", application_id)

    @requires("host_unit")
    @blp.arguments(_without(contract.UpdateApplication, "application_id"))
    @blp.response(200, contract.Application)
    def patch(self, body: dict, application_id: str) -> dict:
        """Edit a draft, or an application returned for changes."""
        payload = _without(contract.UpdateApplication, "application_id").dump(body)
        return _call("update_application", {**payload, "application_id": application_id})


@blp.route("/applications/<application_id>/attachments/<sha256>")
class ApplicationAttachment(MethodView):
    @requires("host_unit", "district_hr", "reviewer", *STAFF, read=True)
    @blp.response(200, content_type="application/octet-stream",
                  description="The evidence file as it was uploaded, with its media type; "
                  "Content-Disposition names it (RFC 6266, filename* in UTF-8)")
    @blp.alt_response(404, description="The application has no such attachment")
    def get(self, application_id: str, sha256: str) -> Response:
        """An evidence file of an application, for whoever may read the application: its host
        unit, its district, city staff, its panel's reviewers, the auditor (R13.1)."""
        found = _call("get_application_attachment",
                      {"application_id": application_id, "sha256": sha256})
        return download(base64.b64decode(found["content_base64"]), found["content_type"],
                        found["filename"])


@blp.route("/applications/<application_id>/submit")
class Submit(MethodView):
    @requires("host_unit")
    @blp.response(200, contract.Application)
    def post(self, application_id: str) -> dict:
        """Submit (R6.1: all four conditions with evidence) to the district or the city (R7.1)."""
        return _call("submit_application", {"application_id": application_id})


def _decision(method: str, application_id: str, body: dict) -> dict:
    return _call(method, {"application_id": application_id, "comments": body["comments"]})


@blp.route("/applications/<application_id>/recommend")
class Recommend(MethodView):
    @requires("district_hr")
    @blp.arguments(COMMENTS)
    @blp.response(200, contract.Application)
    def post(self, body: dict, application_id: str) -> dict:
        """The district recommends its application to the city (R7.1)."""
        return _decision("recommend_application", application_id, body)


@blp.route("/applications/<application_id>/return")
class Return(MethodView):
    @requires("district_hr")
    @blp.arguments(COMMENTS)
    @blp.response(200, contract.Application)
    def post(self, body: dict, application_id: str) -> dict:
        """The district returns it for changes, with comments (R7.1)."""
        return _decision("return_application", application_id, body)


@blp.route("/applications/<application_id>/reject")
class Reject(MethodView):
    @requires("district_hr", "city_hr")
    @blp.arguments(COMMENTS)
    @blp.response(200, contract.Application)
    def post(self, body: dict, application_id: str) -> dict:
        """The district (its own) or the city (at the city stage) rejects, with the reason."""
        return _decision("reject_application", application_id, body)


@blp.route("/applications/<application_id>/panel")
class Panel(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(contract.FormPanel, "application_id"))
    @blp.response(200, contract.Application)
    def post(self, body: dict, application_id: str) -> dict:
        """Form the review panel (R7.2: ≥ 3 experts, none from the applicant's unit)."""
        return _call("form_panel", {"application_id": application_id,
                                    "expert_ids": body["expert_ids"]})


@blp.route("/applications/<application_id>/panel/decline")
class DeclineAssignment(MethodView):
    @requires("reviewer")
    @blp.arguments(_without(contract.DeclineAssignment, "application_id"))
    @blp.response(200, contract.ReviewProgress)
    @blp.alt_response(409, description="Not on the panel, already declined, already reviewed, "
                      "or the review is over")
    def post(self, body: dict, application_id: str) -> dict:
        """A panel expert declines the assignment, declaring a conflict of interest (R7.2):
        marked declined with the reason, no longer scoring; the city may extend the panel."""
        return _call("decline_assignment", {"application_id": application_id,
                                            "reason": body["reason"]})


@blp.route("/applications/<application_id>/reviews")
class Reviews(MethodView):
    @requires("reviewer", *STAFF, read=True)
    @blp.response(200, contract.ReviewProgress)
    def get(self, application_id: str) -> dict:
        """Review progress: each panel member pending, reviewed (scores and total) or
        declined; a reviewer sees only their own entry."""
        return _call("get_review_progress", {"application_id": application_id})

    @requires("reviewer")
    @blp.arguments(_without(contract.RecordReview, "application_id"))
    @blp.response(201, contract.Review)
    def post(self, body: dict, application_id: str) -> dict:
        """A panel expert records the on-site inspection and a score per criterion (R7.2)."""
        payload = _without(contract.RecordReview, "application_id").dump(body)
        return _call("record_review", {**payload, "application_id": application_id})


@blp.route("/applications/ranking")
class Ranking(MethodView):
    @requires(*STAFF)
    @blp.arguments(contract.RankApplications)
    @blp.response(200, contract.Ranked(many=True))
    def post(self, body: dict) -> list:
        """The ranking of these applications by aggregated score (trimmed mean from 5)."""
        return _call("rank_applications", contract.RankApplications().dump(body))


@blp.route("/applications/shortlist")
class Shortlist(MethodView):
    @requires("city_hr")
    @blp.arguments(contract.ShortlistApplications)
    @blp.response(200, contract.Shortlisted(many=True))
    def post(self, body: dict) -> list:
        """Shortlist the best of these by score (top N and/or a minimum); the rest are not
        selected (R7.2)."""
        return _call("shortlist_applications", contract.ShortlistApplications().dump(body))


@blp.route("/applications/<application_id>/approve")
class Approve(MethodView):
    @requires("talent_office")
    @blp.arguments(COMMENTS)
    @blp.response(200, contract.Station)
    def post(self, body: dict, application_id: str) -> dict:
        """The talent office approves: an active station with its plaque number (R7.4)."""
        return _decision("approve_application", application_id, body)


@blp.route("/applications/<application_id>/decline")
class Decline(MethodView):
    @requires("talent_office")
    @blp.arguments(COMMENTS)
    @blp.response(200, contract.Application)
    def post(self, body: dict, application_id: str) -> dict:
        """The talent office declines, with the reason."""
        return _decision("decline_application", application_id, body)


@blp.route("/review-experts")
class ReviewExperts(MethodView):
    @requires("city_hr")
    @blp.arguments(contract.RegisterReviewExpert)
    @blp.response(201, contract.ReviewExpert)
    def post(self, body: dict) -> dict:
        """Add an expert to the city's pool of review experts."""
        return _call("register_review_expert", contract.RegisterReviewExpert().dump(body))

    @requires(*STAFF, read=True)
    @blp.response(200, contract.ReviewExpert(many=True))
    def get(self) -> list:
        return _call("list_review_experts")


@blp.route("/organisations")
class Organisations(MethodView):
    @requires("city_hr")
    @blp.arguments(contract.RegisterOrganisation)
    @blp.response(201, contract.Organisation)
    def post(self, body: dict) -> dict:
        """R7.5: register an organisation (its parent and group) that experts work for or
        applicants are; conflicts of interest follow it."""
        return _call("register_organisation", contract.RegisterOrganisation().dump(body))

    @requires(*STAFF, read=True)
    @blp.response(200, contract.Organisation(many=True))
    def get(self) -> list:
        return _call("list_organisations")


@blp.route("/review-experts/<expert_id>/deactivate")
class ReviewExpertDeactivate(MethodView):
    @requires("city_hr")
    @blp.arguments(contract.ReviewExpertDeactivation)
    @blp.response(200, contract.ReviewExpert)
    def post(self, body: dict, expert_id: str) -> dict:
        """Retire a review expert registered by mistake (never deleted, audited): no new
        panel takes them."""
        return _call("deactivate_review_expert", {**body, "expert_id": expert_id})


@blp.route("/review-experts/<expert_id>/reactivate")
class ReviewExpertReactivate(MethodView):
    @requires("city_hr")
    @blp.response(200, contract.ReviewExpert)
    def post(self, expert_id: str) -> dict:
        return _call("reactivate_review_expert", {"expert_id": expert_id})


@blp.route("/rubric")
class Rubric(MethodView):
    @requires(read=True)
    @blp.response(200, contract.Rubric)
    def get(self) -> dict:
        """The review rubric in force: criteria and their maximum points."""
        return _call("get_rubric")

    @requires("city_hr")
    @blp.arguments(contract.SetRubric)
    @blp.response(200, contract.Rubric)
    def put(self, body: dict) -> dict:
        """A new rubric version; reviews already recorded keep theirs."""
        return _call("set_rubric", contract.SetRubric().dump(body))


# public notices (R7.3) ----------------------------------------------------------------------


@blp.route("/notices")
class Notices(MethodView):
    @requires("city_hr")
    @blp.arguments(contract.PublishNotice)
    @blp.response(201, contract.Notice)
    def post(self, body: dict) -> dict:
        """Publish the shortlist for 5 working days by the statutory calendar (R7.3)."""
        return _call("publish_notice", contract.PublishNotice().dump(body))

    @requires(*STAFF, read=True)
    @blp.response(200, contract.Notice(many=True))
    def get(self) -> list:
        """Every notice, open or closed."""
        return _call("list_notices", False)


@blp.route("/notices/<notice_id>")
class Notice(MethodView):
    @requires(*STAFF, read=True)
    @blp.response(200, contract.Notice)
    def get(self, notice_id: str) -> dict:
        """A notice with its objections and their investigation."""
        return _call("get_notice", notice_id)


@blp.route("/notices/<notice_id>/close")
class CloseNotice(MethodView):
    @requires("city_hr")
    @blp.response(200, contract.Notice)
    def post(self, notice_id: str) -> dict:
        """After the window, with every objection decided: to the talent office (R7.4)."""
        return _call("close_notice", {"notice_id": notice_id})


@blp.route("/objections/<objection_id>/decision")
class ObjectionDecision(MethodView):
    @requires("city_hr")
    @blp.arguments(_without(contract.DecideObjection, "objection_id"))
    @blp.response(200, contract.Objection)
    def post(self, body: dict, objection_id: str) -> dict:
        """Record the investigation: upheld (the application drops out) or dismissed."""
        payload = _without(contract.DecideObjection, "objection_id").dump(body)
        return _call("decide_objection", {**payload, "objection_id": objection_id})


@blp.route("/public/notices")
class PublicNotices(MethodView):
    @optional_auth
    @blp.response(200, contract.Notice(many=True))
    def get(self) -> list:
        """Notices whose window is open now; no login needed."""
        return _call("list_notices", True)


@blp.route("/public/notices/<notice_id>/objections")
class PublicObjections(MethodView):
    @optional_auth
    @rate_limit("OBJECTION_RATE_LIMIT")
    @blp.arguments(_without(contract.FileObjection, "notice_id"))
    @blp.response(201, contract.ObjectionReceipt)
    def post(self, body: dict, notice_id: str) -> dict:
        """Anyone may object inside the window (R7.3): a reason is required, a name and a
        contact are optional."""
        payload = _without(contract.FileObjection, "notice_id").dump(body)
        return _call("file_objection", {**payload, "notice_id": notice_id})


# the registry and the measures ---------------------------------------------------------------


@blp.route("/stations")
class Stations(MethodView):
    @optional_auth
    @blp.arguments(contract.ListStations, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.Station))
    def get(self, query: dict) -> dict:
        """The registry of recognised stations, by type, district, status or name; a district
        sees its own (R13.1)."""
        return _call("list_stations", contract.ListStations().dump(query))


@blp.route("/stations/<station_id>")
class Station(MethodView):
    @optional_auth
    @blp.response(200, contract.Station)
    def get(self, station_id: str) -> dict:
        """A station; staff and its host unit also see every status change, who and when."""
        return _call("get_station", station_id)


@blp.route("/policies")
class Policies(MethodView):
    @optional_auth
    @blp.response(200, contract.Policy(many=True))
    def get(self) -> list:
        """Versions of the measures and when each is in force (R18.1)."""
        return _call("list_policy_versions")

    @requires("city_hr")
    @blp.arguments(contract.RegisterPolicyVersion)
    @blp.response(201, contract.Policy)
    def post(self, body: dict) -> dict:
        """Register a successor version (R18.1)."""
        return _call("register_policy_version", contract.RegisterPolicyVersion().dump(body))


@blp.route("/calendar/years")
class CalendarYears(MethodView):
    @requires("city_hr")
    @blp.arguments(contract.RegisterCalendarYear)
    @blp.response(201, contract.CalendarYear)
    def post(self, body: dict) -> dict:
        """Load a year's holidays and make-up working days from the State Council's notice."""
        return _call("register_calendar_year", contract.RegisterCalendarYear().dump(body))

