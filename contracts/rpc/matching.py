"""The matching service's RPCs: the request and answer schema of each, the vocabulary they
share, and the columns of its exports.

The service loads every request and dumps every answer through these schemas; the gateway
validates bodies and queries with the same request schemas and documents the answers with
the same answer schemas. Unknown request fields are refused (marshmallow's default). Answer
fields that are always present are ``required``, so a schema check of a response can fail.

RPC                          request               answer
register_expert              ExpertFields          TalentExpert | MaskedTalentExpert
update_expert                UpdateExpert          TalentExpert | MaskedTalentExpert
get_expert                   ExpertId              TalentExpert | MaskedTalentExpert
deactivate_expert            DeactivateExpert      TalentExpert | MaskedTalentExpert
reactivate_expert            ExpertId              TalentExpert | MaskedTalentExpert
list_expert_change_requests  ChangeRequestQuery    page of ExpertChangeRequestAnswer
decide_expert_change_request DecideChangeRequest   ExpertChangeRequestAnswer
list_experts                 ExpertQuery           page of TalentExpert | MaskedTalentExpert
post_demand                  DemandFields          DemandAnswer
revise_demand                ReviseDemand          DemandAnswer
triage_demand                TriageDemand          DemandAnswer
close_demand                 CloseDemand           DemandAnswer
get_demand                   DemandId              DemandAnswer
list_demands                 DemandQuery           page of DemandAnswer
expire_due_demands           —                     ExpiredDemands
recommend_experts            RecommendExperts      RecommendationRun
publish_recommendations      PublishRecommendations PublishedRecommendations
list_recommendations         DemandId              DemandRecommendations
answer_recommendation        AnswerRecommendation  AcceptedRecommendation | RecommendationAnswer
list_collaborations          CollaborationQuery    page of CollaborationAnswer
list_notifications           NotificationQuery     page of NotificationAnswer
mark_notification_read       NotificationId        NotificationAnswer
set_notification_settings    NotificationSettings  NotificationSettingsAnswer
get_notification_settings    —                     NotificationSettingsAnswer
list_deliveries              DeliveryQuery         page of DeliveryAnswer
get_talent_map               TalentMapQuery        TalentMapAnswer
render_talent_map            TalentMapQuery        SVG text
import_file                  ImportFile            ImportReport
stage_import                 StageImport           StagedImport
commit_import                ImportJobId           CommittedImport
discard_import               ImportJobId           DiscardedImport
export_records               ExportRecords         ExportedRecords (rows of EXPORT_COLUMNS)
list_stations                —                     list of StationAnswer
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from contracts.events import COOPERATION_MODES, DEMAND_KINDS
from contracts.rpc.fields import (
    Answer,
    Derived,
    IsoDate,
    IsoDateTime,
    MeasureDate,
    Yuan,
    ident,
    maybe,
    req,
)
from servicekit import text
from servicekit.paging import PageRequest
from servicekit.spreadsheets import Column
from servicekit.tenants import TENANTS

# Vocabulary --------------------------------------------------------------------------------

# GB/T 4754-2017 《国民经济行业分类》: the twenty sections (门类) A–T.
INDUSTRY_SECTIONS: dict[str, tuple[str, str]] = {
    "A": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "B": ("采矿业", "Mining"),
    "C": ("制造业", "Manufacturing"),
    "D": ("电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water supply"),
    "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale and retail trade"),
    "G": ("交通运输、仓储和邮政业", "Transport, storage and postal services"),
    "H": ("住宿和餐饮业", "Accommodation and catering"),
    "I": ("信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    "J": ("金融业", "Finance"),
    "K": ("房地产业", "Real estate"),
    "L": ("租赁和商务服务业", "Leasing and business services"),
    "M": ("科学研究和技术服务业", "Scientific research and technical services"),
    "N": ("水利、环境和公共设施管理业", "Water, environment and public facilities management"),
    "O": ("居民服务、修理和其他服务业", "Resident, repair and other services"),
    "P": ("教育", "Education"),
    "Q": ("卫生和社会工作", "Health and social work"),
    "R": ("文化、体育和娱乐业", "Culture, sports and entertainment"),
    "S": ("公共管理、社会保障和社会组织", "Public administration, social security, organisations"),
    "T": ("国际组织", "International organisations"),
}
# Weihai's key industrial clusters: the project's own codes (not an official list); the GB/T
# sections each spans are a matching rule, in services/matching/domain.py.
CLUSTER_NAMES: dict[str, tuple[str, str]] = {
    "WH-IT": ("新一代信息技术", "New-generation information technology"),
    "WH-MED": ("医疗器械与生物医药", "Medical devices and biomedicine"),
    "WH-MAT": ("碳纤维等新材料", "Carbon fibre and other new materials"),
    "WH-SEA": ("海洋生物与健康食品", "Marine biology and health food"),
    "WH-EQP": ("高端装备制造", "High-end equipment manufacturing"),
    "WH-FASH": ("时尚服装", "Fashion and apparel"),
}
INDUSTRIES: dict[str, tuple[str, str]] = {**INDUSTRY_SECTIONS, **CLUSTER_NAMES}

# Talent levels of the talent map, after the A–E tiers Shandong's cities use in their
# high-level talent catalogues (the project's own labels).
TALENT_LEVELS: dict[str, tuple[str, str]] = {
    "A": ("顶尖人才", "Top talent"),
    "B": ("领军人才", "Leading talent"),
    "C": ("拔尖人才", "Outstanding talent"),
    "D": ("骨干人才", "Key talent"),
    "E": ("青年人才", "Young talent"),
}
AVAILABILITY: dict[str, str] = {"available": "可合作", "limited": "时间有限",
                                "unavailable": "暂不可合作"}
# R8.1 and R8.2: the kinds and modes themselves come from the event contracts.
KIND_NAMES: dict[str, str] = dict(zip(DEMAND_KINDS, ("人才", "技术", "项目", "资金"), strict=True))
MODE_NAMES: dict[str, str] = dict(
    zip(COOPERATION_MODES, ("兼职", "挂职", "项目合作", "联合开发", "技术入股"), strict=True)
)
# A demand's life: posted → triaged (accept into matching, send back, reject) → matching →
# matched (a recommendation accepted) or closed; past its deadline an open demand expires.
DEMAND_STATUS_NAMES: dict[str, str] = {
    "posted": "待审核",
    "returned": "退回修改",
    "rejected": "不予受理",
    "matching": "对接中",
    "matched": "已对接",
    "closed": "已关闭",
    "expired": "已过期",
}

# What may be written where. Longer text is refused, not cut.
NAME_MAX = 50
SHORT_MAX = 100
TEXT_MAX = 2000
DESCRIPTION_MAX = 4000
LIST_MAX = 20
CAPACITY_MAX = 20
RECOMMEND_MAX = 50


def district_name(code: str) -> str:
    return TENANTS[code].name_zh if code in TENANTS else code


# Personal data: what a valid phone and ID number are, and how an answer masks them -------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s()（）]", "", value)


def phone_problem(value: str) -> str | None:
    """Why ``value`` is not a mainland mobile (11 digits from 13…19) or landline number."""
    phone = normalise_phone(value)
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return None
    return "not a mainland mobile (1[3-9] and 9 digits) or landline (0area-number) number"


def id_number_problem(value: str) -> str | None:
    """Why ``value`` is not a valid 18-character resident identity number (GB 11643-1999)."""
    number = value.strip().upper()
    if not _ID_NUMBER.match(number):
        return "not 17 digits followed by a digit or X"
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        return "check digit does not match (GB 11643-1999)"
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "birth date inside the number is not a real date"
    return None


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "*" * max(len(phone) - 7, 1) + phone[-4:]


def mask_id_number(number: str | None) -> str | None:
    if not number:
        return number
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, _, domain_part = email.partition("@")
    return f"{local[:1]}***@{domain_part}"


# Request fields ------------------------------------------------------------------------------

_INDUSTRY = validate.OneOf(
    list(INDUSTRIES),
    error="Unknown industry code {input!r}: use a GB/T 4754-2017 section A–T or a Weihai "
    "cluster code (WH-IT, WH-MED, WH-MAT, WH-SEA, WH-EQP, WH-FASH).",
)
_MODE = validate.OneOf(
    COOPERATION_MODES, error="Unknown cooperation mode {input!r} (R8.2): one of {choices}."
)
_DISTRICT = validate.OneOf(
    list(TENANTS), error="Unknown district code {input!r}: one of {choices}."
)
_LEVEL = validate.OneOf(list(TALENT_LEVELS))


def _text(max_length: int, required: bool = False, **kwargs: Any) -> fields.String:
    """Text under the platform's text policy (servicekit.text: trimmed, NFC, blank refused
    where required; multi-line from 500 characters)."""
    return fields.String(required=required, validate=validate.Length(max=max_length), **kwargs)


def _list(inner: fields.Field, min_length: int = 0, **kwargs: Any) -> fields.List:
    return fields.List(inner, validate=validate.Length(min=min_length, max=LIST_MAX), **kwargs)


def _unique(values: list[str], field: str) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Each value may appear once.", field)


class Phone(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        phone = normalise_phone(super()._deserialize(value, attr, data, **kwargs))
        problem = phone_problem(phone)
        if problem:
            raise ValidationError(f"Not a valid phone number: {problem}.")
        return phone


class IdNumber(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        number = super()._deserialize(value, attr, data, **kwargs).upper()
        problem = id_number_problem(number)
        if problem:
            raise ValidationError(f"Not a valid resident identity number: {problem}.")
        return number


# Requests: the talent database ----------------------------------------------------------------
#
# A ``…Body`` schema is the body of a gateway route whose URL names the record; the RPC's
# request is that body and the record's id.


class ExpertFields(Schema):
    """A profile in the talent database; the update RPC loads it with ``partial=True``."""

    name = _text(NAME_MAX, required=True)
    titles = _list(_text(SHORT_MAX, required=True), load_default=[])
    organisation = _text(SHORT_MAX, required=True)
    organisation_id = ident(allow_none=True, load_default=None)
    disciplines = _list(_text(SHORT_MAX, required=True), load_default=[])
    industries = _list(fields.String(validate=_INDUSTRY), min_length=1, required=True,
                       metadata={"description": "GB/T 4754 or WH-…"})
    skills = _text(TEXT_MAX, load_default="")
    achievements = _text(TEXT_MAX, load_default="")
    honours = _list(_text(SHORT_MAX, required=True), load_default=[])
    district = fields.String(required=True, validate=_DISTRICT)
    talent_level = fields.String(required=True, validate=_LEVEL)
    modes = _list(fields.String(validate=_MODE), min_length=1, required=True,
                  metadata={"description": "R8.2"})
    availability = fields.String(load_default="available",
                                 validate=validate.OneOf(list(AVAILABILITY)))
    capacity = fields.Integer(load_default=3, validate=validate.Range(min=1, max=CAPACITY_MAX))
    consent_to_contact = fields.Boolean(required=True)
    station_id = ident(allow_none=True, load_default=None)
    phone = Phone(allow_none=True, load_default=None)
    id_number = IdNumber(allow_none=True, load_default=None)
    email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=254))

    @validates_schema
    def _no_repeats(self, data: dict[str, Any], **_kwargs: Any) -> None:
        for name in ("industries", "modes"):
            if name in data:
                _unique(data[name], name)


PROFILE_FIELDS = tuple(ExpertFields().fields)
PERSONAL_FIELDS = ("phone", "id_number", "email")


class ExpertChanges(ExpertFields):
    """The fields of a profile to change, the others staying (the gateway's PATCH body)."""


class ExpertId(Schema):
    expert_id = ident(required=True)


class UpdateExpert(ExpertFields):
    """Only the fields given change; loaded with ``partial=PROFILE_FIELDS``."""

    expert_id = ident(required=True)


# What staff attest, not the expert (Art 11: the talent database is the stations' and the
# districts' record): an expert's own change of these waits as a change request.
ATTESTED_FIELDS = ("talent_level", "honours", "station_id", "district")
CHANGE_REQUEST_STATUSES = ("pending", "accepted", "rejected")


class ExpertDeactivationBody(Schema):
    reason = _text(TEXT_MAX, required=True)


class DeactivateExpert(ExpertDeactivationBody):
    expert_id = ident(required=True)


class ChangeRequestQuery(PageRequest):
    status = fields.String(validate=validate.OneOf(CHANGE_REQUEST_STATUSES))
    expert_id = ident()


class ChangeRequestDecisionBody(Schema):
    reason = _text(TEXT_MAX)


class DecideChangeRequest(ChangeRequestDecisionBody):
    change_request_id = ident(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "reject")))


