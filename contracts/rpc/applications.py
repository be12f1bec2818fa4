"""RPC contract of the applications service: what each RPC takes and what it answers.

Requests refuse unknown fields (marshmallow's default), so nothing can be mass-assigned. The
service dumps its answers through the answer schemas; the gateway validates requests and
documents (and re-dumps) answers with the same classes, so an answer is shaped in one place.
Fields an answer always carries are ``required``: a schema check of a response can fail.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from contracts.events import STATION_STATUSES, STATION_TYPES
from contracts.rpc.fields import (
    Answer,
    IsoDate,
    IsoDateTime,
    MeasureDate,
    Yuan,
    ident,
    maybe,
    req,
)
from contracts.rpc.subsidy import ART9_CATEGORIES
from servicekit.paging import PageRequest
from servicekit.tenants import DISTRICTS, TENANTS

# vocabularies of the measures the requests are checked against ------------------------------

# Art 5: host categories (R5.2), with their Chinese names.
HOST_CATEGORIES: dict[str, str] = {
    "university": "高等院校",
    "research_institute": "科研机构",
    "key_enterprise": "产业集群重点企业",
    "industrial_park": "产业园区",
    "maker_space": "众创空间",
    "incubator": "孵化器",
    "entrepreneurship_base": "双创基地",
    "maker_street": "创客大街",
    "industry_association": "行业协会",
    "tech_intermediary": "技术中介服务机构",
    "talent_apartment": "人才公寓",
    "leisure_venue": "主题休闲场所",
    "talent_service_agency": "人才服务机构",
    "hr_intermediary": "人力资源中介机构",
}
# Art 6: the four conditions, all required (R6.1).
CONDITIONS: dict[str, str] = {
    "commitment": "依托单位重视人才工作，具备场地设施并承担建设运营经费",
    "environment": "周边产业集聚，具备创新研发能力和技术、项目、成果转化、咨询培训等需求",
    "experts": "已联系或合作一批专家人才，定期开展交流活动",
    "management": "有管理制度、管理机构、服务体系和工作人员",
}
# Art 8: the six functions a station plans.
FUNCTIONS: dict[str, str] = {
    "exchange_matchmaking": "交流对接的纽带",
    "flexible_recruitment": "柔性引才的平台",
    "consulting_window": "咨询服务的阵地",
    "leisure_health": "休闲保健的基地",
    "commercialisation": "成果转化的桥梁",
    "social_space": "人才联谊的空间",
}


# Art 5: the functions each type offers (R5.3), in the article's words; a comprehensive
# station combines them all.
TYPE_FUNCTIONS: dict[str, dict[str, str]] = {
    "innovation": {"innovation_forum": "创新论坛", "academic_discussion": "学术探讨",
                   "creative_practice": "创意实践", "technology_sharing": "技术分享"},
    "entrepreneurship": {"entrepreneurship_training": "创业培训", "project_roadshow": "项目路演",
                         "venture_evaluation": "创投评估", "product_promotion": "产品推介",
                         "cooperation_negotiation": "合作洽谈"},
    "service": {"talent_information": "人才信息发布", "policy_consulting": "政策咨询",
                "career_consulting": "就业创业咨询", "training_exchange": "培训交流",
                "leisure_health": "休闲保健", "temporary_lodging": "临时住宿",
                "approval_agency": "代办各项审批手续"},
}
TYPE_FUNCTIONS["comprehensive"] = {k: v for functions in list(TYPE_FUNCTIONS.values())
                                   for k, v in functions.items()}


# request fields ------------------------------------------------------------------------------

_text = fields.String(required=True, validate=validate.Length(min=1, max=200))
_id = ident(required=True)


# calendar (R7.3) ----------------------------------------------------------------------------


class RegisterCalendarYear(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    holidays = fields.List(fields.Date(), required=True)
    workdays = fields.List(fields.Date(), required=True)


class CalendarYear(Schema):
    year = fields.Integer(required=True)
    holidays = fields.List(IsoDate(), required=True)
    workdays = fields.List(IsoDate(), required=True)


class DateRange(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class Workdays(Schema):
    start = IsoDate(required=True, metadata={"description": "First day of the range"})
    end = IsoDate(required=True, metadata={"description": "Last day of the range"})
    workdays = fields.List(IsoDate(), required=True, metadata={"description": "In order"})


class NoticeWindowRequest(Schema):
    published_on = fields.Date(required=True)


class NoticeWindow(Schema):
    published_on = IsoDate(required=True, metadata={"description": "Day the notice was published"})
    opens_on = IsoDate(required=True, metadata={"description": "First working day of the window"})
    closes_on = IsoDate(required=True, metadata={"description": "Last working day of the window"})
    closes_at = IsoDateTime(required=True,
                            metadata={"description": "End of the window (exclusive)"})
    working_days = fields.List(IsoDate(), required=True)


# policy versions (R18.1) --------------------------------------------------------------------


# R18.1: what the 2020 measures fix; a successor registered without terms keeps them.
TERMS_OF_2020: dict[str, Any] = {
    "notice_working_days": 5,                    # Art 7(3)
    "subsidy_min_fen": 5_000_000,                # Art 9: 50,000–200,000 CNY
    "subsidy_max_fen": 20_000_000,
    "evaluation_interval_years": 2,              # Art 16
    "spending_categories": list(ART9_CATEGORIES),  # Art 9
}


class PolicyTerms(Answer):
    """The thresholds a version of the measures fixes (R18.1). An Answer, so that the
    gateway's second dump of an answer reads ``subsidy_min`` back (not its column's name)."""

    notice_working_days = fields.Integer(required=True, strict=True,
                                         validate=validate.Range(min=1, max=30))
    subsidy_min = Yuan(required=True, attribute="subsidy_min_fen")
    subsidy_max = Yuan(required=True, attribute="subsidy_max_fen")
    evaluation_interval_years = fields.Integer(required=True, strict=True,
                                               validate=validate.Range(min=1, max=10))
    spending_categories = fields.List(
        fields.String(validate=validate.OneOf(ART9_CATEGORIES)), required=True,
        validate=validate.Length(min=1))


class RegisterPolicyVersion(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    document = fields.String(required=True, validate=validate.Length(min=1, max=100))
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    assumed = fields.Boolean(load_default=False, metadata={
        "description": "An assumed stand-in, not a published text (the demo's successor)"})
    terms = fields.Nested(PolicyTerms, load_default=None, metadata={
        "description": "Thresholds of this version; left out, those of the 2020 measures"})


class Policy(Schema):
    code = req()
    title = req()
    document = req()
    effective_from = IsoDate(required=True)
    effective_to = IsoDate(required=True, allow_none=True)
    note = req()
    registered_by = req()
    assumed = req(fields.Boolean, metadata={
        "description": "Assumed for the demo, not a published text: shown as such"})
    terms = req(fields.Nested, nested=PolicyTerms)


# host units and attachments -----------------------------------------------------------------


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


class ListHostUnits(PageRequest):
    district = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(TENANTS))


class HostUnit(Schema):
    id = req()
    name = req()
    credit_code = req()
    category = req()
    category_name = req()
    district = req()
    city_level = fields.Boolean(required=True)
    contact_name = req()
    contact_phone = req()
    address = req()
    route = req(metadata={"description": "district or city (R7.1)"})


class UploadAttachment(Schema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    content_type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    content_base64 = fields.String(required=True)


class Attachment(Schema):
    attachment_id = req(metadata={"description": "SHA-256 of the content"})
    filename = req()
    content_type = req()
    size = fields.Integer(required=True)


# applications (R5.1, R5.2, R6.1, R7.1) ------------------------------------------------------


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
    type_functions = fields.List(
        fields.String(validate=validate.OneOf(TYPE_FUNCTIONS["comprehensive"])),
        validate=validate.Length(max=len(TYPE_FUNCTIONS["comprehensive"])),
        metadata={"description": "R5.3: the Art 5 functions it offers, those of its type"})
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


class ListApplications(PageRequest):
    status = fields.String(load_default=None, allow_none=True)
    district = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(TENANTS))
    host_unit_id = fields.String(load_default=None, allow_none=True)


class ApplicationStep(Schema):
    """One step of an application's history, every round kept."""

    at = IsoDateTime(required=True)
    actor = req()
    role = req()
    action = req()
    from_status = maybe()
    to_status = req()
    round = fields.Integer(required=True)
    comments = req()
    policy_version = maybe()


