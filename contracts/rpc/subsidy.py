"""RPC contract of the subsidy service: what each RPC takes and what it answers, and the
columns of the supervision spreadsheets the gateway renders from those answers.

Money is a string of yuan with at most two decimals ("50000.00"), loaded as integer fen.
Requests refuse unknown fields (marshmallow's default). The service dumps its answers through
the answer schemas, from its rows (``attribute`` names a column where the answer's field is
called otherwise); the gateway re-dumps the answer it received with the same classes, so a
dumped value (a yuan string, an ISO date) passes unchanged (``contracts.rpc.fields``). Fields
an answer always carries are ``required``: a schema check of a response can fail.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from marshmallow import Schema, fields, validate

from contracts.events import GRANT_KINDS
from contracts.rpc.fields import Answer, IsoDate, IsoDateTime, MeasureDate, Yuan, ident, maybe, req
from servicekit.attachments import MAX_BASE64_CHARS, MAX_FILES
from servicekit.paging import PageRequest
from servicekit.spreadsheets import Column
from servicekit.tenants import CITY, TENANTS

# vocabularies the requests are checked against -----------------------------------------------

# R9.3: the uses Art 9 allows for the city's demonstration subsidy: (English, Chinese).
ART9_CATEGORIES: dict[str, tuple[str, str]] = {
    "infrastructure": ("station infrastructure", "驿站基础建设"),
    "policy_consulting": ("policy consulting", "政策咨询"),
    "social_exchange": ("social exchange", "联谊交流"),
    "academic_discussion": ("academic discussion", "学术探讨"),
    "creative_practice": ("creative practice", "创意实践"),
    "technology_sharing": ("technology sharing", "技术分享"),
    "project_roadshow": ("project roadshows", "项目路演"),
    "cooperation_negotiation": ("cooperation negotiation", "合作洽谈"),
}


class GrantStatus(StrEnum):
    PROPOSED = "proposed"  # waits for the fund manager's approval
    APPROVED = "approved"  # committed; tranches are paid and spending reported
    DECLINED = "declined"  # refused before any money was committed
    CLOSED = "closed"  # the station was revoked: remaining money released or clawed back


class ExpenditureStatus(StrEnum):
    REPORTED = "reported"
    QUERIED = "queried"
    ACCEPTED = "accepted"
    DISALLOWED = "disallowed"


REVIEW_DECISIONS = ("accept", "query", "disallow")

# Art 14: how a district supports the stations of its jurisdiction.
DISTRICT_PURPOSES: dict[str, tuple[str, str]] = {
    "purchased_services": ("purchased services", "购买服务"),
    "venue_subsidy": ("venue subsidy", "场地补贴"),
    "project_grant": ("project grant", "项目补助"),
}

USAGE_BY = ("station", "fund", "category")


# what an answer is dumped from; request fields ----------------------------------------------


class Source:
    """What an answer is dumped from when one row is not enough: ``values`` first, then the
    attributes of ``rows`` in order (a grant and its ledger figures, a link and its file)."""

    __slots__ = ("_rows", "_values")

    def __init__(self, *rows: Any, **values: Any) -> None:
        self._rows = rows
        self._values = values

    def __getitem__(self, key: str) -> Any:
        if key in self._values:
            return self._values[key]
        for row in self._rows:
            if hasattr(row, key):
                return getattr(row, key)
        raise KeyError(key)


def _yuan(description: str | None = None, **kwargs: Any) -> Yuan:
    if description:
        kwargs["metadata"] = {"description": f"Yuan: {description}", "example": "50000.00"}
    return Yuan(required=True, **kwargs)


_id = ident(required=True)
_year = validate.Range(min=2000, max=2100)
_document = fields.String(required=True, validate=validate.Length(min=1, max=200))
_reference = fields.String(required=True, validate=validate.Length(min=1, max=64))
_district = validate.OneOf(list(TENANTS))


def _grant_of_expenditure() -> fields.String:
    """Optional: the grant the caller believes the expenditure belongs to (a URL's)."""
    return fields.String(load_default=None, validate=validate.Length(min=1, max=64))


def _text(required: bool = True, max_length: int = 2000) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_length))
    return fields.String(load_default=None, validate=validate.Length(max=max_length))