class ExpertQuery(PageRequest):
    district = fields.String(validate=_DISTRICT)
    industry = fields.String(validate=_INDUSTRY)
    talent_level = fields.String(validate=_LEVEL)
    q = _text(SHORT_MAX)


# Requests: the demand database --------------------------------------------------------------


class DemandFields(Schema):
    enterprise_name = _text(SHORT_MAX, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DEMAND_KINDS),
                         metadata={"description": "R8.1: talent, technology, project, funding"})
    title = _text(SHORT_MAX, required=True)
    description = _text(DESCRIPTION_MAX, required=True)
    industry = fields.String(required=True, validate=_INDUSTRY)
    district = fields.String(required=True, validate=_DISTRICT)
    # Yuan as a decimal string ("50000.00"); servicekit.money turns it into fen.
    budget = fields.Raw(allow_none=True, load_default=None)
    modes = _list(fields.String(validate=_MODE), load_default=[])
    deadline = MeasureDate(required=True)

    @validates_schema
    def _no_repeats(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "modes" in data:
            _unique(data["modes"], "modes")


class DemandId(Schema):
    demand_id = ident(required=True)


class ReviseDemand(DemandFields):
    demand_id = ident(required=True)


class DemandTriageBody(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("accept", "return", "reject")))
    reason = _text(TEXT_MAX)

    @validates_schema
    def _reason_when_refusing(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("action") in ("return", "reject") and not data.get("reason"):
            raise ValidationError("A reason is required to return or reject a demand.", "reason")


class TriageDemand(DemandId, DemandTriageBody):
    pass


class DemandCloseBody(Schema):
    reason = _text(TEXT_MAX, required=True)


class CloseDemand(DemandId, DemandCloseBody):
    pass


class DemandQuery(PageRequest):
    status = fields.String(validate=validate.OneOf(list(DEMAND_STATUS_NAMES)))
    kind = fields.String(validate=validate.OneOf(DEMAND_KINDS))
    district = fields.String(validate=_DISTRICT)
    industry = fields.String(validate=_INDUSTRY)


# Requests: matching and feedback --------------------------------------------------------------


class RecommendExpertsBody(Schema):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=RECOMMEND_MAX))


