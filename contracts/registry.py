"""The registry of event contracts, keyed by (source service, event type)."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema


@dataclass(frozen=True)
class Contract:
    source: str
    event_type: str
    version: int
    schema: type[Schema]


_CONTRACTS: dict[tuple[str, str], Contract] = {}


def register(source: str, event_type: str, version: int, schema: type[Schema]) -> Contract:
    """Declare the payload schema of ``source``'s ``event_type`` events."""
    key = (source, event_type)
    if key in _CONTRACTS and _CONTRACTS[key].schema is not schema:
        raise ValueError(f"a different contract for {source}.{event_type} is registered")
    _CONTRACTS[key] = Contract(source, event_type, version, schema)
    return _CONTRACTS[key]


def contract_for(source: str, event_type: str) -> Contract | None:
    return _CONTRACTS.get((source, event_type))
