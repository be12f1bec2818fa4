"""Typed domain errors that cross RPC intact and map to one HTTP status at the gateway.

Each error carries a stable ``code``, a message in Chinese and in English, and ``details``.
Every subclass registers itself with nameko's ``deserialize_to_instance``, so the gateway's
RPC proxy receives the same class back instead of a bare RemoteError.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    """A request the domain refuses; never a crash. ``status`` is the HTTP status it maps to."""

    status: ClassVar[int] = 400

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        deserialize_to_instance(cls)

    def __init__(
        self,
        code: str,
        message_en: str,
        message_zh: str,
        details: dict[str, Any] | str | None = None,
    ) -> None:
        # nameko stringifies every non-text argument it serializes; details travel as JSON
        # so that numbers and lists arrive as they left.
        if isinstance(details, str):
            details = json.loads(details)
        super().__init__(code, message_en, message_zh, json.dumps(details or {}, default=str))
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh
        self.details = details or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"

    def to_dict(self, language: str = "en") -> dict[str, Any]:
        message = self.message_zh if language.startswith("zh") else self.message_en
        return {"code": self.code, "message": message, "details": self.details}


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