class Application(Schema):
    """An application: its summary in lists; with ``APPLICATION_DETAIL`` what the host unit
    wrote; its history and panel where the caller may read them."""

    id = req()
    number = req()
    host_unit_id = req()
    host_unit_name = req()
    station_type = req()
    station_name = req()
    district = req()
    route = req()
    status = req()
    status_name = req()
    round = fields.Integer(required=True)
    score = maybe()
    rank = fields.Integer(required=True, allow_none=True)
    submitted_at = IsoDateTime(required=True, allow_none=True)
    updated_at = IsoDateTime(required=True)
    conditions = fields.Dict()
    planned_functions = fields.List(fields.String())
    type_functions = fields.List(fields.String())
    cooperating_experts = fields.List(fields.Dict())
    premises = fields.Dict()
    committed_funding = fields.String(metadata={"description": "yuan, two decimals"})
    history = fields.List(fields.Nested(ApplicationStep))
    panel = fields.List(fields.String())


APPLICATION_SUMMARY = ("id", "number", "host_unit_id", "host_unit_name", "station_type",
                       "station_name", "district", "route", "status", "status_name", "round",
                       "score", "rank", "submitted_at", "updated_at")
APPLICATION_DETAIL = (*APPLICATION_SUMMARY, "conditions", "planned_functions",
                      "type_functions", "cooperating_experts", "premises", "committed_funding")


