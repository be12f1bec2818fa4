"""The statutory working-day calendar, read by anyone (R7.3; DESIGN.md §6).

The applications service owns the calendar; these routes validate the query with its contract
(``contracts.rpc.applications``) and ask it.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import RAISE

from contracts.rpc.applications import DateRange, NoticeWindow, NoticeWindowRequest, Workdays
from gateway import rpc
from gateway.arguments import Blueprint
from gateway.auth import optional_auth

blp = Blueprint(
    "calendar",
    __name__,
    url_prefix="/api/v1/calendar",
    description="Working days by the State Council's holiday arrangements (public).",
)


@blp.route("/workdays")
class WorkdaysView(MethodView):
    # unknown=RAISE: a misspelt query argument is an error, not silently ignored.
    @optional_auth
    @blp.arguments(DateRange, location="query", unknown=RAISE)
    @blp.response(200, Workdays)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Working days from start to end, both inclusive."""
        return rpc.call("applications", "list_workdays", DateRange().dump(query))


@blp.route("/notice-window")
class NoticeWindowView(MethodView):
    @optional_auth
    @blp.arguments(NoticeWindowRequest, location="query", unknown=RAISE)
    @blp.response(200, NoticeWindow)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """R7.3: the 5-working-day public-notice window of a notice published that day."""
        return rpc.call("applications", "get_notice_window", NoticeWindowRequest().dump(query))
