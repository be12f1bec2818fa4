"""The one envelope every event travels in (DESIGN.md §3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields

import contracts.events  # noqa: F401  (registers the platform's contracts)
from contracts import contract_for
from servicekit.tenancy import check_publisher


class MalformedEvent(Exception):
    """A message that is not a valid envelope of a known contract; it is dead-lettered."""


class _SourceSchema(Schema):
    service = fields.String(required=True)
    tenant = fields.String(required=True)


class EnvelopeSchema(Schema):
    id = fields.UUID(required=True)
    type = fields.String(required=True)
    version = fields.Integer(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    source = fields.Nested(_SourceSchema, required=True)
    correlation_id = fields.String(required=True, allow_none=True)
    payload = fields.Dict(required=True)


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    version: int
    occurred_at: datetime
    source_service: str
    tenant: str
    correlation_id: str | None
    payload: dict[str, Any]


def make_envelope(
    service: str,
    tenant: str,
    event_type: str,
    payload: dict[str, Any],
    correlation_id: str | None,
) -> dict[str, Any]:
    """A JSON-ready envelope; the payload is checked against its contract first, and a
    district instance may not speak for the city (servicekit.tenancy)."""
    check_publisher(tenant, service, event_type)
    contract = contract_for(service, event_type)
    if contract is None:
        raise ValueError(f"no contract registered for {service}.{event_type}")
    errors = contract.schema().validate(payload)
    if errors:
        raise ValueError(f"payload of {service}.{event_type} breaks its contract: {errors}")
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": contract.version,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": {"service": service, "tenant": tenant},
        "correlation_id": correlation_id,
        "payload": payload,
    }


def parse_envelope(body: Any, source: str, event_type: str) -> Envelope:
    """Validate a received body as a ``source``.``event_type`` envelope; MalformedEvent if not."""
    if not isinstance(body, dict):
        raise MalformedEvent(f"body is {type(body).__name__}, not an envelope object")
    try:
        data = EnvelopeSchema().load(body)
    except ValidationError as exc:
        raise MalformedEvent(f"invalid envelope: {exc.messages}") from None
    if data["type"] != event_type or data["source"]["service"] != source:
        raise MalformedEvent(
            f"envelope says {data['source']['service']}.{data['type']}, "
            f"expected {source}.{event_type}"
        )
    contract = contract_for(source, event_type)
    if contract is None:
        raise MalformedEvent(f"no contract registered for {source}.{event_type}")
    if data["version"] != contract.version:
        raise MalformedEvent(
            f"version {data['version']} of {source}.{event_type}; this consumer reads "
            f"version {contract.version}"
        )
    try:
        payload = contract.schema().load(data["payload"])
    except ValidationError as exc:
        raise MalformedEvent(f"payload breaks its contract: {exc.messages}") from None
    return Envelope(
        id=str(data["id"]),
        type=data["type"],
        version=data["version"],
        occurred_at=data["occurred_at"],
        source_service=source,
        tenant=data["source"]["tenant"],
        correlation_id=data["correlation_id"],
        payload=payload,
    )
