"""Marshmallow schemas of the matching service's RPC payloads (unknown fields are refused)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from contracts.events import COOPERATION_MODES, DEMAND_KINDS
from servicekit.paging import PageRequest
from servicekit.tenants import TENANTS
from services.matching import domain

_INDUSTRY = validate.OneOf(
    list(domain.INDUSTRIES),
    error="Unknown industry code {input!r}: use a GB/T 4754-2017 section A–T or a Weihai "
    "cluster code (WH-IT, WH-MED, WH-MAT, WH-SEA, WH-EQP, WH-FASH).",
)
_MODE = validate.OneOf(
    COOPERATION_MODES, error="Unknown cooperation mode {input!r} (R8.2): one of {choices}."
)
_DISTRICT = validate.OneOf(
    list(TENANTS), error="Unknown district code {input!r}: one of {choices}."
)


class Text(fields.String):
    """A string with surrounding spaces removed; blank is refused when a value is required."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if self.required and not text:
            raise ValidationError("Must not be blank.")
        return text


def _text(max_length: int, required: bool = False, **kwargs: Any) -> Text:
    return Text(required=required, validate=validate.Length(max=max_length), **kwargs)


def _list(inner: fields.Field, min_length: int = 0, **kwargs: Any) -> fields.List:
    return fields.List(
        inner, validate=validate.Length(min=min_length, max=domain.LIST_MAX), **kwargs
    )


def _unique(values: list[str], field: str) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Each value may appear once.", field)


class Phone(Text):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = domain.normalise_phone(super()._deserialize(value, attr, data, **kwargs))
        problem = domain.phone_problem(text)
        if problem:
            raise ValidationError(f"Not a valid phone number: {problem}.")
        return text


class IdNumber(Text):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).upper()
        problem = domain.id_number_problem(text)
        if problem:
            raise ValidationError(f"Not a valid resident identity number: {problem}.")
        return text


class ExpertFields(Schema):
    """A profile in the talent database; the update RPC loads it with ``partial=True``."""

    name = _text(domain.NAME_MAX, required=True)
    titles = _list(_text(domain.SHORT_MAX, required=True), load_default=[])
    organisation = _text(domain.SHORT_MAX, required=True)
    organisation_id = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(min=1, max=64)
    )
    disciplines = _list(_text(domain.SHORT_MAX, required=True), load_default=[])
    industries = _list(fields.String(validate=_INDUSTRY), min_length=1, required=True)
    skills = _text(domain.TEXT_MAX, load_default="")
    achievements = _text(domain.TEXT_MAX, load_default="")
    honours = _list(_text(domain.SHORT_MAX, required=True), load_default=[])
    district = fields.String(required=True, validate=_DISTRICT)
    talent_level = fields.String(required=True, validate=validate.OneOf(list(domain.TALENT_LEVELS)))
    modes = _list(fields.String(validate=_MODE), min_length=1, required=True)
    availability = fields.String(
        load_default="available", validate=validate.OneOf(list(domain.AVAILABILITY))
    )
    capacity = fields.Integer(
        load_default=3, validate=validate.Range(min=1, max=domain.CAPACITY_MAX)
    )
    consent_to_contact = fields.Boolean(required=True)
    station_id = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(min=1, max=64)
    )
    phone = Phone(allow_none=True, load_default=None)
    id_number = IdNumber(allow_none=True, load_default=None)
    email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=254))

    @validates_schema
    def _no_repeats(self, data: dict[str, Any], **_kwargs: Any) -> None:
        for name in ("industries", "modes"):
            if name in data:
                _unique(data[name], name)


class ExpertId(Schema):
    expert_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class UpdateExpert(ExpertFields):
    """Only the fields given change; loaded with ``partial=PROFILE_FIELDS``."""

    expert_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


PROFILE_FIELDS = tuple(ExpertFields().fields)


class ExpertQuery(PageRequest):
    district = fields.String(validate=_DISTRICT)
    industry = fields.String(validate=_INDUSTRY)
    talent_level = fields.String(validate=validate.OneOf(list(domain.TALENT_LEVELS)))
    q = _text(domain.SHORT_MAX)


