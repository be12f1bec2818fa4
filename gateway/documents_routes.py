"""Official documents as PDF at /api/v1 (issue 15): each beside the record it is issued for.

Thin as every blueprint: the roles are checked here, the record is read with the RPC its own
route uses (so the service that owns it decides whether this principal may read it, R13.1),
and ``gateway.documents`` composes and renders the PDF. A document that has not been issued
yet (an evaluation not finalized, a demonstration not confirmed by both departments) is a 409.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from flask import Response
from flask.views import MethodView

from gateway import documents, rpc
from gateway.arguments import Blueprint
from gateway.auth import optional_auth, requires
from gateway.downloads import download
from servicekit.errors import Conflict, NotFound

blp = Blueprint(
    "documents",
    __name__,
    url_prefix="/api/v1",
    description="Official documents as PDF: public notices, approvals, plaque certificates, "
    "evaluation results, rectification and demonstration notices, grant statements.",
)

STAFF = ("city_hr", "talent_office", "org_department")
# Who reads a station's, an evaluation's or a grant's records (as their own routes admit).
READERS = (*STAFF, "district_hr", "host_unit")
PDF = "application/pdf"
_PAGE = 200  # the largest page a list RPC answers


def _pdf(document: documents.Document) -> Response:
    return download(document.pdf(), PDF, document.filename)


def _pages(fetch: Callable[[int], dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every item of a paged list RPC, ``fetch(offset)`` answering one page."""
    offset = 0
    while True:
        page = fetch(offset)
        yield from page["items"]
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return


def _not_issued(what_en: str, what_zh: str, **details: Any) -> Conflict:
    return Conflict("document.not_issued", f"The document is not issued yet: {what_en}.",
                    f"该文书尚未形成：{what_zh}。", details)


def _response(description: str) -> Callable:
    """The 200 answer of a document route: a PDF, named by Content-Disposition."""
    return blp.response(200, content_type=PDF, description=f"{description} (A4 PDF; "
                        "Content-Disposition names it in Chinese, RFC 6266 filename*)")


# applications: the public notice, the approval, the plaque certificate (Art 7) -------------


@blp.route("/notices/<notice_id>/document.pdf")
class NoticeDocument(MethodView):
    @requires(*STAFF, read=True)
    @_response("The public notice (公示)")
    def get(self, notice_id: str) -> Response:
        """The public notice of a shortlist (R7.3), open or closed, as published."""
        return _pdf(documents.public_notice(rpc.call("applications", "get_notice", notice_id)))


@blp.route("/public/notices/<notice_id>/document.pdf")
class PublicNoticeDocument(MethodView):
    @optional_auth
    @_response("The public notice (公示)")
    @blp.alt_response(404, description="No notice of that id is open now")
    def get(self, notice_id: str) -> Response:
        """A notice whose window is open now, for anyone; no login needed."""
        for notice in rpc.call("applications", "list_notices", True):
            if notice["id"] == notice_id:
                return _pdf(documents.public_notice(notice))
        raise NotFound("notice.not_found", f"No open notice {notice_id}.",
                       f"没有正在公示的公示 {notice_id}。", {"notice_id": notice_id})


def _station_and_application(station_id: str) -> tuple[dict, dict]:
    # The registry is public; reading the application is what only its host unit, its
    # district and city staff may (the applications service decides).
    station = rpc.call("applications", "get_station", station_id)
    return station, rpc.call("applications", "get_application", station["application_id"])


@blp.route("/stations/<station_id>/approval.pdf")
class ApprovalDocument(MethodView):
    @requires("host_unit", "district_hr", *STAFF, read=True)
    @_response("The approval (批复)")
    def get(self, station_id: str) -> Response:
        """The talent office's approval of the station, to its host unit (Art 7(4))."""
        return _pdf(documents.approval(*_station_and_application(station_id)))


@blp.route("/stations/<station_id>/certificate.pdf")
class CertificateDocument(MethodView):
    @requires("host_unit", "district_hr", *STAFF, read=True)
    @_response("The plaque certificate (证书)")
    def get(self, station_id: str) -> Response:
        """The station's certificate with its plaque number (Art 7(4))."""
        station, _ = _station_and_application(station_id)
        return _pdf(documents.certificate(station))


