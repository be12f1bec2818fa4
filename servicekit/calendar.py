"""The statutory working-day calendar of mainland China (R7.3; DESIGN.md §6).

Seeded from the ``chinesecalendar`` package (State Council holidays and make-up working days,
调休) and extendable by an administrator with a new year's notice. A date in a year without data
is refused with :class:`CalendarError`, never guessed. Pure: no I/O, no framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import chain, islice
from zoneinfo import ZoneInfo

from chinese_calendar import constants as _seed

from servicekit.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5  # date.weekday(): Monday 0 .. Sunday 6

# ``constants.holidays`` holds every statutory day off (weekend ones included) and
# ``constants.workdays`` only the make-up working days, all on weekends; both keyed by date.
_SEED_HOLIDAYS = frozenset(_seed.holidays)
_SEED_WORKDAYS = frozenset(_seed.workdays)
_SEED_YEARS = tuple(sorted({day.year for day in chain(_SEED_HOLIDAYS, _SEED_WORKDAYS)}))


def _spans(years: Iterable[int]) -> str:
    """Years as compact ranges for messages, e.g. ``"2004-2026, 2028"``; empty for none."""
    spans: list[list[int]] = []
    for year in sorted(years):
        if spans and year == spans[-1][1] + 1:
            spans[-1][1] = year
        else:
            spans.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


class CalendarError(InvalidInput):
    """A date beyond the calendar's known data: the platform refuses rather than guesses."""

    @classmethod
    def beyond_known_data(cls, day: date, known_years: Iterable[int]) -> CalendarError:
        # A factory, so the constructor keeps DomainError's signature and the error can be
        # rebuilt from its args when it crosses RPC.
        years = sorted(known_years)
        covered = _spans(years)
        return cls(
            "calendar.beyond_known_data",
            f"No statutory working-day data for {day.isoformat()}: the calendar covers "
            f"{covered or 'no year'}. An administrator must first register the State Council "
            f"holiday arrangement for {day.year}.",
            f"{day.isoformat()} 超出法定工作日历的已知数据（已有年份：{covered or '无'}），"
            f"请管理员先登记 {day.year} 年国务院节假日安排。",
            {"date": day.isoformat(), "year": day.year, "known_years": years},
        )


def _invalid_year_data(year: int, problems: dict[str, list[str]]) -> InvalidInput:
    listed = "; ".join(f"{kind}: {', '.join(days)}" for kind, days in problems.items())
    return InvalidInput(
        "calendar.invalid_year_data",
        f"The holiday data for {year} is inconsistent ({listed}).",
        f"{year} 年节假日数据有误（{listed}）。",
        {"year": year, **problems},
    )


@dataclass(frozen=True)
class YearData:
    """One year's State Council arrangement.

    ``holidays``: every statutory day off, weekend ones included; ``workdays``: the make-up
    working days (调休), which always fall on a Saturday or Sunday.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    def validate(self) -> None:
        """Raise InvalidInput ``calendar.invalid_year_data`` listing every inconsistency."""
        problems = {
            "outside_year": sorted(d for d in self.holidays | self.workdays if d.year != self.year),
            "holiday_and_workday": sorted(self.holidays & self.workdays),
            "workday_not_on_weekend": sorted(d for d in self.workdays if d.weekday() < _SATURDAY),
        }
        found = {kind: [d.isoformat() for d in days] for kind, days in problems.items() if days}
        if found:
            raise _invalid_year_data(self.year, found)


@dataclass(frozen=True)
class NoticeWindow:
    """A public-notice window: open from ``opens_on`` 00:00 Asia/Shanghai (inclusive) to
    ``closes_at``, the midnight that ends ``closes_on`` (exclusive)."""

    published_on: date
    opens_on: date
    closes_on: date
    closes_at: datetime
    working_days: tuple[date, ...]

    @property
    def opens_at(self) -> datetime:
        return datetime.combine(self.opens_on, time(0), SHANGHAI)

    def is_open_at(self, instant: datetime) -> bool:
        """Whether an objection made at ``instant`` (tz-aware, any zone) falls in the window."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("instant must be timezone-aware")
        return self.opens_at <= instant < self.closes_at