class RecommendExperts(DemandId, RecommendExpertsBody):
    pass


class PublishRecommendationsBody(Schema):
    # None: every proposed recommendation of the latest run.
    expert_ids = fields.List(fields.String(), allow_none=True, load_default=None)
    station_id = ident(allow_none=True, load_default=None)


class PublishRecommendations(DemandId, PublishRecommendationsBody):
    pass


class DeclineRecommendationBody(Schema):
    reason = _text(TEXT_MAX)


class AcceptRecommendationBody(DeclineRecommendationBody):
    mode = fields.String(allow_none=True, load_default=None, validate=_MODE)


class AnswerRecommendation(AcceptRecommendationBody):
    recommendation_id = ident(required=True)
    # The demand the caller believes it answers for (the gateway's URL): checked when given.
    demand_id = ident(load_default=None)
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "decline")))


class CollaborationQuery(PageRequest):
    demand_id = fields.String()
    expert_id = fields.String()
    station_id = fields.String()


# Requests: the enterprise inbox ---------------------------------------------------------------


class NotificationQuery(PageRequest):
    unread = fields.Boolean(load_default=False)


class NotificationId(Schema):
    notification_id = ident(required=True)


class NotificationSettings(Schema):
    email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=254))
    webhook_url = fields.Url(allow_none=True, load_default=None, schemes={"http", "https"},
                             require_tld=False, validate=validate.Length(max=500))
    webhook_secret = fields.String(allow_none=True, load_default=None, metadata=text.VERBATIM,
                                   validate=validate.Length(min=16, max=200))

    @validates_schema
    def _secret_with_url(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("webhook_url") and not data.get("webhook_secret"):
            raise ValidationError("A webhook needs a secret of 16 or more characters to sign "
                                  "its deliveries (HMAC-SHA256).", "webhook_secret")


class DeliveryQuery(PageRequest):
    notification_id = fields.String()
    status = fields.String(validate=validate.OneOf(("pending", "sending", "sent", "failed")))


# Requests: the talent map, imports and exports -------------------------------------------------


class TalentMapQuery(Schema):
    metric = fields.String(load_default="experts",
                           validate=validate.OneOf(("experts", "demands", "collaborations")))
    industry = fields.String(allow_none=True, load_default=None, validate=_INDUSTRY)
    talent_level = fields.String(allow_none=True, load_default=None, validate=_LEVEL)


class TalentMapView(TalentMapQuery):
    """The gateway's query of the map: the contract's, and the representation wanted."""

    format = fields.String(load_default="json", validate=validate.OneOf(("json", "svg")))


_RECORD_KIND = validate.OneOf(("experts", "demands"))
_FILE_FORMAT = validate.OneOf(("csv", "xlsx"))


class ImportFile(Schema):
    kind = fields.String(required=True, validate=_RECORD_KIND)
    format = fields.String(required=True, validate=_FILE_FORMAT)
    content = fields.String(required=True)  # base64 of the file
    dry_run = fields.Boolean(load_default=False)


class StagedRow(Schema):
    row = fields.Integer(required=True, validate=validate.Range(min=1))  # its line in the file
    cells = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)


