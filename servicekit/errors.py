"""Typed domain errors that cross RPC intact and map to one HTTP status at the gateway.

Each error carries a stable ``code``, a message in Chinese and in English, ``details`` and
its HTTP ``status``, all in its args, so all of it travels in nameko's remote error payload.
A caller that has imported the class gets the same class back (every subclass registers
itself with nameko's ``deserialize_to_instance``); a caller that has not (the gateway never
imports a service's errors) rebuilds it from the payload with ``DomainError.from_remote``, as
a ``DomainError`` with the same code, messages, details and status. So no process has to
import an error's module just to map it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    """A request the domain refuses; never a crash. ``status`` is the HTTP status it maps to:
    the class's, unless given (as a rebuilt remote error's is)."""

    status: int = 400

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        deserialize_to_instance(cls)

    def __init__(
        self,
        code: str,
        message_en: str,
        message_zh: str,
        details: dict[str, Any] | str | None = None,
        status: int | str | None = None,
    ) -> None:
        # nameko stringifies every non-text argument it serializes; details travel as JSON
        # so that numbers and lists arrive as they left, and the status as its digits.
        if isinstance(details, str):
            details = json.loads(details)
        if status is not None:
            self.status = int(status)
        super().__init__(code, message_en, message_zh, json.dumps(details or {}, default=str),
                         str(self.status))
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh
        self.details = details or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"

    def to_dict(self, language: str = "en") -> dict[str, Any]:
        message = self.message_zh if language.startswith("zh") else self.message_en
        return {"code": self.code, "message": message, "details": self.details}

    @classmethod
    def from_remote(cls, error: Mapping[str, Any]) -> DomainError | None:
        """The DomainError a nameko error payload (``exc_type``, ``exc_args``…) describes, or
        None when it describes something else (a bug in the service, not a refusal)."""
        args = error.get("exc_args")
        if not isinstance(args, list) or len(args) != 5 or not all(
                isinstance(arg, str) for arg in args):
            return None
        code, message_en, message_zh, details, status = args
        if not (code and status.isdigit() and 400 <= int(status) < 600):
            return None
        try:
            parsed = json.loads(details)
        except ValueError:
            return None
        if not isinstance(parsed, dict):
            return None
        return cls(code, message_en, message_zh, parsed, int(status))


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """An illegal state transition or a duplicate: the record stays as it was."""

    status = 409


deserialize_to_instance(DomainError)