# funds ----------------------------------------------------------------------------------------


class SetFundBudget(Schema):
    fiscal_year = fields.Integer(required=True, validate=_year)
    district = fields.String(load_default=CITY, validate=_district)
    budget = Yuan(required=True)
    document = _document  # the appropriation document, e.g. 威财预〔2026〕12号
    note = _text(required=False)
    allowed_uses = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,59}$")),
        values=fields.String(validate=validate.Length(min=1, max=100)),
        load_default=None, validate=validate.Length(min=1, max=50),
        metadata={"description": "R14.1: a district fund's own allowed uses (code → name), "
                                 "set by the district; the city fund's are Art 9's"})


class FundRef(Schema):
    fund_id = _id


class ListFunds(PageRequest):
    fiscal_year = fields.Integer(load_default=None, validate=_year)
    district = fields.String(load_default=None, validate=_district)


class BudgetChange(Answer):
    before = _yuan(attribute="before_fen")
    after = _yuan(attribute="after_fen")
    document = req()
    note = maybe()
    actor = req()
    at = IsoDateTime(required=True)
    entry_id = req(fields.Integer)


class Balances(Answer):
    """A grant's (or a fund's) figures, all derived from its ledger lines."""

    available = _yuan("not yet committed to any grant")
    committed = _yuan("approved, not yet paid")
    disbursed = _yuan("paid out and not repaid")
    spent = _yuan()
    unspent = _yuan("paid out, not yet spent", attribute="advanced")
    receivable = _yuan("clawed back, not yet repaid")


class Fund(Balances):
    fund_id = req(attribute="id")
    district = req(metadata={"description": "371000: the city talent special fund"})
    kind = req(metadata={"description": "city_special or district"})
    fiscal_year = req(fields.Integer)
    budget = _yuan()
    reconciles = fields.Boolean(required=True, metadata={
        "description": "budget = available + committed + disbursed"})
    allowed_uses = req(fields.Dict, keys=fields.String(), values=fields.String(), metadata={
        "description": "What its grants may be spent on: Art 9's categories for the city "
                       "fund (R9.3), the district's own for a district fund (R14.1)"})
    # Only in the answer of get_fund.
    budget_changes = fields.List(fields.Nested(BudgetChange))


# grants ---------------------------------------------------------------------------------------


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


class ListGrants(PageRequest):
    status = fields.String(load_default=None, validate=validate.OneOf(list(GrantStatus)))
    kind = fields.String(load_default=None, validate=validate.OneOf(GRANT_KINDS))
    station_id = fields.String(load_default=None, validate=validate.Length(max=64))
    district = fields.String(load_default=None, validate=_district)
    fiscal_year = fields.Integer(load_default=None, validate=_year)


class DisburseGrant(Schema):
    grant_id = _id
    amount = Yuan(required=True)
    payment_reference = _reference  # the bank transfer's reference
    paid_on = MeasureDate(load_default=None)
    # A retried request with the same key is answered with the first one's result.
    idempotency_key = fields.String(required=True, validate=validate.Length(min=8, max=100))


class SettleReceivable(Schema):
    grant_id = _id
    amount = Yuan(required=True)
    payment_reference = _reference
    paid_on = MeasureDate(load_default=None)


class Disbursement(Answer):
    disbursement_id = req(attribute="id")
    grant_id = req()
    tranche = req(fields.Integer)
    amount = _yuan(attribute="amount_fen")
    payment_reference = req()
    paid_on = IsoDate(required=True)
    entry_id = req(fields.Integer)
    created_by = req()


class _Payment(Answer):
    repayment_id = req(attribute="id")
    amount = _yuan(attribute="amount_fen")
    payment_reference = req()
    paid_on = IsoDate(required=True)
    entry_id = req(fields.Integer)


class Repayment(_Payment):
    """A repayment as a grant lists it."""

    created_by = req()


class Settlement(_Payment):
    """The answer of settle_receivable: the repayment and what is still owed."""

    grant_id = req()
    receivable = _yuan("still owed after this repayment")