# city review (R7.2) -------------------------------------------------------------------------


class RegisterOrganisation(Schema):
    """R7.5: an organisation experts work for or applicants are (a university, institute,
    enterprise; a registered host unit names itself with host_unit_id)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    group_name = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(min=1, max=200),
                               metadata={"description": "The group it belongs to: units of "
                                                        "one group are in conflict"})
    parent_id = ident(load_default=None, allow_none=True)
    host_unit_id = ident(load_default=None, allow_none=True)


class Organisation(Schema):
    id = req()
    name = req()
    group_name = maybe()
    parent_id = maybe()
    host_unit_id = maybe()


class RegisterReviewExpert(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    organisation_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    host_unit_id = ident(load_default=None, allow_none=True)
    organisation_id = ident(load_default=None, allow_none=True, metadata={
        "description": "R7.5: the registered organisation the expert works for"})
    field = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ReviewExpert(Schema):
    id = req()
    name = req()
    organisation_name = req()
    host_unit_id = maybe()
    organisation_id = maybe()
    field = req()
    active = req(fields.Boolean, metadata={"description": "False once staff deactivated it"})
    deactivation_reason = maybe()


class ReviewExpertDeactivation(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ReviewExpertRef(Schema):
    expert_id = _id


class DeactivateReviewExpert(ReviewExpertDeactivation, ReviewExpertRef):
    pass


class Criterion(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]{1,40}$"))
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=100))
    max_points = fields.Integer(required=True, validate=validate.Range(min=1, max=100))


class SetRubric(Schema):
    criteria = fields.List(fields.Nested(Criterion), required=True,
                           validate=validate.Length(min=1, max=20))


class Rubric(Schema):
    version = fields.Integer(required=True)
    criteria = fields.List(fields.Nested(Criterion), required=True)


class FormPanel(Schema):
    application_id = _id
    expert_ids = fields.List(fields.String(), required=True, validate=validate.Length(max=15))


class RecordReview(Schema):
    application_id = _id
    inspection_date = MeasureDate(required=True)
    findings = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    scores = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class Review(Schema):
    id = req()
    application_id = req()
    expert_id = req()
    total = fields.Integer(required=True)
    scores = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    inspection_date = IsoDate(required=True)
    rubric_version = fields.Integer(required=True)
    findings = req()


class DeclineAssignment(Schema):
    """A panel expert declines the assignment, declaring a conflict of interest (R7.2)."""

    application_id = _id
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class AttachmentRef(Schema):
    """An evidence file of an application."""

    application_id = _id
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))


class AttachmentFile(Schema):
    """An evidence file's bytes (base64) with its stored name and media type."""

    attachment_id = req()
    filename = req()
    content_type = req()
    size = fields.Integer(required=True)
    content_base64 = req()


PANEL_MEMBER_STATUSES = ("pending", "reviewed", "declined")


class PanelMemberProgress(Schema):
    """One panel member: pending, reviewed (with the scores and total) or declined."""

    expert_id = req()
    name = req()
    organisation_name = req()
    status = req(validate=validate.OneOf(PANEL_MEMBER_STATUSES))
    assigned_at = IsoDateTime(required=True)
    declined_at = IsoDateTime(required=True, allow_none=True)
    decline_reason = maybe()
    reviewed_at = IsoDateTime(required=True, allow_none=True)
    inspection_date = IsoDate(required=True, allow_none=True)
    scores = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         allow_none=True)
    total = fields.Integer(required=True, allow_none=True)
    rubric_version = fields.Integer(required=True, allow_none=True)


