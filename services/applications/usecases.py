"""Use cases of the applications service: load, apply the rule, save, add events, commit."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from servicekit.calendar import NoticeWindow, WorkingDayCalendar, YearData
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict
from services.applications.models import CalendarDay, CalendarYear


def _registered_years(uow: UnitOfWork) -> list[YearData]:
    rows = uow.session.scalars(select(CalendarYear).options(selectinload(CalendarYear.days)))
    return [
        YearData(
            year=row.year,
            holidays=frozenset(d.day for d in row.days if d.kind == "holiday"),
            workdays=frozenset(d.day for d in row.days if d.kind == "workday"),
        )
        for row in rows
    ]


def load_calendar(uow: UnitOfWork) -> WorkingDayCalendar:
    """The seed from chinesecalendar plus every year an administrator registered."""
    return WorkingDayCalendar.seeded(_registered_years(uow))


def register_calendar_year(uow: UnitOfWork, data: YearData) -> dict:
    """R7.3: an administrator extends the calendar with a new year's State Council notice."""
    with uow:
        data.validate()
        if data.year in load_calendar(uow).known_years:
            raise Conflict(
                "calendar.year_already_known",
                f"The calendar already holds {data.year}; it keeps what was notified.",
                f"日历中已有 {data.year} 年的数据，不可重复登记。",
                {"year": data.year},
            )
        row = CalendarYear(
            year=data.year,
            tenant=uow.tenant,
            registered_by=uow.actor,
            registered_at=datetime.now(UTC),
            days=[CalendarDay(day=d, kind="holiday") for d in sorted(data.holidays)]
            + [CalendarDay(day=d, kind="workday") for d in sorted(data.workdays)],
        )
        uow.session.add(row)
        after = {
            "year": data.year,
            "holidays": sorted(d.isoformat() for d in data.holidays),
            "workdays": sorted(d.isoformat() for d in data.workdays),
        }
        uow.audit("calendar.register_year", "calendar_year", str(data.year), None, after)
        uow.add_event(
            "calendar_year_registered",
            {**after, "registered_by": uow.actor},
            aggregate_id=f"calendar-{data.year}",
        )
        uow.commit()
        return after


def workdays(uow: UnitOfWork, start: date, end: date) -> list[date]:
    with uow:
        return load_calendar(uow).workdays(start, end)


def notice_window(uow: UnitOfWork, published_on: date) -> NoticeWindow:
    """R7.3: the 5-working-day public notice window of a notice published on that date."""
    with uow:
        return load_calendar(uow).notice_window(published_on)