class Grant(Answer):
    grant_id = req(attribute="id")
    kind = req(metadata={"description": "construction (R9.1), provincial_reward (R9.2) or "
                                         "district (Art 14)"})
    status = req(metadata={"description": "proposed, approved, declined, closed"})
    station_id = req()
    station_name = maybe()
    host_unit_id = maybe()
    district = req()
    owner = req(metadata={"description": "Whose fund pays: 371000 or a district"})
    fund_id = maybe()
    selection_id = maybe()
    cycle_id = maybe()
    purpose = maybe()
    proposed_amount = _yuan(attribute="proposed_fen", allow_none=True)
    amount = _yuan("approved amount", attribute="amount_fen", allow_none=True)
    note = maybe()
    proposed_by = req()
    proposed_at = IsoDateTime(required=True)
    decided_by = maybe()
    decided_at = IsoDateTime(required=True, allow_none=True)
    decision_document = maybe()
    decline_reason = maybe()
    closed_at = IsoDateTime(required=True, allow_none=True)
    close_reason = maybe()
    balances = fields.Nested(Balances, required=True)
    # Only in the answer of get_grant.
    disbursements = fields.List(fields.Nested(Disbursement))
    repayments = fields.List(fields.Nested(Repayment))


class GrantBalance(Balances):
    grant_id = req()
    amount = _yuan("approved amount", allow_none=True)


# expenditures ---------------------------------------------------------------------------------


class EvidenceUpload(Schema):
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
    spent_on = MeasureDate(required=True)
    description = _text()
    attachments = fields.List(
        fields.Nested(EvidenceUpload),
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
        fields.Nested(EvidenceUpload),
        load_default=list,
        validate=validate.Length(max=MAX_FILES),
    )


class ListExpenditures(PageRequest):
    grant_id = _id
    status = fields.String(load_default=None, validate=validate.OneOf(list(ExpenditureStatus)))


class AttachmentRef(Schema):
    expenditure_id = _id
    grant_id = _grant_of_expenditure()
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))


class EvidenceFile(Answer):
    sha256 = req()
    filename = req()
    content_type = req()
    size = req(fields.Integer)


class EvidenceContent(EvidenceFile):
    content_base64 = req()


class ExpenditureNote(Answer):
    kind = req(metadata={"description": "report, query, answer, accept, disallow"})
    text = req()
    actor = req()
    role = req()
    at = IsoDateTime(required=True)


class Expenditure(Answer):
    expenditure_id = req(attribute="id")
    grant_id = req()
    category = req()
    amount = _yuan(attribute="amount_fen")
    spent_on = IsoDate(required=True)
    description = req()
    status = req(metadata={"description": "reported, queried, accepted, disallowed"})
    entry_id = req(fields.Integer)
    reversal_entry_id = maybe(fields.Integer)
    reported_by = req()
    reported_at = IsoDateTime(required=True)
    attachments = fields.List(fields.Nested(EvidenceFile), required=True)
    notes = fields.List(fields.Nested(ExpenditureNote), required=True)


# ledger ---------------------------------------------------------------------------------------


class LedgerQuery(PageRequest):
    fund_id = fields.String(load_default=None, validate=validate.Length(max=64))
    grant_id = fields.String(load_default=None, validate=validate.Length(max=64))


class LedgerLine(Answer):
    account = req()
    grant_id = maybe()
    debit = _yuan(allow_none=True)
    credit = _yuan(allow_none=True)


class LedgerEntry(Answer):
    entry_id = req(fields.Integer, attribute="id")
    fund_id = req()
    grant_id = maybe()
    kind = req()
    document = req(metadata={"description": "Payment reference or document number"})
    memo = req()
    reverses_id = maybe(fields.Integer)
    actor = req()
    role = req()
    correlation_id = maybe()
    posted_on = IsoDate(required=True)
    posted_at = IsoDateTime(required=True)
    lines = fields.List(fields.Nested(LedgerLine), required=True)


class LedgerCheck(Answer):
    ok = fields.Boolean(required=True)
    entries = req(fields.Integer)
    lines = req(fields.Integer)
    unbalanced_entries = fields.List(fields.Dict(), required=True)
    mismatched_accounts = fields.List(fields.Dict(), required=True)
    negative_balances = fields.List(fields.Dict(), required=True)
    unreconciled_funds = fields.List(fields.String(), required=True)


# supervision (R13.1) --------------------------------------------------------------------------


