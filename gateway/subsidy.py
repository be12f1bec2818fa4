"""Subsidy finance at /api/v1: funds and their budgets, grants, tranches, expenditures with
evidence, clawback repayments, and the supervision reports with their exports (Arts 9, 13, 14).

Thin: each view checks the role, validates with the subsidy contract's schemas
(contracts.rpc.subsidy; unknown fields refused), calls the service and documents its answer
with the contract's answer schemas. Which fund or grant a principal may touch (its district,
its host unit) the service decides again (R13.1). The exports are rendered here, from the
report the service answers, by the platform's one renderer.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

from flask import Response
from flask.views import MethodView
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from contracts.rpc import subsidy as contract
from gateway import rpc
from gateway.arguments import Blueprint
from gateway.auth import requires
from gateway.downloads import download
from gateway.limits import JSON, accepts
from gateway.paging import page_of
from servicekit import spreadsheets
from servicekit.attachments import DEFAULT_MAX_BYTES, MAX_FILES

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
# An expenditure carries up to five files of evidence, base64 in JSON (4/3 of their size).
UPLOAD_MAX_BYTES = MAX_FILES * (DEFAULT_MAX_BYTES * 4 // 3 + 1024) + 64 * 1024

ExpenditureListQuery = contract.ListExpenditures(exclude=("grant_id",))
LedgerPageQuery = contract.LedgerQuery(exclude=("fund_id", "grant_id"))


def _call(method: str, *args: Any) -> Any:
    return rpc.call("subsidy", method, *args)


def _body(schema: type[Schema], data: dict, **path: str) -> dict:
    """The validated body as JSON data again, with the ids the URL carries."""
    return {**schema(exclude=tuple(path)).dump(data), **path}


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    # RFC 6266/5987: a Chinese filename survives (gateway.downloads, shared with applications).
    return download(content, mimetype, filename)


def spreadsheet(kind: str, fmt: Literal["csv", "xlsx"],
                rows: list[dict[str, Any]]) -> tuple[bytes, str]:
    """A report's rows (``kind``: station, fund, category or slow) as a CSV or Excel file,
    with the contract's bilingual columns; amounts are numbers in Excel."""
    title, columns = contract.SPREADSHEETS[kind]
    return spreadsheets.render(fmt, columns, rows, sheet=kind, heading=title)


# request shapes the gateway adds -----------------------------------------------------------


class IdempotencyHeader(Schema):
    class Meta:
        unknown = EXCLUDE  # every other header

    idempotency_key = fields.String(
        data_key="Idempotency-Key", required=True, validate=validate.Length(min=8, max=100),
        metadata={"description": "A retried request with the same key pays once"},
    )


# funds -------------------------------------------------------------------------------------


@blp.route("/funds")
class Funds(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(contract.ListFunds, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.Fund))
    def get(self, query: dict) -> dict:
        """Funds with their budget, available, committed, disbursed, spent and receivable."""
        return _call("list_funds", contract.ListFunds().dump(query))


@blp.route("/funds/budgets")
class Budgets(MethodView):
    @requires(*MANAGERS)
    @blp.arguments(contract.SetFundBudget)
    @blp.response(201, contract.Fund)
    def post(self, body: dict) -> dict:
        """Set a fund's budget for a fiscal year (the city's: city_hr; a district's: its own
        district_hr). Recorded as a ledger posting and a history row, never overwritten."""
        return _call("set_fund_budget", contract.SetFundBudget().dump(body))


@blp.route("/funds/<fund_id>")
class FundView(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.response(200, contract.Fund)
    def get(self, fund_id: str) -> dict:
        """A fund's figures and the history of its budget."""
        return _call("get_fund", {"fund_id": fund_id})


@blp.route("/funds/<fund_id>/ledger")
class FundLedger(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(LedgerPageQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.LedgerEntry))
    def get(self, query: dict, fund_id: str) -> dict:
        """The fund's postings, each with its person and document (R13.1)."""
        return _call("list_ledger_entries", {**LedgerPageQuery.dump(query), "fund_id": fund_id})


# grants ------------------------------------------------------------------------------------


@blp.route("/grants")
class Grants(MethodView):
    @requires(*READERS, read=True)
    @blp.arguments(contract.ListGrants, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.Grant))
    def get(self, query: dict) -> dict:
        """Grants in sight: all for the city, a district's stations', a host unit's own."""
        return _call("list_grants", contract.ListGrants().dump(query))

    @requires("district_hr")
    @blp.arguments(contract.ProposeGrant)
    @blp.response(201, contract.Grant)
    def post(self, body: dict) -> dict:
        """Art 14: a district proposes a grant to a station of its own from its own fund.
        (Construction grants arrive from the evaluation's demonstration selection.)"""
        return _call("propose_grant", contract.ProposeGrant().dump(body))


