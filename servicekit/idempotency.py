"""Idempotency keys: a request retried with the same key is answered, not carried out again.

A service declares the table in its own database with the mixin and, inside the unit of work
of the command, asks for the stored answer before acting and remembers its answer after::

    class IdempotencyKey(IdempotencyRecord, Base):
        __tablename__ = "idempotency_keys"

    fingerprint = request_fingerprint("disburse_grant", principal.actor, data)
    answer = replay(session, IdempotencyKey, data["idempotency_key"], "disburse_grant",
                    fingerprint)
    if answer is None:
        answer = ...  # carry the request out
        remember(session, IdempotencyKey, data["idempotency_key"], "disburse_grant",
                 fingerprint, actor, answer, now)

The key is the primary key, so of two concurrent first attempts one commits; the other's
commit fails, and after a rollback ``replay`` finds the winner's answer. A key used again for
a different request (another operation, actor or payload) is refused with a Conflict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from servicekit.errors import Conflict
from servicekit.models import UtcDateTime


class IdempotencyRecord:
    """Columns of an idempotency-key table; mix into a declarative class with its own
    ``__tablename__``."""

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    operation: Mapped[str] = mapped_column(String(60))
    fingerprint: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100))
    response: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


R = TypeVar("R", bound=IdempotencyRecord)


def request_fingerprint(operation: str, actor: str, data: Mapping[str, Any],
                        key_field: str = "idempotency_key") -> str:
    """What makes two requests the same one (the idempotency key aside)."""
    fields = {k: v for k, v in data.items() if k != key_field}
    text = json.dumps({"op": operation, "actor": actor, **fields}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def replay(session: Session, model: type[R], key: str, operation: str,
           fingerprint: str) -> dict[str, Any] | None:
    """The stored answer of the request ``key`` was first used for, or None if it is new."""
    stored = session.get(model, key)
    if stored is None:
        return None
    if stored.operation != operation or stored.fingerprint != fingerprint:
        raise Conflict(
            "idempotency.key_reused",
            "This idempotency key was used for a different request; use a new key.",
            "该幂等键已用于另一请求，请使用新的键。",
            {"field": "idempotency_key"},
        )
    return dict(stored.response)


def remember(session: Session, model: type[R], key: str, operation: str, fingerprint: str,
             actor: str, response: Mapping[str, Any], now: datetime) -> None:
    """Store ``response`` under ``key``, in the command's own transaction."""
    session.add(model(key=key, operation=operation, fingerprint=fingerprint, actor=actor,
                      response=dict(response), created_at=now))
