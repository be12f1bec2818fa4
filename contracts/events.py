"""Payload schemas of the platform's events (DESIGN.md §2, §3), one section per producer.

Money travels as integer fen; dates as ISO dates (Asia/Shanghai business dates); a district
as its tenant code (the city, 371000, for city-level units).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.registry import register

STATION_TYPES = ("innovation", "entrepreneurship", "service", "comprehensive")
STATION_STATUSES = ("active", "rectifying", "revoked")
GRADES = ("excellent", "pass", "fail")
DEMAND_KINDS = ("talent", "technology", "project", "funding")
COOPERATION_MODES = (
    "part_time",
    "secondment",
    "project_cooperation",
    "joint_development",
    "technology_equity",
)
GRANT_KINDS = ("construction", "provincial_reward", "district")

_tenant = fields.String(required=True, validate=validate.Length(equal=6))
_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


# applications ------------------------------------------------------------------------------


class CalendarYearRegistered(Schema):
    """An administrator loaded a year's holidays and make-up working days (R7.3)."""

    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    holidays = fields.List(fields.Date(), required=True)
    workdays = fields.List(fields.Date(), required=True)
    registered_by = fields.String(required=True)


class ApplicationSubmitted(Schema):
    application_id = _id
    number = fields.String(required=True)
    host_unit_id = _id
    station_type = fields.String(required=True, validate=validate.OneOf(STATION_TYPES))
    district = _tenant
    submitted_to = fields.String(required=True, validate=validate.OneOf(("district", "city")))
    round = fields.Integer(required=True)


class ApplicationDecided(Schema):
    """A district's or the city's decision on an application, with its comments or reason."""

    application_id = _id
    number = fields.String(required=True)
    district = _tenant
    decided_by = fields.String(required=True, validate=validate.OneOf(("district", "city")))
    comments = fields.String(required=True)


class ApplicationShortlisted(Schema):
    application_id = _id
    number = fields.String(required=True)
    score = fields.String(required=True)  # decimal string, two places
    rank = fields.Integer(required=True)


class NoticePublished(Schema):
    notice_id = _id
    published_on = fields.Date(required=True)
    closes_on = fields.Date(required=True)
    application_ids = fields.List(fields.String(), required=True)


class StationApproved(Schema):
    station_id = _id
    application_id = _id
    plaque_number = fields.String(required=True)
    name = fields.String(required=True)
    station_type = fields.String(required=True, validate=validate.OneOf(STATION_TYPES))
    host_unit_id = _id
    host_unit_name = fields.String(required=True)
    district = _tenant
    approved_on = fields.Date(required=True)
    policy_version = fields.String(required=True)


class StationStatusChanged(Schema):
    station_id = _id
    from_status = fields.String(required=True, validate=validate.OneOf(STATION_STATUSES))
    to_status = fields.String(required=True, validate=validate.OneOf(STATION_STATUSES))
    reason = fields.String(required=True)
    changed_on = fields.Date(required=True)


class StationRevoked(Schema):
    station_id = _id
    plaque_number = fields.String(required=True)
    district = _tenant
    reason = fields.String(required=True)
    revoked_on = fields.Date(required=True)


class ForwardedHostUnit(Schema):
    id = _id
    name = fields.String(required=True)
    credit_code = fields.String(required=True)
    category = fields.String(required=True)
    district = _tenant
    city_level = fields.Boolean(required=True)
    contact_name = fields.String(required=True)
    contact_phone = fields.String(required=True)
    address = fields.String(required=True)


class ForwardedAttachment(Schema):
    """An attachment's record; its content stays in the district's store."""

    id = fields.String(required=True, validate=validate.Length(equal=64))  # SHA-256
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    uploaded_by = fields.String(required=True)
    uploaded_at = fields.AwareDateTime(required=True)


class ForwardedStep(Schema):
    at = fields.AwareDateTime(required=True)
    actor = fields.String(required=True)
    role = fields.String(required=True)
    action = fields.String(required=True)
    from_status = fields.String(required=True, allow_none=True)
    to_status = fields.String(required=True)
    round = fields.Integer(required=True)
    comments = fields.String(required=True)
    policy_version = fields.String(required=True, allow_none=True)