# evaluation: the result, the rectification notice, the demonstration notice (Arts 9, 16, 17)


def _profile(station_id: str) -> dict:
    return rpc.call("evaluation", "get_station_profile", {"station_id": station_id})


def _cycle(cycle_id: str) -> dict:
    return rpc.call("evaluation", "get_cycle", {"cycle_id": cycle_id})


@blp.route("/stations/<station_id>/evaluation/<cycle_id>/result.pdf")
class EvaluationResultDocument(MethodView):
    @requires(*READERS, read=True)
    @_response("The evaluation result notice (评估结果通知)")
    @blp.alt_response(404, description="The station was not evaluated in that cycle")
    @blp.alt_response(409, description="The cycle is not finalized yet")
    def get(self, station_id: str, cycle_id: str) -> Response:
        """The station's score, rank, grade and criteria in a finalized cycle (R16.1), with
        its rectification deadline when it must rectify (R17.1)."""
        profile = _profile(station_id)
        result = next((r for r in profile["results"] if r["cycle_id"] == cycle_id), None)
        if result is None:
            raise NotFound("result.not_found",
                           f"Station {station_id} has no result in cycle {cycle_id}.",
                           f"该驿站在评估周期 {cycle_id} 中没有评估结果。",
                           {"station_id": station_id, "cycle_id": cycle_id})
        if not result["grade"]:
            raise _not_issued("the cycle is not finalized", "评估尚未完成", cycle_id=cycle_id)
        return _pdf(documents.evaluation_result(profile, result, _cycle(cycle_id)))


@blp.route("/rectifications/<rectification_id>/notice.pdf")
class RectificationDocument(MethodView):
    @requires(*READERS, read=True)
    @_response("The rectification notice (限期整改通知)")
    def get(self, rectification_id: str) -> Response:
        """The findings and the deadline of a rectification (Art 17, R17.1)."""
        rectification = rpc.call("evaluation", "get_rectification",
                                 {"rectification_id": rectification_id})
        return _pdf(documents.rectification_notice(
            rectification, _profile(rectification["station_id"]),
            _cycle(rectification["cycle_id"])))


@blp.route("/demonstrations/<selection_id>/notice.pdf")
class DemonstrationDocument(MethodView):
    @requires(*READERS, read=True)
    @_response("The demonstration selection notice (示范驿站通知)")
    @blp.alt_response(404, description="No selection of that id is visible to the caller")
    @blp.alt_response(409, description="Not yet confirmed by both departments (R9.1)")
    def get(self, selection_id: str) -> Response:
        """A demonstration station selected by the HR bureau and the organisation department
        together, with its construction subsidy (Art 9, R9.1)."""
        # No RPC reads one selection: its list, narrowed to what the caller may see, does.
        selections = _pages(lambda offset: rpc.call(
            "evaluation", "list_demonstrations", {"limit": _PAGE, "offset": offset}))
        selection = next((s for s in selections if s["selection_id"] == selection_id), None)
        if selection is None:
            raise NotFound("demonstration.not_found", f"No demonstration selection "
                           f"{selection_id}.", f"没有示范驿站遴选记录 {selection_id}。",
                           {"selection_id": selection_id})
        if selection["status"] != "confirmed":
            raise _not_issued("both departments have not confirmed it",
                              "尚未经市人社局和市委组织部共同确认",
                              selection_id=selection_id, status=selection["status"])
        return _pdf(documents.demonstration_notice(selection,
                                                   _profile(selection["station_id"])))


# subsidy: the statement of account of a grant (Arts 9, 13, 14) --------------------------------


@blp.route("/grants/<grant_id>/statement.pdf")
class GrantStatementDocument(MethodView):
    @requires(*READERS, read=True)
    @_response("The grant's statement of account (资金对账单)")
    def get(self, grant_id: str) -> Response:
        """The grant's approval, tranches, reported spending, repayments and balances, as of
        today."""
        grant = rpc.call("subsidy", "get_grant", {"grant_id": grant_id})
        spent = list(_pages(lambda offset: rpc.call(
            "subsidy", "list_expenditures",
            {"grant_id": grant_id, "limit": _PAGE, "offset": offset})))
        return _pdf(documents.grant_statement(grant, spent))