class StageImport(Schema):
    kind = fields.String(required=True, validate=_RECORD_KIND)
    job_id = fields.String(allow_none=True, load_default=None)
    rows = fields.List(fields.Nested(StagedRow), required=True,
                       validate=validate.Length(min=1, max=1000))


class ImportJobId(Schema):
    job_id = fields.String(required=True)


class ExportQuery(Schema):
    """The gateway's query of a download: the kind is in its URL."""

    format = fields.String(load_default="xlsx", validate=_FILE_FORMAT)


class ExportRecords(Schema):
    """The rows are the same whatever file the gateway renders from them."""

    kind = fields.String(required=True, validate=_RECORD_KIND)


# Answers ---------------------------------------------------------------------------------------
#
# The service dumps its records (ORM rows) through these; the gateway dumps the answers it
# receives through them again for its responses. So a dump is idempotent
# (``contracts.rpc.fields.Answer``): a mapping is an answer already dumped and is read as it
# is, and a record is read through ``derived`` (the values computed from it: names of codes,
# masks, rounding) and then its attributes.


def _names(codes: list[str], vocabulary: dict[str, tuple[str, str]]) -> list[str]:
    return [vocabulary[c][0] for c in codes]


# Answers: experts and demands -------------------------------------------------------------------


class TalentExpert(Answer):
    """A profile with its personal data in full (city staff, the expert themself)."""

    derived: ClassVar[Derived] = {
        "district_name": lambda e: district_name(e.district),
        "industry_names": lambda e: _names(e.industries, INDUSTRIES),
        "personal_data_masked": lambda _e: False,
    }

    id = req()
    name = req()
    titles = fields.List(fields.String(), required=True)
    organisation = req()
    organisation_id = maybe()
    disciplines = fields.List(fields.String(), required=True)
    industries = fields.List(fields.String(), required=True,
                             metadata={"description": "GB/T 4754 or WH-…"})
    industry_names = fields.List(fields.String(), required=True)
    skills = req()
    achievements = req()
    honours = fields.List(fields.String(), required=True)
    district = req()
    district_name = req()
    talent_level = req()
    modes = fields.List(fields.String(), required=True, metadata={"description": "R8.2"})
    availability = req()
    capacity = req(fields.Integer)
    consent_to_contact = req(fields.Boolean)
    station_id = maybe()
    phone = maybe()
    id_number = maybe()
    email = maybe()
    personal_data_masked = fields.Boolean(
        required=True, metadata={"description": "True but for city staff and the expert "
                                 "themself"})
    created_at = IsoDateTime(required=True)
    updated_at = IsoDateTime(required=True)
    active = req(fields.Boolean, metadata={"description": "False once staff deactivated it"})
    deactivated_at = IsoDateTime(required=True, allow_none=True)
    deactivation_reason = maybe()