class WorkingDayCalendar:
    """Working days by the statutory calendar, over the years it has data for."""

    def __init__(self, years: Mapping[int, YearData]) -> None:
        for year, data in years.items():
            if year != data.year:
                raise _invalid_year_data(year, {"registered_as_year": [str(data.year)]})
            data.validate()
        self._years = dict(years)
        self._holidays = frozenset(chain.from_iterable(d.holidays for d in years.values()))
        self._workdays = frozenset(chain.from_iterable(d.workdays for d in years.values()))

    @classmethod
    def seeded(cls, extra: Iterable[YearData] = ()) -> WorkingDayCalendar:
        """Every year chinesecalendar covers, plus the years an administrator registered."""
        years = {year: cls.seed_year(year) for year in _SEED_YEARS}
        for data in extra:
            if data.year in years:
                raise InvalidInput(
                    "calendar.year_already_known",
                    f"The calendar already has data for {data.year}.",
                    f"工作日历已有 {data.year} 年的数据。",
                    {"year": data.year},
                )
            years[data.year] = data
        return cls(years)

    @staticmethod
    def seed_year(year: int) -> YearData:
        """``year`` as chinesecalendar records it; CalendarError if the package lacks it."""
        if year not in _SEED_YEARS:
            raise CalendarError.beyond_known_data(date(year, 1, 1), _SEED_YEARS)
        return YearData(
            year=year,
            holidays=frozenset(d for d in _SEED_HOLIDAYS if d.year == year),
            workdays=frozenset(d for d in _SEED_WORKDAYS if d.year == year),
        )

    @property
    def known_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))

    def is_workday(self, day: date) -> bool:
        """Monday to Friday unless a holiday, or a make-up working day on a weekend."""
        self._require_known(day)
        if day in self._workdays:
            return True
        return day.weekday() < _SATURDAY and day not in self._holidays

    def workdays(self, start: date, end: date) -> list[date]:
        """The working days from ``start`` to ``end``, both inclusive."""
        if start > end:
            raise InvalidInput(
                "calendar.invalid_range",
                f"The range starts ({start.isoformat()}) after it ends ({end.isoformat()}).",
                f"日期范围的开始（{start.isoformat()}）晚于结束（{end.isoformat()}）。",
                {"start": start.isoformat(), "end": end.isoformat()},
            )
        # Check the whole range first so a partial answer is never returned.
        for year in range(start.year, end.year + 1):
            self._require_known(max(start, date(year, 1, 1)))
        return [d for d in _days(start, end) if self.is_workday(d)]

    def add_workdays(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``day`` itself not counted)."""
        _require_positive(n)
        self._require_known(day)
        return next(islice(self._working_days_from(day + _ONE_DAY), n - 1, None))

    def notice_window(self, published_on: date, working_days: int = 5) -> NoticeWindow:
        """R7.3: day 1 is ``published_on`` if it is a working day, else the next working day;
        the window closes at the end of the ``working_days``-th working day, Asia/Shanghai."""
        _require_positive(working_days)
        days = tuple(islice(self._working_days_from(published_on), working_days))
        return NoticeWindow(
            published_on=published_on,
            opens_on=days[0],
            closes_on=days[-1],
            closes_at=datetime.combine(days[-1] + _ONE_DAY, time(0), SHANGHAI),
            working_days=days,
        )

    def _working_days_from(self, day: date) -> Iterator[date]:
        # Endless; is_workday raises CalendarError once the walk leaves the known years.
        while True:
            if self.is_workday(day):
                yield day
            day += _ONE_DAY

    def _require_known(self, day: date) -> None:
        # A datetime is a date subclass but never equals one: it would silently miss holidays.
        if isinstance(day, datetime):
            raise TypeError("pass a business date in Asia/Shanghai, not a datetime")
        if day.year not in self._years:
            raise CalendarError.beyond_known_data(day, self._years)


def _days(start: date, end: date) -> Iterator[date]:
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def _require_positive(n: int) -> None:
    if n < 1:
        raise InvalidInput(
            "calendar.invalid_working_days",
            f"The number of working days must be at least 1, not {n}.",
            f"工作日天数至少为 1，而不是 {n}。",
            {"working_days": n},
        )