@blp.route("/grants/<grant_id>")
class GrantView(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, contract.Grant)
    def get(self, grant_id: str) -> dict:
        """A grant with its balances, tranches and repayments."""
        return _call("get_grant", {"grant_id": grant_id})


@blp.route("/grants/<grant_id>/approve")
class Approve(MethodView):
    @requires(*MANAGERS)
    @blp.arguments(contract.ApproveGrant(exclude=("grant_id",)))
    @blp.response(200, contract.Grant)
    def post(self, body: dict, grant_id: str) -> dict:
        """R9.1/R9.2: commit the grant on the fund of the fiscal year; a construction grant is
        50,000.00–200,000.00 yuan; never beyond the fund's available balance."""
        return _call("approve_grant", _body(contract.ApproveGrant, body, grant_id=grant_id))


@blp.route("/grants/<grant_id>/decline")
class Decline(MethodView):
    @requires(*MANAGERS)
    @blp.arguments(contract.DeclineGrant(exclude=("grant_id",)))
    @blp.response(200, contract.Grant)
    def post(self, body: dict, grant_id: str) -> dict:
        """Decline a proposed grant, with the reason."""
        return _call("decline_grant", _body(contract.DeclineGrant, body, grant_id=grant_id))


@blp.route("/grants/<grant_id>/ledger")
class GrantLedger(MethodView):
    @requires(*READERS, read=True)
    @blp.arguments(LedgerPageQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.LedgerEntry))
    def get(self, query: dict, grant_id: str) -> dict:
        """The grant's postings, each with its person and document (R13.1)."""
        return _call("list_ledger_entries",
                     {**LedgerPageQuery.dump(query), "grant_id": grant_id})


@blp.route("/grants/<grant_id>/disbursements")
class Disbursements(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, contract.Disbursement(many=True))
    def get(self, grant_id: str) -> list:
        """The grant's tranches."""
        return _call("list_disbursements", {"grant_id": grant_id})

    @requires(*MANAGERS)
    @blp.arguments(IdempotencyHeader, location="headers")
    @blp.arguments(contract.DisburseGrant(exclude=("grant_id", "idempotency_key")))
    @blp.response(201, contract.Disbursement)
    def post(self, headers: dict, body: dict, grant_id: str) -> dict:
        """Pay a tranche with its payment reference, never beyond the grant. Send an
        Idempotency-Key header: a retry with the same key answers the first payment."""
        payload = {**contract.DisburseGrant(exclude=("grant_id", "idempotency_key")).dump(body),
                   "grant_id": grant_id, "idempotency_key": headers["idempotency_key"]}
        return _call("disburse_grant", payload)


@blp.route("/grants/<grant_id>/repayments")
class Repayments(MethodView):
    @requires(*MANAGERS)
    @blp.arguments(contract.SettleReceivable(exclude=("grant_id",)))
    @blp.response(201, contract.Settlement)
    def post(self, body: dict, grant_id: str) -> dict:
        """Record money a revoked station paid back against its receivable."""
        return _call("settle_receivable", _body(contract.SettleReceivable, body, grant_id=grant_id))


# expenditures ------------------------------------------------------------------------------


@blp.route("/grants/<grant_id>/expenditures")
class Expenditures(MethodView):
    @requires(*READERS, read=True)
    @blp.arguments(ExpenditureListQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(contract.Expenditure))
    def get(self, query: dict, grant_id: str) -> dict:
        """The grant's reported expenditures with their evidence and review notes."""
        return _call("list_expenditures",
                     {**ExpenditureListQuery.dump(query), "grant_id": grant_id})

    @requires("host_unit")
    @accepts(JSON, max_bytes=UPLOAD_MAX_BYTES)
    @blp.arguments(contract.RecordExpenditure(exclude=("grant_id",)))
    @blp.response(201, contract.Expenditure)
    def post(self, body: dict, grant_id: str) -> dict:
        """R9.3: the station's host unit reports spending in an allowed category, with
        evidence (PDF, JPEG or PNG as base64), never beyond what was paid and is unspent."""
        return _call("record_expenditure",
                     _body(contract.RecordExpenditure, body, grant_id=grant_id))


@blp.route("/grants/<grant_id>/expenditures/<expenditure_id>/review")
class Review(MethodView):
    @requires(*MANAGERS)
    @blp.arguments(contract.ReviewExpenditure(exclude=("grant_id", "expenditure_id")))
    @blp.response(200, contract.Expenditure)
    def post(self, body: dict, grant_id: str, expenditure_id: str) -> dict:
        """Accept, query or disallow an item (a comment is required to query or disallow);
        a disallowed item's posting is reversed."""
        return _call("review_expenditure", _body(contract.ReviewExpenditure, body,
                                                 grant_id=grant_id,
                                                 expenditure_id=expenditure_id))


