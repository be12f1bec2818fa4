"""Which tenant may say what (servicekit/tenancy.py), and the district's own numbering: the
rules the kit checks at both ends of federation, with no broker."""

from __future__ import annotations

import pytest

from contracts.registry import contract_for
from servicekit.envelope import make_envelope
from servicekit.errors import Conflict, InvalidInput
from servicekit.tenancy import (
    DISTRICT_MAY_PUBLISH,
    ForbiddenSource,
    admit,
    check_publisher,
    may_publish,
)
from servicekit.tenants import CITY
from services.applications.domain import application_number, check_applies_here, transition

HUANCUI, WENDENG = "371002", "371003"


def test_every_event_a_district_may_publish_has_a_contract() -> None:
    for service, types in DISTRICT_MAY_PUBLISH.items():
        for event_type in types:
            assert contract_for(service, event_type) is not None, (service, event_type)


@pytest.mark.parametrize(("service", "event_type", "allowed"), [
    ("applications", "application_submitted", True),
    ("applications", "application_recommended", True),
    ("applications", "application_returned", True),
    ("applications", "application_rejected", True),
    ("applications", "application_forwarded", True),
    ("subsidy", "grant_approved", True),  # its own fund's grants (Art 14)
    ("applications", "station_approved", False),  # R7.4: the talent office's, at the city
    ("applications", "station_status_changed", False),
    ("applications", "station_revoked", False),
    ("applications", "notice_published", False),
    ("evaluation", "evaluation_completed", False),
    ("evaluation", "demonstration_selected", False),
    ("matching", "collaboration_recorded", False),
])
def test_a_district_publishes_only_its_own_kinds_of_event(service, event_type, allowed):  # R7.4
    assert may_publish(HUANCUI, service, event_type) is allowed
    assert may_publish(CITY, service, event_type) is True
    if not allowed:
        with pytest.raises(ValueError, match="published by the city only"):
            check_publisher(HUANCUI, service, event_type)


def test_a_districts_outbox_refuses_a_city_event_before_it_is_written() -> None:
    with pytest.raises(ValueError, match="this is the instance of district 371002"):
        make_envelope("applications", HUANCUI, "station_approved", {}, None)
    # Services outside the platform's four (the suite's own) are not restricted.
    assert may_publish(HUANCUI, "kitproducer", "thing_happened")


def test_a_consumer_refuses_what_a_district_had_no_right_to_send() -> None:
    with pytest.raises(ForbiddenSource, match=r"may not publish applications\.station_approved"):
        admit(HUANCUI, "applications", "station_approved", {"district": HUANCUI}, CITY)
    with pytest.raises(ForbiddenSource, match="about district 371003"):
        admit(HUANCUI, "applications", "application_forwarded", {"district": WENDENG}, CITY)
    with pytest.raises(ForbiddenSource, match="does not exist"):
        admit("999999", "applications", "application_submitted", {}, CITY)


def test_a_consumer_takes_what_concerns_it_and_skips_another_districts_business() -> None:
    recommended = {"district": HUANCUI}
    assert admit(HUANCUI, "applications", "application_recommended", recommended, CITY)
    assert admit(HUANCUI, "applications", "application_recommended", recommended, HUANCUI)
    assert not admit(HUANCUI, "applications", "application_recommended", recommended, WENDENG)
    approved = {"district": HUANCUI}
    assert admit(CITY, "applications", "station_approved", approved, HUANCUI)
    assert admit(CITY, "applications", "station_approved", approved, CITY)
    assert not admit(CITY, "applications", "station_approved", approved, WENDENG)
    # No district in the payload: the handler decides (its registry knows its stations).
    assert admit(CITY, "applications", "station_status_changed", {"station_id": "s"}, WENDENG)


def test_a_districts_numbers_carry_its_code_so_the_city_can_hold_both() -> None:
    assert application_number(2026, 1) == "WHRCYZ-2026-0001"
    assert application_number(2026, 1, HUANCUI) == "WHRCYZ-371002-2026-0001"
    assert len(application_number(2026, 9999, HUANCUI)) <= 30  # the column's width


def test_a_districts_copy_follows_only_the_citys_final_outcomes() -> None:
    assert transition("at_city", "city_approved") == "approved"
    assert transition("at_city", "city_rejected") == "rejected"
    with pytest.raises(Conflict):
        transition("submitted", "city_approved")


def test_a_district_instance_takes_in_only_its_districts_route() -> None:  # R7.1
    check_applies_here("district", district_instance=True)
    check_applies_here("city", district_instance=False)
    with pytest.raises(InvalidInput) as refused:
        check_applies_here("city", district_instance=True)
    assert refused.value.details == {"field": "host_unit_id", "route": "city", "rule": "R7.1"}
