"""The statutory working-day calendar and the public-notice window (R7.3)."""

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest

from servicekit.calendar import (
    SHANGHAI,
    CalendarError,
    NoticeWindow,
    WorkingDayCalendar,
    YearData,
)
from servicekit.errors import InvalidInput

SEED = WorkingDayCalendar.seeded()

# An administrator-registered 2027 for the tests (not the real State Council notice):
# New Year's Day on Friday 1 January with the weekend, and a make-up Saturday on 9 January.
YEAR_2027 = YearData(
    year=2027,
    holidays=frozenset({date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)}),
    workdays=frozenset({date(2027, 1, 9)}),
)


def d(iso: str) -> date:
    return date.fromisoformat(iso)


def test_seed_covers_every_year_chinesecalendar_has():
    assert SEED.known_years == tuple(range(2004, 2027))


def test_seed_agrees_with_chinesecalendar_on_every_day():
    mismatches = [
        day
        for year in SEED.known_years
        for day in (date(year, 1, 1) + timedelta(days=i) for i in range(366))
        if day.year == year and SEED.is_workday(day) != chinese_calendar.is_workday(day)
    ]
    assert mismatches == []


def test_seed_year_holds_weekday_and_weekend_holidays_and_make_up_days():
    data = WorkingDayCalendar.seed_year(2026)
    assert data.year == 2026
    assert {d("2026-10-01"), d("2026-01-03"), d("2026-02-15")} <= data.holidays  # Thu, Sat, Sun
    assert data.workdays == {
        d("2026-01-04"),
        d("2026-02-14"),
        d("2026-02-28"),
        d("2026-05-09"),
        d("2026-09-20"),
        d("2026-10-10"),
    }


def test_seed_year_without_package_data_is_refused():
    with pytest.raises(CalendarError) as caught:
        WorkingDayCalendar.seed_year(2027)
    assert caught.value.code == "calendar.beyond_known_data"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-03-09", True),  # ordinary Monday
        ("2026-03-07", False),  # ordinary Saturday
        ("2026-10-01", False),  # National Day, a Thursday
        ("2026-10-10", True),  # make-up Saturday
        ("2026-09-20", True),  # make-up Sunday
        ("2026-02-23", False),  # Spring Festival, a Monday
    ],
)
def test_is_workday_follows_holidays_and_make_up_days(day, expected):  # R7.3
    assert SEED.is_workday(d(day)) is expected


def test_date_in_a_year_without_data_is_refused():  # R7.3
    with pytest.raises(CalendarError) as caught:
        SEED.is_workday(d("2027-01-04"))
    error = caught.value
    assert isinstance(error, InvalidInput)
    assert error.code == "calendar.beyond_known_data"
    assert "2027-01-04" in error.message_en and "2004-2026" in error.message_en
    assert "2027-01-04" in error.message_zh and "2004-2026" in error.message_zh
    assert error.details["date"] == "2027-01-04"
    assert error.details["known_years"] == list(range(2004, 2027))


def test_datetime_is_not_taken_for_a_business_date():
    with pytest.raises(TypeError):
        SEED.is_workday(datetime(2026, 10, 1, tzinfo=SHANGHAI))


def test_notice_published_before_national_day_closes_on_12_october():  # R7.3
    window = SEED.notice_window(d("2026-09-30"))
    assert window.opens_on == d("2026-09-30")
    assert window.closes_on == d("2026-10-12")
    assert window.working_days == (
        d("2026-09-30"),
        d("2026-10-08"),
        d("2026-10-09"),
        d("2026-10-10"),  # make-up Saturday
        d("2026-10-12"),
    )
    assert window.closes_at == datetime(2026, 10, 13, tzinfo=SHANGHAI)


def test_notice_published_before_spring_festival_closes_on_25_february():  # R7.3
    window = SEED.notice_window(d("2026-02-12"))
    assert window.closes_on == d("2026-02-25")
    assert window.working_days == (
        d("2026-02-12"),
        d("2026-02-13"),
        d("2026-02-14"),  # make-up Saturday
        d("2026-02-24"),
        d("2026-02-25"),
    )


def test_notice_published_on_a_make_up_saturday_counts_that_day():  # R7.3
    window = SEED.notice_window(d("2026-02-28"))
    assert window.opens_on == d("2026-02-28")
    assert window.closes_on == d("2026-03-05")


@pytest.mark.parametrize(
    ("published", "opens", "closes"),
    [
        ("2026-10-01", "2026-10-08", "2026-10-13"),  # National Day holiday
        ("2026-03-08", "2026-03-09", "2026-03-13"),  # ordinary Sunday
    ],
)
def test_notice_published_on_a_day_off_opens_on_the_next_working_day(
    published, opens, closes
):  # R7.3
    window = SEED.notice_window(d(published))
    assert window.published_on == d(published)
    assert (window.opens_on, window.closes_on) == (d(opens), d(closes))
    assert len(window.working_days) == 5


def test_window_may_close_on_the_last_known_day():  # R7.3
    window = SEED.notice_window(d("2026-12-25"))
    assert window.closes_on == d("2026-12-31")
    assert window.closes_at == datetime(2027, 1, 1, tzinfo=SHANGHAI)


def test_window_running_into_an_unknown_year_is_refused():  # R7.3
    with pytest.raises(CalendarError) as caught:
        SEED.notice_window(d("2026-12-28"))
    assert caught.value.details["date"] == "2027-01-01"