class DemandFields(Schema):
    enterprise_name = _text(domain.SHORT_MAX, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DEMAND_KINDS))
    title = _text(domain.SHORT_MAX, required=True)
    description = _text(domain.DESCRIPTION_MAX, required=True)
    industry = fields.String(required=True, validate=_INDUSTRY)
    district = fields.String(required=True, validate=_DISTRICT)
    # Yuan as a decimal string ("50000.00"); servicekit.money turns it into fen.
    budget = fields.Raw(allow_none=True, load_default=None)
    modes = _list(fields.String(validate=_MODE), load_default=[])
    deadline = fields.Date(required=True)

    @validates_schema
    def _no_repeats(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "modes" in data:
            _unique(data["modes"], "modes")


class ReviseDemand(DemandFields):
    demand_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class DemandId(Schema):
    demand_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class TriageDemand(DemandId):
    action = fields.String(required=True, validate=validate.OneOf(("accept", "return", "reject")))
    reason = _text(domain.TEXT_MAX)

    @validates_schema
    def _reason_when_refusing(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("action") in ("return", "reject") and not data.get("reason"):
            raise ValidationError("A reason is required to return or reject a demand.", "reason")


class CloseDemand(DemandId):
    reason = _text(domain.TEXT_MAX, required=True)


class DemandQuery(PageRequest):
    status = fields.String(validate=validate.OneOf(list(domain.DEMAND_STATUS_NAMES)))
    kind = fields.String(validate=validate.OneOf(DEMAND_KINDS))
    district = fields.String(validate=_DISTRICT)
    industry = fields.String(validate=_INDUSTRY)


class Recommend(DemandId):
    limit = fields.Integer(
        load_default=10, validate=validate.Range(min=1, max=domain.RECOMMEND_MAX)
    )


class Publish(DemandId):
    # None: every proposed recommendation of the latest run.
    expert_ids = fields.List(fields.String(), allow_none=True, load_default=None)
    station_id = fields.String(allow_none=True, load_default=None,
                               validate=validate.Length(min=1, max=64))


class Respond(Schema):
    recommendation_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    # The demand the caller believes it answers for (the gateway's URL): checked when given.
    demand_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "decline")))
    mode = fields.String(allow_none=True, load_default=None, validate=_MODE)
    reason = _text(domain.TEXT_MAX)


class CollaborationQuery(PageRequest):
    demand_id = fields.String()
    expert_id = fields.String()
    station_id = fields.String()


class NotificationQuery(PageRequest):
    unread = fields.Boolean(load_default=False)


class NotificationId(Schema):
    notification_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class NotificationSettings(Schema):
    email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=254))
    webhook_url = fields.Url(allow_none=True, load_default=None, schemes={"http", "https"},
                             require_tld=False, validate=validate.Length(max=500))
    webhook_secret = fields.String(allow_none=True, load_default=None,
                                   validate=validate.Length(min=16, max=200))

    @validates_schema
    def _secret_with_url(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("webhook_url") and not data.get("webhook_secret"):
            raise ValidationError("A webhook needs a secret of 16 or more characters to sign "
                                  "its deliveries (HMAC-SHA256).", "webhook_secret")


class DeliveryQuery(PageRequest):
    notification_id = fields.String()
    status = fields.String(validate=validate.OneOf(("pending", "sending", "sent", "failed")))


class TalentMapQuery(Schema):
    metric = fields.String(load_default="experts",
                           validate=validate.OneOf(("experts", "demands", "collaborations")))
    industry = fields.String(allow_none=True, load_default=None, validate=_INDUSTRY)
    talent_level = fields.String(allow_none=True, load_default=None,
                                 validate=validate.OneOf(list(domain.TALENT_LEVELS)))


class ImportFile(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("experts", "demands")))
    format = fields.String(required=True, validate=validate.OneOf(("csv", "xlsx")))
    content = fields.String(required=True)  # base64 of the file
    dry_run = fields.Boolean(load_default=False)


class StagedRow(Schema):
    row = fields.Integer(required=True, validate=validate.Range(min=1))  # its line in the file
    cells = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)


class ImportStage(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("experts", "demands")))
    job_id = fields.String(allow_none=True, load_default=None)
    rows = fields.List(fields.Nested(StagedRow), required=True,
                       validate=validate.Length(min=1, max=1000))


class ImportJobId(Schema):
    job_id = fields.String(required=True)


class Export(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("experts", "demands")))
    format = fields.String(load_default="xlsx", validate=validate.OneOf(("csv", "xlsx")))
