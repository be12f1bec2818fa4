"""Marshmallow schemas of the applications service's RPC payloads.

Requests refuse unknown fields (marshmallow's default), so nothing can be mass-assigned.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.events import STATION_STATUSES, STATION_TYPES
from servicekit.paging import PageRequest
from servicekit.tenants import DISTRICTS, TENANTS
from services.applications.domain import CONDITIONS, FUNCTIONS, HOST_CATEGORIES

_text = fields.String(required=True, validate=validate.Length(min=1, max=200))
_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class RegisterCalendarYear(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    holidays = fields.List(fields.Date(), required=True)
    workdays = fields.List(fields.Date(), required=True)


class DateRange(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class NoticeWindowRequest(Schema):
    published_on = fields.Date(required=True)


class NoticeWindow(Schema):
    published_on = fields.Date()
    opens_on = fields.Date()
    closes_on = fields.Date()
    closes_at = fields.AwareDateTime()
    working_days = fields.List(fields.Date())


class RegisterPolicyVersion(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    document = fields.String(required=True, validate=validate.Length(min=1, max=100))
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class RegisterHostUnit(Schema):
    name = _text
    credit_code = fields.String(required=True, validate=validate.Length(equal=18))
    category = fields.String(required=True, validate=validate.OneOf(HOST_CATEGORIES))
    district = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(DISTRICTS))
    city_level = fields.Boolean(load_default=False)
    contact_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    contact_phone = fields.String(required=True,
                                  validate=validate.Regexp(r"^[0-9+\-() ]{5,40}$"))
    address = fields.String(required=True, validate=validate.Length(min=1, max=300))


class Condition(Schema):
    statement = fields.String(required=True, validate=validate.Length(max=5000))
    evidence = fields.List(fields.String(validate=validate.Length(equal=64)), required=True,
                           validate=validate.Length(max=20))


class Expert(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    title = fields.String(load_default="", validate=validate.Length(max=100))
    organisation = fields.String(load_default="", validate=validate.Length(max=200))


class Premises(Schema):
    address = fields.String(required=True, validate=validate.Length(min=1, max=300))
    area_sqm = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))


class ApplicationFields(Schema):
    """What a host unit writes in a draft; every field optional in an update."""

    station_type = fields.String(validate=validate.OneOf(STATION_TYPES))
    station_name = fields.String(validate=validate.Length(min=1, max=200))
    conditions = fields.Dict(keys=fields.String(validate=validate.OneOf(CONDITIONS)),
                             values=fields.Nested(Condition))
    planned_functions = fields.List(fields.String(validate=validate.OneOf(FUNCTIONS)),
                                    validate=validate.Length(max=len(FUNCTIONS)))
    cooperating_experts = fields.List(fields.Nested(Expert), validate=validate.Length(max=200))
    premises = fields.Nested(Premises)
    committed_funding = fields.String()  # yuan, e.g. "300000.00"


class CreateApplication(ApplicationFields):
    host_unit_id = _id
    station_type = fields.String(required=True, validate=validate.OneOf(STATION_TYPES))
    station_name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class UpdateApplication(ApplicationFields):
    application_id = _id


class ApplicationRef(Schema):
    application_id = _id


class Decision(Schema):
    application_id = _id
    comments = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class UploadAttachment(Schema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    content_type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    content_base64 = fields.String(required=True)


class RegisterReviewExpert(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    organisation_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    host_unit_id = fields.String(load_default=None, allow_none=True)
    field = fields.String(required=True, validate=validate.Length(min=1, max=100))


class Criterion(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]{1,40}$"))
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=100))
    max_points = fields.Integer(required=True, validate=validate.Range(min=1, max=100))


class SetRubric(Schema):
    criteria = fields.List(fields.Nested(Criterion), required=True,
                           validate=validate.Length(min=1, max=20))


class FormPanel(Schema):
    application_id = _id
    expert_ids = fields.List(fields.String(), required=True, validate=validate.Length(max=15))


class RecordReview(Schema):
    application_id = _id
    inspection_date = fields.Date(required=True)
    findings = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    scores = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class Shortlist(Schema):
    application_ids = fields.List(fields.String(), required=True,
                                  validate=validate.Length(min=1, max=500))
    top = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    # Whole points: a Decimal bound would be documented as a string, not valid OpenAPI.
    minimum_score = fields.Integer(load_default=None, allow_none=True,
                                   validate=validate.Range(min=0, max=1000))


class Ranking(Schema):
    application_ids = fields.List(fields.String(), required=True,
                                  validate=validate.Length(min=1, max=500))


class PublishNotice(Schema):
    application_ids = fields.List(fields.String(), required=True,
                                  validate=validate.Length(min=1, max=200))
    published_on = fields.Date(load_default=None, allow_none=True)


class NoticeRef(Schema):
    notice_id = _id


class FileObjection(Schema):
    notice_id = _id
    application_id = _id
    reason = fields.String(required=True, validate=validate.Length(min=5, max=5000))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    contact = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=100))


class DecideObjection(Schema):
    objection_id = _id
    outcome = fields.String(required=True, validate=validate.OneOf(("upheld", "dismissed")))
    finding = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class ListApplications(PageRequest):
    status = fields.String(load_default=None, allow_none=True)
    district = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(TENANTS))
    host_unit_id = fields.String(load_default=None, allow_none=True)


class ListStations(PageRequest):
    station_type = fields.String(load_default=None, allow_none=True,
                                 validate=validate.OneOf(STATION_TYPES))
    district = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(TENANTS))
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(STATION_STATUSES))
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class StationRef(Schema):
    station_id = _id


class ListHostUnits(PageRequest):
    district = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(TENANTS))