class ReviewProgress(Schema):
    """The review of an application so far; a reviewer sees only their own entry."""

    application_id = req()
    number = req()
    status = req()
    panel_size = fields.Integer(required=True, metadata={
        "description": "Members who score it (those who have not declined)"})
    reviewed = fields.Integer(required=True)
    members = fields.List(fields.Nested(PanelMemberProgress), required=True)


class RankApplications(Schema):
    application_ids = fields.List(fields.String(), required=True,
                                  validate=validate.Length(min=1, max=500))


class ShortlistApplications(Schema):
    application_ids = fields.List(fields.String(), required=True,
                                  validate=validate.Length(min=1, max=500))
    top = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    # Whole points: a Decimal bound would be documented as a string, not valid OpenAPI.
    minimum_score = fields.Integer(load_default=None, allow_none=True,
                                   validate=validate.Range(min=0, max=1000))


class Ranked(Schema):
    """A place in the ranking by aggregated score (trimmed mean from 5 scores)."""

    application_id = req()
    number = req()
    station_name = req()
    score = req()
    rank = fields.Integer(required=True)


class Shortlisted(Schema):
    """A place in the ranking and whether the shortlist took it."""

    application_id = req()
    score = req()
    rank = fields.Integer(required=True)
    shortlisted = fields.Boolean(required=True)


# public notice and objections (R7.3) --------------------------------------------------------


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


class ObjectionReceipt(Schema):
    id = req()
    status = req()
    filed_at = IsoDateTime(required=True)


class Objection(Schema):
    id = req()
    notice_id = req()
    application_id = req()
    reason = req()
    name = maybe()
    contact = maybe()
    filed_at = IsoDateTime(required=True)
    status = req()
    finding = maybe()
    decided_by = maybe()


class NoticeEntry(Schema):
    """An application in a notice; its status and score for staff only."""

    application_id = req()
    number = req()
    station_name = req()
    station_type = req()
    host_unit_name = req()
    district = req()
    status = fields.String()
    score = fields.String(allow_none=True)


class RankingEntry(Schema):
    application_id = req()
    number = req()
    station_name = req()
    score = req()
    rank = fields.Integer(required=True)
    shortlisted = fields.Boolean(required=True)


class ShortlistDecision(Schema):
    """R7.2: one shortlisting decision: its rule (top N, minimum score) and the ranking."""

    shortlist_id = req()
    top = fields.Integer(required=True, allow_none=True)
    minimum_score = fields.Integer(required=True, allow_none=True)
    decided_at = IsoDateTime(required=True)
    ranking = fields.List(fields.Nested(RankingEntry), required=True)


class Notice(Schema):
    """A notice; its objections for staff reading one notice."""

    id = req()
    number = req()
    published_on = IsoDate(required=True)
    opens_on = IsoDate(required=True)
    closes_on = IsoDate(required=True)
    closes_at = IsoDateTime(required=True)
    status = req()
    applications = fields.List(fields.Nested(NoticeEntry), required=True)
    objections = fields.List(fields.Nested(Objection))
    ranking = fields.List(fields.Nested(ShortlistDecision), allow_none=True, metadata={
        "description": "R7.2: the shortlisting decisions (rule and ranking) behind the "
                       "notice; staff only"})


# approval (R7.4) and the registry -----------------------------------------------------------


class ListStations(PageRequest):
    host_unit_id = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(min=1, max=64), metadata={
                                     "description": "Only this host unit's stations"})
    station_type = fields.String(load_default=None, allow_none=True,
                                 validate=validate.OneOf(STATION_TYPES))
    district = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(TENANTS))
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(STATION_STATUSES))
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class StationStep(Schema):
    """One status change of a station: who, when, why (R13.1)."""

    at = IsoDateTime(required=True)
    actor = req()
    role = req()
    from_status = maybe()
    to_status = req()
    reason = req()


class Station(Schema):
    """A recognised station; its history for its supervisors and its host unit."""

    id = req()
    plaque_number = req()
    name = req()
    station_type = req()
    host_unit_id = req()
    host_unit_name = req()
    district = req()
    status = req()
    approved_on = IsoDate(required=True)
    policy_version = req()
    application_id = req()
    history = fields.List(fields.Nested(StationStep))
