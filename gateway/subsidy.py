"""Subsidy finance at /api/v1: funds and their budgets, grants, tranches, expenditures with
evidence, clawback repayments, and the supervision reports with their exports (Arts 9, 13, 14).

Thin: each view checks the role, validates with the subsidy service's own schemas (unknown
fields refused), calls the service and returns its answer. Which fund or grant a principal
may touch (its district, its host unit) the service decides again (R13.1).
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from gateway import rpc
from gateway.auth import requires
from gateway.limits import JSON, accepts
from gateway.paging import PageQuery, page_of
from servicekit.attachments import DEFAULT_MAX_BYTES, MAX_FILES
from services.subsidy import exports
from services.subsidy import schemas as svc
from services.subsidy.domain import ExpenditureStatus

blp = Blueprint(
    "subsidy",
    __name__,
    url_prefix="/api/v1",
    description="The city talent fund and district funds, demonstration grants, tranches, "
    "expenditures and their supervision (Arts 9, 13, 14).",
)

STAFF = ("city_hr", "talent_office", "org_department")
MANAGERS = ("city_hr", "district_hr")  # a fund's manager: the city's or the district's own
FUND_READERS = (*STAFF, "district_hr")
READERS = (*FUND_READERS, "host_unit")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An expenditure carries up to five files of evidence, base64 in JSON (4/3 of their size).
UPLOAD_MAX_BYTES = MAX_FILES * (DEFAULT_MAX_BYTES * 4 // 3 + 1024) + 64 * 1024


def _call(method: str, *args: Any) -> Any:
    return rpc.call("subsidy", method, *args)


def _body(schema: type[Schema], data: dict, **path: str) -> dict:
    """The validated body as JSON data again, with the ids the URL carries."""
    return {**schema(exclude=tuple(path)).dump(data), **path}


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# response shapes (for the OpenAPI document; the service's answer passes through) -------------

def _yuan(description: str = "Yuan, two decimals", **kwargs: Any) -> fields.String:
    return fields.String(metadata={"description": description}, **kwargs)


class BudgetChangeSchema(Schema):
    before = _yuan()
    after = _yuan()
    document = fields.String()
    note = fields.String(allow_none=True)
    actor = fields.String()
    at = fields.String()
    entry_id = fields.Integer()


class FundSchema(Schema):
    fund_id = fields.String()
    district = fields.String(metadata={"description": "371000: the city talent special fund"})
    kind = fields.String(metadata={"description": "city_special or district"})
    fiscal_year = fields.Integer()
    budget = _yuan()
    available = _yuan("Not yet committed to any grant")
    committed = _yuan("Approved, not yet paid")
    disbursed = _yuan("Paid out and not repaid")
    spent = _yuan()
    unspent = _yuan("Paid out, not yet spent")
    receivable = _yuan("Clawed back, not yet repaid")
    reconciles = fields.Boolean(metadata={"description": "budget = available + committed + "
                                                         "disbursed"})
    budget_changes = fields.List(fields.Nested(BudgetChangeSchema))


class BalancesSchema(Schema):
    available = _yuan()
    committed = _yuan()
    disbursed = _yuan()
    spent = _yuan()
    unspent = _yuan()
    receivable = _yuan()


class DisbursementSchema(Schema):
    disbursement_id = fields.String()
    grant_id = fields.String()
    tranche = fields.Integer()
    amount = _yuan()
    payment_reference = fields.String()
    paid_on = fields.String()
    entry_id = fields.Integer()
    created_by = fields.String()


class RepaymentSchema(Schema):
    repayment_id = fields.String()
    grant_id = fields.String()
    amount = _yuan()
    payment_reference = fields.String()
    paid_on = fields.String()
    entry_id = fields.Integer()
    created_by = fields.String()
    receivable = _yuan("Still owed after this repayment")


class GrantSchema(Schema):
    grant_id = fields.String()
    kind = fields.String(metadata={"description": "construction (R9.1), provincial_reward "
                                                  "(R9.2) or district (Art 14)"})
    status = fields.String(metadata={"description": "proposed, approved, declined, closed"})
    station_id = fields.String()
    station_name = fields.String(allow_none=True)
    host_unit_id = fields.String(allow_none=True)
    district = fields.String()
    owner = fields.String(metadata={"description": "Whose fund pays: 371000 or a district"})
    fund_id = fields.String(allow_none=True)
    selection_id = fields.String(allow_none=True)
    cycle_id = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
    proposed_amount = _yuan(allow_none=True)
    amount = _yuan("Approved amount", allow_none=True)
    note = fields.String(allow_none=True)
    proposed_by = fields.String()
    proposed_at = fields.String()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    decision_document = fields.String(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    closed_at = fields.String(allow_none=True)
    close_reason = fields.String(allow_none=True)
    balances = fields.Nested(BalancesSchema)
    disbursements = fields.List(fields.Nested(DisbursementSchema))
    repayments = fields.List(fields.Nested(RepaymentSchema))


class AttachmentInfoSchema(Schema):
    sha256 = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class NoteSchema(Schema):
    kind = fields.String(metadata={"description": "report, query, answer, accept, disallow"})
    text = fields.String()
    actor = fields.String()
    role = fields.String()
    at = fields.String()


class ExpenditureSchema(Schema):
    expenditure_id = fields.String()
    grant_id = fields.String()
    category = fields.String()
    amount = _yuan()
    spent_on = fields.String()
    description = fields.String()
    status = fields.String(metadata={"description": "reported, queried, accepted, disallowed"})
    entry_id = fields.Integer()
    reversal_entry_id = fields.Integer(allow_none=True)
    reported_by = fields.String()
    reported_at = fields.String()
    attachments = fields.List(fields.Nested(AttachmentInfoSchema))
    notes = fields.List(fields.Nested(NoteSchema))


class LineSchema(Schema):
    account = fields.String()
    grant_id = fields.String(allow_none=True)
    debit = _yuan(allow_none=True)
    credit = _yuan(allow_none=True)


class EntrySchema(Schema):
    entry_id = fields.Integer()
    fund_id = fields.String()
    grant_id = fields.String(allow_none=True)
    kind = fields.String()
    document = fields.String(metadata={"description": "Payment reference or document number"})
    memo = fields.String()
    reverses_id = fields.Integer(allow_none=True)
    actor = fields.String()
    role = fields.String()
    correlation_id = fields.String(allow_none=True)
    posted_on = fields.String()
    posted_at = fields.String()
    lines = fields.List(fields.Nested(LineSchema))


class UsageSchema(Schema):
    by = fields.String()
    fiscal_year = fields.Integer(allow_none=True)
    district = fields.String(allow_none=True)
    rows = fields.List(fields.Dict(), metadata={"description": "One per station, fund or "
                                                               "category"})


class SlowSchema(Schema):
    as_of = fields.String()
    below_percent = fields.Integer()
    after_days = fields.Integer()
    rows = fields.List(fields.Dict())


class CheckSchema(Schema):
    ok = fields.Boolean()
    entries = fields.Integer()
    lines = fields.Integer()
    unbalanced_entries = fields.List(fields.Dict())
    mismatched_accounts = fields.List(fields.Dict())
    negative_balances = fields.List(fields.Dict())
    unreconciled_funds = fields.List(fields.String())


# request shapes the gateway adds -----------------------------------------------------------


class IdempotencyHeader(Schema):
    class Meta:
        unknown = EXCLUDE  # every other header

    idempotency_key = fields.String(
        data_key="Idempotency-Key", required=True, validate=validate.Length(min=8, max=100),
        metadata={"description": "A retried request with the same key pays once"},
    )


class FundListQuery(svc.FundList, PageQuery):
    pass


class GrantListQuery(svc.GrantList, PageQuery):
    pass


class ExpenditureListQuery(PageQuery):
    status = fields.String(load_default=None,
                           validate=validate.OneOf([str(s) for s in ExpenditureStatus]))


class LedgerQuery(PageQuery):
    pass


class UsageQuery(svc.UsageReport):
    pass


class SlowQuery(svc.SlowSpenders):
    pass


# funds -------------------------------------------------------------------------------------


@blp.route("/funds")
class Funds(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(FundListQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(FundSchema))
    def get(self, query: dict) -> dict:
        """Funds with their budget, available, committed, disbursed, spent and receivable."""
        return _call("fund_list", FundListQuery().dump(query))


@blp.route("/funds/budgets")
class Budgets(MethodView):
    @requires(*MANAGERS)
    @blp.arguments(svc.SetBudget)
    @blp.response(201, FundSchema)
    def post(self, body: dict) -> dict:
        """Set a fund's budget for a fiscal year (the city's: city_hr; a district's: its own
        district_hr). Recorded as a ledger posting and a history row, never overwritten."""
        return _call("fund_set_budget", svc.SetBudget().dump(body))


@blp.route("/funds/<fund_id>")
class FundView(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.response(200, FundSchema)
    def get(self, fund_id: str) -> dict:
        """A fund's figures and the history of its budget."""
        return _call("fund_get", {"fund_id": fund_id})