class ApplicationForwarded(Schema):
    """A district's own instance hands a recommended application to the city (DESIGN.md §4):
    what the city needs to review it, with its host unit, evidence records and history."""

    application_id = _id
    number = fields.String(required=True)
    district = _tenant
    station_type = fields.String(required=True, validate=validate.OneOf(STATION_TYPES))
    station_name = fields.String(required=True)
    round = fields.Integer(required=True)
    conditions = fields.Dict(required=True)
    planned_functions = fields.List(fields.String(), required=True)
    # R5.3; absent from events sent before issue 12.
    type_functions = fields.List(fields.String(), load_default=list)
    cooperating_experts = fields.List(fields.Dict(), required=True)
    premises = fields.Dict(required=True)
    committed_funding_fen = fields.Integer(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    host_unit = fields.Nested(ForwardedHostUnit, required=True)
    attachments = fields.List(fields.Nested(ForwardedAttachment), required=True)
    history = fields.List(fields.Nested(ForwardedStep), required=True)


register("applications", "calendar_year_registered", 1, CalendarYearRegistered)
register("applications", "application_submitted", 1, ApplicationSubmitted)
register("applications", "application_recommended", 1, ApplicationDecided)
register("applications", "application_returned", 1, ApplicationDecided)
register("applications", "application_rejected", 1, ApplicationDecided)
register("applications", "application_forwarded", 1, ApplicationForwarded)
register("applications", "application_shortlisted", 1, ApplicationShortlisted)
register("applications", "notice_published", 1, NoticePublished)
register("applications", "station_approved", 1, StationApproved)
register("applications", "station_status_changed", 1, StationStatusChanged)
register("applications", "station_revoked", 1, StationRevoked)


# evaluation --------------------------------------------------------------------------------


class EvaluationCompleted(Schema):
    """A station's result in a cycle, or of the re-assessment after a rectification."""

    cycle_id = _id
    station_id = _id
    score = fields.String(required=True)  # decimal string, two places
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    rectification_id = fields.String(required=True, allow_none=True)
    evaluated_on = fields.Date(required=True)


class StationCommended(Schema):
    cycle_id = _id
    station_id = _id


class CommendationRecorded(Schema):
    """R17.2 (Art 17): a 表扬 with its document number, date and reason."""

    commendation_id = _id
    station_id = _id
    cycle_id = fields.String(required=True, allow_none=True)
    document = fields.String(required=True)
    commended_on = fields.Date(required=True)
    reason = fields.String(required=True)


class RectificationRequired(Schema):
    rectification_id = _id
    cycle_id = _id
    station_id = _id
    findings = fields.String(required=True)
    deadline = fields.Date(required=True)


class RectificationFailed(Schema):
    rectification_id = _id
    station_id = _id
    reason = fields.String(required=True)


class DemonstrationSelected(Schema):
    """R9.1/R9.2: confirmed by city_hr and org_department; the subsidy proposes a grant."""

    selection_id = _id
    cycle_id = _id
    station_id = _id
    district = _tenant
    proposed_subsidy_fen = fields.Integer(required=True)
    provincial = fields.Boolean(required=True)
    confirmed_on = fields.Date(required=True)


class ReportOverdue(Schema):
    """A station's annual work plan or summary was not in by its due date."""

    station_id = _id
    district = _tenant
    kind = fields.String(required=True, validate=validate.OneOf(("plan", "summary")))
    year = fields.Integer(required=True)
    due_on = fields.Date(required=True)
    detected_on = fields.Date(required=True)


register("evaluation", "evaluation_completed", 1, EvaluationCompleted)
register("evaluation", "report_overdue", 1, ReportOverdue)
register("evaluation", "station_commended", 1, StationCommended)
register("evaluation", "commendation_recorded", 1, CommendationRecorded)
register("evaluation", "rectification_required", 1, RectificationRequired)
register("evaluation", "rectification_failed", 1, RectificationFailed)
register("evaluation", "demonstration_selected", 1, DemonstrationSelected)


# subsidy -----------------------------------------------------------------------------------


class GrantApproved(Schema):
    grant_id = _id
    station_id = _id
    kind = fields.String(required=True, validate=validate.OneOf(GRANT_KINDS))
    fund_id = _id
    amount_fen = fields.Integer(required=True)


class GrantDisbursed(Schema):
    grant_id = _id
    disbursement_id = _id
    station_id = _id
    amount_fen = fields.Integer(required=True)
    payment_reference = fields.String(required=True)


class ExpenditureRejected(Schema):
    grant_id = _id
    expenditure_id = _id
    station_id = _id
    category = fields.String(required=True)
    reason = fields.String(required=True)


class ClawbackRaised(Schema):
    grant_id = _id
    station_id = _id
    amount_fen = fields.Integer(required=True)
    reason = fields.String(required=True)


register("subsidy", "grant_approved", 1, GrantApproved)
register("subsidy", "grant_disbursed", 1, GrantDisbursed)
register("subsidy", "expenditure_rejected", 1, ExpenditureRejected)
register("subsidy", "clawback_raised", 1, ClawbackRaised)


# matching ----------------------------------------------------------------------------------


class DemandPosted(Schema):
    demand_id = _id
    enterprise_id = _id
    kind = fields.String(required=True, validate=validate.OneOf(DEMAND_KINDS))
    industry = fields.String(required=True)
    district = _tenant


class RecommendationsPublished(Schema):
    demand_id = _id
    enterprise_id = _id
    expert_ids = fields.List(fields.String(), required=True)


class CollaborationRecorded(Schema):
    """An accepted recommendation; it counts for the station that brokered it (R16.1)."""

    collaboration_id = _id
    demand_id = _id
    expert_id = _id
    enterprise_id = _id
    station_id = fields.String(required=True, allow_none=True)
    mode = fields.String(required=True, validate=validate.OneOf(COOPERATION_MODES))
    recorded_on = fields.Date(required=True)


register("matching", "demand_posted", 1, DemandPosted)
register("matching", "recommendations_published", 1, RecommendationsPublished)
register("matching", "collaboration_recorded", 1, CollaborationRecorded)
