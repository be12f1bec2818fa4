"""Nameko entrypoints of the applications service: parse, call a use case, return."""

from __future__ import annotations

from dataclasses import asdict

from servicekit.base import KitService, rpc
from servicekit.calendar import YearData
from servicekit.db import Database
from servicekit.validation import load
from services.applications import schemas, usecases


class ApplicationsService(KitService):
    name = "applications"
    db = Database("services.applications:migrations")

    @rpc
    def calendar_register_year(self, request: dict) -> dict:
        data = load(schemas.RegisterCalendarYear(), request)
        year = YearData(data["year"], frozenset(data["holidays"]), frozenset(data["workdays"]))
        return usecases.register_calendar_year(self.db, year)

    @rpc
    def calendar_workdays(self, request: dict) -> list[str]:
        data = load(schemas.DateRange(), request)
        return [d.isoformat() for d in usecases.workdays(self.db, data["start"], data["end"])]

    @rpc
    def calendar_notice_window(self, request: dict) -> dict:
        data = load(schemas.NoticeWindowRequest(), request)
        window = usecases.notice_window(self.db, data["published_on"])
        return schemas.NoticeWindow().dump(asdict(window))
