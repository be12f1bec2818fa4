"""The event envelope and its contracts (DESIGN.md §3)."""

from __future__ import annotations

import pytest

from servicekit.envelope import MalformedEvent, make_envelope, parse_envelope
from tests.integration import kit_services  # noqa: F401  (registers the test contract)


def test_envelope_round_trip_carries_every_field():
    body = make_envelope("kitproducer", "371002", "thing_happened", {"thing_id": "x", "n": 3},
                         "corr-1")
    assert set(body) == {"id", "type", "version", "occurred_at", "source", "correlation_id",
                         "payload"}
    envelope = parse_envelope(body, "kitproducer", "thing_happened")
    assert envelope.id == body["id"]
    assert envelope.tenant == "371002"
    assert envelope.correlation_id == "corr-1"
    assert envelope.payload == {"thing_id": "x", "n": 3}
    assert envelope.occurred_at.tzinfo is not None


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda b: b.pop("id"), "invalid envelope"),
        (lambda b: b.update(occurred_at="2026-01-01T00:00:00"), "invalid envelope"),
        (lambda b: b.update(type="other_thing"), "expected kitproducer.thing_happened"),
        (lambda b: b.update(version=2), "version 2"),
        (lambda b: b["payload"].pop("n"), "payload breaks its contract"),
        (lambda b: b.update(extra="field"), "invalid envelope"),
    ],
)
def test_malformed_envelopes_are_refused_with_a_reason(mutate, reason):
    body = make_envelope("kitproducer", "371000", "thing_happened", {"thing_id": "x", "n": 3},
                         None)
    mutate(body)
    with pytest.raises(MalformedEvent, match=reason):
        parse_envelope(body, "kitproducer", "thing_happened")


def test_non_object_body_is_malformed():
    with pytest.raises(MalformedEvent, match="not an envelope"):
        parse_envelope(["a", "list"], "kitproducer", "thing_happened")