class MaskedTalentExpert(TalentExpert):
    """A profile as everyone else sees it: phone, ID number and email masked."""

    derived: ClassVar[Derived] = {
        **TalentExpert.derived,
        "phone": lambda e: mask_phone(e.phone),
        "id_number": lambda e: mask_id_number(e.id_number),
        "email": lambda e: mask_email(e.email),
        "personal_data_masked": lambda _e: True,
    }


class DemandAnswer(Answer):
    derived: ClassVar[Derived] = {
        "kind_name": lambda d: KIND_NAMES[d.kind],
        "industry_name": lambda d: INDUSTRIES[d.industry][0],
        "district_name": lambda d: district_name(d.district),
        "status_name": lambda d: DEMAND_STATUS_NAMES[d.status],
    }

    id = req()
    enterprise_id = req()
    enterprise_name = req()
    kind = req(metadata={"description": "R8.1: talent, technology, project, funding"})
    kind_name = req()
    title = req()
    description = req()
    industry = req()
    industry_name = req()
    district = req()
    district_name = req()
    budget = maybe(Yuan, attribute="budget_fen", metadata={"description": "yuan, two decimals"})
    modes = fields.List(fields.String(), required=True)
    deadline = IsoDate(required=True)
    status = req()
    status_name = req()
    status_reason = maybe()
    posted_at = IsoDateTime(required=True)
    updated_at = IsoDateTime(required=True)


