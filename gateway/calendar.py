"""The statutory working-day calendar, read by anyone (R7.3; DESIGN.md §6).

The applications service owns the calendar; these routes validate the query and ask it.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from gateway import rpc
from gateway.auth import optional_auth
from services.applications.schemas import DateRange, NoticeWindowRequest

blp = Blueprint(
    "calendar",
    __name__,
    url_prefix="/api/v1/calendar",
    description="Working days by the State Council's holiday arrangements (public).",
)


def _date(description: str) -> fields.String:
    # The service answers ISO strings; the gateway passes them on unchanged.
    return fields.String(metadata={"format": "date", "description": description})


class Workdays(Schema):
    start = _date("First day of the range")
    end = _date("Last day of the range")
    workdays = fields.List(_date("A working day"), metadata={"description": "In order"})


class NoticeWindow(Schema):
    published_on = _date("Day the notice was published")
    opens_on = _date("First working day of the window")
    closes_on = _date("Last working day of the window")
    closes_at = fields.String(
        metadata={"format": "date-time", "description": "End of the window (exclusive)"}
    )
    working_days = fields.List(_date("A working day of the window"))


@blp.route("/workdays")
class WorkdaysView(MethodView):
    # unknown=RAISE: a misspelt query argument is an error, not silently ignored.
    @optional_auth
    @blp.arguments(DateRange, location="query", unknown=RAISE)
    @blp.response(200, Workdays)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Working days from start to end, both inclusive."""
        payload = DateRange().dump(query)
        return {**payload, "workdays": rpc.call("applications", "calendar_workdays", payload)}


@blp.route("/notice-window")
class NoticeWindowView(MethodView):
    @optional_auth
    @blp.arguments(NoticeWindowRequest, location="query", unknown=RAISE)
    @blp.response(200, NoticeWindow)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """R7.3: the 5-working-day public-notice window of a notice published that day."""
        payload = NoticeWindowRequest().dump(query)
        return rpc.call("applications", "calendar_notice_window", payload)