@blp.route("/grants/<grant_id>/expenditures/<expenditure_id>/answer")
class Answer(MethodView):
    @requires("host_unit")
    @accepts(JSON, max_bytes=UPLOAD_MAX_BYTES)
    @blp.arguments(contract.AnswerQuery(exclude=("grant_id", "expenditure_id")))
    @blp.response(200, contract.Expenditure)
    def post(self, body: dict, grant_id: str, expenditure_id: str) -> dict:
        """The host unit answers a query, with more evidence if it has any."""
        return _call("answer_query", _body(contract.AnswerQuery, body, grant_id=grant_id,
                                                 expenditure_id=expenditure_id))


@blp.route("/grants/<grant_id>/expenditures/<expenditure_id>/attachments/<sha256>")
class AttachmentView(MethodView):
    @requires(*READERS, read=True)
    @blp.response(200, content_type="application/octet-stream",
                  description="The evidence file as it was uploaded")
    def get(self, grant_id: str, expenditure_id: str, sha256: str) -> Response:
        """An evidence file of an expenditure."""
        found = _call("get_attachment", {"grant_id": grant_id, "expenditure_id": expenditure_id,
                                         "sha256": sha256})
        return _download(base64.b64decode(found["content_base64"]), found["content_type"],
                         found["filename"])


# supervision (R13.1) -----------------------------------------------------------------------


def _usage(query: dict) -> dict:
    return _call("get_usage_report", contract.UsageQuery().dump(query))


def _slow(query: dict) -> dict:
    return _call("list_slow_spenders", contract.SlowSpendingQuery().dump(query))


def _export(kind: str, fmt: Literal["csv", "xlsx"], rows: list[dict[str, Any]],
            name: str) -> Response:
    content, media_type = spreadsheet(kind, fmt, rows)
    return _download(content, media_type, f"{name}.{fmt}")


@blp.route("/subsidy/usage")
class Usage(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(contract.UsageQuery, location="query", unknown=RAISE)
    @blp.response(200, contract.UsageReport)
    def get(self, query: dict) -> dict:
        """R13.1: use of the money per station, per fund or per spending category."""
        return _usage(query)


@blp.route("/subsidy/usage.csv")
class UsageCsv(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(contract.UsageQuery, location="query", unknown=RAISE)
    @blp.response(200, content_type="text/csv", description="UTF-8 with BOM")
    def get(self, query: dict) -> Response:
        """The usage report as CSV."""
        report = _usage(query)
        return _export(report["by"], "csv", report["rows"], f"subsidy-usage-{report['by']}")


@blp.route("/subsidy/usage.xlsx")
class UsageXlsx(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(contract.UsageQuery, location="query", unknown=RAISE)
    @blp.response(200, content_type=spreadsheets.XLSX_MEDIA_TYPE, description="An Excel workbook")
    def get(self, query: dict) -> Response:
        """The usage report as an Excel workbook (amounts as numbers)."""
        report = _usage(query)
        return _export(report["by"], "xlsx", report["rows"], f"subsidy-usage-{report['by']}")


@blp.route("/subsidy/slow-spending")
class Slow(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(contract.SlowSpendingQuery, location="query", unknown=RAISE)
    @blp.response(200, contract.SlowSpending)
    def get(self, query: dict) -> dict:
        """R13.1: grants that spent less than a share of what they were paid, a given time
        after their first tranche (defaults from the configuration)."""
        return _slow(query)


@blp.route("/subsidy/slow-spending.csv")
class SlowCsv(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(contract.SlowSpendingQuery, location="query", unknown=RAISE)
    @blp.response(200, content_type="text/csv", description="UTF-8 with BOM")
    def get(self, query: dict) -> Response:
        """Slow spending as CSV."""
        report = _slow(query)
        return _export("slow", "csv", report["rows"], f"subsidy-slow-spending-{report['as_of']}")


@blp.route("/subsidy/slow-spending.xlsx")
class SlowXlsx(MethodView):
    @requires(*FUND_READERS, read=True)
    @blp.arguments(contract.SlowSpendingQuery, location="query", unknown=RAISE)
    @blp.response(200, content_type=spreadsheets.XLSX_MEDIA_TYPE, description="An Excel workbook")
    def get(self, query: dict) -> Response:
        """Slow spending as an Excel workbook."""
        report = _slow(query)
        return _export("slow", "xlsx", report["rows"],
                       f"subsidy-slow-spending-{report['as_of']}")


@blp.route("/subsidy/ledger-check")
class LedgerCheck(MethodView):
    @requires(*STAFF, read=True)
    @blp.response(200, contract.LedgerCheck)
    def get(self) -> dict:
        """The whole ledger recomputed from its lines: balanced entries, running balances equal
        to their lines, no negative balance, every fund reconciled."""
        return _call("check_ledger")
