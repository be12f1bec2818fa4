"""The statutory working-day calendar (R7.3): the seed plus the years an administrator adds."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contracts.rpc import applications as contract
from servicekit.calendar import WorkingDayCalendar, YearData
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict
from services.applications.models import CalendarDay, CalendarYear

_YEAR = contract.CalendarYear()
_WORKDAYS = contract.Workdays()
_WINDOW = contract.NoticeWindow()


def load_calendar(uow: UnitOfWork) -> WorkingDayCalendar:
    """The seed from chinesecalendar plus every year an administrator registered."""
    rows = uow.session.scalars(select(CalendarYear).options(selectinload(CalendarYear.days)))
    return WorkingDayCalendar.seeded(
        [YearData(row.year, frozenset(row.holidays), frozenset(row.workdays)) for row in rows])


# commands -----------------------------------------------------------------------------------


def register_calendar_year(ctx: Context, data: YearData) -> dict:
    """R7.3: an administrator extends the calendar with a new year's State Council notice."""
    ctx.principal.require("city_hr")
    uow = ctx.uow
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
            tenant=ctx.tenant.code,
            registered_by=uow.actor,
            registered_at=datetime.now(UTC),
            days=[CalendarDay(day=d, kind="holiday") for d in sorted(data.holidays)]
            + [CalendarDay(day=d, kind="workday") for d in sorted(data.workdays)],
        )
        uow.session.add(row)
        after = _YEAR.dump(row)
        uow.audit("calendar.register_year", "calendar_year", str(data.year), None, after)
        uow.add_event(
            "calendar_year_registered",
            {**after, "registered_by": uow.actor},
            aggregate_id=f"calendar-{data.year}",
        )
        uow.commit()
        return after


# queries ------------------------------------------------------------------------------------


def list_workdays(ctx: Context, start: date, end: date) -> dict:
    with ctx.uow:
        days = load_calendar(ctx.uow).workdays(start, end)
    return _WORKDAYS.dump({"start": start, "end": end, "workdays": days})


def get_notice_window(ctx: Context, published_on: date) -> dict:
    """R7.3: the 5-working-day public notice window of a notice published on that date."""
    with ctx.uow:
        return _WINDOW.dump(load_calendar(ctx.uow).notice_window(published_on))
