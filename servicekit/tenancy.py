"""Which tenant may say what: events between the city's and the districts' instances.

A district runs its own intake and recommendation and its own fund (DESIGN.md §4); federation
carries its events to the city and the city's to it. The brokers move whatever a vhost
publishes, so the rules are checked at both ends, by the kit:

- a district instance publishes only its own kinds of event (``DISTRICT_MAY_PUBLISH``); the
  rest of those services' events are the city's alone (approvals, the registry, evaluation);
- a consumer refuses (dead-letters, with the reason) an event a district may not publish,
  one from a tenant that does not exist, and one in which a district speaks for another;
- a district's consumer skips, with no effect, a city event about another district.

Services outside the table (the test suite's own) are not restricted.
"""

from __future__ import annotations

from typing import Any

from servicekit.tenants import CITY, TENANTS

DISTRICT_MAY_PUBLISH: dict[str, frozenset[str]] = {
    "applications": frozenset({
        "application_submitted",
        "application_recommended",
        "application_returned",
        "application_rejected",
        "application_forwarded",
    }),
    "subsidy": frozenset({
        "grant_approved",
        "grant_disbursed",
        "expenditure_rejected",
        "clawback_raised",
    }),
    "evaluation": frozenset(),
    "matching": frozenset(),
}


class ForbiddenSource(Exception):
    """An event its source tenant may not have sent; the consumer dead-letters it."""


def may_publish(tenant: str, service: str, event_type: str) -> bool:
    if tenant == CITY or service not in DISTRICT_MAY_PUBLISH:
        return True
    return event_type in DISTRICT_MAY_PUBLISH[service]


def check_publisher(tenant: str, service: str, event_type: str) -> None:
    """A district instance asked to publish a city-only event: a bug, refused at the source."""
    if not may_publish(tenant, service, event_type):
        raise ValueError(
            f"{service}.{event_type} is published by the city only; "
            f"this is the instance of district {tenant}"
        )


def admit(source_tenant: str, service: str, event_type: str, payload: dict[str, Any],
          consumer_tenant: str) -> bool:
    """True: the consumer applies the event. False: it is another district's business and
    is acknowledged with no effect. ForbiddenSource: the source had no right to send it."""
    if source_tenant not in TENANTS:
        raise ForbiddenSource(f"the source tenant {source_tenant!r} does not exist")
    district = payload.get("district")
    if source_tenant != CITY:
        if not may_publish(source_tenant, service, event_type):
            raise ForbiddenSource(
                f"district {source_tenant} may not publish {service}.{event_type}; "
                "only the city does"
            )
        if district is not None and district != source_tenant:
            raise ForbiddenSource(
                f"district {source_tenant} published an event about district {district}"
            )
        return consumer_tenant in (CITY, source_tenant)
    return consumer_tenant == CITY or district is None or district == consumer_tenant
