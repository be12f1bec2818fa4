"""The applications service's working-day calendar over RPC (R7.3)."""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from servicekit.calendar import CalendarError
from servicekit.db import make_engine
from servicekit.errors import Conflict, InvalidInput
from servicekit.tables import audit_log, outbox
from services.applications.service import ApplicationsService

pytestmark = pytest.mark.integration

# A made-up 2027 notice (the real one is not published yet): New Year on Fri 1 Jan,
# a make-up working day on Sat 9 Jan.
YEAR_2027 = {"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-01-09"]}


@pytest.fixture
def applications(container_factory, service_config):
    container = container_factory(ApplicationsService, service_config)
    container.start()
    with ServiceRpcProxy("applications", service_config,
                         context_data={"actor": "admin-1", "role": "city_hr"}) as rpc:
        yield rpc


def test_notice_windows_of_the_issue(applications):  # R7.3
    window = applications.get_notice_window({"published_on": "2026-09-30"})
    assert window["closes_on"] == "2026-10-12"
    assert window["working_days"] == ["2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10",
                                      "2026-10-12"]
    assert window["closes_at"] == "2026-10-13T00:00:00+08:00"
    assert applications.get_notice_window({"published_on": "2026-02-12"})[
        "closes_on"] == "2026-02-25"


def test_date_beyond_known_data_is_refused(applications):  # R7.3
    with pytest.raises(CalendarError) as refused:
        applications.get_notice_window({"published_on": "2026-12-28"})
    assert refused.value.code == "calendar.beyond_known_data"
    assert "2027" in refused.value.message_zh


def test_administrator_extends_the_calendar_with_audit_and_event(
    applications, database_url_template
):  # R7.3
    applications.register_calendar_year(YEAR_2027)
    window = applications.get_notice_window({"published_on": "2026-12-28"})
    assert window["working_days"] == ["2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31",
                                      "2027-01-04"]
    assert "2027-01-09" in applications.list_workdays({"start": "2027-01-09",
                                                       "end": "2027-01-10"})["workdays"]

    engine = make_engine(database_url_template.format(service="applications"))
    with engine.connect() as conn:
        audit = conn.execute(select(audit_log)).one()
        event = conn.execute(select(outbox)).one()
    engine.dispose()
    assert (audit.action, audit.actor, audit.role) == ("calendar.register_year", "admin-1",
                                                       "city_hr")
    assert audit.after["workdays"] == ["2027-01-09"]
    assert event.event_type == "calendar_year_registered"
    assert event.envelope["payload"]["registered_by"] == "admin-1"


def test_bad_calendar_input_is_refused_and_changes_nothing(applications, database_url_template):
    with pytest.raises(Conflict):  # the seed already knows 2026
        applications.register_calendar_year({"year": 2026, "holidays": [], "workdays": []})
    with pytest.raises(InvalidInput) as invalid:  # a make-up working day on a Wednesday
        applications.register_calendar_year({"year": 2027, "holidays": [],
                                             "workdays": ["2027-01-06"]})
    assert invalid.value.code == "calendar.invalid_year_data"
    with pytest.raises(InvalidInput) as unknown:
        applications.register_calendar_year({**YEAR_2027, "approved": True})
    assert "approved" in unknown.value.details["fields"]
    applications.register_calendar_year(YEAR_2027)
    with pytest.raises(Conflict):
        applications.register_calendar_year(YEAR_2027)

    engine = make_engine(database_url_template.format(service="applications"))
    with engine.connect() as conn:
        assert len(conn.execute(select(audit_log)).all()) == 1
        assert len(conn.execute(select(outbox)).all()) == 1
    engine.dispose()