class ExpiredDemands(Schema):
    expired = fields.List(fields.String(), required=True)
    on = IsoDate(required=True)


# Answers: recommendations and collaborations -----------------------------------------------------


class MatchedTerm(Schema):
    term = req()
    weight = fields.Float(required=True)


class RecommendedExpert(Answer):
    """What an enterprise learns of a recommended expert: no personal data."""

    id = req()
    name = req()
    titles = fields.List(fields.String(), required=True)
    organisation = req()
    district = req()
    talent_level = req()
    industries = fields.List(fields.String(), required=True)
    modes = fields.List(fields.String(), required=True)
    honours = fields.List(fields.String(), required=True)


class ExpertChangeRequestAnswer(Answer):
    """An expert's own change of attested fields, and what staff decided."""

    sources: ClassVar[dict[str, str]] = {"expert_name": "expert.name",
                                         "district": "expert.district"}

    id = req()
    expert_id = req()
    expert_name = req()
    district = req(metadata={"description": "The expert's district now (whose staff decide)"})
    changes = req(fields.Dict, metadata={"description": "Attested field → the value asked for"})
    status = req(validate=validate.OneOf(CHANGE_REQUEST_STATUSES))
    requested_by = req()
    requested_at = IsoDateTime(required=True)
    decided_by = maybe()
    decided_at = IsoDateTime(required=True, allow_none=True)
    reason = maybe()