class UsageQuery(Schema):
    by = fields.String(required=True, validate=validate.OneOf(USAGE_BY))
    fiscal_year = fields.Integer(load_default=None, validate=_year)
    district = fields.String(load_default=None, validate=_district)


class SlowSpendingQuery(Schema):
    fiscal_year = fields.Integer(load_default=None, validate=_year)
    district = fields.String(load_default=None, validate=_district)
    below_percent = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100))
    after_days = fields.Integer(load_default=None, validate=validate.Range(min=1, max=3650))


class StationUsage(Answer):
    station_id = req()
    station_name = maybe()
    plaque_number = maybe()
    district = req()
    grants = req(fields.Integer)
    granted = _yuan()
    committed = _yuan()
    disbursed = _yuan()
    spent = _yuan()
    unspent = _yuan(attribute="advanced")
    receivable = _yuan()
    share_spent_percent = req(metadata={"description": "Spent of what was paid, two decimals"})


class CategoryUsage(Answer):
    category = req()
    name_en = req()
    name_zh = req()
    items = req(fields.Integer)
    spent = _yuan()


class UsageReport(Answer):
    by = req()
    fiscal_year = maybe(fields.Integer)
    district = maybe()
    rows = fields.List(fields.Dict(), required=True, metadata={
        "description": "One per station (StationUsage), fund (Fund) or category "
                       "(CategoryUsage)"})


class SlowSpender(Answer):
    grant_id = req()
    kind = req()
    station_id = req()
    station_name = maybe()
    district = req()
    first_paid_on = IsoDate(required=True)
    disbursed = _yuan()
    spent = _yuan()
    unspent = _yuan()
    share_spent_percent = req()


class SlowSpending(Answer):
    as_of = IsoDate(required=True)
    below_percent = req(fields.Integer)
    after_days = req(fields.Integer)
    rows = fields.List(fields.Nested(SlowSpender), required=True)


# spreadsheets of the supervision reports (rendered by the gateway) ---------------------------


def _money(key: str, title: str) -> Column:
    return Column(key, title, "money")


SPREADSHEETS: dict[str, tuple[str, tuple[Column, ...]]] = {
    "station": ("按驿站 By station", (
        Column("station_id", "驿站编号 Station id"),
        Column("station_name", "驿站名称 Station"),
        Column("plaque_number", "牌匾编号 Plaque"),
        Column("district", "区市 District"),
        Column("grants", "资助笔数 Grants"),
        _money("granted", "核定金额 Granted"),
        _money("committed", "已承诺未拨付 Committed"),
        _money("disbursed", "已拨付 Disbursed"),
        _money("spent", "已使用 Spent"),
        _money("unspent", "未使用 Unspent"),
        _money("receivable", "应收回 Receivable"),
        Column("share_spent_percent", "使用率% Share spent"),
    )),
    "fund": ("按资金 By fund", (
        Column("fiscal_year", "年度 Fiscal year"),
        Column("district", "区市 District"),
        Column("kind", "资金 Fund"),
        _money("budget", "预算 Budget"),
        _money("available", "可用 Available"),
        _money("committed", "已承诺未拨付 Committed"),
        _money("disbursed", "已拨付 Disbursed"),
        _money("spent", "已使用 Spent"),
        _money("unspent", "未使用 Unspent"),
        _money("receivable", "应收回 Receivable"),
        Column("reconciles", "平衡 Reconciles"),
    )),
    "category": ("按类别 By category", (
        Column("category", "类别 Category"),
        Column("name_zh", "名称"),
        Column("name_en", "Name"),
        Column("items", "笔数 Items"),
        _money("spent", "金额 Spent"),
    )),
    "slow": ("使用缓慢 Slow spending", (
        Column("grant_id", "资助编号 Grant"),
        Column("kind", "类型 Kind"),
        Column("station_id", "驿站编号 Station id"),
        Column("station_name", "驿站名称 Station"),
        Column("district", "区市 District"),
        Column("first_paid_on", "首次拨付 First paid"),
        _money("disbursed", "已拨付 Disbursed"),
        _money("spent", "已使用 Spent"),
        _money("unspent", "未使用 Unspent"),
        Column("share_spent_percent", "使用率% Share spent"),
    )),
}
