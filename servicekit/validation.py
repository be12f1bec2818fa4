"""Loading RPC payloads: a marshmallow error becomes an InvalidInput naming each field."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from servicekit.errors import InvalidInput


def load(schema: Schema, data: Any) -> Any:
    """``schema.load(data)``, or InvalidInput with the field messages in ``details``."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidInput(
            "invalid_input",
            "The request has invalid fields.",
            "请求中有无效字段。",
            {"fields": exc.messages},
        ) from None