class CollaborationAnswer(Answer):
    derived: ClassVar[Derived] = {"mode_name": lambda c: MODE_NAMES[c.mode]}

    id = req()
    recommendation_id = req()
    demand_id = req()
    expert_id = req()
    enterprise_id = req()
    station_id = req( allow_none=True,
                               metadata={"description": "the broker"})
    mode = req()
    mode_name = req()
    district = req()
    industry = req()
    talent_level = req()
    status = req()
    recorded_on = IsoDate(required=True)


class RecommendationAnswer(Answer):
    """One proposal, its explanation (kept as the engine wrote it) and the expert's public
    profile."""

    derived: ClassVar[Derived] = {
        "score": lambda r: round(r.score, 4),
        "text_score": lambda r: round(r.text_score, 4),
        **{name: (lambda r, name=name: r.explanation[name])
           for name in ("matched_terms", "factors", "common_modes", "reason_en", "reason_zh")},
    }

    id = req()
    demand_id = req()
    rank = req(fields.Integer)
    status = req(metadata={"description": "proposed, published, accepted, declined"})
    score = fields.Float(required=True)
    text_score = fields.Float(required=True,
                              metadata={"description": "BM25 over the expert's profile"})
    matched_terms = fields.List(fields.Nested(MatchedTerm), required=True)
    factors = fields.Dict(keys=fields.String(), values=fields.Float(), required=True,
                          metadata={"description": "industry, mode, district, availability, "
                                    "load: each 0..1"})
    common_modes = fields.List(fields.String(), required=True)
    reason_en = req()
    reason_zh = req()
    station_id = maybe()
    expert = fields.Nested(RecommendedExpert, required=True)
    published_at = IsoDateTime(required=True, allow_none=True)
    responded_at = IsoDateTime(required=True, allow_none=True)
    response_reason = maybe()


class AcceptedRecommendation(RecommendationAnswer):
    """An accepted recommendation and the collaboration it became."""

    collaboration = fields.Nested(CollaborationAnswer, required=True)


class RecommendationRun(Schema):
    demand_id = req()
    run_id = req()
    index_revision = req(fields.Integer)
    recommendations = fields.List(fields.Nested(RecommendationAnswer), required=True)


class PublishedRecommendations(Schema):
    demand_id = req()
    notification_id = req()
    recommendations = fields.List(fields.Nested(RecommendationAnswer), required=True)


class DemandRecommendations(Schema):
    demand = fields.Nested(DemandAnswer, required=True)
    recommendations = fields.List(fields.Nested(RecommendationAnswer), required=True)


# Answers: the enterprise inbox -------------------------------------------------------------------


class NotificationAnswer(Answer):
    id = req()
    enterprise_id = req()
    demand_id = req()
    kind = req()
    subject_zh = req()
    subject_en = req()
    body = fields.Dict(required=True)
    created_at = IsoDateTime(required=True)
    read_at = IsoDateTime(required=True, allow_none=True)


class NotificationSettingsAnswer(Answer):
    # The secret is never read back, only whether one is set.
    derived: ClassVar[Derived] = {"webhook_secret_set": lambda c: bool(c.webhook_secret)}

    enterprise_id = req()
    email = maybe()
    webhook_url = maybe()
    webhook_secret_set = req(fields.Boolean)


class DeliveryAttemptAnswer(Answer):
    attempt = req(fields.Integer)
    at = IsoDateTime(required=True)
    ok = req(fields.Boolean)
    detail = req()


class DeliveryAnswer(Answer):
    derived: ClassVar[Derived] = {
        "target": lambda d: mask_email(d.target) if d.channel == "email" else d.target,
        "next_attempt_at": lambda d: d.next_attempt_at if d.status == "pending" else None,
    }

    id = req()
    notification_id = req()
    channel = req()
    target = req()
    status = req(metadata={"description": "pending, sending, sent, failed"})
    attempts = req(fields.Integer)
    next_attempt_at = IsoDateTime(required=True, allow_none=True)
    last_error = maybe()
    sent_at = IsoDateTime(required=True, allow_none=True)
    history = fields.List(fields.Nested(DeliveryAttemptAnswer), required=True)