@blp.route("/funds/<fund_id>/ledger")
class FundLedger(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(LedgerQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(EntrySchema))
    def get(self, query: dict, fund_id: str) -> dict:
        """The fund's postings, each with its person and document (R13.1)."""
        return _call("ledger_entries", {**LedgerQuery().dump(query), "fund_id": fund_id})


# grants ------------------------------------------------------------------------------------


@blp.route("/grants")
class Grants(MethodView):
    @requires(*READERS, read=True)
    @blp.arguments(GrantListQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(GrantSchema))
    def get(self, query: dict) -> dict:
        """Grants in sight: all for the city, a district's stations', a host unit's own."""
        return _call("grant_list", GrantListQuery().dump(query))

    @requires("district_hr")
    @blp.arguments(svc.ProposeGrant)
    @blp.response(201, GrantSchema)
    def post(self, body: dict) -> dict:
        """Art 14: a district proposes a grant to a station of its own from its own fund.
        (Construction grants arrive from the evaluation's demonstration selection.)"""
        return _call("grant_propose", svc.ProposeGrant().dump(body))


@blp.route("/grants/<grant_id>")
class GrantView(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, GrantSchema)
    def get(self, grant_id: str) -> dict:
        """A grant with its balances, tranches and repayments."""
        return _call("grant_get", {"grant_id": grant_id})


@blp.route("/grants/<grant_id>/approve")
class Approve(MethodView):
    @requires(*MANAGERS)
    @blp.arguments(svc.ApproveGrant(exclude=("grant_id",)))
    @blp.response(200, GrantSchema)
    def post(self, body: dict, grant_id: str) -> dict:
        """R9.1/R9.2: commit the grant on the fund of the fiscal year; a construction grant is
        50,000.00–200,000.00 yuan; never beyond the fund's available balance."""
        return _call("grant_approve", _body(svc.ApproveGrant, body, grant_id=grant_id))


@blp.route("/grants/<grant_id>/decline")
class Decline(MethodView):
    @requires(*MANAGERS)
    @blp.arguments(svc.DeclineGrant(exclude=("grant_id",)))
    @blp.response(200, GrantSchema)
    def post(self, body: dict, grant_id: str) -> dict:
        """Decline a proposed grant, with the reason."""
        return _call("grant_decline", _body(svc.DeclineGrant, body, grant_id=grant_id))


@blp.route("/grants/<grant_id>/ledger")
class GrantLedger(MethodView):
    @requires(*READERS, read=True)
    @blp.arguments(LedgerQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(EntrySchema))
    def get(self, query: dict, grant_id: str) -> dict:
        """The grant's postings, each with its person and document (R13.1)."""
        return _call("ledger_entries", {**LedgerQuery().dump(query), "grant_id": grant_id})


@blp.route("/grants/<grant_id>/disbursements")
class Disbursements(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, DisbursementSchema(many=True))
    def get(self, grant_id: str) -> list:
        """The grant's tranches."""
        return _call("disbursement_list", {"grant_id": grant_id})

    @requires(*MANAGERS)
    @blp.arguments(IdempotencyHeader, location="headers")
    @blp.arguments(svc.Disburse(exclude=("grant_id", "idempotency_key")))
    @blp.response(201, DisbursementSchema)
    def post(self, headers: dict, body: dict, grant_id: str) -> dict:
        """Pay a tranche with its payment reference, never beyond the grant. Send an
        Idempotency-Key header: a retry with the same key answers the first payment."""
        payload = {**svc.Disburse(exclude=("grant_id", "idempotency_key")).dump(body),
                   "grant_id": grant_id, "idempotency_key": headers["idempotency_key"]}
        return _call("grant_disburse", payload)


@blp.route("/grants/<grant_id>/repayments")
class Repayments(MethodView):
    @requires(*MANAGERS)
    @blp.arguments(svc.SettleReceivable(exclude=("grant_id",)))
    @blp.response(201, RepaymentSchema)
    def post(self, body: dict, grant_id: str) -> dict:
        """Record money a revoked station paid back against its receivable."""
        return _call("receivable_settle", _body(svc.SettleReceivable, body, grant_id=grant_id))


# expenditures ------------------------------------------------------------------------------


@blp.route("/grants/<grant_id>/expenditures")
class Expenditures(MethodView):
    @requires(*READERS, read=True)
    @blp.arguments(ExpenditureListQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(ExpenditureSchema))
    def get(self, query: dict, grant_id: str) -> dict:
        """The grant's reported expenditures with their evidence and review notes."""
        return _call("expenditure_list",
                     {**ExpenditureListQuery().dump(query), "grant_id": grant_id})

    @requires("host_unit")
    @accepts(JSON, max_bytes=UPLOAD_MAX_BYTES)
    @blp.arguments(svc.RecordExpenditure(exclude=("grant_id",)))
    @blp.response(201, ExpenditureSchema)
    def post(self, body: dict, grant_id: str) -> dict:
        """R9.3: the station's host unit reports spending in an allowed category, with
        evidence (PDF, JPEG or PNG as base64), never beyond what was paid and is unspent."""
        return _call("expenditure_record",
                     _body(svc.RecordExpenditure, body, grant_id=grant_id))


@blp.route("/grants/<grant_id>/expenditures/<expenditure_id>/review")
class Review(MethodView):
    @requires(*MANAGERS)
    @blp.arguments(svc.ReviewExpenditure(exclude=("grant_id", "expenditure_id")))
    @blp.response(200, ExpenditureSchema)
    def post(self, body: dict, grant_id: str, expenditure_id: str) -> dict:
        """Accept, query or disallow an item (a comment is required to query or disallow);
        a disallowed item's posting is reversed."""
        return _call("expenditure_review", _body(svc.ReviewExpenditure, body,
                                                 grant_id=grant_id,
                                                 expenditure_id=expenditure_id))


@blp.route("/grants/<grant_id>/expenditures/<expenditure_id>/answer")
class Answer(MethodView):
    @requires("host_unit")
    @accepts(JSON, max_bytes=UPLOAD_MAX_BYTES)
    @blp.arguments(svc.AnswerQuery(exclude=("grant_id", "expenditure_id")))
    @blp.response(200, ExpenditureSchema)
    def post(self, body: dict, grant_id: str, expenditure_id: str) -> dict:
        """The host unit answers a query, with more evidence if it has any."""
        return _call("expenditure_answer", _body(svc.AnswerQuery, body, grant_id=grant_id,
                                                 expenditure_id=expenditure_id))


@blp.route("/grants/<grant_id>/expenditures/<expenditure_id>/attachments/<sha256>")
class AttachmentView(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, content_type="application/octet-stream",
                  description="The evidence file as it was uploaded")
    def get(self, grant_id: str, expenditure_id: str, sha256: str) -> Response:
        """An evidence file of an expenditure."""
        found = _call("attachment_get", {"grant_id": grant_id, "expenditure_id": expenditure_id,
                                         "sha256": sha256})
        return _download(base64.b64decode(found["content_base64"]), found["content_type"],
                         found["filename"].replace('"', ""))


# supervision (R13.1) -----------------------------------------------------------------------


def _usage(query: dict) -> dict:
    return _call("usage_report", UsageQuery().dump(query))


def _slow(query: dict) -> dict:
    return _call("slow_spenders", SlowQuery().dump(query))


@blp.route("/subsidy/usage")
class Usage(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(UsageQuery, location="query", unknown=RAISE)
    @blp.response(200, UsageSchema)
    def get(self, query: dict) -> dict:
        """R13.1: use of the money per station, per fund or per spending category."""
        return _usage(query)


@blp.route("/subsidy/usage.csv")
class UsageCsv(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(UsageQuery, location="query", unknown=RAISE)
    @blp.response(200, content_type="text/csv", description="UTF-8 with BOM")
    def get(self, query: dict) -> Response:
        """The usage report as CSV."""
        report = _usage(query)
        return _download(exports.to_csv(report["by"], report["rows"]), "text/csv",
                         f"subsidy-usage-{report['by']}.csv")


@blp.route("/subsidy/usage.xlsx")
class UsageXlsx(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(UsageQuery, location="query", unknown=RAISE)
    @blp.response(200, content_type=XLSX, description="An Excel workbook")
    def get(self, query: dict) -> Response:
        """The usage report as an Excel workbook (amounts as numbers)."""
        report = _usage(query)
        return _download(exports.to_xlsx(report["by"], report["rows"]), XLSX,
                         f"subsidy-usage-{report['by']}.xlsx")


@blp.route("/subsidy/slow-spending")
class Slow(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(SlowQuery, location="query", unknown=RAISE)
    @blp.response(200, SlowSchema)
    def get(self, query: dict) -> dict:
        """R13.1: grants that spent less than a share of what they were paid, a given time
        after their first tranche (defaults from the configuration)."""
        return _slow(query)


@blp.route("/subsidy/slow-spending.csv")
class SlowCsv(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(SlowQuery, location="query", unknown=RAISE)
    @blp.response(200, content_type="text/csv", description="UTF-8 with BOM")
    def get(self, query: dict) -> Response:
        """Slow spending as CSV."""
        report = _slow(query)
        return _download(exports.to_csv("slow", report["rows"]), "text/csv",
                         f"subsidy-slow-spending-{report['as_of']}.csv")


@blp.route("/subsidy/slow-spending.xlsx")
class SlowXlsx(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(SlowQuery, location="query", unknown=RAISE)
    @blp.response(200, content_type=XLSX, description="An Excel workbook")
    def get(self, query: dict) -> Response:
        """Slow spending as an Excel workbook."""
        report = _slow(query)
        return _download(exports.to_xlsx("slow", report["rows"]), XLSX,
                         f"subsidy-slow-spending-{report['as_of']}.xlsx")


@blp.route("/subsidy/ledger-check")
class LedgerCheck(MethodView):
    @requires(*STAFF, read=True)
    @blp.response(200, CheckSchema)
    def get(self) -> dict:
        """The whole ledger recomputed from its lines: balanced entries, running balances equal
        to their lines, no negative balance, every fund reconciled."""
        return _call("ledger_check")
