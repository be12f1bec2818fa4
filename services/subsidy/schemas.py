"""Marshmallow schemas of the subsidy service's RPC payloads (unknown fields are refused).

Money is a string of yuan with at most two decimals ("50000.00"), loaded as integer fen.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from contracts.events import GRANT_KINDS
from servicekit.attachments import MAX_BASE64_CHARS, MAX_FILES
from servicekit.errors import InvalidInput
from servicekit.money import fen_to_yuan, yuan_to_fen
from servicekit.paging import PageRequest
from servicekit.tenants import CITY, TENANTS
from services.subsidy.domain import (
    DISTRICT_PURPOSES,
    REVIEW_DECISIONS,
    ExpenditureStatus,
    GrantStatus,
)


class Yuan(fields.String):
    """A yuan amount as a string, loaded as integer fen (servicekit.money)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": 'Yuan, at most two decimals: "50000.00"',
                                       "example": "50000.00"})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            return yuan_to_fen(value, field=attr or "amount")
        except InvalidInput as exc:
            raise ValidationError(exc.message_en) from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else fen_to_yuan(value)


_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
_year = validate.Range(min=2000, max=2100)
_document = fields.String(required=True, validate=validate.Length(min=1, max=200))
_reference = fields.String(required=True, validate=validate.Length(min=1, max=64))


def _grant_of_expenditure() -> fields.String:
    """Optional: the grant the caller believes the expenditure belongs to (a URL's)."""
    return fields.String(load_default=None, validate=validate.Length(min=1, max=64))


def _text(required: bool = True, max_length: int = 2000) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_length))
    return fields.String(load_default=None, validate=validate.Length(max=max_length))


class SetBudget(Schema):
    fiscal_year = fields.Integer(required=True, validate=_year)
    district = fields.String(load_default=CITY, validate=validate.OneOf(list(TENANTS)))
    budget = Yuan(required=True)
    document = _document  # the appropriation document, e.g. 威财预〔2026〕12号
    note = _text(required=False)


class FundRef(Schema):
    fund_id = _id


class FundList(PageRequest):
    fiscal_year = fields.Integer(load_default=None, validate=_year)
    district = fields.String(load_default=None, validate=validate.OneOf(list(TENANTS)))


class ProposeGrant(Schema):
    """A district's own grant to a station of its jurisdiction (Art 14)."""

    station_id = _id
    amount = Yuan(required=True)
    purpose = fields.String(required=True, validate=validate.OneOf(list(DISTRICT_PURPOSES)))
    note = _text(required=False)


class ApproveGrant(Schema):
    grant_id = _id
    # The approved amount; without it, the proposal's (the provincial reward has none).
    amount = Yuan(load_default=None)
    fiscal_year = fields.Integer(load_default=None, validate=_year)
    document = _document  # the approval document


class DeclineGrant(Schema):
    grant_id = _id
    reason = _text()


class GrantRef(Schema):
    grant_id = _id


class GrantList(PageRequest):
    status = fields.String(load_default=None, validate=validate.OneOf(list(GrantStatus)))
    kind = fields.String(load_default=None, validate=validate.OneOf(GRANT_KINDS))
    station_id = fields.String(load_default=None, validate=validate.Length(max=64))
    district = fields.String(load_default=None, validate=validate.OneOf(list(TENANTS)))
    fiscal_year = fields.Integer(load_default=None, validate=_year)


class Disburse(Schema):
    grant_id = _id
    amount = Yuan(required=True)
    payment_reference = _reference  # the bank transfer's reference
    paid_on = fields.Date(load_default=None)
    # A retried request with the same key is answered with the first one's result.
    idempotency_key = fields.String(required=True, validate=validate.Length(min=8, max=100))


class AttachmentUpload(Schema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content_type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    content_base64 = fields.String(
        required=True, validate=validate.Length(min=1, max=MAX_BASE64_CHARS)
    )


class RecordExpenditure(Schema):
    grant_id = _id
    # Any text: a category outside R9.3 is refused by the rule, with its own reason.
    category = fields.String(required=True, validate=validate.Length(min=1, max=60))
    amount = Yuan(required=True)
    spent_on = fields.Date(required=True)
    description = _text()
    attachments = fields.List(
        fields.Nested(AttachmentUpload),
        required=True,
        validate=validate.Length(min=1, max=MAX_FILES),
    )


class ReviewExpenditure(Schema):
    expenditure_id = _id
    grant_id = _grant_of_expenditure()
    decision = fields.String(required=True, validate=validate.OneOf(REVIEW_DECISIONS))
    comment = _text(required=False)


class AnswerQuery(Schema):
    expenditure_id = _id
    grant_id = _grant_of_expenditure()
    explanation = _text()
    attachments = fields.List(
        fields.Nested(AttachmentUpload),
        load_default=list,
        validate=validate.Length(max=MAX_FILES),
    )


class ExpenditureList(PageRequest):
    grant_id = _id
    status = fields.String(load_default=None, validate=validate.OneOf(list(ExpenditureStatus)))


class AttachmentRef(Schema):
    expenditure_id = _id
    grant_id = _grant_of_expenditure()
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))


class SettleReceivable(Schema):
    grant_id = _id
    amount = Yuan(required=True)
    payment_reference = _reference
    paid_on = fields.Date(load_default=None)


class UsageReport(Schema):
    by = fields.String(required=True, validate=validate.OneOf(("station", "fund", "category")))
    fiscal_year = fields.Integer(load_default=None, validate=_year)
    district = fields.String(load_default=None, validate=validate.OneOf(list(TENANTS)))


class SlowSpenders(Schema):
    fiscal_year = fields.Integer(load_default=None, validate=_year)
    district = fields.String(load_default=None, validate=validate.OneOf(list(TENANTS)))
    below_percent = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100))
    after_days = fields.Integer(load_default=None, validate=validate.Range(min=1, max=3650))


class LedgerQuery(PageRequest):
    fund_id = fields.String(load_default=None, validate=validate.Length(max=64))
    grant_id = fields.String(load_default=None, validate=validate.Length(max=64))