# Answers: the talent map, stations, imports and exports -------------------------------------------


class TalentMapAnswer(Schema):
    metric = req()
    filters = fields.Dict(required=True)
    districts = fields.List(fields.Dict(), required=True)
    industries = fields.List(fields.Dict(), required=True)
    levels = fields.List(fields.Dict(), required=True)
    cells = fields.Dict(required=True, metadata={
        "description": "experts, demands and collaborations by district × industry "
        "(× talent level)"})


class StationAnswer(Answer):
    """A station of the read model, as matching uses it (the broker of a recommendation)."""

    id = req()
    name = req()
    plaque_number = req()
    district = req()
    status = req()


class ImportProblem(Schema):
    row = req(fields.Integer)
    field = req()
    code = req()
    message = req()
    message_zh = fields.String()


class ImportChecks(Schema):
    rows = req(fields.Integer)
    bad_rows = fields.List(fields.Integer(), required=True)
    problems = fields.List(fields.Nested(ImportProblem), required=True)


class ImportReport(ImportChecks):
    imported = req(fields.Integer)
    ids = fields.List(fields.String())  # not on a dry run
    dry_run = req(fields.Boolean)


class StagedImport(ImportChecks):
    job_id = req()


class CommittedImport(ImportChecks):
    job_id = req()
    imported = req(fields.Integer)


class DiscardedImport(Answer):
    derived: ClassVar[Derived] = {"job_id": lambda job: job.id}

    job_id = req()
    status = req()


class ExportedRecords(Schema):
    """The rows of an export (answers of their kind, masked as the caller sees them); the
    gateway renders them with EXPORT_COLUMNS."""

    kind = req()
    as_of = IsoDate(required=True)
    rows = fields.List(fields.Dict(), required=True)


# Export columns: the import reads the same headers back (either the key or the title) ----------

EXPERT_COLUMNS = (
    Column("id", "编号"),
    Column("name", "姓名"),
    Column("titles", "职称"),
    Column("organisation", "工作单位"),
    Column("organisation_id", "单位标识"),
    Column("disciplines", "学科"),
    Column("industries", "行业代码"),
    Column("skills", "专长"),
    Column("achievements", "成果"),
    Column("honours", "人才称号"),
    Column("district", "区市代码"),
    Column("talent_level", "人才层次"),
    Column("modes", "合作方式"),
    Column("availability", "可合作状态"),
    Column("capacity", "可同时合作数"),
    Column("consent_to_contact", "同意联系"),
    Column("station_id", "驿站标识"),
    Column("phone", "电话"),
    Column("id_number", "身份证号"),
    Column("email", "电子邮箱"),
)
DEMAND_COLUMNS = (
    Column("id", "编号"),
    Column("enterprise_id", "单位标识"),
    Column("enterprise_name", "单位名称"),
    Column("kind", "需求类型"),
    Column("title", "标题"),
    Column("description", "需求描述"),
    Column("industry", "行业代码"),
    Column("district", "区市代码"),
    Column("budget", "预算（元）", "money"),
    Column("modes", "合作方式"),
    Column("deadline", "截止日期"),
    Column("status", "状态"),
)
EXPORT_COLUMNS: dict[str, tuple[Column, ...]] = {"experts": EXPERT_COLUMNS,
                                                  "demands": DEMAND_COLUMNS}
# Written by exports, ignored by imports.
EXPORT_ONLY = frozenset({"id", "status"})


def export_cells(row: dict[str, Any]) -> dict[str, Any]:
    """A row as its spreadsheet cells: yes/no in Chinese, as the importer reads it back."""
    return {k: ("是" if v else "否") if isinstance(v, bool) else v for k, v in row.items()}