def test_administrator_registered_year_extends_the_calendar():  # R7.3
    calendar = WorkingDayCalendar.seeded(extra=[YEAR_2027])
    assert calendar.known_years[-1] == 2027
    window = calendar.notice_window(d("2026-12-28"))
    # Without the registered New Year's Day the window would close on Friday 1 January.
    assert window.closes_on == d("2027-01-04")
    assert window.working_days[-2:] == (d("2026-12-31"), d("2027-01-04"))
    assert calendar.add_workdays(d("2027-01-08"), 1) == d("2027-01-09")  # make-up Saturday
    with pytest.raises(CalendarError):
        calendar.is_workday(d("2028-01-03"))


def test_registering_a_year_the_seed_knows_is_refused():
    with pytest.raises(InvalidInput) as caught:
        WorkingDayCalendar.seeded(extra=[WorkingDayCalendar.seed_year(2026)])
    assert caught.value.code == "calendar.year_already_known"
    assert caught.value.details == {"year": 2026}


@pytest.mark.parametrize(
    ("holidays", "workdays", "problem", "dates"),
    [
        ({date(2026, 12, 31)}, set(), "outside_year", ["2026-12-31"]),
        ({date(2027, 1, 9)}, {date(2027, 1, 9)}, "holiday_and_workday", ["2027-01-09"]),
        (set(), {date(2027, 1, 4)}, "workday_not_on_weekend", ["2027-01-04"]),  # a Monday
    ],
)
def test_inconsistent_year_data_is_rejected(holidays, workdays, problem, dates):
    data = YearData(2027, frozenset(holidays), frozenset(workdays))
    with pytest.raises(InvalidInput) as caught:
        data.validate()
    assert caught.value.code == "calendar.invalid_year_data"
    assert caught.value.details == {"year": 2027, problem: dates}
    assert dates[0] in caught.value.message_en and dates[0] in caught.value.message_zh


def test_registered_year_is_validated():
    bad = YearData(2027, frozenset(), frozenset({date(2027, 1, 4)}))
    with pytest.raises(InvalidInput) as caught:
        WorkingDayCalendar.seeded(extra=[bad])
    assert caught.value.code == "calendar.invalid_year_data"


def test_year_data_filed_under_another_year_is_rejected():
    with pytest.raises(InvalidInput) as caught:
        WorkingDayCalendar({2028: YEAR_2027})
    assert caught.value.code == "calendar.invalid_year_data"


def test_workdays_lists_the_working_days_of_a_range_inclusive():
    assert SEED.workdays(d("2026-09-28"), d("2026-10-12")) == [
        d("2026-09-28"),
        d("2026-09-29"),
        d("2026-09-30"),
        d("2026-10-08"),
        d("2026-10-09"),
        d("2026-10-10"),
        d("2026-10-12"),
    ]
    assert SEED.workdays(d("2026-10-10"), d("2026-10-10")) == [d("2026-10-10")]


def test_workdays_refuses_a_reversed_range_and_an_unknown_year():
    with pytest.raises(InvalidInput) as caught:
        SEED.workdays(d("2026-10-12"), d("2026-10-01"))
    assert caught.value.code == "calendar.invalid_range"
    with pytest.raises(CalendarError) as caught:
        SEED.workdays(d("2026-12-01"), d("2027-01-31"))
    assert caught.value.details["date"] == "2027-01-01"


def test_add_workdays_skips_holidays_and_counts_make_up_days():
    assert SEED.add_workdays(d("2026-09-30"), 1) == d("2026-10-08")
    assert SEED.add_workdays(d("2026-09-30"), 3) == d("2026-10-10")
    assert SEED.add_workdays(d("2026-10-09"), 2) == d("2026-10-12")


@pytest.mark.parametrize("n", [0, -1])
def test_working_day_count_must_be_positive(n):
    with pytest.raises(InvalidInput) as caught:
        SEED.add_workdays(d("2026-09-30"), n)
    assert caught.value.code == "calendar.invalid_working_days"
    with pytest.raises(InvalidInput):
        SEED.notice_window(d("2026-09-30"), working_days=n)


def _window() -> NoticeWindow:
    return SEED.notice_window(d("2026-09-30"))  # 2026-09-30 .. 2026-10-12


def test_window_is_open_up_to_its_last_instant_and_not_at_closes_at():  # R7.3
    window = _window()
    assert window.is_open_at(window.closes_at - timedelta(microseconds=1))
    assert not window.is_open_at(window.closes_at)


def test_window_opens_at_midnight_shanghai_of_day_one():  # R7.3
    window = _window()
    assert window.is_open_at(datetime(2026, 9, 30, tzinfo=SHANGHAI))
    assert not window.is_open_at(datetime(2026, 9, 29, 23, 59, 59, tzinfo=SHANGHAI))


def test_window_converts_utc_instants_to_shanghai():  # R7.3
    window = _window()
    # Shanghai is UTC+8: 2026-10-12 23:59:59 there is 15:59:59 UTC.
    assert window.is_open_at(datetime(2026, 10, 12, 15, 59, 59, tzinfo=UTC))
    assert not window.is_open_at(datetime(2026, 10, 12, 16, 0, tzinfo=UTC))
    # 2026-09-29 16:00 UTC is already 30 September in Shanghai.
    assert window.is_open_at(datetime(2026, 9, 29, 16, 0, tzinfo=UTC))
    assert not window.is_open_at(datetime(2026, 9, 29, 15, 59, 59, tzinfo=UTC))


def test_window_refuses_a_naive_instant():
    with pytest.raises(ValueError):
        _window().is_open_at(datetime(2026, 10, 1, 12, 0))


def test_objection_on_a_holiday_publication_day_is_outside_the_window():  # R7.3
    window = SEED.notice_window(d("2026-10-01"))
    assert not window.is_open_at(datetime(2026, 10, 1, 12, 0, tzinfo=SHANGHAI))
    assert window.is_open_at(datetime(2026, 10, 8, 0, 0, tzinfo=SHANGHAI))
